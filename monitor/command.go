package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeCommand(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "command checks are not built yet"}
}
