package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probePing(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "ping checks are not built yet"}
}
