package alerting

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

// checkState is what alerting remembers of one check. Only the processor touches it.
type checkState struct {
	status     monitor.Status
	reason     string
	incidentID int64
	since      time.Time // incident start
	alerted    bool      // the down alert of the current incident is in the outbox
	warnSent   bool      // a warn alert is out (alert_on_warn)
	lastSent   time.Time // last alert or reminder
	suppressed string    // "mute" or "maintenance": a failure was held back
	note       string    // said in the next alert

	changes  []time.Time // recent transitions, for flapping
	flapping bool
	gen      int // incident generation: bumped when an incident ends
}

// pendingRecovery is a parent's recovery waiting for its dependents to be checked again,
// so the message can say which came back and which still fail on their own.
type pendingRecovery struct {
	msg      recoveryMsg
	waiting  map[string]bool
	deadline time.Time
}

// payload is what the outbox stores for one message.
type payload struct {
	Text  string `json:"text"`
	Check string `json:"check,omitempty"`
}

func (a *Alerter) state(name string) *checkState {
	st, ok := a.checks[name]
	if !ok {
		st = &checkState{status: monitor.StatusUnknown}
		a.checks[name] = st
	}
	return st
}

// process is the event loop: events, group flushes, recoveries and the periodic tick.
func (a *Alerter) process(runCtx context.Context) {
	// Store writes finish even during shutdown: an incident or an outbox row cut in half
	// by a cancel would be an alert lost. Each is a short SQLite statement.
	ctx := context.WithoutCancel(runCtx)
	a.restore(ctx)
	for {
		a.mu.Lock()
		evs := a.queue
		a.queue = nil
		a.mu.Unlock()
		for _, ev := range evs {
			a.handle(ctx, ev)
			if a.settings().groupWait == 0 && len(a.group) > 0 {
				a.flush(ctx, a.clock.Now())
			}
		}
		now := a.clock.Now()
		a.due(ctx, now)
		a.runDeferred()
		t := a.clock.TimerAt(a.nextWake(now))
		select {
		case <-runCtx.Done():
			t.Stop()
			a.drain(ctx)
			return
		case <-a.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// drain handles, once, the events queued when shutdown began: the engine's last runs
// report while it stops, and a recovery or an incident's end must not be lost. One pass
// over what is queued, at most maxDrain events; later ones are left to the next start's
// restore.
func (a *Alerter) drain(ctx context.Context) {
	a.mu.Lock()
	evs := a.queue
	a.queue = nil
	a.mu.Unlock()
	if len(evs) > maxDrain {
		a.log.Warn("alerting: events left unhandled at shutdown", "count", len(evs)-maxDrain)
		evs = evs[:maxDrain]
	}
	for _, ev := range evs {
		a.handle(ctx, ev)
	}
	if a.settings().groupWait == 0 && len(a.group) > 0 {
		a.flush(ctx, a.clock.Now())
	}
	// Nobody waits for dependents after this: recoveries go out as they stand.
	a.finishRecoveries(ctx, a.clock.Now(), true)
	a.runDeferred()
}

func (a *Alerter) nextWake(now time.Time) time.Time {
	next := a.nextTick
	if len(a.group) > 0 && a.groupDue.Before(next) {
		next = a.groupDue
	}
	for _, r := range a.recoveries {
		if r.deadline.Before(next) {
			next = r.deadline
		}
	}
	if next.Before(now) {
		return now
	}
	return next
}

// due runs whatever is due at now.
func (a *Alerter) due(ctx context.Context, now time.Time) {
	if len(a.group) > 0 && !now.Before(a.groupDue) {
		a.flush(ctx, now)
	}
	a.finishRecoveries(ctx, now, false)
	if !now.Before(a.nextTick) {
		a.nextTick = now.Add(tickEvery)
		a.tick(ctx, now)
	}
}

// restore rebuilds memory after a start: open incidents say what was already alerted,
// the engine says where every check stands.
func (a *Alerter) restore(ctx context.Context) {
	incs, err := a.deps.Store.OpenIncidents(ctx)
	if err != nil {
		a.log.Error("alerting: reading open incidents; alerts may repeat", "err", err)
	}
	open := map[string]bool{}
	for _, in := range incs {
		st := a.state(in.Check)
		st.incidentID, st.alerted, st.since = in.ID, in.Alerted, in.Start
		if in.Alerted {
			st.lastSent = a.clock.Now()
		}
		open[in.Check] = true
	}
	for _, v := range a.deps.Engine.Snapshot() {
		st := a.state(v.Spec.Name)
		st.status = v.State.Status
		st.reason = v.State.Last.Reason
		switch st.status {
		case monitor.StatusError:
			if st.since.IsZero() {
				st.since = v.State.Since
			}
			if st.incidentID == 0 { // failed while statusmap was away, or the store lost it
				st.incidentID = -1
				name, since, root, gen := v.Spec.Name, st.since, a.errorRoot(v.Spec.Name), st.gen
				a.later(func() {
					id, err := a.deps.Store.OpenIncident(ctx, name, since, root)
					if err != nil {
						a.log.Error("alerting: recording incident", "check", name, "err", err)
						return
					}
					if st.gen == gen {
						st.incidentID = id
						if st.alerted {
							a.markAlerted(ctx, name, id)
						}
					}
				})
			}
			if !st.alerted {
				a.addToGroup(v.Spec.Name, time.Time{})
			}
		case monitor.StatusOK, monitor.StatusWarn, monitor.StatusUnknown:
			if open[v.Spec.Name] {
				// The incident ended while statusmap was away: announce it if it was alerted.
				ev := monitor.Event{Check: v.Spec.Name, From: monitor.StatusError, To: st.status,
					At: v.State.Since, IncidentStart: st.since, Result: v.State.Last}
				a.recovered(ctx, ev, v.Spec)
			}
		}
	}
}

// handle applies one transition.
func (a *Alerter) handle(ctx context.Context, ev monitor.Event) {
	st := a.state(ev.Check)
	st.status = ev.To
	if ev.To == monitor.StatusError || ev.To == monitor.StatusSkip || ev.To == monitor.StatusWarn {
		st.reason = ev.Result.Reason
	}
	v, ok := a.deps.Engine.Get(ev.Check)
	if !ok { // removed
		a.closeIncident(ctx, ev.Check, ev.At)
		delete(a.checks, ev.Check)
		a.removeFromGroup(ev.Check)
		return
	}
	spec := v.Spec
	now := a.clock.Now()
	a.countChange(ctx, ev, st, spec, now)

	switch ev.To {
	case monitor.StatusError, monitor.StatusSkip:
		a.waitingDependentFailed(ev.Check, ev.To)
		if st.incidentID == 0 {
			st.since = ev.IncidentStart
			if st.since.IsZero() {
				st.since = ev.At
			}
			st.incidentID = -1 // being opened
			name, since, root, gen := ev.Check, st.since, a.errorRoot(ev.Check), st.gen
			a.later(func() {
				id, err := a.deps.Store.OpenIncident(ctx, name, since, root)
				if err != nil {
					a.log.Error("alerting: recording incident", "check", name, "err", err)
					return
				}
				if st.gen != gen {
					return // already over; its close follows in order
				}
				st.incidentID = id
				if st.alerted {
					a.markAlerted(ctx, name, id)
				}
			})
		}
		if ev.To == monitor.StatusError && !st.alerted {
			a.addToGroup(ev.Check, ev.At)
		}
	case monitor.StatusWarn:
		wasAlerted := st.alerted
		if ev.From == monitor.StatusError || ev.From == monitor.StatusSkip {
			a.recovered(ctx, ev, spec)
		}
		if spec.AlertOnWarn && !st.warnSent {
			st.since = ev.At
			if wasAlerted && !st.flapping {
				st.warnSent = true // the recovery already said "degraded"
			} else {
				a.addToGroup(ev.Check, ev.At)
			}
		}
	case monitor.StatusOK:
		switch ev.From {
		case monitor.StatusError, monitor.StatusSkip:
			a.recovered(ctx, ev, spec)
		case monitor.StatusWarn:
			if st.warnSent {
				st.warnSent = false
				if !st.flapping {
					a.enqueue(ctx, "recovery", recoveryText(recoveryMsg{Check: a.info(spec, st), End: ev.At, WasWarn: true}, now, a.loc), ev.Check)
				}
			}
			st.since = time.Time{}
		}
	}
}

// countChange tracks transitions for flapping detection and starts a flapping period.
func (a *Alerter) countChange(ctx context.Context, ev monitor.Event, st *checkState, spec config.Check, now time.Time) {
	s := a.settings()
	if s.flapMax <= 0 || ev.From == monitor.StatusUnknown || ev.From == monitor.StatusPaused || ev.To == monitor.StatusPaused || ev.To == monitor.StatusUnknown {
		return
	}
	st.changes = append(st.changes, now)
	cut := now.Add(-s.flapWindow)
	i := 0
	for i < len(st.changes) && st.changes[i].Before(cut) {
		i++
	}
	st.changes = st.changes[i:]
	if st.flapping || len(st.changes) <= s.flapMax {
		return
	}
	st.flapping = true
	a.removeFromGroup(ev.Check)
	if !a.alertable(spec) {
		return
	}
	if why := a.suppressedBy(ctx, spec, now, nil); why != "" {
		a.log.Info("alerting: flapping, not sent", "check", spec.Name, "because", why)
		return
	}
	a.enqueue(ctx, "flapping", flappingText(a.info(spec, st), len(st.changes), s.flapWindow), spec.Name)
}

// recovered ends an incident: it is closed, and announced when its alert went out.
func (a *Alerter) recovered(ctx context.Context, ev monitor.Event, spec config.Check) {
	st := a.state(ev.Check)
	a.closeIncident(ctx, ev.Check, ev.At)
	a.removeFromGroup(ev.Check)
	a.waitingDependentBack(ev.Check)
	if st.alerted && !st.flapping {
		msg := recoveryMsg{Check: a.info(spec, st), End: ev.At}
		if st.since.IsZero() {
			msg.Check.Since = ev.IncidentStart
		}
		if ev.To == monitor.StatusWarn {
			msg.NowWarn = ev.Result.Reason
		}
		deps := a.dependents(ev.Check)
		waiting := map[string]bool{}
		var maxWait time.Duration
		for _, d := range deps {
			ds := a.state(d)
			if ds.status == monitor.StatusSkip || ds.status == monitor.StatusError {
				waiting[d] = true
				if v, ok := a.deps.Engine.Get(d); ok {
					maxWait = max(maxWait, v.Spec.Interval.D()+v.Spec.Timeout.D())
				}
			}
		}
		pr := &pendingRecovery{msg: msg, waiting: waiting}
		if len(deps) > 0 {
			wait := min(max(a.settings().groupWait, maxWait), maxRecoveryWait)
			pr.deadline = a.clock.Now().Add(wait)
		}
		a.recoveries = append(a.recoveries, pr)
		a.finishRecoveries(ctx, a.clock.Now(), false)
	}
	st.incidentID, st.alerted, st.since, st.suppressed, st.note = 0, false, time.Time{}, "", ""
	st.gen++
	if ev.To != monitor.StatusWarn {
		st.warnSent = false
	}
}

// closeIncident records the end of name's incident after this round's messages are queued.
func (a *Alerter) closeIncident(ctx context.Context, name string, at time.Time) {
	a.later(func() {
		if err := a.deps.Store.CloseIncident(ctx, name, at); err != nil {
			a.log.Error("alerting: closing incident", "check", name, "err", err)
		}
	})
}

func (a *Alerter) markAlerted(ctx context.Context, name string, id int64) {
	if err := a.deps.Store.MarkAlerted(ctx, id); err != nil {
		a.log.Error("alerting: marking incident alerted", "check", name, "err", err)
	}
}

// later defers an incident write until the round's messages are in the outbox, keeping
// it off the path from transition to Telegram. Writes run in the order they were asked.
func (a *Alerter) later(f func()) { a.deferred = append(a.deferred, f) }

func (a *Alerter) runDeferred() {
	for len(a.deferred) > 0 {
		fs := a.deferred
		a.deferred = nil
		for _, f := range fs {
			f()
		}
	}
}

// waitingDependentBack and waitingDependentFailed resolve a dependent a parent's
// recovery waits for.
func (a *Alerter) waitingDependentBack(name string) {
	for _, r := range a.recoveries {
		delete(r.waiting, name)
	}
}

func (a *Alerter) waitingDependentFailed(name string, to monitor.Status) {
	if to != monitor.StatusError {
		return
	}
	for _, r := range a.recoveries {
		delete(r.waiting, name)
	}
}

// finishRecoveries sends the recoveries whose dependents are all rechecked (or whose
// wait is over; all of them when force).
func (a *Alerter) finishRecoveries(ctx context.Context, now time.Time, force bool) {
	keep := a.recoveries[:0]
	for _, r := range a.recoveries {
		if len(r.waiting) > 0 && now.Before(r.deadline) && !force {
			keep = append(keep, r)
			continue
		}
		m := r.msg
		for _, d := range a.dependents(m.Check.Name) {
			switch a.state(d).status {
			case monitor.StatusError:
				m.StillFailing = append(m.StillFailing, d)
			case monitor.StatusSkip:
				m.Unreachable = append(m.Unreachable, d)
			default:
				m.Back = append(m.Back, d)
			}
		}
		a.enqueue(ctx, "recovery", recoveryText(m, now, a.loc), m.Check.Name)
	}
	clear(a.recoveries[len(keep):])
	a.recoveries = keep
}

// addToGroup gathers a failure for the next message. The group's wait starts when its
// first failure was detected (at; zero: now), not when it was processed.
func (a *Alerter) addToGroup(name string, at time.Time) {
	if a.inGroup[name] {
		return
	}
	if len(a.group) == 0 {
		now := a.clock.Now()
		if at.IsZero() || at.After(now) {
			at = now
		}
		a.groupDue = at.Add(a.settings().groupWait)
	}
	a.inGroup[name] = true
	a.group = append(a.group, name)
	poke(a.wake)
}

func (a *Alerter) removeFromGroup(name string) {
	if !a.inGroup[name] {
		return
	}
	delete(a.inGroup, name)
	a.group = slices.DeleteFunc(a.group, func(n string) bool { return n == name })
}

// alertable: important checks alert; an unimportant one only when it takes important
// dependents down with it (they are skip and would never alert themselves).
func (a *Alerter) alertable(spec config.Check) bool {
	if spec.IsImportant() {
		return true
	}
	for _, d := range a.dependents(spec.Name) {
		if v, ok := a.deps.Engine.Get(d); ok && v.Spec.IsImportant() {
			return true
		}
	}
	return false
}

// suppressedBy says why a check's alerts are held back now: "mute", "maintenance" or "".
// mutes nil reads them from the store.
func (a *Alerter) suppressedBy(ctx context.Context, spec config.Check, now time.Time, mutes map[string]time.Time) string {
	if mutes == nil {
		mutes = a.mutes(ctx)
	}
	if _, ok := mutes["*"]; ok {
		return "mute"
	}
	if _, ok := mutes[spec.Name]; ok {
		return "mute"
	}
	if a.settings().cfg.InMaintenance(&spec, now) {
		return "maintenance"
	}
	return ""
}

func (a *Alerter) mutes(ctx context.Context) map[string]time.Time {
	m, err := a.deps.Store.Mutes(ctx)
	if err != nil {
		// Alerting on through a broken store is better than silence.
		a.log.Error("alerting: reading mutes", "err", err)
		return map[string]time.Time{}
	}
	return m
}

// errorRoot returns the topmost dependency (transitively) of name that is in error,
// or "" when none is.
func (a *Alerter) errorRoot(name string) string {
	root := ""
	cur := name
	for range 64 { // dependency chains are acyclic (validated); the bound is a guard
		next := a.errorAncestor(cur)
		if next == "" {
			return root
		}
		root, cur = next, next
	}
	return root
}

// errorAncestor finds any dependency of name, transitively, that is in error.
func (a *Alerter) errorAncestor(name string) string {
	v, ok := a.deps.Engine.Get(name)
	if !ok {
		return ""
	}
	seen := map[string]bool{name: true}
	stack := slices.Clone(v.Spec.Dependencies)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		if st, ok := a.checks[n]; ok && st.status == monitor.StatusError {
			return n
		}
		if d, ok := a.deps.Engine.Get(n); ok {
			stack = append(stack, d.Spec.Dependencies...)
		}
	}
	return ""
}

// dependents lists, sorted, every check that depends on name (transitively) and is not paused.
func (a *Alerter) dependents(name string) []string {
	rev := map[string][]string{}
	paused := map[string]bool{}
	for _, v := range a.deps.Engine.Snapshot() {
		for _, d := range v.Spec.Dependencies {
			rev[d] = append(rev[d], v.Spec.Name)
		}
		paused[v.Spec.Name] = v.State.Status == monitor.StatusPaused
	}
	seen := map[string]bool{name: true}
	var out []string
	stack := slices.Clone(rev[name])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		if !paused[n] {
			out = append(out, n)
		}
		stack = append(stack, rev[n]...)
	}
	sort.Strings(out)
	return out
}

func (a *Alerter) info(spec config.Check, st *checkState) checkInfo {
	return checkInfo{Name: spec.Name, Type: config.BaseType(spec.Type), Host: spec.Host, Runtime: spec.Runtime,
		Reason: st.reason, Since: st.since}
}

// flush turns the failures gathered during group_wait into one message: each root cause
// once, with the checks behind it.
func (a *Alerter) flush(ctx context.Context, now time.Time) {
	names := a.group
	a.group = nil
	clear(a.inGroup)
	sort.Strings(names)
	mutes := a.mutes(ctx)
	var msgs []downMsg
	var sent []string
	listed := map[string]bool{}
	check := ""
	for _, name := range names {
		st := a.state(name)
		warn := st.status == monitor.StatusWarn
		if st.flapping || (st.status != monitor.StatusError && !warn) || (st.status == monitor.StatusError && st.alerted) || (warn && st.warnSent) {
			continue // recovered, paused, flapping or already out while waiting
		}
		v, ok := a.deps.Engine.Get(name)
		if !ok || (warn && !v.Spec.AlertOnWarn) {
			continue
		}
		if !warn && a.errorRoot(name) != "" {
			continue // covered by the root cause's alert
		}
		if !a.alertable(v.Spec) {
			continue
		}
		if why := a.suppressedBy(ctx, v.Spec, now, mutes); why != "" {
			if st.suppressed == "" {
				a.log.Info("alerting: failure held back", "check", name, "because", why, "reason", st.reason)
			}
			st.suppressed = why
			continue
		}
		m := downMsg{Check: a.info(v.Spec, st), Warn: warn, Note: st.note}
		if !warn {
			m.Dependents = a.dependents(name)
		}
		msgs = append(msgs, m)
		sent = append(sent, name)
		listed[name] = true
		for _, d := range m.Dependents {
			listed[d] = true
		}
		check = name
	}
	if len(msgs) == 0 {
		return
	}
	if len(msgs) > 1 {
		check = ""
	}
	var others []string
	for n, st := range a.checks {
		if st.status != monitor.StatusError || listed[n] {
			continue
		}
		if _, ok := a.deps.Engine.Get(n); !ok {
			continue // removed from the engine; forgotten at the next tick
		}
		others = append(others, n)
	}
	sort.Strings(others)
	a.enqueue(ctx, "alert", groupText(msgs, others, now, a.loc), check)
	for _, name := range sent {
		st := a.state(name)
		st.lastSent, st.suppressed, st.note = now, "", ""
		if st.status == monitor.StatusWarn {
			st.warnSent = true
			continue
		}
		st.alerted = true
		if st.incidentID > 0 {
			id := st.incidentID
			a.later(func() { a.markAlerted(ctx, name, id) })
		}
	}
}

// tick does the periodic work: mutes and maintenance ending, reminders, flapping ending,
// and the loud log line when Telegram has been unreachable too long.
func (a *Alerter) tick(ctx context.Context, now time.Time) {
	s := a.settings()
	mutes := a.mutes(ctx)
	names := make([]string, 0, len(a.checks))
	for n := range a.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		st := a.checks[name]
		v, ok := a.deps.Engine.Get(name)
		if !ok {
			a.forget(ctx, name, st, now)
			continue
		}
		if st.flapping && (len(st.changes) == 0 || now.Sub(st.changes[len(st.changes)-1]) >= s.flapWindow) {
			st.flapping, st.changes = false, nil
			switch {
			case st.status == monitor.StatusError && !st.alerted:
				st.note = "stable after flapping"
				a.addToGroup(name, time.Time{})
			case st.status == monitor.StatusOK || st.status == monitor.StatusWarn:
				if a.alertable(v.Spec) && a.suppressedBy(ctx, v.Spec, now, mutes) == "" {
					a.enqueue(ctx, "stable", stableText(a.info(v.Spec, st), string(st.status), s.flapWindow), name)
				}
			}
		}
		if st.suppressed != "" && st.status == monitor.StatusError && !st.alerted && !st.flapping {
			if a.suppressedBy(ctx, v.Spec, now, mutes) == "" {
				st.note = st.suppressed + " ended, still failing"
				a.addToGroup(name, time.Time{})
			}
		}
		rem := v.Spec.Reminder.D()
		if rem <= 0 {
			rem = s.cfg.Defaults.Reminder.D()
		}
		if rem > 0 && st.alerted && st.status == monitor.StatusError && !st.flapping && now.Sub(st.lastSent) >= rem &&
			a.suppressedBy(ctx, v.Spec, now, mutes) == "" {
			st.lastSent = now
			a.enqueue(ctx, "reminder", reminderText(a.info(v.Spec, st), now, a.loc), name)
		}
	}
	a.logHealth(now)
}

// forget drops a check the engine no longer has (removal sends no event). Its open
// incident is closed, so a restart does not bring it back as down.
func (a *Alerter) forget(ctx context.Context, name string, st *checkState, now time.Time) {
	if st.incidentID != 0 {
		a.log.Info("alerting: check removed; its open incident is closed", "check", name)
		a.closeIncident(ctx, name, now)
	}
	st.gen++ // an incident still being opened is not adopted
	delete(a.checks, name)
	a.removeFromGroup(name)
	a.waitingDependentBack(name)
}

// enqueue writes a message for every alert chat to the outbox and wakes the sender.
func (a *Alerter) enqueue(ctx context.Context, kind, text, check string) {
	data, _ := json.Marshal(payload{Text: text, Check: check}) // plain strings: cannot fail
	for _, chat := range a.settings().chats {
		if _, err := a.deps.Store.Enqueue(ctx, chat, kind, data); err != nil {
			a.log.Error("alerting: outbox write failed; sending from memory", "chat", chat, "err", err)
			a.mu.Lock()
			a.memSeq++
			a.mem = append(a.mem, memItem{seq: a.memSeq, chat: chat, kind: kind, payload: data})
			a.mu.Unlock()
		}
	}
	poke(a.outWake)
}
