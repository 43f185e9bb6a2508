package monitor

import "sort"

// probeTable is the explicit table of check types. Each type lives in its own file with the
// same signature; aliases map to the same function. The heartbeat type reads pushes the
// engine received, and http checks share their connection pools, so the table is built per
// engine.
func probeTable(hb *Heartbeats) map[string]Probe {
	h := newHTTPProber()
	return map[string]Probe{
		"http":      h.probe,
		"api":       h.probe, // the original project's name for http
		"tcp":       probeTCP,
		"ping":      probePing,
		"postgres":  probePostgres,
		"mysql":     probeMySQL,
		"redis":     probeRedis,
		"sqlite":    probeSQLite,
		"docker":    probeDocker,
		"tmux":      probeTmux,
		"command":   probeCommand,
		"heartbeat": hb.Probe,
		"dns":       probeDNS,
		"tls":       probeTLS,
	}
}

// Types lists the check types the engine can run, sorted.
func Types() []string {
	t := probeTable(nil)
	out := make([]string, 0, len(t))
	for k := range t {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
