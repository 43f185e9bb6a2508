package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	day  = 24 * time.Hour
	year = 365 * day
)

// ParseDuration reads the config's duration syntax: a bare number of seconds ("90"), a Go
// duration ("90s", "15m", "1h30m", "500ms") or days and years ("7d", "1y", "1d12h").
// A year is 365 days.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if n, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "eExXnN") {
		if n < 0 || n > float64(1<<63-1)/float64(time.Second) {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		return Duration(n * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(t); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("duration %q is negative", s)
		}
		return Duration(d), nil
	}
	// Split off the d and y units, which time.ParseDuration does not know.
	var total time.Duration
	rest := t
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, badDuration(s)
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, badDuration(s)
		}
		var part time.Duration
		switch unit {
		case "y":
			part = time.Duration(n * float64(year))
		case "d":
			part = time.Duration(n * float64(day))
		default:
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, badDuration(s)
			}
			part = d
		}
		if part < 0 || total+part < total {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		total += part
	}
	return Duration(total), nil
}

func badDuration(s string) error {
	return fmt.Errorf("invalid duration %q (use seconds like 90, or a number with a unit: 90s, 15m, 2h, 7d, 1y)", s)
}

// String formats the duration compactly, in the syntax ParseDuration reads ("90s", "15m", "7d").
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	if v >= day && v%day == 0 {
		if v%year == 0 {
			return strconv.FormatInt(int64(v/year), 10) + "y"
		}
		return strconv.FormatInt(int64(v/day), 10) + "d"
	}
	s := v.String()
	// time.Duration prints 1h0m0s; drop the empty trailing units.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Seconds returns the duration in whole seconds (the status record's unit).
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

// MarshalText writes the compact form, so chat-added checks stored as JSON stay readable.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the ParseDuration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts a string in the ParseDuration syntax or a number of seconds, as YAML does.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return d.UnmarshalText([]byte(s))
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string or a number of seconds")
	}
	v, err := ParseDuration(strconv.FormatFloat(n, 'f', -1, 64))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML lets goccy/go-yaml decode a Duration directly (Load does not need it; it
// serves other code that decodes config fragments).
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.TrimSpace(string(b))
	s = strings.Trim(s, `"'`)
	return d.UnmarshalText([]byte(s))
}
