package monitor

import (
	"strings"
	"testing"

	"github.com/statusmap/statusmap/config"
)

func TestMapInput(t *testing.T) {
	views := []CheckView{
		{Spec: config.Check{Name: "api", Host: "fold"}, State: State{Status: StatusOK}},
		{Spec: config.Check{Name: "db", Host: "fold"}, State: State{Status: StatusError}},
		{Spec: config.Check{Name: "google"}},
	}
	src, live, err := MapInput("[api]->[db]", views, "")
	if err != nil || src != "[api]->[db]" || len(live) != 3 || live["db"].Status != "error" || live["google"].Status != "unknown" {
		t.Fatalf("hand-written: %q %v %v", src, live, err)
	}
	src, _, err = MapInput("[api]->[db]", views, "fold")
	if err != nil || !strings.Contains(src, "[api]") || !strings.Contains(src, "[db]") || strings.Contains(src, "google") {
		t.Fatalf("host part: %q %v", src, err)
	}
	src, _, _ = MapInput("", views, "")
	if !strings.Contains(src, "google") || !strings.Contains(src, "fold") {
		t.Fatalf("generated: %q", src)
	}
	if _, _, err := MapInput("", views, "nowhere"); err == nil || !strings.Contains(err.Error(), `no checks on host "nowhere"`) {
		t.Fatalf("unknown host: %v", err)
	}
}
