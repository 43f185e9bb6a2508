package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/statusmap/statusmap/config"
)

// Defaults used when neither a check nor the defaults block sets a value.
const (
	DefaultInterval    = 60 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 64

	// maxJitter caps the spread of first runs: every check has run once within it after a
	// start, and a restart does not fire all checks in the same second.
	maxJitter = 30 * time.Second
	// overrunGrace is how long a probe may ignore its deadline before the engine gives its
	// concurrency slot to other checks (the probe's own run slot stays taken until it returns).
	overrunGrace = 2 * time.Second
)

// Sources of a check.
const (
	SourceConfig = "config"
	SourceChat   = "chat"
)

// TokenSource gives the push token of a heartbeat check (storage keeps them across restarts).
type TokenSource interface {
	HeartbeatToken(ctx context.Context, check string) (string, error)
}

// Options tune an Engine. Zero values are usable.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for result and state times (tests inject one); scheduling uses real time.
	Now func() time.Time
	// Concurrency bounds the checks running at once; 0 takes defaults.concurrency, then 64.
	Concurrency int
	// Results and Events are called synchronously on the check path, in run order per
	// check: they must not block (queue and return).
	Results []ResultSink
	Events  []EventSink
	// Restore holds states loaded from storage: they are the starting states.
	Restore map[string]State
	// Tokens gives heartbeat push tokens; nil: random tokens kept in memory.
	Tokens TokenSource
}

// CheckView is one check as shown: its effective spec (defaults applied) and its state.
type CheckView struct {
	Spec  config.Check
	State State
}

// Engine runs every check on its interval and keeps each check's judged state.
//
// Scheduling: one gocron job per check at its interval. The first run of a check is offset
// by a fixed jitter derived from its name, within min(interval, 30s), so a start (or a
// restart) spreads the load yet every check has run within 30 seconds; runs fall on a grid
// of whole seconds (gridStep) so that checks due together share a wake-up. A job's tick never
// blocks: it queues the check (at most once) for a pool of Concurrency long-lived workers.
// (Running it in the tick's own goroutine would spare the hand-off, but that goroutine is new
// and small: growing its stack on every run costs more.) Runs of one check never overlap (a
// tick that finds its check running is skipped). Each run has its check's timeout; a probe
// that overstays it by 2s gives its slot back to the other checks.
type Engine struct {
	log     *slog.Logger
	now     func() time.Time
	results []ResultSink
	events  []EventSink
	tokens  TokenSource
	hb      *Heartbeats
	probes  map[string]Probe
	sem     chan struct{}
	stopCh  chan struct{}

	// runCtx parents every run; it is cancelled only when Stop's deadline passes.
	runCtx    context.Context
	queue     *runQueue
	cancelRun context.CancelFunc
	inflight  sync.WaitGroup

	mu       sync.RWMutex
	defaults config.Defaults
	checks   map[string]*entry
	byToken  map[string]string
	// restoreLeft holds restored states of checks not in the config: checks added from chat
	// come back through Add after a restart and take their state from here (once).
	restoreLeft map[string]State
	sched       gocron.Scheduler
	started     bool
	stopped     bool
}

// entry is one check inside the engine. spec and state are guarded by Engine.mu.
type entry struct {
	name     string        // never changes
	spec     *config.Check // replaced, never changed: probes and views share it
	cache    probeCache    // what a probe prepared from sp (parsed URL, rules, ...)
	state    State
	job      gocron.Job
	run      chan struct{} // capacity 1: held while the check runs (no overlapping runs)
	queued   chan struct{} // capacity 1: a push-triggered run is pending
	pending  atomic.Bool   // queued for the workers
	prePause Status
	resume   *time.Timer
	token    string
}

var nameRe = regexp.MustCompile(`^[a-z0-9_-]+$`)

// New builds an engine for cfg. Nothing runs before Start.
func New(cfg *config.Config, opt Options) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("monitor: nil config")
	}
	e := &Engine{
		log:      opt.Logger,
		now:      opt.Now,
		results:  opt.Results,
		events:   opt.Events,
		tokens:   opt.Tokens,
		defaults: cfg.Defaults,
		checks:   make(map[string]*entry),
		byToken:  make(map[string]string),
		stopCh:   make(chan struct{}),
		queue:    newRunQueue(),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.hb = NewHeartbeats(e.now)
	e.probes = probeTable(e.hb)
	n := opt.Concurrency
	if n <= 0 {
		n = cfg.Defaults.Concurrency
	}
	if n <= 0 {
		n = DefaultConcurrency
	}
	e.sem = make(chan struct{}, n)
	e.runCtx, e.cancelRun = context.WithCancel(context.Background())

	specs, err := e.prepare(cfg.Checks)
	if err != nil {
		return nil, err
	}
	e.restoreLeft = make(map[string]State)
	for name, st := range opt.Restore {
		e.restoreLeft[name] = st
	}
	for _, c := range specs {
		ent := e.newEntry(c)
		if st, ok := e.restoreLeft[c.Name]; ok {
			e.restore(ent, st)
			delete(e.restoreLeft, c.Name)
		}
		e.checks[c.Name] = ent
	}
	e.assignTokens(nil)
	return e, nil
}

// prepare checks names and types and applies the defaults; it changes nothing in e.
func (e *Engine) prepare(checks []config.Check) ([]config.Check, error) {
	out := make([]config.Check, 0, len(checks))
	seen := make(map[string]bool, len(checks))
	var errs []error
	for i, c := range checks {
		if err := e.checkSpec(&c); err != nil {
			errs = append(errs, fmt.Errorf("checks[%d]: %w", i, err))
			continue
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("checks[%d]: duplicate check name %q", i, c.Name))
			continue
		}
		seen[c.Name] = true
		if c.Source == "" {
			c.Source = SourceConfig
		}
		out = append(out, e.effective(c))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (e *Engine) checkSpec(c *config.Check) error {
	if !nameRe.MatchString(c.Name) {
		return fmt.Errorf("check name %q: must match [a-z0-9_-]+", c.Name)
	}
	if _, ok := e.probes[c.Type]; !ok {
		return fmt.Errorf("check %q: unknown type %q", c.Name, c.Type)
	}
	return nil
}

// effective fills the fields the engine relies on from the defaults block, then the
// documented defaults, so a config built in code without defaults still runs sanely.
func (e *Engine) effective(c config.Check) config.Check {
	d := e.defaults
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.Interval <= 0 {
		c.Interval = config.Duration(DefaultInterval)
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.Timeout <= 0 {
		c.Timeout = config.Duration(DefaultTimeout)
	}
	if c.FailureThreshold <= 0 {
		c.FailureThreshold = d.FailureThreshold
	}
	if c.FailureThreshold <= 0 {
		c.FailureThreshold = DefaultFailureThreshold
	}
	if c.SuccessThreshold <= 0 {
		c.SuccessThreshold = d.SuccessThreshold
	}
	if c.SuccessThreshold <= 0 {
		c.SuccessThreshold = DefaultSuccessThreshold
	}
	return c
}

func (e *Engine) newEntry(c config.Check) *entry {
	ent := &entry{
		run:    make(chan struct{}, 1),
		queued: make(chan struct{}, 1),
		state: State{
			Name:   c.Name,
			Status: StatusUnknown,
			Extra:  mergeExtra(c.Extra, nil),
		},
	}
	ent.setSpec(c)
	if c.Paused {
		ent.prePause = StatusUnknown
		ent.state.Status = StatusPaused
		ent.state.Paused = true
	}
	return ent
}

// setSpec replaces the spec; the copy probes see is replaced, never changed. Callers hold
// e.mu (or own ent).
func (ent *entry) setSpec(c config.Check) {
	ent.name = c.Name
	ent.spec = &c
}

// restore makes a stored state the starting state of ent (restart without amnesia).
func (e *Engine) restore(ent *entry, st State) {
	st.Name = ent.spec.Name
	if st.Status == "" {
		st.Status = StatusUnknown
	}
	st.Extra = mergeExtra(ent.spec.Extra, passedExtra(st.Last))
	if ent.spec.Paused {
		if !st.Paused {
			ent.prePause = st.Status
		}
		st.Status, st.Paused, st.PausedUntil = StatusPaused, true, time.Time{}
	} else if st.Paused || st.Status == StatusPaused {
		ent.prePause = StatusUnknown
		st.Status, st.Paused = StatusPaused, true
		if !st.PausedUntil.IsZero() {
			if d := st.PausedUntil.Sub(e.now()); d > 0 {
				name := ent.spec.Name
				ent.resume = time.AfterFunc(d, func() { e.resumeTimed(name, st.PausedUntil) })
			} else {
				st.Status, st.Paused, st.PausedUntil = StatusUnknown, false, time.Time{}
			}
		}
	}
	ent.state = st
}

// assignTokens gives every heartbeat check a push token, from pre (looked up before the
// caller took e.mu, since the token source may be a slow database) or else a new one.
// Callers hold e.mu or own e.
func (e *Engine) assignTokens(pre map[string]string) {
	for name, ent := range e.checks {
		if ent.spec.Type != "heartbeat" || ent.token != "" {
			continue
		}
		t, ok := pre[name]
		if !ok {
			t = e.tokenFor(*ent.spec)
		}
		ent.token = t
		e.byToken[ent.token] = name
	}
}

// prefetchTokens looks up the push tokens of heartbeat checks without holding e.mu, so a
// locked database never stalls the check path.
func (e *Engine) prefetchTokens(checks []config.Check) map[string]string {
	pre := map[string]string{}
	for _, c := range checks {
		if c.Type == "heartbeat" {
			pre[c.Name] = e.tokenFor(c)
		}
	}
	return pre
}

func (e *Engine) tokenFor(c config.Check) string {
	if c.Token != "" {
		return c.Token
	}
	if e.tokens != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		t, err := e.tokens.HeartbeatToken(ctx, c.Name)
		if err == nil && t != "" {
			return t
		}
		e.log.Warn("heartbeat token not stored; using a temporary one", "check", c.Name, "err", err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start schedules every check. It returns at once; checks run until Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started || e.stopped {
		return errors.New("monitor: engine already started")
	}
	s, err := gocron.NewScheduler(gocron.WithStopTimeout(time.Minute))
	if err != nil {
		return fmt.Errorf("monitor: scheduler: %w", err)
	}
	s.Start()
	e.sched = s
	e.started = true
	for range cap(e.sem) {
		go e.worker()
	}
	names := slices.Sorted(maps.Keys(e.checks))
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.schedule(e.checks[name]); err != nil {
			return err
		}
	}
	e.log.Info("monitor started", "checks", len(e.checks), "concurrency", cap(e.sem))
	return nil
}

// jitter spreads first runs: a fixed offset per name (stable across restarts) within
// min(interval, 30s), a whole number of grid steps (see gridStep).
func jitter(name string, interval time.Duration) time.Duration {
	span := min(interval, maxJitter)
	if span <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(span)).Truncate(gridStep(span))
}

// gridStep is the grid that runs are aligned to: one second, or a tenth of a shorter
// spread. Checks due in the same step share one wake-up of the process instead of waking
// it one by one; with thousands of checks that halves the CPU per check, and a burst is
// still bounded by the concurrency limit.
func gridStep(span time.Duration) time.Duration {
	return max(min(time.Second, span/10), time.Millisecond)
}

// firstRun is when a check scheduled at now runs first: the next grid point plus its
// jitter. The grid is absolute (whole seconds), so checks added later share it.
func firstRun(now time.Time, name string, interval time.Duration) time.Time {
	step := gridStep(min(interval, maxJitter))
	t := now.Truncate(step).Add(step)
	// gocron refuses a start in the past: keep clear of a grid point about to pass.
	if t.Sub(now) < 20*time.Millisecond {
		t = t.Add(step)
	}
	return t.Add(jitter(name, interval))
}

// schedule creates the job of ent. Callers hold e.mu and the scheduler is running.
func (e *Engine) schedule(ent *entry) error {
	name := ent.spec.Name
	interval := ent.spec.Interval.D()
	job, err := e.sched.NewJob(
		gocron.DurationJob(interval),
		gocron.NewTask(func() { e.enqueue(name) }),
		gocron.WithName(name),
		gocron.WithStartAt(gocron.WithStartDateTime(firstRun(time.Now(), name, interval))),
	)
	if err != nil {
		return fmt.Errorf("check %q: schedule: %w", name, err)
	}
	ent.job = job
	return nil
}

// unschedule removes ent's job. Callers hold e.mu.
func (e *Engine) unschedule(ent *entry) {
	if ent.job != nil && e.sched != nil {
		if err := e.sched.RemoveJob(ent.job.ID()); err != nil && !errors.Is(err, gocron.ErrJobNotFound) {
			e.log.Warn("remove job", "check", ent.spec.Name, "err", err)
		}
	}
	ent.job = nil
	if ent.resume != nil {
		ent.resume.Stop()
		ent.resume = nil
	}
}

// Stop stops scheduling and waits for in-flight runs to finish, or for ctx: then it
// cancels them and returns ctx's error.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	close(e.stopCh)
	e.queue.close()
	for _, ent := range e.checks {
		if ent.resume != nil {
			ent.resume.Stop()
		}
	}
	s := e.sched
	e.mu.Unlock()

	done := make(chan struct{})
	go func() {
		if s != nil {
			if err := s.Shutdown(); err != nil {
				e.log.Warn("scheduler shutdown", "err", err)
			}
		}
		e.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		e.cancelRun()
		e.log.Info("monitor stopped")
		return nil
	case <-ctx.Done():
		e.cancelRun()
		// Cancelled probes end promptly; give them a moment to record their results.
		select {
		case <-done:
		case <-time.After(overrunGrace):
		}
		return fmt.Errorf("monitor: stop: running checks cancelled: %w", ctx.Err())
	}
}

// begin registers a run unless the engine is stopped.
func (e *Engine) begin(name string) (*entry, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.stopped {
		return nil, errors.New("monitor: engine stopped")
	}
	ent, ok := e.checks[name]
	if !ok {
		return nil, fmt.Errorf("unknown check %q", name)
	}
	e.inflight.Add(1)
	return ent, nil
}

// enqueue is a job's task. It never blocks the scheduler: it queues the check for the
// workers unless it is paused or already queued. Under overload a check is queued at most
// once, so late ticks coalesce instead of piling up goroutines.
func (e *Engine) enqueue(name string) {
	e.mu.RLock()
	ent, ok := e.checks[name]
	skip := !ok || e.stopped || ent.state.Paused
	e.mu.RUnlock()
	if skip {
		return
	}
	if !ent.pending.CompareAndSwap(false, true) {
		return
	}
	e.queue.push(ent)
}

// worker runs queued checks until the queue is closed. Concurrency workers run; the
// semaphore bounds them together with manual runs.
func (e *Engine) worker() {
	for {
		ent := e.queue.pop()
		if ent == nil {
			return
		}
		ent.pending.Store(false)
		if _, err := e.begin(ent.name); err != nil {
			continue
		}
		var overran atomic.Bool
		select {
		case ent.run <- struct{}{}:
			// Scheduled runs end by their own timeout, or when Stop's deadline cancels runCtx.
			_, _ = e.execute(e.runCtx, ent, func() {
				// This worker is stuck in a probe that ignores its deadline: replace it.
				overran.Store(true)
				go e.worker()
			})
			<-ent.run
		default: // a manual run is in progress: this tick is covered by it
		}
		e.inflight.Done()
		if overran.Load() {
			return
		}
	}
}

// RunNow runs one check at once (waiting for a run in progress to end) and returns its result.
func (e *Engine) RunNow(ctx context.Context, name string) (Result, error) {
	ent, err := e.begin(name)
	if err != nil {
		return Result{}, err
	}
	defer e.inflight.Done()
	select {
	case ent.run <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("check %q: %w", name, ctx.Err())
	}
	defer func() { <-ent.run }()
	return e.execute(ctx, ent, nil)
}

// trigger queues one asynchronous run of a check (pushes, resumes); queued runs coalesce.
func (e *Engine) trigger(name string) {
	e.mu.RLock()
	ent, ok := e.checks[name]
	live := e.started && !e.stopped
	var timeout time.Duration
	if ok {
		timeout = ent.spec.Timeout.D()
	}
	e.mu.RUnlock()
	if !ok || !live {
		return
	}
	select {
	case ent.queued <- struct{}{}:
	default:
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(e.runCtx, timeout+time.Minute)
		defer cancel()
		<-ent.queued
		if _, err := e.RunNow(ctx, name); err != nil {
			e.log.Debug("triggered run", "check", name, "err", err)
		}
	}()
}

// execute runs ent's probe under the concurrency bound and its timeout, judges the result
// and hands it to the sinks. The caller holds ent.run.
func (e *Engine) execute(parent context.Context, ent *entry, onOverrun func()) (Result, error) {
	e.mu.RLock()
	sp := ent.spec
	e.mu.RUnlock()
	spec := sp

	select {
	case e.sem <- struct{}{}:
	case <-parent.Done():
		return Result{}, fmt.Errorf("check %q: %w", spec.Name, parent.Err())
	case <-e.stopCh:
		return Result{}, fmt.Errorf("check %q: engine stopped", spec.Name)
	}
	var held atomic.Bool
	held.Store(true)
	release := func() {
		if held.CompareAndSwap(true, false) {
			<-e.sem
		}
	}
	defer release()

	res := Result{Check: spec.Name, Time: e.now()}
	timeout := spec.Timeout.D()
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	ctx = context.WithValue(ctx, probeCacheKey{}, &ent.cache)
	log := NewRunLog(time.Now())
	probe := e.probes[spec.Type]

	// Probes honour ctx; one that does not must not hold a concurrency slot (and a worker)
	// forever: past the deadline and a grace the slot is given back to the other checks.
	watchdog := time.AfterFunc(timeout+overrunGrace, func() {
		release()
		e.log.Warn("probe ignores its deadline", "check", spec.Name, "type", spec.Type)
		if onOverrun != nil {
			onOverrun()
		}
	})
	start := time.Now()
	out := safeProbe(ctx, probe, sp, log)
	elapsed := time.Since(start)
	watchdog.Stop()
	release()

	if out.Status == "" {
		out.Status = StatusError
	}
	if out.Status != StatusOK && out.Reason == "" {
		out.Reason = string(out.Status)
	}
	if ctx.Err() == context.DeadlineExceeded && out.Status == StatusOK {
		out = Outcome{Status: StatusError, Reason: timeoutReason(timeout)}
	}
	res.Status = out.Status
	res.Latency = out.Latency
	if res.Latency <= 0 {
		res.Latency = elapsed
	}
	res.Code = out.Code
	res.Reason = out.Reason
	res.Extra = out.Extra
	res.Metrics = out.Metrics
	res.Log = log.Lines()

	st, ev, ok := e.judge(ent, res)
	if !ok {
		return res, nil // removed while running
	}
	for _, s := range e.results {
		s.RecordResult(res, st)
	}
	if ev != nil {
		e.emit(*ev)
	}
	return res, nil
}

// safeProbe turns a probe's panic into an error outcome: one bad check never takes the
// engine down.
func safeProbe(ctx context.Context, p Probe, c *config.Check, log *RunLog) (out Outcome) {
	defer func() {
		if r := recover(); r != nil {
			out = Outcome{Status: StatusError, Reason: fmt.Sprintf("internal error in %s check: %v", c.Type, r)}
		}
	}()
	return p(ctx, c, log)
}

// judge applies the state machine to a finished run.
func (e *Engine) judge(ent *entry, res Result) (State, *Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.checks[ent.spec.Name] != ent {
		return State{}, nil, false
	}
	dep := e.depErrorLocked(ent.spec.Dependencies)
	st, ev := Next(ent.state, res, dep, ent.spec.FailureThreshold, ent.spec.SuccessThreshold)
	st.Extra = mergeExtra(ent.spec.Extra, st.Extra)
	ent.state = st
	return st, ev, true
}

// depErrorLocked reports whether any dependency, transitively, is in error.
func (e *Engine) depErrorLocked(deps []string) bool {
	if len(deps) == 0 {
		return false
	}
	seen := make(map[string]bool)
	stack := slices.Clone(deps)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		d, ok := e.checks[n]
		if !ok {
			continue
		}
		if d.state.Status == StatusError {
			return true
		}
		stack = append(stack, d.spec.Dependencies...)
	}
	return false
}

func (e *Engine) emit(ev Event) {
	for _, s := range e.events {
		s.HandleEvent(ev)
	}
}

// mergeExtra overlays a run's facts on the static extra (the run's value wins: it is fresher).
// Maps are never changed after they are stored, so views may share them.
func mergeExtra(static, run map[string]string) map[string]string {
	switch {
	case len(run) == 0 && static != nil:
		return static
	case len(static) == 0 && run != nil:
		return run
	}
	out := make(map[string]string, len(static)+len(run))
	maps.Copy(out, static)
	maps.Copy(out, run)
	return out
}

// passedExtra is the extra of r when it passed, nil otherwise.
func passedExtra(r Result) map[string]string {
	if r.Status == StatusOK || r.Status == StatusWarn {
		return r.Extra
	}
	return nil
}

// RunAll runs every check that is not paused once, concurrently under the concurrency
// bound, dependencies before their dependents (so skip is judged on fresh parents), and
// returns the snapshot afterwards.
func (e *Engine) RunAll(ctx context.Context) []CheckView {
	e.mu.RLock()
	deps := make(map[string][]string, len(e.checks))
	for name, ent := range e.checks {
		if !ent.state.Paused {
			deps[name] = ent.spec.Dependencies
		}
	}
	e.mu.RUnlock()

	done := make(map[string]bool, len(deps))
	for len(done) < len(deps) && ctx.Err() == nil {
		var wave []string
		for name, ds := range deps {
			if done[name] {
				continue
			}
			ready := true
			for _, d := range ds {
				if _, ok := deps[d]; ok && !done[d] {
					ready = false
					break
				}
			}
			if ready {
				wave = append(wave, name)
			}
		}
		if len(wave) == 0 { // a cycle (validation forbids it): run the rest together
			for name := range deps {
				if !done[name] {
					wave = append(wave, name)
				}
			}
		}
		var wg sync.WaitGroup
		for _, name := range wave {
			done[name] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.RunNow(ctx, name); err != nil {
					e.log.Warn("run", "check", name, "err", err)
				}
			}()
		}
		wg.Wait()
	}
	return e.Snapshot()
}

// Snapshot returns every check, sorted by name.
func (e *Engine) Snapshot() []CheckView {
	e.mu.RLock()
	out := make([]CheckView, 0, len(e.checks))
	for _, ent := range e.checks {
		out = append(out, CheckView{Spec: *ent.spec, State: ent.state})
	}
	e.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out
}

// Get returns one check.
func (e *Engine) Get(name string) (CheckView, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ent, ok := e.checks[name]
	if !ok {
		return CheckView{}, false
	}
	return CheckView{Spec: *ent.spec, State: ent.state}, true
}

// HeartbeatToken returns the push token of a heartbeat check (for /check and push URLs).
func (e *Engine) HeartbeatToken(name string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ent, ok := e.checks[name]
	if !ok || ent.token == "" {
		return "", false
	}
	return ent.token, true
}

// Push records a heartbeat received with token and runs its check at once, so the status
// follows the push without waiting for the next tick. It returns the check's name.
func (e *Engine) Push(token string, p Push) (string, error) {
	e.mu.RLock()
	name, ok := e.byToken[token]
	e.mu.RUnlock()
	if !ok || token == "" {
		return "", errors.New("unknown heartbeat token")
	}
	if p.At.IsZero() {
		p.At = e.now()
	}
	if p.Kind == "" {
		p.Kind = "success"
	}
	e.hb.Record(name, p)
	e.trigger(name)
	return name, nil
}

// Pause stops judging a check until until (zero: until Resume). Its job keeps its slot
// but does not probe.
func (e *Engine) Pause(name string, until time.Time) error {
	e.mu.Lock()
	ent, ok := e.checks[name]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("unknown check %q", name)
	}
	now := e.now()
	if !until.IsZero() && !until.After(now) {
		e.mu.Unlock()
		return fmt.Errorf("check %q: pause end %s is in the past", name, until.Format(time.RFC3339))
	}
	if ent.resume != nil {
		ent.resume.Stop()
		ent.resume = nil
	}
	if !until.IsZero() {
		ent.resume = time.AfterFunc(until.Sub(now), func() { e.resumeTimed(name, until) })
	}
	var ev *Event
	if !ent.state.Paused {
		ent.prePause = ent.state.Status
		ev = &Event{Check: name, From: ent.state.Status, To: StatusPaused, At: now}
		ent.state.Status = StatusPaused
		ent.state.Paused = true
		ent.state.Since = now
	}
	ent.state.PausedUntil = until
	e.mu.Unlock()
	if ev != nil {
		e.emit(*ev)
	}
	return nil
}

// resumeTimed ends a timed pause unless it was changed meanwhile.
func (e *Engine) resumeTimed(name string, until time.Time) {
	e.mu.RLock()
	ent, ok := e.checks[name]
	same := ok && ent.state.Paused && ent.state.PausedUntil.Equal(until)
	e.mu.RUnlock()
	if same {
		if err := e.Resume(name); err != nil {
			e.log.Warn("resume", "check", name, "err", err)
		}
	}
}

// Resume ends a pause. The check returns to the status it had before the pause (unknown
// when that is not known, e.g. paused since start) with its streaks kept, so a check that
// was down stays down until it passes; a run follows at once.
func (e *Engine) Resume(name string) error {
	e.mu.Lock()
	ent, ok := e.checks[name]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("unknown check %q", name)
	}
	if !ent.state.Paused {
		e.mu.Unlock()
		return nil
	}
	if ent.resume != nil {
		ent.resume.Stop()
		ent.resume = nil
	}
	to := ent.prePause
	if to == "" || to == StatusPaused {
		to = StatusUnknown
	}
	now := e.now()
	ev := Event{Check: name, From: StatusPaused, To: to, At: now}
	ent.state.Status = to
	ent.state.Paused = false
	ent.state.PausedUntil = time.Time{}
	ent.state.Since = now
	e.mu.Unlock()
	e.emit(ev)
	e.trigger(name)
	return nil
}

// Add adds a check from chat: it is validated, scheduled and run once; the first result
// is returned. A name already in use is refused.
func (e *Engine) Add(ctx context.Context, c config.Check) (Result, error) {
	c.Source = SourceChat
	e.mu.RLock()
	d := e.defaults
	e.mu.RUnlock()
	known := func(n string) bool {
		e.mu.RLock()
		defer e.mu.RUnlock()
		_, ok := e.checks[n]
		return ok
	}
	// The same rules as the config file's checks (type fields, expect rules, dependencies).
	if err := config.ValidateCheck(&c, d, known); err != nil {
		return Result{}, fmt.Errorf("check %q: %w", c.Name, err)
	}
	if err := e.checkSpec(&c); err != nil {
		return Result{}, err
	}
	pre := e.prefetchTokens([]config.Check{c})
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return Result{}, errors.New("monitor: engine stopped")
	}
	if _, ok := e.checks[c.Name]; ok {
		e.mu.Unlock()
		return Result{}, fmt.Errorf("check %q already exists", c.Name)
	}
	for _, d := range c.Dependencies {
		if _, ok := e.checks[d]; !ok {
			e.mu.Unlock()
			return Result{}, fmt.Errorf("check %q: dependency %q is not a check", c.Name, d)
		}
	}
	ent := e.newEntry(e.effective(c))
	if st, ok := e.restoreLeft[c.Name]; ok {
		e.restore(ent, st)
		delete(e.restoreLeft, c.Name)
	}
	e.checks[c.Name] = ent
	e.assignTokens(pre)
	if e.started {
		if err := e.schedule(ent); err != nil {
			delete(e.checks, c.Name)
			e.mu.Unlock()
			return Result{}, err
		}
	}
	e.mu.Unlock()
	e.log.Info("check added", "check", c.Name, "type", c.Type)
	return e.RunNow(ctx, c.Name)
}

// Remove deletes a check added from chat. Checks of the config file are removed by editing it.
func (e *Engine) Remove(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, ok := e.checks[name]
	if !ok {
		return fmt.Errorf("unknown check %q", name)
	}
	if ent.spec.Source != SourceChat {
		return fmt.Errorf("check %q is defined in the config file", name)
	}
	e.removeLocked(ent)
	e.log.Info("check removed", "check", name)
	return nil
}

func (e *Engine) removeLocked(ent *entry) {
	e.unschedule(ent)
	if ent.token != "" {
		delete(e.byToken, ent.token)
	}
	delete(e.checks, ent.spec.Name)
}

// Reload applies a new config: checks that are gone are removed, new ones scheduled,
// changed ones rescheduled with their state kept (a name is a check's identity; its history
// and incident go on). Checks added from chat stay; a config check of the same name takes
// its place. On error nothing changes.
func (e *Engine) Reload(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("monitor: nil config")
	}
	pre := e.prefetchTokens(cfg.Checks)
	e.mu.Lock()
	old := e.defaults
	e.defaults = cfg.Defaults
	specs, err := e.prepare(cfg.Checks)
	if err != nil {
		e.defaults = old
		e.mu.Unlock()
		return fmt.Errorf("reload: %w", err)
	}
	var evs []Event
	keep := make(map[string]bool, len(specs))
	for _, c := range specs {
		keep[c.Name] = true
	}
	for name, ent := range e.checks {
		if !keep[name] && ent.spec.Source != SourceChat {
			e.removeLocked(ent)
		}
	}
	var added, changed int
	for _, c := range specs {
		ent, ok := e.checks[c.Name]
		if !ok {
			ent = e.newEntry(c)
			e.checks[c.Name] = ent
			added++
			if e.started && !e.stopped {
				if err := e.schedule(ent); err != nil {
					e.log.Error("reload", "err", err)
				}
			}
			continue
		}
		if ent.spec.Source == SourceChat {
			e.log.Warn("config check replaces the check added from chat", "check", c.Name)
		}
		if sameSpec(*ent.spec, c) {
			ent.setSpec(c) // Pos may have moved
			continue
		}
		changed++
		prev := ent.spec
		ent.setSpec(c)
		ent.state.Extra = mergeExtra(c.Extra, passedExtra(ent.state.Last))
		if prev.Type == "heartbeat" && (c.Type != "heartbeat" || prev.Token != c.Token) && ent.token != "" {
			delete(e.byToken, ent.token)
			ent.token = ""
		}
		if prev.Interval != c.Interval && e.started && !e.stopped {
			if ent.job != nil {
				if err := e.sched.RemoveJob(ent.job.ID()); err != nil {
					e.log.Warn("remove job", "check", c.Name, "err", err)
				}
			}
			if err := e.schedule(ent); err != nil {
				e.log.Error("reload", "err", err)
			}
		}
		now := e.now()
		switch {
		case c.Paused && !ent.state.Paused:
			ent.prePause = ent.state.Status
			evs = append(evs, Event{Check: c.Name, From: ent.state.Status, To: StatusPaused, At: now})
			ent.state.Status, ent.state.Paused, ent.state.PausedUntil, ent.state.Since = StatusPaused, true, time.Time{}, now
		case !c.Paused && prev.Paused && ent.state.Paused:
			to := ent.prePause
			if to == "" || to == StatusPaused {
				to = StatusUnknown
			}
			evs = append(evs, Event{Check: c.Name, From: StatusPaused, To: to, At: now})
			ent.state.Status, ent.state.Paused, ent.state.Since = to, false, now
		}
	}
	e.assignTokens(pre)
	n := len(e.checks)
	e.mu.Unlock()
	for _, ev := range evs {
		e.emit(ev)
	}
	e.log.Info("config reloaded", "checks", n, "added", added, "changed", changed)
	return nil
}

// sameSpec compares two checks ignoring where they were written.
func sameSpec(a, b config.Check) bool {
	a.Pos, b.Pos = "", ""
	return specKey(a) == specKey(b)
}

func specKey(c config.Check) string {
	// JSON holds every exported field and dereferences pointers; the compiled regexes and
	// time zones (unexported) would compare as fresh addresses on every load.
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Sprintf("%#v", c)
	}
	return string(b)
}

// runQueue is the FIFO of checks due to run. Each check is in it at most once.
type runQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []*entry
	head   int
	closed bool
}

func newRunQueue() *runQueue {
	q := &runQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *runQueue) push(ent *entry) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, ent)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// pop waits for a check; nil once the queue is closed.
func (q *runQueue) pop() *entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil
	}
	ent := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return ent
}

func (q *runQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.items, q.head = nil, 0
	q.cond.Broadcast()
	q.mu.Unlock()
}

// probeCacheKey carries a check's probeCache in a run's context, so a probe can keep what it
// prepared from the spec (parsed URL, headers, rules) across runs of the same check.
type probeCacheKey struct{}

// probeCache holds one value prepared for one spec pointer.
type probeCache struct {
	mu   sync.Mutex
	spec *config.Check
	val  any
}

// cached returns the value prepared for c in this run's check, building it when the spec
// changed. Without a cache in ctx (a probe called directly) it just builds.
func cached[T any](ctx context.Context, c *config.Check, build func(*config.Check) T) T {
	pc, _ := ctx.Value(probeCacheKey{}).(*probeCache)
	if pc == nil {
		return build(c)
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.spec == c {
		if v, ok := pc.val.(T); ok {
			return v
		}
	}
	v := build(c)
	pc.spec, pc.val = c, v
	return v
}
