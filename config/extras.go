package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// MapSource returns the nomnoml source of the status map: map.source, or the contents of
// map.file (relative to the config file's directory). generated is true when neither is set
// and the map is to be generated from the checks.
func (c *Config) MapSource() (src string, generated bool, err error) {
	switch {
	case c.Map.Source != "" && c.Map.File != "":
		return "", false, fmt.Errorf("map.source and map.file are both set")
	case c.Map.Source != "":
		return c.Map.Source, false, nil
	case c.Map.File != "":
		p := c.Map.File
		if !filepath.IsAbs(p) && c.File != "" {
			p = filepath.Join(filepath.Dir(c.File), p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", false, fmt.Errorf("map.file: %w", err)
		}
		return string(b), false, nil
	}
	return "", true, nil
}

// Warnings lists problems that do not stop statusmap but probably are not what the user
// meant. Warnings about the map's node names live with the renderer, which parses the map.
func (c *Config) Warnings() []string {
	out := append([]string(nil), c.warnings...)
	for i := range c.Checks {
		ch := &c.Checks[i]
		where := checkWhere(ch, i)
		if !ch.IsImportant() && ch.AlertOnWarn {
			out = append(out, where+": alert_on_warn has no effect with important: false (no alerts at all)")
		}
	}
	t := c.Telegram
	if t.Token != "" && len(t.Allowed) == 0 {
		out = append(out, "telegram.allowed is empty: the bot answers no one and sends no alerts")
	}
	for _, id := range t.Admins {
		if !containsID(t.Allowed, id) {
			out = append(out, fmt.Sprintf("telegram.admins: %d is not in telegram.allowed, so it cannot use the bot", id))
		}
	}
	if t.Token == "" {
		out = append(out, "telegram.token is empty: the bot is off, alerts go to the log")
	}
	if len(c.Checks) == 0 {
		out = append(out, "no checks configured")
	}
	if c.Map.File != "" && strings.TrimSpace(c.Map.Source) == "" {
		if _, _, err := c.MapSource(); err != nil {
			out = append(out, err.Error())
		}
	}
	return out
}

func checkWhere(ch *Check, i int) string {
	where := fmt.Sprintf("checks[%d] (%s)", i, ch.Name)
	if ch.Pos != "" {
		where = ch.Pos + ": " + where
	}
	return where
}

// tlsKeyWarnings notes TLS keys written on a plain-http check, where they do nothing.
func tlsKeyWarnings(ch *Check, i int, has func(key string) bool) []string {
	if BaseType(ch.Type) != "http" {
		return nil
	}
	u, err := url.Parse(ch.URL)
	if err != nil || u.Scheme != "http" {
		return nil
	}
	var out []string
	for _, k := range []string{"tls_verify", "warn_days", "error_days"} {
		if has(k) {
			out = append(out, checkWhere(ch, i)+": "+k+" has no effect on an http:// URL")
		}
	}
	return out
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}
