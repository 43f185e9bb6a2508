package monitor

// probeTable is the explicit table of check types. Each type lives in its own file with the
// same signature; aliases map to the same function. The heartbeat type reads pushes the
// engine received, so the table is built per engine around its Heartbeats.
func probeTable(hb *Heartbeats) map[string]Probe {
	return map[string]Probe{
		"http":      probeHTTP,
		"api":       probeHTTP, // the original project's name for http
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

// Types lists the check types the engine can run.
func Types() []string {
	t := probeTable(nil)
	out := make([]string, 0, len(t))
	for k := range t {
		out = append(out, k)
	}
	return out
}
