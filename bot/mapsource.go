package bot

import (
	"context"

	"github.com/statusmap/statusmap/render"
)

// MapSource is the usual Deps.Map: the hand-written map (map.source or map.file) when
// there is one, else the map generated from the checks (hosts as frames, runtimes as
// groups, dependencies as arrows). A host's part is always generated, since a
// hand-written diagram cannot be cut by host. Every check's live status and map lines
// overlay the nodes named like it.
func MapSource(eng Engine, handWritten string) MapFunc {
	return func(ctx context.Context, host string) (string, map[string]render.NodeStatus, error) {
		if err := ctx.Err(); err != nil {
			return "", nil, err
		}
		var items []render.Item
		live := map[string]render.NodeStatus{}
		for _, v := range eng.Snapshot() {
			live[v.Spec.Name] = render.NodeStatus{Status: string(status(v)), Lines: v.MapLines()}
			if host != "" && v.Spec.Host != host {
				continue
			}
			items = append(items, render.Item{Name: v.Spec.Name, Host: v.Spec.Host, Runtime: v.Spec.Runtime, Deps: v.Spec.Dependencies})
		}
		if host == "" && handWritten != "" {
			return handWritten, live, nil
		}
		return render.Generate(items), live, nil
	}
}
