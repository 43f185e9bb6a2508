package main

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
)

// mapInput returns the status map's source (the config's hand-written map, else generated
// from the checks) and the live overlay of every check; host limits it to one host.
func mapInput(cfg *config.Config, views []monitor.CheckView, host string) (string, map[string]render.NodeStatus, error) {
	src, generated, err := cfg.MapSource()
	if err != nil {
		return "", nil, err
	}
	if generated {
		src = ""
	}
	return monitor.MapInput(src, views, host)
}

// checkLike is what a node name must look like to be taken for a check's name.
var checkLike = regexp.MustCompile(`^[a-z0-9_-]+$`)

// mapWarnings compares a hand-written map with the checks: nodes that look like checks but
// match none (a typo leaves a node grey forever) and checks that appear on no map.
func mapWarnings(cfg *config.Config) []string {
	src, generated, err := cfg.MapSource()
	if err != nil {
		return []string{err.Error()}
	}
	if generated {
		return nil
	}
	d, err := render.Parse(src)
	if err != nil {
		return []string{fmt.Sprintf("map: %v", err)}
	}
	onMap := map[string]bool{}
	var walk func(p *render.Part)
	walk = func(p *render.Part) {
		if p == nil {
			return
		}
		for _, n := range p.Nodes {
			// Containers (frames, groups) are hosts and runtimes, not checks.
			leaf := true
			for _, sub := range n.Parts {
				if len(sub.Nodes) > 0 {
					leaf = false
				}
				walk(sub)
			}
			onMap[n.ID] = onMap[n.ID] || leaf
		}
	}
	walk(d.Root)
	checks := map[string]bool{}
	for _, c := range cfg.Checks {
		checks[c.Name] = true
	}
	var out []string
	for id, leaf := range onMap {
		if leaf && checkLike.MatchString(id) && !checks[id] {
			out = append(out, fmt.Sprintf("map: node [%s] looks like a check but no check has that name", id))
		}
	}
	for name := range checks {
		if !onMap[name] {
			out = append(out, fmt.Sprintf("map: check %q appears on no map node", name))
		}
	}
	sort.Strings(out)
	return out
}
