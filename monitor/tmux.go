package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/statusmap/statusmap/config"
)

// probeTmux checks that the tmux session named session exists (exact name), optionally
// that its window exists and that one of the panes (of that window, or of the session)
// still runs process. socket is the tmux server socket (tmux -S); empty uses the default.
func probeTmux(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	name := strings.TrimSpace(c.Session)
	if name == "" {
		return checkFailed("tmux: no session configured")
	}
	bin, err := exec.LookPath("tmux")
	if err != nil {
		return checkFailed("tmux: tmux is not installed (not found in PATH)")
	}
	run := func(args ...string) (string, error) {
		if c.Socket != "" {
			args = append([]string{"-S", c.Socket}, args...)
		}
		log.Printf("tmux %s", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.WaitDelay = time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			if r, ok := timedOut(ctx, ctx.Err(), start); ok {
				return "", errors.New(r)
			}
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return "", errors.New(oneLine(msg))
			}
			return "", err
		}
		return stdout.String(), nil
	}

	// list-sessions gives the exact names, where -t NAME would also match a prefix.
	sessions, err := run("list-sessions", "-F", "#{session_name}\t#{session_windows}\t#{session_created}\t#{session_attached}")
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "no server running") || strings.Contains(msg, "error connecting to") {
			return checkFailed("tmux: no tmux server running, so no session %q", name)
		}
		return checkFailed("tmux: %s", msg)
	}
	var fields []string
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(sessions), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			continue
		}
		names = append(names, f[0])
		if f[0] == name {
			fields = f
		}
	}
	if fields == nil {
		return checkFailed("tmux: session %q not found (sessions: %s)", name, listOrNone(names))
	}
	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	out.Extra["windows"] = fields[1]
	if n, err := strconv.Atoi(fields[1]); err == nil {
		out.Metrics["tmux_windows"] = float64(n)
	}
	if sec, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
		created := time.Unix(sec, 0)
		out.Extra["created"] = created.Format("2006-01-02 15:04")
		out.Metrics["tmux_uptime_seconds"] = time.Since(created).Seconds()
	}
	log.Printf("session %q: %s windows, %s attached", name, fields[1], fields[3])

	// "=" makes tmux match the session name exactly.
	target := "=" + name + ":"
	paneArgs := []string{"list-panes", "-s", "-t", target}
	where := fmt.Sprintf("session %q", name)
	if w := strings.TrimSpace(c.Window); w != "" {
		windows, err := run("list-windows", "-t", target, "-F", "#{window_index}\t#{window_name}")
		if err != nil {
			return checkFailed("tmux: %s", err.Error())
		}
		index := ""
		var wnames []string
		for _, line := range strings.Split(strings.TrimSpace(windows), "\n") {
			idx, wname, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			wnames = append(wnames, wname)
			if wname == w || (index == "" && idx == w) {
				index = idx
			}
		}
		if index == "" {
			return checkFailed("tmux: session %q has no window %q (windows: %s)", name, w, listOrNone(wnames))
		}
		paneArgs = []string{"list-panes", "-t", target + index}
		where = fmt.Sprintf("window %q of session %q", w, name)
	}
	if strings.TrimSpace(c.Process) == "" {
		return out
	}
	panes, err := run(append(paneArgs, "-F", "#{pane_current_command}\t#{pane_dead}")...)
	if err != nil {
		return checkFailed("tmux: %s", err.Error())
	}
	var running []string
	for _, line := range strings.Split(strings.TrimSpace(panes), "\n") {
		cmd, dead, _ := strings.Cut(line, "\t")
		if dead == "1" {
			running = append(running, cmd+" (dead)")
			continue
		}
		running = append(running, cmd)
		if cmd == c.Process {
			log.Printf("%s runs %s", where, cmd)
			return out
		}
	}
	out.Status = StatusError
	out.Reason = oneLine(fmt.Sprintf("no pane of %s runs %q (panes run: %s)", where, c.Process, listOrNone(running)))
	return out
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	const max = 8
	if len(items) > max {
		return strings.Join(items[:max], ", ") + ", …"
	}
	return strings.Join(items, ", ")
}
