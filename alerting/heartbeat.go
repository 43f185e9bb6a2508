package alerting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

// heartbeat pings alerting.heartbeat_url once per round. A round is one minute in which
// statusmap did its job: no check is overdue (the engine is scheduling) and the outbox is
// not stuck (the last delivery attempt did not fail). An external dead-man's switch then
// notices when statusmap dies, hangs, or cannot alert.
func (a *Alerter) heartbeat(ctx context.Context) {
	withheld := ""
	a.hmu.Lock()
	next := a.started // rounds count from New, however late this goroutine starts
	a.hmu.Unlock()
	for {
		next = maxTime(next.Add(heartbeatEvery), a.clock.Now()) // no burst of pings after a stall
		t := a.clock.TimerAt(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		url := a.settings().heartbeatURL
		if url == "" {
			continue
		}
		now := a.clock.Now()
		why := a.roundProblem(now)
		if why != withheld { // log changes, not every minute
			if why != "" {
				a.log.Warn("alerting: heartbeat withheld", "because", why)
			} else {
				a.log.Info("alerting: heartbeat resumed")
			}
			withheld = why
		}
		if why != "" {
			continue
		}
		if err := a.ping(ctx, url); err != nil && ctx.Err() == nil {
			a.log.Warn("alerting: heartbeat ping failed", "err", err)
			continue
		}
		a.hmu.Lock()
		a.lastBeat = now
		a.hmu.Unlock()
	}
}

// roundProblem says why the current round is not a success ("" when it is).
func (a *Alerter) roundProblem(now time.Time) string {
	a.hmu.Lock()
	failing := a.failingSince
	started := a.started
	a.hmu.Unlock()
	if !failing.IsZero() {
		return "alerts are failing to reach Telegram since " + failing.Format(time.RFC3339)
	}
	for _, v := range a.deps.Engine.Snapshot() {
		if v.State.Status == monitor.StatusPaused {
			continue
		}
		ref := v.State.LastCheck
		if ref.IsZero() || ref.Before(started) {
			ref = maxTime(ref, started)
		}
		// A check is overdue when two intervals and its timeout passed without a run
		// (plus the engine's first-run jitter of at most 30s).
		limit := 2*v.Spec.Interval.D() + v.Spec.Timeout.D() + 30*time.Second
		if now.Sub(ref) > limit {
			return fmt.Sprintf("check %q is overdue (last run %s)", v.Spec.Name, ref.Format(time.RFC3339))
		}
	}
	return ""
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (a *Alerter) ping(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, heartbeatLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return errors.New("heartbeat: alerting.heartbeat_url is not a valid URL")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		// The URL often holds the switch's secret id: report the cause without it.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("heartbeat: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("heartbeat: HTTP %d", resp.StatusCode)
	}
	return nil
}
