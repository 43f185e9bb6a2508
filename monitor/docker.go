package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeDocker(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "docker checks are not built yet"}
}
