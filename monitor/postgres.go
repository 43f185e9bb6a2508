package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probePostgres(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "postgres checks are not built yet"}
}
