package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeMySQL(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "mysql checks are not built yet"}
}
