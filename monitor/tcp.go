package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeTCP(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "tcp checks are not built yet"}
}
