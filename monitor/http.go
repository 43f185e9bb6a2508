package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeHTTP(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "http checks are not built yet"}
}
