package monitor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/statusmap/statusmap/config"
)

// maxCommandOutput bounds what a command may print; a plugin's answer is a few lines.
const maxCommandOutput = 64 << 10

// maxPerfItems bounds the perfdata kept per run so a chatty plugin cannot flood the map.
const maxPerfItems = 20

// probeCommand runs a program with Nagios plugin semantics: exit 0 ok, 1 warn, 2 error,
// 3 unknown (an error). The first output line is the reason; perfdata after "|" becomes
// extra and metrics. The process runs in its own process group, killed whole at the timeout.
func probeCommand(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	if len(c.Command) == 0 || strings.TrimSpace(c.Command[0]) == "" {
		return checkFailed("command: nothing to run")
	}
	argv := c.Command
	if c.Shell {
		argv = []string{"/bin/sh", "-c", strings.Join(c.Command, " ")}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrPermission):
			return checkFailed("command: %s is not executable", argv[0])
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, exec.ErrNotFound):
			return checkFailed("command: %s not found", argv[0])
		}
		return checkFailed("command: %v", err)
	}
	// Arguments are not logged: they may carry secrets expanded from the environment, and
	// the run log is shown in chat and on the web page.
	log.Printf("running %s with %d argument(s)", argv[0], len(argv)-1)

	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group: a shell script's children must not outlive the timeout.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A grandchild holding the pipes open must not keep the run waiting.
	cmd.WaitDelay = time.Second
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	code := 0
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case ctx.Err() != nil:
		r, ok := timedOut(ctx, ctx.Err(), start)
		if !ok {
			r = "cancelled"
		}
		log.Printf("%s; process group killed", r)
		return checkFailed("command: %s", r)
	case errors.As(runErr, &exitErr):
		code = exitErr.ExitCode()
		if code < 0 {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return checkFailed("command: killed by signal %s", ws.Signal())
			}
			return checkFailed("command: %v", runErr)
		}
	case errors.Is(runErr, exec.ErrWaitDelay):
		log.Printf("a child process still held the output after exit")
	default:
		return checkFailed("command: %v", runErr)
	}

	text := stdout.String()
	if strings.TrimSpace(text) == "" {
		text = stderr.String()
	}
	first, perf := splitPluginOutput(text)
	log.Printf("exit %d: %s", code, first)
	if s := strings.TrimSpace(stderr.String()); s != "" && s != strings.TrimSpace(text) {
		log.Printf("stderr: %s", oneLine(s))
	}

	out := Outcome{Code: code, Extra: map[string]string{}, Metrics: map[string]float64{}}
	for _, p := range parsePerfdata(perf) {
		out.Extra[p.Label] = p.Display()
		if !p.Undetermined {
			out.Metrics[p.MetricName()] = p.BaseValue()
		}
	}
	switch code {
	case 0:
		out.Status = StatusOK
	case 1:
		out.Status, out.Reason = StatusWarn, orDefault(first, "WARNING (exit 1, no output)")
	case 2:
		out.Status, out.Reason = StatusError, orDefault(first, "CRITICAL (exit 2, no output)")
	case 3:
		out.Status, out.Reason = StatusError, "UNKNOWN: "+orDefault(first, "exit 3, no output")
	default:
		out.Status, out.Reason = StatusError, fmt.Sprintf("exit %d: %s", code, orDefault(first, "no output"))
	}
	out.Reason = oneLine(out.Reason)
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// limitedBuffer keeps the first maxCommandOutput bytes and drops the rest, so a runaway
// command cannot exhaust memory; writes never fail, so the command is not killed by EPIPE.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - len(l.b); room > 0 {
		if len(p) > room {
			l.b = append(l.b, p[:room]...)
		} else {
			l.b = append(l.b, p...)
		}
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// splitPluginOutput separates a plugin's output into its first line's text and all the
// perfdata: after "|" on the first line, and after the first "|" of the long output.
func splitPluginOutput(s string) (first, perf string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	line, rest, _ := strings.Cut(s, "\n")
	first, p1, _ := strings.Cut(line, "|")
	perfs := []string{p1}
	if _, p2, ok := strings.Cut(rest, "|"); ok {
		perfs = append(perfs, p2)
	}
	return strings.TrimSpace(first), strings.Join(perfs, " ")
}

// perfItem is one performance value: 'label'=value[UOM];warn;crit;min;max.
type perfItem struct {
	Label        string
	Value        float64
	Unit         string
	Undetermined bool // the value was "U"
	Warn, Crit   string
	Min, Max     string
}

var perfNumber = regexp.MustCompile(`^[-+]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?`)

// parsePerfdata reads the perfdata items of s, skipping malformed ones; it never fails,
// since a plugin's status stands even when its perfdata is odd.
func parsePerfdata(s string) []perfItem {
	var items []perfItem
	i := 0
	for i < len(s) && len(items) < maxPerfItems {
		for i < len(s) && isPerfSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		var label string
		if s[i] == '\'' {
			// Quoted label; '' inside is one quote.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed || j >= len(s) || s[j] != '=' {
				i = skipPerfToken(s, j)
				continue
			}
			label, i = b.String(), j+1
		} else {
			j := i
			for j < len(s) && s[j] != '=' && !isPerfSpace(s[j]) {
				j++
			}
			if j >= len(s) || s[j] != '=' || j == i {
				i = skipPerfToken(s, j)
				continue
			}
			label, i = s[i:j], j+1
		}
		j := skipPerfToken(s, i)
		fields := strings.Split(s[i:j], ";")
		i = j
		if strings.TrimSpace(label) == "" {
			continue
		}
		item := perfItem{Label: label}
		v := fields[0]
		if v == "U" {
			item.Undetermined = true
		} else {
			num := perfNumber.FindString(v)
			if num == "" {
				continue
			}
			f, err := strconv.ParseFloat(strings.Replace(num, ",", ".", 1), 64)
			if err != nil {
				continue
			}
			item.Value, item.Unit = f, v[len(num):]
		}
		get := func(k int) string {
			if k < len(fields) {
				return fields[k]
			}
			return ""
		}
		item.Warn, item.Crit, item.Min, item.Max = get(1), get(2), get(3), get(4)
		items = append(items, item)
	}
	return items
}

func isPerfSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func skipPerfToken(s string, i int) int {
	for i < len(s) && !isPerfSpace(s[i]) {
		i++
	}
	return i
}

// perfUnits maps a unit of measure to its base unit's factor and the metric suffix.
var perfUnits = map[string]struct {
	factor float64
	suffix string
}{
	"s":   {1, "_seconds"},
	"ms":  {1e-3, "_seconds"},
	"us":  {1e-6, "_seconds"},
	"ns":  {1e-9, "_seconds"},
	"%":   {1, "_percent"},
	"B":   {1, "_bytes"},
	"KB":  {1 << 10, "_bytes"},
	"MB":  {1 << 20, "_bytes"},
	"GB":  {1 << 30, "_bytes"},
	"TB":  {1 << 40, "_bytes"},
	"KiB": {1 << 10, "_bytes"},
	"MiB": {1 << 20, "_bytes"},
	"GiB": {1 << 30, "_bytes"},
	"TiB": {1 << 40, "_bytes"},
	"c":   {1, "_total"},
}

// BaseValue is the value in seconds or bytes when the unit is a time or a size.
func (p perfItem) BaseValue() float64 {
	if u, ok := perfUnits[p.Unit]; ok {
		return p.Value * u.factor
	}
	return p.Value
}

// MetricName is a Prometheus-safe name: the label in snake case plus the base unit.
func (p perfItem) MetricName() string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(p.Label) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			underscore = false
		} else if !underscore && b.Len() > 0 {
			b.WriteByte('_')
			underscore = true
		}
	}
	name := strings.TrimSuffix(b.String(), "_")
	if name == "" {
		name = "root" // check_disk's label for "/"
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "_" + name
	}
	if u, ok := perfUnits[p.Unit]; ok && !strings.HasSuffix(name, u.suffix) {
		name += u.suffix
	}
	return name
}

// Display is the value as shown in the map cell.
func (p perfItem) Display() string {
	if p.Undetermined {
		return "U"
	}
	if u, ok := perfUnits[p.Unit]; ok && u.suffix == "_bytes" {
		return fmtBytes(int64(p.BaseValue()))
	}
	return strconv.FormatFloat(p.Value, 'f', -1, 64) + p.Unit
}
