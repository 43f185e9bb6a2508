package alerting

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// The builders below are pure: data in, HTML text out. Every dynamic part is escaped,
// since check names and reasons are written by people and by remote servers.

// Limits on how many names a message spells out.
const (
	maxListed     = 20 // dependents, recovered checks
	maxOthersDown = 5  // above this, "also down" gives a count
)

// checkInfo is what a message says about one check.
type checkInfo struct {
	Name    string
	Type    string
	Host    string
	Runtime string
	Reason  string
	Since   time.Time // start of the incident
}

// downMsg is the alert for one root cause.
type downMsg struct {
	Check      checkInfo
	Warn       bool     // degraded, not down
	Dependents []string // checks that depend on it, unreachable while it is down
	Note       string   // e.g. "mute ended", "stable after flapping"
}

// recoveryMsg announces the end of an incident.
type recoveryMsg struct {
	Check        checkInfo
	End          time.Time
	WasWarn      bool     // the incident was a warn period
	NowWarn      string   // reason, when the check is back but degraded
	Back         []string // dependents that passed again
	StillFailing []string // dependents that fail on their own
	Unreachable  []string // dependents still behind another failing check
}

func esc(s string) string { return html.EscapeString(s) }

func bold(s string) string { return "<b>" + esc(s) + "</b>" }

// subject names a check, calling a ping check a server (it stands for the machine).
func subject(c checkInfo) string {
	if c.Type == "ping" {
		return "server " + bold(c.Name)
	}
	return bold(c.Name)
}

func where(c checkInfo) string {
	switch {
	case c.Host != "" && c.Runtime != "":
		return "on " + esc(c.Host) + " (" + esc(c.Runtime) + ")"
	case c.Host != "":
		return "on " + esc(c.Host)
	case c.Runtime != "":
		return "in " + esc(c.Runtime)
	}
	return ""
}

// fmtDuration writes a duration for people: 40s, 12m 40s, 2h 5m, 3d 4h.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", s/60)
		}
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	case s < 86400:
		if s%3600/60 == 0 {
			return fmt.Sprintf("%dh", s/3600)
		}
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	default:
		if s%86400/3600 == 0 {
			return fmt.Sprintf("%dd", s/86400)
		}
		return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
	}
}

// fmtSince writes a start time: the clock time today, with the date otherwise.
func fmtSince(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04:05")
	}
	return t.Format("02.01.2006 15:04")
}

// nameList writes up to limit names and counts the rest.
func nameList(names []string, limit int) string {
	if len(names) <= limit {
		return esc(strings.Join(names, ", "))
	}
	return esc(strings.Join(names[:limit], ", ")) + fmt.Sprintf(" and %d more", len(names)-limit)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func othersLine(others []string) string {
	switch {
	case len(others) == 0:
		return ""
	case len(others) > maxOthersDown:
		return fmt.Sprintf("also down: %d other checks", len(others))
	}
	return "also down: " + esc(strings.Join(others, ", "))
}

// downText is the alert for one root cause.
func downText(m downMsg, others []string, now time.Time, loc *time.Location) string {
	var b strings.Builder
	c := m.Check
	if m.Warn {
		b.WriteString("🟡 " + subject(c) + " is degraded")
	} else {
		b.WriteString("🔴 " + subject(c) + " is down")
	}
	if n := len(m.Dependents); n > 0 {
		b.WriteString("; " + plural(n, "check on it is", "checks on it are") + " unreachable: " + nameList(m.Dependents, maxListed))
	}
	for _, line := range []string{where(c), esc(c.Reason), sinceLine(c.Since, now, loc), othersLine(others), esc(m.Note)} {
		if line != "" {
			b.WriteString("\n" + line)
		}
	}
	return b.String()
}

func sinceLine(since, now time.Time, loc *time.Location) string {
	if since.IsZero() {
		return ""
	}
	return "since " + fmtSince(since, now, loc) + " (" + fmtDuration(now.Sub(since)) + ")"
}

// groupText is one message for several root causes that failed within group_wait.
func groupText(ms []downMsg, others []string, now time.Time, loc *time.Location) string {
	if len(ms) == 1 {
		return downText(ms[0], others, now, loc)
	}
	var b strings.Builder
	down, affected := 0, 0
	for _, m := range ms {
		if !m.Warn {
			down++
		}
		affected += len(m.Dependents)
	}
	switch {
	case down == 0:
		b.WriteString(fmt.Sprintf("🟡 %d checks are degraded", len(ms)))
	case down == len(ms):
		b.WriteString(fmt.Sprintf("🔴 %d checks are down", len(ms)))
	default:
		b.WriteString(fmt.Sprintf("🔴 %d checks are down or degraded", len(ms)))
	}
	if affected > 0 {
		b.WriteString("; " + plural(affected, "check on them is", "checks on them are") + " unreachable")
	}
	for _, m := range ms {
		c := m.Check
		b.WriteString("\n• " + subject(c))
		if w := where(c); w != "" {
			b.WriteString(" " + w)
		}
		if c.Reason != "" {
			b.WriteString(": " + esc(c.Reason))
		}
		if n := len(m.Dependents); n > 0 {
			b.WriteString("; " + plural(n, "check", "checks") + " on it: " + nameList(m.Dependents, maxListed))
		}
	}
	if l := othersLine(others); l != "" {
		b.WriteString("\n" + l)
	}
	return b.String()
}

// recoveryText announces that a check is back.
func recoveryText(m recoveryMsg, now time.Time, loc *time.Location) string {
	var b strings.Builder
	c := m.Check
	verb := "is back"
	if m.WasWarn {
		verb = "is ok again"
	}
	b.WriteString("✅ " + subject(c) + " " + verb)
	if !c.Since.IsZero() {
		b.WriteString(" after " + fmtDuration(m.End.Sub(c.Since)))
	}
	if m.NowWarn != "" {
		b.WriteString(" (degraded: " + esc(m.NowWarn) + ")")
	}
	if w := where(c); w != "" {
		b.WriteString("\n" + w)
	}
	if !c.Since.IsZero() {
		word := "down"
		if m.WasWarn {
			word = "degraded"
		}
		b.WriteString("\n" + word + " since " + fmtSince(c.Since, now, loc))
	}
	if n := len(m.Back); n > 0 {
		b.WriteString("\n" + plural(n, "check on it is", "checks on it are") + " back: " + nameList(m.Back, maxListed))
	}
	if n := len(m.StillFailing); n > 0 {
		b.WriteString("\nstill failing on their own: " + nameList(m.StillFailing, maxListed))
	}
	if n := len(m.Unreachable); n > 0 {
		b.WriteString("\nstill unreachable: " + nameList(m.Unreachable, maxListed))
	}
	return b.String()
}

// reminderText repeats an alert while the check stays down.
func reminderText(c checkInfo, now time.Time, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("⏰ " + subject(c) + " is still down after " + fmtDuration(now.Sub(c.Since)))
	for _, line := range []string{where(c), esc(c.Reason), "since " + fmtSince(c.Since, now, loc)} {
		if line != "" {
			b.WriteString("\n" + line)
		}
	}
	return b.String()
}

// flappingText says a check is flapping and that alerts for it pause.
func flappingText(c checkInfo, changes int, window time.Duration) string {
	s := fmt.Sprintf("🔁 %s is flapping: %d changes in %s; quiet until it is stable for %s",
		subject(c), changes, fmtDuration(window), fmtDuration(window))
	if w := where(c); w != "" {
		s += "\n" + w
	}
	if c.Reason != "" {
		s += "\nlast failure: " + esc(c.Reason)
	}
	return s
}

// stableText ends a flapping period that settled on a passing status.
func stableText(c checkInfo, status string, window time.Duration) string {
	s := fmt.Sprintf("✅ %s is stable again: %s for %s", subject(c), esc(status), fmtDuration(window))
	if w := where(c); w != "" {
		s += "\n" + w
	}
	return s
}
