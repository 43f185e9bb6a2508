package monitor

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)

func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

type step struct {
	run      Status // the probe's verdict
	depError bool
	want     Status
	event    bool      // a transition is expected
	incident time.Time // the event's IncidentStart (checked when event)
	since    time.Time // state's Since after the step (zero: not checked)
}

func TestNextSteps(t *testing.T) {
	tests := []struct {
		name         string
		failTh, okTh int
		steps        []step
	}{
		{
			name: "thresholds both ways", failTh: 2, okTh: 2,
			steps: []step{
				{run: StatusOK, want: StatusOK, event: true, since: at(0)},
				{run: StatusError, want: StatusOK},                                                  // 1 failure < 2
				{run: StatusError, want: StatusError, event: true, incident: at(1), since: at(1)},   // incident began at the first failure
				{run: StatusError, want: StatusError, since: at(1)},                                 // no repeated event
				{run: StatusOK, want: StatusError},                                                  // 1 success < 2
				{run: StatusError, want: StatusError},                                               // streak broken
				{run: StatusOK, want: StatusError},                                                  //
				{run: StatusOK, want: StatusOK, event: true, incident: at(1), since: at(7)},         // recovery names the incident that ended
				{run: StatusError, want: StatusOK},                                                  //
				{run: StatusOK, want: StatusOK},                                                     // a single failure never alerts
				{run: StatusError, want: StatusOK},                                                  //
				{run: StatusError, want: StatusError, event: true, incident: at(10), since: at(10)}, // a new incident
			},
		},
		{
			name: "unknown stays unknown below the threshold", failTh: 3, okTh: 1,
			steps: []step{
				{run: StatusError, want: StatusUnknown},
				{run: StatusError, want: StatusUnknown},
				{run: StatusError, want: StatusError, event: true, incident: at(0)},
				{run: StatusOK, want: StatusOK, event: true, incident: at(0)},
			},
		},
		{
			name: "threshold 1 is immediate", failTh: 1, okTh: 1,
			steps: []step{
				{run: StatusError, want: StatusError, event: true, incident: at(0)},
				{run: StatusOK, want: StatusOK, event: true, incident: at(0)},
			},
		},
		{
			name: "zero thresholds take the defaults 2 and 1", failTh: 0, okTh: 0,
			steps: []step{
				{run: StatusError, want: StatusUnknown},
				{run: StatusError, want: StatusError, event: true, incident: at(0)},
				{run: StatusOK, want: StatusOK, event: true, incident: at(0)},
			},
		},
		{
			name: "skip while a dependency is in error, then own failure", failTh: 2, okTh: 1,
			steps: []step{
				{run: StatusOK, want: StatusOK, event: true},
				{run: StatusError, depError: true, want: StatusSkip, event: true, incident: at(1), since: at(1)}, // at once: the parent's alert covers it
				{run: StatusError, depError: true, want: StatusSkip, since: at(1)},
				{run: StatusError, want: StatusError, event: true, incident: at(1), since: at(1)}, // parent back, still failing on its own
				{run: StatusOK, want: StatusOK, event: true, incident: at(1)},
			},
		},
		{
			name: "skip recovers with the parent", failTh: 2, okTh: 2,
			steps: []step{
				{run: StatusError, depError: true, want: StatusSkip, event: true, incident: at(0)},
				{run: StatusOK, depError: true, want: StatusSkip}, // passing, but needs 2 in a row to leave
				{run: StatusOK, want: StatusOK, event: true, incident: at(0)},
			},
		},
		{
			name: "a passing run while the dependency is down is ok", failTh: 2, okTh: 1,
			steps: []step{
				{run: StatusOK, depError: true, want: StatusOK, event: true},
				{run: StatusWarn, depError: true, want: StatusWarn, event: true, incident: at(1)},
			},
		},
		{
			name: "error becomes skip when the parent goes down", failTh: 1, okTh: 1,
			steps: []step{
				{run: StatusError, want: StatusError, event: true, incident: at(0), since: at(0)},
				{run: StatusError, depError: true, want: StatusSkip, event: true, incident: at(0), since: at(0)},
			},
		},
		{
			name: "warn follows the last run without thresholds", failTh: 2, okTh: 2,
			steps: []step{
				{run: StatusWarn, want: StatusWarn, event: true, incident: at(0), since: at(0)},
				{run: StatusWarn, want: StatusWarn},
				{run: StatusOK, want: StatusOK, event: true, incident: at(0), since: at(2)},
				{run: StatusWarn, want: StatusWarn, event: true, incident: at(3)},
				{run: StatusError, want: StatusWarn}, // one failure: still warn
				{run: StatusError, want: StatusError, event: true, incident: at(4)},
				{run: StatusWarn, want: StatusError}, // warn counts as passing toward success_threshold
				{run: StatusWarn, want: StatusWarn, event: true, incident: at(4)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Name: "api", Status: StatusUnknown}
			for i, s := range tt.steps {
				r := Result{Check: "api", Time: at(i), Status: s.run}
				from := st.Status
				next, ev := Next(st, r, s.depError, tt.failTh, tt.okTh)
				if next.Status != s.want {
					t.Fatalf("step %d (%s): status %s, want %s", i, s.run, next.Status, s.want)
				}
				if (ev != nil) != s.event {
					t.Fatalf("step %d: event %+v, want event=%v", i, ev, s.event)
				}
				if ev != nil {
					if ev.From != from || ev.To != s.want || ev.Check != "api" || !ev.At.Equal(at(i)) {
						t.Fatalf("step %d: event %s->%s at %s, want %s->%s at %s", i, ev.From, ev.To, ev.At, from, s.want, at(i))
					}
					if !s.incident.IsZero() && !ev.IncidentStart.Equal(s.incident) {
						t.Fatalf("step %d: incident start %s, want %s", i, ev.IncidentStart, s.incident)
					}
					if ev.Result.Time != r.Time {
						t.Fatalf("step %d: event carries the wrong result", i)
					}
				}
				if !s.since.IsZero() && !next.Since.Equal(s.since) {
					t.Fatalf("step %d: since %s, want %s", i, next.Since, s.since)
				}
				if !next.LastCheck.Equal(at(i)) || next.Last.Time != r.Time {
					t.Fatalf("step %d: last check not updated", i)
				}
				st = next
			}
		})
	}
}

func TestNextCounters(t *testing.T) {
	st := State{Status: StatusUnknown}
	runs := []Status{StatusOK, StatusOK, StatusError, StatusWarn, StatusError, StatusError, StatusOK}
	for i, s := range runs {
		st, _ = Next(st, Result{Check: "c", Time: at(i), Status: s}, false, 2, 1)
	}
	if st.SuccessCount != 4 || st.FailCount != 3 {
		t.Fatalf("counts %d/%d, want 4/3", st.SuccessCount, st.FailCount)
	}
	if st.ConsecOK != 1 || st.ConsecFail != 0 || !st.FailSince.IsZero() {
		t.Fatalf("streaks ok=%d fail=%d failSince=%s", st.ConsecOK, st.ConsecFail, st.FailSince)
	}
	if got := st.SuccessRatio(); got != 0.5714 {
		t.Fatalf("ratio %v, want 0.5714", got)
	}
	if got := (State{}).SuccessRatio(); got != 0 {
		t.Fatalf("ratio before any run %v", got)
	}
	if got := (State{SuccessCount: 2, FailCount: 1}).SuccessRatio(); got != 0.6667 {
		t.Fatalf("ratio %v, want 0.6667", got)
	}
}

func TestNextExtra(t *testing.T) {
	st := State{Status: StatusUnknown}
	st, _ = Next(st, Result{Status: StatusOK, Time: at(0), Extra: map[string]string{"version": "1.2"}}, false, 1, 1)
	if !reflect.DeepEqual(st.Extra, map[string]string{"version": "1.2"}) {
		t.Fatalf("extra after a pass: %v", st.Extra)
	}
	st, _ = Next(st, Result{Status: StatusError, Time: at(1), Extra: map[string]string{"version": "x"}}, false, 2, 1)
	if len(st.Extra) != 0 {
		t.Fatalf("extracted facts must clear on failure, got %v", st.Extra)
	}
}

func TestNextPausedStaysPaused(t *testing.T) {
	st := State{Status: StatusPaused, Paused: true}
	next, ev := Next(st, Result{Status: StatusError, Time: at(0)}, false, 1, 1)
	if next.Status != StatusPaused || ev != nil {
		t.Fatalf("paused check judged: %s %+v", next.Status, ev)
	}
	if next.FailCount != 1 {
		t.Fatalf("a manual run of a paused check still counts")
	}
}

func TestNextUnknownVerdictIsNoRun(t *testing.T) {
	st := State{Status: StatusUnknown}
	for i := 0; i < 5; i++ {
		var ev *Event
		st, ev = Next(st, Result{Check: "hb", Time: at(i), Status: StatusUnknown, Reason: "no push due yet"}, false, 2, 1)
		if ev != nil {
			t.Fatalf("run %d: unknown verdict made an event %+v", i, ev)
		}
	}
	if st.Status != StatusUnknown || st.FailCount != 0 || st.SuccessCount != 0 {
		t.Fatalf("after unknown verdicts: status %s, counts %d/%d", st.Status, st.SuccessCount, st.FailCount)
	}
	if !st.LastCheck.Equal(at(4)) || st.Last.Reason != "no push due yet" {
		t.Fatalf("last run not recorded: %v %q", st.LastCheck, st.Last.Reason)
	}
	st, _ = Next(st, Result{Check: "hb", Time: at(5), Status: StatusError}, false, 1, 1)
	if st.Status != StatusError {
		t.Fatalf("a real failure after unknown verdicts: %s", st.Status)
	}
}
