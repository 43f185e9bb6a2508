package bot

import (
	"errors"
	"time"

	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
)

// CheckView is one check as the engine shows it.
type CheckView = monitor.CheckView

// Point is one step of a check's history.
type Point struct {
	Time                   time.Time
	Checks, Failures       int
	AvgLatency, P95Latency time.Duration
}

func renderPNG(src string, live map[string]render.NodeStatus) ([]byte, error) {
	return nil, errors.New("map rendering is not available")
}
