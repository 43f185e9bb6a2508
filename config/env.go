package config

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${NAME} with the variable's value and ${NAME:-default} with the value or,
// when the variable is unset or empty, the default. $$ stands for a literal $. A $ followed by
// anything else stays as written, so regexes ("^ok$") and JSON paths ("$.a") need no escaping.
// It reports whether anything was substituted and the names of missing variables.
func expandEnv(s string, getenv func(string) string) (out string, changed bool, err error) {
	if !strings.Contains(s, "$") {
		return s, false, nil
	}
	var b strings.Builder
	var missing []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			changed = true
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", false, fmt.Errorf("unterminated ${ (write $$ for a literal $)")
			}
			inner := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(inner, ":-")
			if !validEnvName(name) {
				return "", false, fmt.Errorf("invalid environment variable name %q in ${...}", name)
			}
			v := ""
			if getenv != nil {
				v = getenv(name)
			}
			if v == "" {
				if hasDef {
					v = def
				} else {
					missing = append(missing, name)
				}
			}
			b.WriteString(v)
			i += 2 + end
			changed = true
		default:
			b.WriteByte(c)
		}
	}
	if len(missing) == 1 {
		return "", false, fmt.Errorf("environment variable %s is not set (write ${%s:-} to allow it empty)", missing[0], missing[0])
	}
	if len(missing) > 1 {
		return "", false, fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
	}
	return b.String(), changed, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
