package monitor

import "time"

// Default thresholds, used when a check (and the defaults block) leave them at zero.
const (
	DefaultFailureThreshold = 2
	DefaultSuccessThreshold = 1
)

// Next is the pure state machine: the judged state after run r, given the state before it.
//
// Rules, in order:
//   - Counters: ok and warn runs count as successes (the target answered), error runs as failures.
//   - A paused check keeps status paused (a manual run still updates counters and Last).
//   - A failed run while a dependency (transitively) is error makes the check skip at once:
//     it is still probed, but never judged on its own, so it never alerts.
//   - Otherwise a check becomes error after failTh failed runs in a row; below that it keeps
//     its previous status (an unknown check stays unknown, an ok one stays ok).
//   - A check in error or skip leaves it after okTh passing runs in a row; until then it stays.
//   - Between passing states the status follows the last run at once: ok, or warn when the
//     probe found the target degraded (slow, certificate expiring, plugin WARNING). Warn is
//     not subject to thresholds: it alerts only when the check asks for it (alert_on_warn).
//
// Since is when the status began; for error and skip it is the first failed run of the
// streak (the incident start), kept while the check moves between error and skip.
// The returned event is nil when the status did not change.
func Next(prev State, r Result, depError bool, failTh, okTh int) (State, *Event) {
	if failTh < 1 {
		failTh = DefaultFailureThreshold
	}
	if okTh < 1 {
		okTh = DefaultSuccessThreshold
	}
	s := prev
	if s.Status == "" {
		s.Status = StatusUnknown
	}
	from := s.Status
	s.Name = r.Check
	s.LastCheck = r.Time
	s.Last = r

	// An unknown verdict (a heartbeat before its first push is due) is no run to judge:
	// it neither counts nor moves the status.
	if r.Status == StatusUnknown {
		return s, nil
	}

	failed := r.Status != StatusOK && r.Status != StatusWarn
	if failed {
		s.FailCount++
		s.ConsecFail++
		s.ConsecOK = 0
		if s.FailSince.IsZero() {
			s.FailSince = r.Time
		}
		// Extracted facts describe a healthy target; a failed run clears them.
		s.Extra = nil
	} else {
		s.SuccessCount++
		s.ConsecOK++
		s.ConsecFail = 0
		s.Extra = r.Extra
	}

	to := from
	switch {
	case s.Paused || from == StatusPaused:
		to = StatusPaused
	case failed && depError:
		to = StatusSkip
	case failed:
		if s.ConsecFail >= failTh {
			to = StatusError
		}
	default: // passed
		if from == StatusError || from == StatusSkip {
			if s.ConsecOK >= okTh {
				to = r.Status
			}
		} else {
			to = r.Status
		}
	}
	if !failed && to != StatusError && to != StatusSkip {
		s.FailSince = time.Time{}
	}

	if to == from {
		return s, nil
	}
	s.Status = to
	ev := &Event{Check: r.Check, From: from, To: to, At: r.Time, Result: r}
	switch {
	case to == StatusError || to == StatusSkip:
		if (from == StatusError || from == StatusSkip) && !prev.Since.IsZero() {
			s.Since = prev.Since // same incident, seen differently
		} else {
			s.Since = s.FailSince
		}
		ev.IncidentStart = s.Since
	case to == StatusWarn:
		s.Since = r.Time
		ev.IncidentStart = r.Time
		if from == StatusError || from == StatusSkip {
			ev.IncidentStart = prev.Since
		}
	default: // ok (or paused, set by the engine's Pause)
		s.Since = r.Time
		if from == StatusError || from == StatusSkip || from == StatusWarn {
			ev.IncidentStart = prev.Since // the incident that ended
		}
	}
	if s.Since.IsZero() {
		s.Since = r.Time
	}
	return s, ev
}
