package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Small helpers shared by the database, service and push check types.

// checkFailed is the outcome of a probe that could not pass; the reason is one line.
func checkFailed(format string, args ...any) Outcome {
	return Outcome{Status: StatusError, Reason: oneLine(fmt.Sprintf(format, args...))}
}

// oneLine keeps the first line of s, trimmed, bounded so a chat message stays readable.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	const maxReason = 300
	if len(s) > maxReason {
		cut := maxReason
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// passwordInText finds password-looking parts of connection strings and error texts
// (key=value DSNs, URL userinfo) so they can be masked even when a driver echoes a DSN.
var passwordInText = regexp.MustCompile(`(?i)(password\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s&;]+)|(://[^/:@\s]*:)([^@\s]*)(@)`)

// redact masks every secret and every password-looking fragment in s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return passwordInText.ReplaceAllStringFunc(s, func(m string) string {
		sub := passwordInText.FindStringSubmatch(m)
		if sub[1] != "" {
			return sub[1] + "***"
		}
		return sub[3] + "***" + sub[5]
	})
}

// timedOut reports whether err (or the context) ended because the deadline passed, and
// says after how long when the deadline is known.
func timedOut(ctx context.Context, err error, start time.Time) (string, bool) {
	// A driver's own I/O deadline may fire a moment before ctx does; at the deadline it is
	// the same timeout.
	dl, hasDL := ctx.Deadline()
	atDeadline := hasDL && time.Until(dl) < 50*time.Millisecond
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || isNetTimeout(err) || atDeadline {
		return fmt.Sprintf("timed out after %s", fmtAge(time.Since(start).Round(time.Millisecond))), true
	}
	return "", false
}

// driverReason turns a database driver's error into one line without secrets, prefixed
// with kind: a timeout, then what the driver itself reports (specific, may be nil), then
// an unreachable address, then the error's text.
func driverReason(ctx context.Context, kind string, err error, start time.Time, secrets []string, specific func(error) (string, bool)) string {
	if r, ok := timedOut(ctx, err, start); ok {
		return kind + ": " + r
	}
	if specific != nil {
		if r, ok := specific(err); ok {
			return redact(kind+": "+r, secrets...)
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		addr := ""
		if opErr.Addr != nil {
			addr = " " + opErr.Addr.String()
		}
		return redact(fmt.Sprintf("%s: cannot reach%s: %v", kind, addr, opErr.Err), secrets...)
	}
	return redact(kind+": "+err.Error(), secrets...)
}

func isNetTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// valueMatches compares a query or key result with the expected value as text; numbers
// compare by value so "1.0" matches "1".
func valueMatches(got, want string) bool {
	got, want = strings.TrimSpace(got), strings.TrimSpace(want)
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	return err1 == nil && err2 == nil && g == w
}

// fmtBytes prints a size the way people read it: 512 B, 8.0 MB, 1.2 GB (1024-based).
func fmtBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KB", "MB", "GB", "TB", "PB", "EB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// fmtAge prints a duration in its two largest units: 45s, 12m, 2h 5m, 3d 4h.
func fmtAge(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d == 0 {
		return "0s"
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	s := int64(math.Round(d.Seconds()))
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, secs := s/60, s%60
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	case mins > 0 && secs > 0 && mins < 10:
		return fmt.Sprintf("%dm %ds", mins, secs)
	case mins > 0:
		return fmt.Sprintf("%dm", mins)
	}
	return fmt.Sprintf("%ds", secs)
}
