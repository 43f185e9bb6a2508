package monitor

import (
	"context"

	"github.com/statusmap/statusmap/config"
)

func probeHeartbeat(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return Outcome{Status: StatusError, Reason: "heartbeat checks are not built yet"}
}
