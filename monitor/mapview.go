package monitor

import (
	"fmt"

	"github.com/statusmap/statusmap/render"
)

// MapInput returns the status map's nomnoml source and the live overlay of every check.
// handWritten is the user's own map (map.source or map.file), "" for none: then the map is
// generated from the checks' hosts, runtimes and dependencies. A host filter always draws
// the generated part of that host, since a hand-written map has no notion of hosts.
func MapInput(handWritten string, views []CheckView, host string) (string, map[string]render.NodeStatus, error) {
	live := make(map[string]render.NodeStatus, len(views))
	items := make([]render.Item, 0, len(views))
	for _, v := range views {
		st := v.State.Status
		if st == "" {
			st = StatusUnknown
		}
		live[v.Spec.Name] = render.NodeStatus{Status: string(st), Lines: v.MapLines()}
		if host != "" && v.Spec.Host != host {
			continue
		}
		items = append(items, render.Item{Name: v.Spec.Name, Host: v.Spec.Host, Runtime: v.Spec.Runtime, Deps: v.Spec.Dependencies})
	}
	if host == "" && handWritten != "" {
		return handWritten, live, nil
	}
	if host != "" && len(items) == 0 {
		return "", nil, fmt.Errorf("no checks on host %q", host)
	}
	return render.Generate(items), live, nil
}
