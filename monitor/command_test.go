package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	ok := writeScript(t, dir, "ok", `echo "OK - queue empty | 'queue len'=0;10;20;0; time=0.25s;1;2 size=2KB"`)
	warn := writeScript(t, dir, "warn", `echo "WARNING - queue at 12"; exit 1`)
	crit := writeScript(t, dir, "crit", `echo "CRITICAL - worker down|workers=0;;1;0;4"; exit 2`)
	unknown := writeScript(t, dir, "unknown", `echo "cannot read /proc/foo"; exit 3`)
	other := writeScript(t, dir, "other", `echo "segfault-ish"; exit 42`)
	silent := writeScript(t, dir, "silent", `exit 2`)
	stderrOnly := writeScript(t, dir, "stderr", `echo "boom on stderr" >&2; exit 2`)
	long := writeScript(t, dir, "long", `printf 'DISK OK - free space | /=100MB;;;0;200\n/boot 50%% free\n/home 20%% free | /boot=50%%;80;90\n/home=80%%;80;90\n'`)
	args := writeScript(t, dir, "args", `echo "WARNING - got $# args: [$1] [$2]"; exit 1`)
	signal := writeScript(t, dir, "signal", `kill -KILL $$`)
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		check  config.Check
		status Status
		code   int
		reason string
		extra  map[string]string
	}{
		{"ok with perfdata", config.Check{Command: []string{ok}}, StatusOK, 0, "", map[string]string{"queue len": "0", "time": "0.25s", "size": "2.0 KB"}},
		{"warning", config.Check{Command: []string{warn}}, StatusWarn, 1, "WARNING - queue at 12", nil},
		{"critical", config.Check{Command: []string{crit}}, StatusError, 2, "CRITICAL - worker down", map[string]string{"workers": "0"}},
		{"unknown", config.Check{Command: []string{unknown}}, StatusError, 3, "UNKNOWN: cannot read /proc/foo", nil},
		{"other exit code", config.Check{Command: []string{other}}, StatusError, 42, "exit 42: segfault-ish", nil},
		{"no output", config.Check{Command: []string{silent}}, StatusError, 2, "CRITICAL (exit 2, no output)", nil},
		{"stderr only", config.Check{Command: []string{stderrOnly}}, StatusError, 2, "boom on stderr", nil},
		{"long output", config.Check{Command: []string{long}}, StatusOK, 0, "", map[string]string{"/": "100 MB", "/boot": "50%", "/home": "80%"}},
		{"arguments kept whole", config.Check{Command: []string{args, "a b", "c;d"}}, StatusWarn, 1, "got 2 args: [a b] [c;d]", nil},
		{"no shell by default", config.Check{Command: []string{"echo", "x;", "exit", "2"}}, StatusOK, 0, "", nil},
		{"shell", config.Check{Command: []string{"echo", "WARNING - via shell;", "exit", "1"}, Shell: true}, StatusWarn, 1, "WARNING - via shell", nil},
		{"killed by signal", config.Check{Command: []string{signal}}, StatusError, 0, "killed by signal killed", nil},
		{"missing binary", config.Check{Command: []string{"/nonexistent/check_thing"}}, StatusError, 0, "/nonexistent/check_thing not found", nil},
		{"missing in PATH", config.Check{Command: []string{"check_no_such_plugin_xyz"}}, StatusError, 0, "check_no_such_plugin_xyz not found", nil},
		{"not executable", config.Check{Command: []string{noexec}}, StatusError, 0, "is not executable", nil},
		{"empty", config.Check{}, StatusError, 0, "nothing to run", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := runProbe(t, probeCommand, tt.check, 5*time.Second)
			wantOutcome(t, out, tt.status, tt.reason)
			if out.Code != tt.code {
				t.Errorf("code %d, want %d", out.Code, tt.code)
			}
			for k, v := range tt.extra {
				if out.Extra[k] != v {
					t.Errorf("extra[%q] = %q, want %q (all: %v)", k, out.Extra[k], v, out.Extra)
				}
			}
		})
	}

	t.Run("metrics in base units", func(t *testing.T) {
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{ok}}, 5*time.Second)
		want := map[string]float64{"queue_len": 0, "time_seconds": 0.25, "size_bytes": 2048}
		if !reflect.DeepEqual(out.Metrics, want) {
			t.Errorf("metrics %v, want %v", out.Metrics, want)
		}
	})

	t.Run("timeout kills the process group", func(t *testing.T) {
		pidFile := filepath.Join(dir, "child.pid")
		hang := writeScript(t, dir, "hang", `sleep 30 & echo $! > `+pidFile+`; sleep 30; wait`)
		start := time.Now()
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{hang}}, 500*time.Millisecond)
		wantOutcome(t, out, StatusError, "timed out")
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s", el)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		deadline := time.Now().Add(2 * time.Second)
		for processAlive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("background child %d survived the timeout", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("output is bounded", func(t *testing.T) {
		flood := writeScript(t, dir, "flood", `echo "WARNING - flood"; head -c 5000000 /dev/zero | tr '\0' 'x'; exit 1`)
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{flood}}, 5*time.Second)
		wantOutcome(t, out, StatusWarn, "WARNING - flood")
	})
}

// processAlive is false for a missing process and for a zombie nobody reaped yet.
func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestCommandPlugins runs real Debian monitoring-plugins.
func TestCommandPlugins(t *testing.T) {
	checkDisk := needBinary(t, "/usr/lib/nagios/plugins/check_disk")
	checkLoad := needBinary(t, "/usr/lib/nagios/plugins/check_load")

	t.Run("check_load ok", func(t *testing.T) {
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{checkLoad, "-w", "1000,1000,1000", "-c", "2000,2000,2000"}}, 10*time.Second)
		wantOutcome(t, out, StatusOK, "")
		for _, k := range []string{"load1", "load5", "load15"} {
			if _, ok := out.Metrics[k]; !ok {
				t.Errorf("metric %s missing: %v", k, out.Metrics)
			}
			if out.Extra[k] == "" {
				t.Errorf("extra %s missing: %v", k, out.Extra)
			}
		}
	})
	t.Run("check_disk critical", func(t *testing.T) {
		// Less than 100% free is always critical.
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{checkDisk, "-w", "100%", "-c", "100%", "-p", "/"}}, 10*time.Second)
		wantOutcome(t, out, StatusError, "DISK CRITICAL")
		if out.Code != 2 {
			t.Errorf("code %d", out.Code)
		}
		if out.Extra["/"] == "" || out.Metrics["root_bytes"] <= 0 {
			t.Errorf("perfdata for / missing: %v %v", out.Extra, out.Metrics)
		}
	})
	t.Run("check_disk bad usage is unknown", func(t *testing.T) {
		out, _ := runProbe(t, probeCommand, config.Check{Command: []string{checkDisk, "--no-such-flag"}}, 10*time.Second)
		wantOutcome(t, out, StatusError, "UNKNOWN")
	})
}

func TestParsePerfdata(t *testing.T) {
	tests := []struct {
		in   string
		want []perfItem
	}{
		{"", nil},
		{"load1=0.5;5;10;0;", []perfItem{{Label: "load1", Value: 0.5, Warn: "5", Crit: "10", Min: "0"}}},
		{"'queue len'=3;;;0;100", []perfItem{{Label: "queue len", Value: 3, Min: "0", Max: "100"}}},
		{"'it''s'=1c", []perfItem{{Label: "it's", Value: 1, Unit: "c"}}},
		{"/=13669236736B;243497277849;257024904396;0;270552530944", []perfItem{{Label: "/", Value: 13669236736, Unit: "B", Warn: "243497277849", Crit: "257024904396", Min: "0", Max: "270552530944"}}},
		{"time=12ms size=-1.5e3KB", []perfItem{{Label: "time", Value: 12, Unit: "ms"}, {Label: "size", Value: -1500, Unit: "KB"}}},
		{"rta=U", []perfItem{{Label: "rta", Undetermined: true}}},
		{"ratio=0,5", []perfItem{{Label: "ratio", Value: 0.5}}},
		{"garbage noequals =5 x=abc y=2 'open=1", []perfItem{{Label: "y", Value: 2}}},
		{"  a=1\tb=2\n c=3  ", []perfItem{{Label: "a", Value: 1}, {Label: "b", Value: 2}, {Label: "c", Value: 3}}},
	}
	for _, tt := range tests {
		got := parsePerfdata(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePerfdata(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestPerfMetricName(t *testing.T) {
	tests := []struct {
		label, unit, want string
	}{
		{"/", "B", "root_bytes"},
		{"/var/log", "MB", "var_log_bytes"},
		{"time", "ms", "time_seconds"},
		{"response_time_seconds", "s", "response_time_seconds"},
		{"5xx rate", "%", "_5xx_rate_percent"},
		{"load1", "", "load1"},
		{"Packets", "c", "packets_total"},
	}
	for _, tt := range tests {
		if got := (perfItem{Label: tt.label, Unit: tt.unit}).MetricName(); got != tt.want {
			t.Errorf("MetricName(%q, %q) = %q, want %q", tt.label, tt.unit, got, tt.want)
		}
	}
}

func FuzzParsePerfdata(f *testing.F) {
	for _, s := range []string{
		"load1=0.5;5;10;0; load5=0.3;4;8;0;",
		"'queue len'=3;;;0;100 'it''s'=1c",
		"/=13669236736B;243497277849;257024904396;0;270552530944",
		"rta=U time=12ms ratio=0,5 x=-1.5e3KB",
		"'unterminated=1", "=", "a=", "'a'", "''=''",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items := parsePerfdata(s)
		if len(items) > maxPerfItems {
			t.Fatalf("%d items", len(items))
		}
		for _, it := range items {
			if it.Label == "" {
				t.Fatalf("empty label from %q", s)
			}
			name := it.MetricName()
			for _, r := range name {
				if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
					t.Fatalf("metric name %q from label %q", name, it.Label)
				}
			}
			_ = it.Display()
		}
	})
}

func BenchmarkParsePerfdata(b *testing.B) {
	s := "load1=11.200;;;0; scaled_load1=5.600;0.000;0.000;0; load5=8.950;;;0; 'queue len'=3;;;0;100 /=13669236736B;243497277849;257024904396;0;270552530944"
	for b.Loop() {
		if len(parsePerfdata(s)) != 5 {
			b.Fatal("parse")
		}
	}
}
