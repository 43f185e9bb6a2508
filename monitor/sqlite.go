package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeSQLite(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "sqlite checks are not built yet"}
}
