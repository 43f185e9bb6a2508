package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeTLS(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "tls checks are not built yet"}
}
