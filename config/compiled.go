package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// The accessors below return what validation compiled. A Check built in code or decoded
// from storage without ValidateCheck is compiled on the fly (and invalid parts skipped), so
// they never return stale or nil-dereferencing values.

// BodyRegexp is the compiled body_regex, nil when unset.
func (e *Expect) BodyRegexp() *regexp.Regexp {
	if e.bodyRe != nil || e.BodyRegex == "" {
		return e.bodyRe
	}
	re, _ := regexp.Compile(e.BodyRegex)
	return re
}

// JSONRules are the parsed `json` rules.
func (e *Expect) JSONRules() []JSONRule {
	if e.jsonRules != nil || len(e.JSON) == 0 {
		return e.jsonRules
	}
	var out []JSONRule
	for _, s := range e.JSON {
		if r, err := ParseJSONRule(s); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// RequiredFields are the parsed `json_fields` paths.
func (e *Expect) RequiredFields() []JSONPath {
	if e.fields != nil || len(e.JSONFields) == 0 {
		return e.fields
	}
	var out []JSONPath
	for _, s := range e.JSONFields {
		if p, err := ParseJSONPath(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// ParseStatus reads "200", "2xx" or "200-299".
func ParseStatus(s string) (StatusRange, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("invalid status %q (use a code like 200, a class like 2xx, or a range like 200-299)", s)
	if len(t) == 3 && strings.HasSuffix(t, "xx") && t[0] >= '1' && t[0] <= '5' {
		lo := int(t[0]-'0') * 100
		return StatusRange{lo, lo + 99}, nil
	}
	lo, hi, isRange := strings.Cut(t, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return StatusRange{}, bad
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return StatusRange{}, bad
		}
	}
	if a < 100 || b > 599 || a > b {
		return StatusRange{}, fmt.Errorf("status %q out of range (100-599, low-high)", s)
	}
	return StatusRange{a, b}, nil
}

// StatusRanges are the parsed `status` entries.
func (e *Expect) StatusRanges() []StatusRange {
	if e.status != nil || len(e.Status) == 0 {
		return e.status
	}
	var out []StatusRange
	for _, s := range e.Status {
		if r, err := ParseStatus(s); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// StatusOK reports whether code matches one of the `status` entries (any 2xx when none).
func (e *Expect) StatusOK(code int) bool {
	rs := e.StatusRanges()
	if len(rs) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range rs {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// ExtractPaths are the parsed `extract` paths by extra key.
func (c *Check) ExtractPaths() map[string]JSONPath {
	if c.extract != nil || len(c.Extract) == 0 {
		return c.extract
	}
	out := map[string]JSONPath{}
	for k, s := range c.Extract {
		if p, err := ParseJSONPath(s); err == nil {
			out[k] = p
		}
	}
	return out
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a standard 5-field cron expression ("0 3 * * 0") or a descriptor
// ("@daily", "@every 1h"). A "CRON_TZ=Europe/Berlin " prefix sets its timezone.
func ParseCron(expr string) (cron.Schedule, error) {
	return cronParser.Parse(strings.TrimSpace(expr))
}

// Active reports whether t falls inside one of the window's occurrences: a window starts at
// each time the schedule fires and lasts Duration.
func (m *Maintenance) Active(t time.Time) bool {
	sched, loc := m.sched, m.loc
	if sched == nil {
		var err error
		if sched, err = ParseCron(m.Schedule); err != nil {
			return false
		}
	}
	if loc == nil {
		loc = loadLocation(m.Timezone)
	}
	if m.Duration <= 0 {
		return false
	}
	start := sched.Next(t.In(loc).Add(-m.Duration.D()))
	return !start.IsZero() && !start.After(t)
}

// Applies reports whether a global window covers the named check.
func (m *Maintenance) Applies(check string) bool {
	return len(m.Checks) == 0 || contains(m.Checks, check)
}

// InMaintenance reports whether the check is inside one of its own or the global windows at t.
func (c *Config) InMaintenance(ch *Check, t time.Time) bool {
	for i := range ch.Maintenance {
		if ch.Maintenance[i].Active(t) {
			return true
		}
	}
	for i := range c.Maintenance {
		if c.Maintenance[i].Applies(ch.Name) && c.Maintenance[i].Active(t) {
			return true
		}
	}
	return false
}

func loadLocation(name string) *time.Location {
	if name == "" || name == "Local" {
		return time.Local
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.Local
	}
	return loc
}
