package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeTmux(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "tmux checks are not built yet"}
}
