package config

import "sort"

// commonKeys are accepted by every check type.
var commonKeys = []string{
	"name", "type", "interval", "timeout", "failure_threshold", "success_threshold",
	"dependencies", "host", "runtime", "important", "extra", "tags", "paused",
	"alert_on_warn", "reminder", "maintenance", "expect",
}

// typeKeys lists, per check type, the type-specific keys it accepts (besides commonKeys) and
// the expect rules it evaluates. Any other key set on a check of that type is an error, so a
// typo or a key copied from another type does not silently do nothing. The monitor package
// has one probe per type here; a test there keeps the two lists equal.
var typeKeys = map[string]struct {
	keys   []string
	expect []string
}{
	"http": {
		keys:   []string{"method", "url", "headers", "body", "follow_redirects", "tls_verify", "extract", "warn_days", "error_days"},
		expect: []string{"status", "body_contains", "body_regex", "json", "json_fields", "max_response_time"},
	},
	"tcp":       {keys: []string{"address"}, expect: []string{"max_response_time"}},
	"ping":      {keys: []string{"count", "max_loss", "max_rtt", "privileged", "target"}},
	"postgres":  {keys: []string{"dsn", "query"}, expect: []string{"value", "max_response_time"}},
	"mysql":     {keys: []string{"dsn", "query"}, expect: []string{"value", "max_response_time"}},
	"redis":     {keys: []string{"address", "password", "db", "key"}, expect: []string{"value", "max_response_time"}},
	"sqlite":    {keys: []string{"path", "query"}, expect: []string{"value"}},
	"docker":    {keys: []string{"container", "socket"}},
	"tmux":      {keys: []string{"session", "window", "process", "socket"}},
	"command":   {keys: []string{"command", "shell"}},
	"heartbeat": {keys: []string{"token", "period", "grace", "schedule"}},
	"dns":       {keys: []string{"query", "record", "server"}, expect: []string{"values", "rcode", "max_response_time"}},
	"tls":       {keys: []string{"address", "warn_days", "error_days", "tls_verify"}, expect: []string{"max_response_time"}},
}

// typeAliases maps alternative type names to the type they run as.
var typeAliases = map[string]string{
	"api": "http", // the original project's name for http checks
}

// Types lists every accepted value of a check's `type`, aliases included, sorted.
func Types() []string {
	out := make([]string, 0, len(typeKeys)+len(typeAliases))
	for t := range typeKeys {
		out = append(out, t)
	}
	for a := range typeAliases {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// BaseType returns the type a check runs as ("api" -> "http"); unknown types are returned as is.
func BaseType(t string) string {
	if b, ok := typeAliases[t]; ok {
		return b
	}
	return t
}

// KnownType reports whether t is an accepted check type or alias.
func KnownType(t string) bool {
	_, ok := typeKeys[BaseType(t)]
	return ok
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
