package alerting

import "time"

// Clock is the time source of the alerter. Every wait (grouping, backoff, rate limits,
// retry_after, reminders) goes through it, so tests can run ten minutes of outage in
// milliseconds. Timers are set for a moment, not a duration: every wait here is a
// deadline, and a simulated clock then cannot stretch a wait that was computed just
// before it moved.
type Clock interface {
	Now() time.Time
	TimerAt(deadline time.Time) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// TimerAt returns a time.Timer that fires at deadline.
func (RealClock) TimerAt(deadline time.Time) Timer {
	return realTimer{time.NewTimer(time.Until(deadline))}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
