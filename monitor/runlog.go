package monitor

import (
	"fmt"
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
	var ms int64
	if !l.start.IsZero() {
		ms = time.Since(l.start).Milliseconds()
	}
	l.lines = append(l.lines, fmt.Sprintf("+%dms %s", ms, fmt.Sprintf(format, args...)))
}

// Lines returns the lines logged so far.
func (l *RunLog) Lines() []string {
	if l == nil {
		return nil
	}
	return l.lines
}
