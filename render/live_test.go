package render

import (
	"strings"
	"testing"
)

// A runtime group whose title is a check's name with an icon must not take that check's
// colour: only the check's own box does.
func TestGroupTitledLikeACheckStaysPlain(t *testing.T) {
	src := Generate([]Item{{Name: "shell", Host: "localhost", Runtime: "shell"}})
	svg, err := RenderSVG(src, map[string]NodeStatus{"shell": {Status: "error", Lines: []string{"exit 2"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if n := strings.Count(s, `data-status="error"`); n != 1 {
		t.Fatalf("%d nodes drawn as error, want only the check's box:\n%s", n, src)
	}
	if n := strings.Count(s, "exit 2"); n != 1 {
		t.Errorf("status line drawn %d times, want 1", n)
	}
}

// A container named exactly like a check (a host frame named like the host's ping check)
// is coloured: the exact name is the user's choice.
func TestContainerWithExactCheckNameIsLive(t *testing.T) {
	svg, err := RenderSVG("[<frame> fold | [api]]", map[string]NodeStatus{"fold": {Status: "ok"}, "api": {Status: "warn"}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, `data-status="ok"`) || !strings.Contains(s, `data-status="warn"`) {
		t.Errorf("frame and box should both be live:\n%s", s)
	}
}
