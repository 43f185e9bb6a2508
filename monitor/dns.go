package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeDNS(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "dns checks are not built yet"}
}
