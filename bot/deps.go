package bot

import (
	"context"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
)

// Engine is what the bot needs of the check engine (monitor.Engine).
type Engine interface {
	Snapshot() []CheckView
	Get(name string) (CheckView, bool)
	Add(ctx context.Context, c config.Check) (monitor.Result, error)
	Remove(name string) error
	Pause(name string, until time.Time) error
	Resume(name string) error
	RunNow(ctx context.Context, name string) (monitor.Result, error)
	// HeartbeatToken is the push token a heartbeat check really answers to (the stored
	// one, or the temporary one the engine fell back to).
	HeartbeatToken(name string) (string, bool)
}

// Store is what the bot needs of the history database (storage.DB).
type Store interface {
	Results(ctx context.Context, check string, since time.Time, limit int) ([]monitor.Result, error)
	Series(ctx context.Context, check string, since, until time.Time, step time.Duration) ([]Point, error)
	Uptime(ctx context.Context, check string, window time.Duration) (float64, error)
	SaveCheck(ctx context.Context, c config.Check) error
	DeleteCheck(ctx context.Context, name string) error
	SetMute(ctx context.Context, name string, until time.Time) error
	DeleteMute(ctx context.Context, name string) error
	Mutes(ctx context.Context) (map[string]time.Time, error)
	SetPause(ctx context.Context, name string, until time.Time) error
	DeletePause(ctx context.Context, name string) error
}

// MapFunc returns the nomnoml source of the status map (only host's part when host is
// not empty) and the live status of its nodes.
type MapFunc func(ctx context.Context, host string) (src string, live map[string]render.NodeStatus, err error)

// Deps are the parts the bot talks to.
type Deps struct {
	Engine Engine
	Store  Store
	Map    MapFunc
	// Defaults are the config's check defaults, applied to checks added from chat.
	Defaults config.Defaults
	// PushBase is the web side's base URL ("http://127.0.0.1:9004"), for heartbeat push
	// URLs shown by /check; empty hides them.
	PushBase string
	// Location is the time zone of times shown in chat; nil means Local.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}
