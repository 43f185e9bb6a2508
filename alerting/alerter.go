// Package alerting turns the engine's transitions into Telegram messages that are right,
// few and certain: grouped by root cause, quiet while a check flaps or is muted, written to
// the SQLite outbox before every send, delivered in order per chat within Telegram's
// limits, and retried until they arrive.
package alerting

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
)

// Sender delivers one HTML message; with check set it carries that check's buttons.
// A 429 answer comes back as an error with a RetryAfter() time.Duration method.
// bot.Bot implements it.
type Sender interface {
	Send(ctx context.Context, chatID int64, text, check string) error
}

// Store is the part of the history database alerting uses (storage.DB): the outbox,
// incidents (restart without amnesia) and mutes.
type Store interface {
	Enqueue(ctx context.Context, chatID int64, kind string, payload []byte) (int64, error)
	Pending(ctx context.Context, limit int) ([]storage.OutboxItem, error)
	MarkSent(ctx context.Context, id int64) error
	Retry(ctx context.Context, id int64, next time.Time, lastErr string) error
	OpenIncident(ctx context.Context, check string, start time.Time, rootCause string) (int64, error)
	MarkAlerted(ctx context.Context, id int64) error
	CloseIncident(ctx context.Context, check string, end time.Time) error
	OpenIncidents(ctx context.Context) ([]storage.Incident, error)
	Mutes(ctx context.Context) (map[string]time.Time, error)
}

// Engine is the view of the check engine alerting needs (monitor.Engine): specs for
// dependencies, host, runtime and flags, and states at start.
type Engine interface {
	Snapshot() []monitor.CheckView
	Get(name string) (monitor.CheckView, bool)
}

// Deps are the parts the alerter talks to. Sender, Store and Engine are required.
type Deps struct {
	Sender Sender
	Store  Store
	Engine Engine
	// Clock drives every wait; nil means the wall clock.
	Clock Clock
	// Location is the time zone of times in messages; nil means Local.
	Location *time.Location
	// HTTPClient pings alerting.heartbeat_url; nil means a plain client (each ping has
	// its own timeout).
	HTTPClient *http.Client
	// LastContact, when set, reports the bot's last successful Bot API call of any kind
	// (bot.Bot.LastOK), so a dead Bot API is noticed even when no alert is due.
	LastContact func() time.Time
}

// Timing of the background work.
const (
	tickEvery      = 5 * time.Second  // mutes ending, reminders, flapping, health
	heartbeatEvery = time.Minute      // one "round" of the dead-man's switch
	heartbeatLimit = 10 * time.Second // a ping never takes longer
	sendTimeout    = 30 * time.Second // one Bot API call
	minBackoff     = time.Second
	maxBackoff     = 2 * time.Minute
	maxPermanent   = 3 // attempts before a message Telegram refuses (400, 403) is dropped
	pendingBatch   = 1000
	maxDrain       = 10000           // events handled at shutdown
	markTimeout    = 5 * time.Second // recording a message sent as shutdown began
	// maxRecoveryWait bounds how long a parent's recovery waits for its dependents to be
	// checked again before it is announced.
	maxRecoveryWait = 5 * time.Minute
)

// settings are the config values alerting reads, swapped whole by Reload.
type settings struct {
	cfg          *config.Config
	groupWait    time.Duration
	flapMax      int // 0: no flap detection
	flapWindow   time.Duration
	heartbeatURL string
	chats        []int64
	deadAfter    time.Duration
}

func settingsFrom(cfg *config.Config) settings {
	if cfg == nil {
		cfg = &config.Config{}
	}
	s := settings{
		cfg:          cfg,
		groupWait:    max(cfg.Alerting.GroupWait.D(), 0),
		flapMax:      cfg.Alerting.Flap.MaxChanges,
		flapWindow:   cfg.Alerting.Flap.Window.D(),
		heartbeatURL: cfg.Alerting.HeartbeatURL,
		chats:        cfg.Telegram.AlertChats,
		deadAfter:    cfg.Telegram.DeadAfter.D(),
	}
	if len(s.chats) == 0 {
		s.chats = cfg.Telegram.Allowed
	}
	s.chats = append([]int64(nil), s.chats...)
	if s.flapWindow <= 0 {
		s.flapWindow = config.DefaultFlapWindow.D()
	}
	if s.deadAfter <= 0 {
		s.deadAfter = config.DefaultDeadAfter.D()
	}
	return s
}

// Alerter implements monitor.EventSink. Create it with New and run it with Run.
type Alerter struct {
	log   *slog.Logger
	deps  Deps
	clock Clock
	loc   *time.Location
	http  *http.Client

	mu      sync.Mutex
	set     settings
	queue   []monitor.Event
	mem     []memItem // messages the store could not take, sent from memory
	memSeq  int64
	wake    chan struct{} // event processor
	outWake chan struct{} // outbox sender

	hmu          sync.Mutex // health
	started      time.Time
	lastSendOK   time.Time
	failingSince time.Time
	deadLogged   bool
	lastBeat     time.Time

	// Owned by the event processor goroutine.
	checks     map[string]*checkState
	group      []string
	inGroup    map[string]bool
	groupDue   time.Time
	recoveries []*pendingRecovery
	nextTick   time.Time
	deferred   []func() // incident writes, after the round's messages are queued
}

// New builds an alerter. Nothing is sent before Run.
func New(cfg *config.Config, deps Deps, logger *slog.Logger) *Alerter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = RealClock{}
	}
	if deps.Location == nil {
		deps.Location = time.Local
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{}
	}
	a := &Alerter{
		log:     logger,
		deps:    deps,
		clock:   deps.Clock,
		loc:     deps.Location,
		http:    deps.HTTPClient,
		set:     settingsFrom(cfg),
		wake:    make(chan struct{}, 1),
		outWake: make(chan struct{}, 1),
		checks:  map[string]*checkState{},
		inGroup: map[string]bool{},
	}
	a.started = a.clock.Now()
	if len(a.set.chats) == 0 {
		logger.Warn("alerting: no telegram.alert_chats and no telegram.allowed: alerts are recorded but go nowhere")
	}
	return a
}

// HandleEvent queues a transition; it never blocks the engine.
func (a *Alerter) HandleEvent(ev monitor.Event) {
	a.mu.Lock()
	a.queue = append(a.queue, ev)
	a.mu.Unlock()
	poke(a.wake)
}

// Reload applies new alerting settings (SIGHUP). Checks' own fields are read from the
// engine, which reloads them itself.
func (a *Alerter) Reload(cfg *config.Config) {
	s := settingsFrom(cfg)
	a.mu.Lock()
	a.set = s
	a.mu.Unlock()
	poke(a.wake)
	poke(a.outWake)
}

func (a *Alerter) settings() settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.set
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run processes events and delivers the outbox until ctx is done. Messages not yet
// delivered stay in the outbox for the next start.
func (a *Alerter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.process(ctx) }()
	go func() { defer wg.Done(); a.deliver(ctx) }()
	go func() { defer wg.Done(); a.heartbeat(ctx) }()
	wg.Wait()
	return nil
}

// Healthy reports whether Telegram is reachable as far as alerting knows, and since when
// it was last reached: false once delivery has failed (or the bot has not reached the
// Bot API at all) for longer than telegram.dead_after.
func (a *Alerter) Healthy() (ok bool, since time.Time) {
	return a.health(a.clock.Now())
}

func (a *Alerter) health(now time.Time) (bool, time.Time) {
	dead := a.settings().deadAfter
	a.hmu.Lock()
	contact := a.started
	if a.lastSendOK.After(contact) {
		contact = a.lastSendOK
	}
	failing := a.failingSince
	a.hmu.Unlock()
	viaBot := false
	if a.deps.LastContact != nil {
		viaBot = true
		if t := a.deps.LastContact(); t.After(contact) {
			contact = t
		}
	}
	if !failing.IsZero() && now.Sub(failing) > dead {
		return false, contact
	}
	if viaBot && now.Sub(contact) > dead {
		return false, contact
	}
	return true, contact
}
