package monitor

// probes is the explicit table of check types. Each type lives in its own file with the
// same signature. Aliases map to the same function. config validation uses Types().
var probes = map[string]Probe{
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
	"heartbeat": probeHeartbeat,
	"dns":       probeDNS,
	"tls":       probeTLS,
}

// ProbeFor returns the probe of a check type.
func ProbeFor(typ string) (Probe, bool) {
	p, ok := probes[typ]
	return p, ok
}
