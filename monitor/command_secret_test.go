package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// Plugin arguments often carry credentials (check_http -a user:pass); the run log is shown
// in chat and on the web page, so it names the program only.
func TestCommandLogKeepsArgumentsOut(t *testing.T) {
	const secret = "hunter2-secret"
	c := &config.Check{Name: "c", Type: "command", Command: []string{"true", "-a", "user:" + secret}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	log := NewRunLog(time.Now())
	out := probeCommand(ctx, c, log)
	if out.Status != StatusOK {
		t.Fatalf("status %s: %s", out.Status, out.Reason)
	}
	all := strings.Join(log.Lines(), "\n")
	if strings.Contains(all, secret) {
		t.Fatalf("secret in run log:\n%s", all)
	}
	if !strings.Contains(all, "running true with 2 argument(s)") {
		t.Errorf("run log does not name the program:\n%s", all)
	}
}
