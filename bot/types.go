package bot

import (
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
)

// CheckView is one check as the engine shows it.
type CheckView = monitor.CheckView

// Point is one step of a check's history.
type Point = storage.Point
