package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/statusmap/statusmap/config"
)

// defaultDockerSocket is where the Docker Engine listens on Linux.
const defaultDockerSocket = "/var/run/docker.sock"

// dockerContainer is the part of GET /containers/{id}/json the check reads.
type dockerContainer struct {
	Name         string `json:"Name"`
	RestartCount int    `json:"RestartCount"`
	Image        string `json:"Image"`
	Config       struct {
		Image string `json:"Image"`
	} `json:"Config"`
	State struct {
		Status     string    `json:"Status"` // created, running, paused, restarting, removing, exited, dead
		Running    bool      `json:"Running"`
		Paused     bool      `json:"Paused"`
		Restarting bool      `json:"Restarting"`
		OOMKilled  bool      `json:"OOMKilled"`
		ExitCode   int       `json:"ExitCode"`
		Error      string    `json:"Error"`
		StartedAt  time.Time `json:"StartedAt"`
		FinishedAt time.Time `json:"FinishedAt"`
		Health     *struct {
			Status        string `json:"Status"` // none, starting, healthy, unhealthy
			FailingStreak int    `json:"FailingStreak"`
			Log           []struct {
				ExitCode int    `json:"ExitCode"`
				Output   string `json:"Output"`
			} `json:"Log"`
		} `json:"Health"`
	} `json:"State"`
}

// probeDocker asks the Docker Engine API over its unix socket whether the container is
// running, and healthy when it has a healthcheck.
func probeDocker(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	name := strings.TrimPrefix(strings.TrimSpace(c.Container), "/")
	if name == "" {
		return checkFailed("docker: no container configured")
	}
	sock := strings.TrimPrefix(strings.TrimSpace(c.Socket), "unix://")
	if sock == "" {
		sock = defaultDockerSocket
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
	u := "http://docker/containers/" + url.PathEscape(name) + "/json"
	log.Printf("GET %s on %s", strings.TrimPrefix(u, "http://docker"), sock)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return checkFailed("docker: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return checkFailed("%s", dockerReason(ctx, err, sock, start))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return checkFailed("%s", dockerReason(ctx, err, sock, start))
	}
	if resp.StatusCode != http.StatusOK {
		var apiErr struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &apiErr)
		msg := strings.TrimSpace(apiErr.Message)
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		log.Printf("HTTP %d: %s", resp.StatusCode, oneLine(msg))
		if resp.StatusCode == http.StatusNotFound {
			return Outcome{Status: StatusError, Code: resp.StatusCode, Reason: fmt.Sprintf("container %q not found", name)}
		}
		return Outcome{Status: StatusError, Code: resp.StatusCode, Reason: oneLine(fmt.Sprintf("docker API: HTTP %d: %s", resp.StatusCode, msg))}
	}
	var info dockerContainer
	if err := json.Unmarshal(body, &info); err != nil {
		return checkFailed("docker API: bad answer: %v", err)
	}
	return dockerVerdict(&info, time.Now(), log)
}

// dockerVerdict judges an inspected container.
func dockerVerdict(info *dockerContainer, now time.Time, log *RunLog) Outcome {
	st := info.State
	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	if info.Config.Image != "" {
		out.Extra["image"] = info.Config.Image
	}
	out.Extra["restarts"] = strconv.Itoa(info.RestartCount)
	out.Metrics["docker_restarts"] = float64(info.RestartCount)
	health := ""
	if st.Health != nil {
		health = st.Health.Status
	}
	log.Printf("state %s, health %q, restarts %d", st.Status, health, info.RestartCount)

	status := st.Status
	if status == "" { // very old engines only set the booleans
		switch {
		case st.Restarting:
			status = "restarting"
		case st.Paused:
			status = "paused"
		case st.Running:
			status = "running"
		default:
			status = "exited"
		}
	}
	switch status {
	case "running":
		up := now.Sub(st.StartedAt)
		if !st.StartedAt.IsZero() && up >= 0 {
			out.Extra["uptime"] = fmtAge(up)
			out.Metrics["docker_uptime_seconds"] = up.Seconds()
		}
		switch health {
		case "", "none", "healthy":
		case "starting":
			out.Status, out.Reason = StatusWarn, "running, health check starting"
		case "unhealthy":
			out.Status, out.Reason = StatusError, "running but unhealthy"
			if n := len(st.Health.Log); n > 0 {
				last := st.Health.Log[n-1]
				if o := oneLine(last.Output); o != "" {
					out.Reason = fmt.Sprintf("unhealthy (%d failed checks): %s", st.Health.FailingStreak, o)
				} else {
					out.Reason = fmt.Sprintf("unhealthy (%d failed checks, last exit %d)", st.Health.FailingStreak, last.ExitCode)
				}
			}
		default:
			out.Status, out.Reason = StatusWarn, fmt.Sprintf("running, health %q", health)
		}
	case "restarting":
		out.Status = StatusError
		out.Reason = fmt.Sprintf("restarting (last exit code %d, %d restarts)", st.ExitCode, info.RestartCount)
	case "exited", "dead":
		out.Status = StatusError
		out.Reason = fmt.Sprintf("%s with code %d", status, st.ExitCode)
		if st.OOMKilled {
			out.Reason += " (out of memory)"
		}
		if !st.FinishedAt.IsZero() && now.After(st.FinishedAt) {
			out.Reason += " " + fmtAge(now.Sub(st.FinishedAt)) + " ago"
		}
		if st.Error != "" {
			out.Reason += ": " + st.Error
		}
	default: // created, paused, removing
		out.Status, out.Reason = StatusError, "container is "+status
	}
	out.Code = st.ExitCode
	out.Reason = oneLine(out.Reason)
	return out
}

func dockerReason(ctx context.Context, err error, sock string, start time.Time) string {
	if r, ok := timedOut(ctx, err, start); ok {
		return "docker: " + r
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("docker: socket %s does not exist (is Docker running?)", sock)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("docker: permission denied on %s (add the user to the docker group)", sock)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("docker: nothing listens on %s", sock)
	}
	return "docker: " + err.Error()
}
