package monitor

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// startTmux runs a private tmux server on a socket in a temp dir with sessions:
// app (windows web: sleep, shell: sh, done: dead pane) and app-staging (sleep).
func startTmux(t *testing.T) string {
	t.Helper()
	bin := needBinary(t, "tmux")
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
		cmd.Env = append(os.Environ(), "TMUX=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
	}
	tmux("new-session", "-d", "-s", "app", "-n", "web", "-x", "80", "-y", "24", "sleep 300")
	t.Cleanup(func() { _ = exec.Command(bin, "-S", sock, "kill-server").Run() })
	tmux("set-option", "-g", "remain-on-exit", "on")
	tmux("new-window", "-d", "-t", "=app:", "-n", "shell", "sh")
	tmux("new-window", "-d", "-t", "=app:", "-n", "done", "true")
	tmux("new-session", "-d", "-s", "app-staging", "sleep 300")
	// Let the short-lived pane exit so it shows as dead.
	time.Sleep(200 * time.Millisecond)
	return sock
}

func TestTmux(t *testing.T) {
	sock := startTmux(t)
	missing := filepath.Join(t.TempDir(), "none.sock")

	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string
	}{
		{"session", config.Check{Session: "app", Socket: sock}, StatusOK, ""},
		{"other session", config.Check{Session: "app-staging", Socket: sock}, StatusOK, ""},
		{"prefix is not a match", config.Check{Session: "ap", Socket: sock}, StatusError, `session "ap" not found (sessions: app, app-staging)`},
		{"process in session", config.Check{Session: "app", Socket: sock, Process: "sleep"}, StatusOK, ""},
		{"process in window", config.Check{Session: "app", Socket: sock, Window: "web", Process: "sleep"}, StatusOK, ""},
		{"window by index", config.Check{Session: "app", Socket: sock, Window: "1", Process: "sh"}, StatusOK, ""},
		{"process elsewhere", config.Check{Session: "app", Socket: sock, Window: "shell", Process: "sleep"}, StatusError, `no pane of window "shell" of session "app" runs "sleep" (panes run: sh)`},
		{"dead pane", config.Check{Session: "app", Socket: sock, Window: "done", Process: "true"}, StatusError, "(dead)"},
		{"process missing", config.Check{Session: "app-staging", Socket: sock, Process: "python3"}, StatusError, `runs "python3"`},
		{"window missing", config.Check{Session: "app", Socket: sock, Window: "db"}, StatusError, `no window "db" (windows: web, shell, done)`},
		{"no server", config.Check{Session: "app", Socket: missing}, StatusError, "no tmux server running"},
		{"no session", config.Check{Socket: sock}, StatusError, "no session configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := runProbe(t, probeTmux, tt.check, 5*time.Second)
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("extra", func(t *testing.T) {
		out, _ := runProbe(t, probeTmux, config.Check{Session: "app", Socket: sock}, 5*time.Second)
		if out.Extra["windows"] != "3" {
			t.Errorf("windows %q", out.Extra["windows"])
		}
		created, err := time.ParseInLocation("2006-01-02 15:04", out.Extra["created"], time.Local)
		if err != nil || time.Since(created) > 10*time.Minute {
			t.Errorf("created %q: %v", out.Extra["created"], err)
		}
	})

	t.Run("tmux not installed", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		out, _ := runProbe(t, probeTmux, config.Check{Session: "app", Socket: sock}, 5*time.Second)
		wantOutcome(t, out, StatusError, "tmux is not installed")
	})
}
