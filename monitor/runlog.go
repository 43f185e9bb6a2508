package monitor

import (
	"fmt"
	"strconv"
	"time"
)

// maxLogLines bounds a run's log: it is shown in chat, not archived.
const maxLogLines = 40

// RunLog is the short log of one run, shown to the user by /check.
type RunLog struct {
	start time.Time
	lines []string
}

// NewRunLog starts a log whose lines are stamped relative to start.
func NewRunLog(start time.Time) *RunLog { return &RunLog{start: start} }

// Printf adds one line.
func (l *RunLog) Printf(format string, args ...any) {
	if l == nil || len(l.lines) >= maxLogLines {
		return
	}
	var buf [96]byte
	l.lines = append(l.lines, string(fmt.Appendf(l.stamp(buf[:0]), format, args...)))
}

// add adds one line of ready text: the check path's common lines skip fmt.
func (l *RunLog) add(parts ...string) {
	if l == nil || len(l.lines) >= maxLogLines {
		return
	}
	var buf [96]byte // most lines fit: one allocation, the string
	b := l.stamp(buf[:0])
	for _, p := range parts {
		b = append(b, p...)
	}
	l.lines = append(l.lines, string(b))
}

// stamp starts a line in b: "+12ms ".
func (l *RunLog) stamp(b []byte) []byte {
	var ms int64
	if !l.start.IsZero() {
		ms = time.Since(l.start).Milliseconds()
	}
	b = append(b, '+')
	b = strconv.AppendInt(b, ms, 10)
	return append(b, "ms "...)
}

// Lines returns the lines logged so far.
func (l *RunLog) Lines() []string {
	if l == nil {
		return nil
	}
	return l.lines
}
