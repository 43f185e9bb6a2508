package monitor

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// dockerInspect renders a GET /containers/{id}/json answer as the Engine API documents it
// (trimmed to the fields around the ones the check reads).
func dockerInspect(name, state string, running, restarting bool, exit int, health string, started, finished time.Time) string {
	h := "null"
	if health != "" {
		h = fmt.Sprintf(`{"Status": %q, "FailingStreak": 3, "Log": [
			{"Start": "2024-01-01T10:00:00Z", "End": "2024-01-01T10:00:01Z", "ExitCode": 0, "Output": "ok"},
			{"Start": "2024-01-01T10:00:30Z", "End": "2024-01-01T10:00:31Z", "ExitCode": 1, "Output": "curl: (7) Failed to connect to localhost port 8080\n"}]}`, health)
	}
	return fmt.Sprintf(`{
  "Id": "ba033ac4401106a3b513bc9d639eee123ad78ca3616b921167cd74b20e25ed39",
  "Created": "2024-01-01T09:00:00.000000000Z",
  "Path": "/docker-entrypoint.sh",
  "Args": ["nginx", "-g", "daemon off;"],
  "State": {
    "Status": %q, "Running": %t, "Paused": false, "Restarting": %t, "OOMKilled": false, "Dead": false,
    "Pid": 1234, "ExitCode": %d, "Error": "",
    "StartedAt": %q, "FinishedAt": %q,
    "Health": %s
  },
  "Image": "sha256:a6bd71f48f6839d9faae1f29d3babef831e76bc213107682c5cc80f0cbb30866",
  "Name": "/%s",
  "RestartCount": 4,
  "Driver": "overlay2",
  "Config": {"Hostname": "ba033ac44011", "Image": "nginx:1.25-alpine", "Labels": {"com.example.vendor": "Acme"}},
  "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}}
}`, state, running, restarting, exit, started.Format(time.RFC3339Nano), finished.Format(time.RFC3339Nano), h, name)
}

func startFakeDocker(t *testing.T) string {
	t.Helper()
	now := time.Now().UTC()
	zero := time.Time{}
	containers := map[string]string{
		"web":        dockerInspect("web", "running", true, false, 0, "", now.Add(-3*time.Hour), zero),
		"api":        dockerInspect("api", "running", true, false, 0, "healthy", now.Add(-26*time.Hour), zero),
		"booting":    dockerInspect("booting", "running", true, false, 0, "starting", now.Add(-5*time.Second), zero),
		"sick":       dockerInspect("sick", "running", true, false, 0, "unhealthy", now.Add(-time.Hour), zero),
		"worker":     dockerInspect("worker", "exited", false, false, 137, "", now.Add(-2*time.Hour), now.Add(-90*time.Minute)),
		"crashloop":  dockerInspect("crashloop", "restarting", true, true, 1, "", now.Add(-time.Second), now.Add(-2*time.Second)),
		"paused-one": dockerInspect("paused-one", "paused", true, false, 0, "", now.Add(-time.Hour), zero),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/{name}/json", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		w.Header().Set("Content-Type", "application/json")
		switch name {
		case "broken-daemon":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message": "error while inspecting: context deadline exceeded"}`)
			return
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		body, ok := containers[name]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message": "No such container: %s"}`, name)
			return
		}
		fmt.Fprint(w, body)
	})
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return sock
}

func TestDocker(t *testing.T) {
	sock := startFakeDocker(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()

	tests := []struct {
		name    string
		check   config.Check
		timeout time.Duration
		status  Status
		reason  string
		extra   map[string]string
	}{
		{"running", config.Check{Container: "web", Socket: sock}, 0, StatusOK, "", map[string]string{"image": "nginx:1.25-alpine", "uptime": "3h", "restarts": "4"}},
		{"running healthy", config.Check{Container: "api", Socket: "unix://" + sock}, 0, StatusOK, "", map[string]string{"uptime": "1d 2h"}},
		{"health starting", config.Check{Container: "booting", Socket: sock}, 0, StatusWarn, "health check starting", nil},
		{"unhealthy", config.Check{Container: "sick", Socket: sock}, 0, StatusError, "unhealthy (3 failed checks): curl: (7) Failed to connect", nil},
		{"exited", config.Check{Container: "worker", Socket: sock}, 0, StatusError, "exited with code 137 1h 30m ago", nil},
		{"restarting", config.Check{Container: "crashloop", Socket: sock}, 0, StatusError, "restarting (last exit code 1, 4 restarts)", nil},
		{"paused", config.Check{Container: "paused-one", Socket: sock}, 0, StatusError, "container is paused", nil},
		{"missing container", config.Check{Container: "nope", Socket: sock}, 0, StatusError, `container "nope" not found`, nil},
		{"leading slash", config.Check{Container: "/web", Socket: sock}, 0, StatusOK, "", nil},
		{"daemon error", config.Check{Container: "broken-daemon", Socket: sock}, 0, StatusError, "docker API: HTTP 500: error while inspecting", nil},
		{"slow daemon", config.Check{Container: "slow", Socket: sock}, 300 * time.Millisecond, StatusError, "timed out", nil},
		{"socket absent", config.Check{Container: "web", Socket: filepath.Join(dir, "none.sock")}, 0, StatusError, "does not exist", nil},
		{"nobody listening", config.Check{Container: "web", Socket: stale}, 0, StatusError, "nothing listens on", nil},
		{"no container", config.Check{Socket: sock}, 0, StatusError, "no container", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			out, _ := runProbe(t, probeDocker, tt.check, timeout)
			wantOutcome(t, out, tt.status, tt.reason)
			for k, v := range tt.extra {
				if out.Extra[k] != v {
					t.Errorf("extra[%q] = %q, want %q", k, out.Extra[k], v)
				}
			}
			if strings.Contains(out.Reason, "\n") {
				t.Errorf("reason has a newline: %q", out.Reason)
			}
		})
	}
}
