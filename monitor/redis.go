package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeRedis(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "redis checks are not built yet"}
}
