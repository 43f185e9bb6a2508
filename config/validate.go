package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

var nameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

const maxNameLen = 64

// ValidateCheck validates a check that did not come from the config file (added from chat,
// restored from storage) with the same rules as the file's checks: it applies the defaults d,
// compiles its rules, and reports problems with paths relative to the check ("interval").
// known reports whether a check of that name exists, for dependencies; refusing a name that
// is already taken is the caller's job, since it alone knows whether c replaces itself.
func ValidateCheck(c *Check, d Defaults, known func(name string) bool) error {
	if c == nil {
		return fmt.Errorf("no check")
	}
	zd := Defaults{Interval: DefaultInterval, Timeout: DefaultTimeout, FailureThreshold: DefaultFailureThreshold,
		SuccessThreshold: DefaultSuccessThreshold, Concurrency: DefaultConcurrency}
	if d.Interval > 0 {
		zd.Interval = d.Interval
	}
	if d.Timeout > 0 {
		zd.Timeout = d.Timeout
	}
	if d.FailureThreshold > 0 {
		zd.FailureThreshold = d.FailureThreshold
	}
	if d.SuccessThreshold > 0 {
		zd.SuccessThreshold = d.SuccessThreshold
	}
	zd.Reminder = d.Reminder
	has := nonZeroKeys(c)
	if c.Source == "" {
		c.Source = "chat"
	}
	resolveCheck(c, zd, DefaultDockerSocket, has)
	col := &collector{}
	v := checkValidator{col: col, has: has}
	v.check(c)
	for i, dep := range c.Dependencies {
		p := fmt.Sprintf("dependencies[%d]", i)
		switch {
		case dep == c.Name:
			col.add(p, "a check cannot depend on itself")
		case known == nil || !known(dep):
			col.add(p, fmt.Sprintf("no check named %q", dep))
		}
	}
	return col.err()
}

// nonZeroKeys reports which YAML keys of c hold a non-zero value ("url", "expect.status").
func nonZeroKeys(c *Check) func(string) bool {
	set := map[string]bool{}
	add := func(prefix string, v reflect.Value) {
		for _, f := range yamlFields(v.Type()) {
			if !v.Field(f.index).IsZero() {
				set[prefix+f.name] = true
			}
		}
	}
	add("", reflect.ValueOf(c).Elem())
	add("expect.", reflect.ValueOf(&c.Expect).Elem())
	return func(k string) bool { return set[k] }
}

// checkValidator validates one check; prefix is prepended to every path ("checks[3].").
type checkValidator struct {
	col    *collector
	prefix string
	has    func(key string) bool
}

func (v checkValidator) add(key, msg string) { v.col.add(v.prefix+key, msg) }

func (v checkValidator) check(c *Check) {
	switch {
	case c.Name == "":
		v.add("name", "required")
	case len(c.Name) > maxNameLen:
		v.add("name", fmt.Sprintf("longer than %d characters", maxNameLen))
	case !nameRE.MatchString(c.Name):
		v.add("name", fmt.Sprintf("%q must use only a-z, 0-9, _ and -", c.Name))
	}
	t := BaseType(c.Type)
	spec, known := typeKeys[t]
	switch {
	case c.Type == "":
		v.add("type", "required (one of "+strings.Join(Types(), ", ")+")")
	case !known:
		v.add("type", fmt.Sprintf("unknown type %q (one of %s)", c.Type, strings.Join(Types(), ", ")))
	}
	if known {
		for _, f := range yamlFields(reflect.TypeOf(Check{})) {
			if !contains(commonKeys, f.name) && !contains(spec.keys, f.name) && v.has(f.name) {
				v.add(f.name, "not used by type "+c.Type)
			}
		}
		for _, f := range yamlFields(reflect.TypeOf(Expect{})) {
			if !contains(spec.expect, f.name) && v.has("expect."+f.name) {
				v.add("expect."+f.name, "not used by type "+c.Type)
			}
		}
	}

	if c.Interval < Duration(time.Second) {
		v.add("interval", "must be >= 1s")
	}
	switch {
	case c.Timeout <= 0:
		v.add("timeout", "must be > 0")
	case c.Timeout > c.Interval && c.Interval >= Duration(time.Second):
		v.add("timeout", fmt.Sprintf("must not exceed interval (%s)", c.Interval))
	}
	if c.FailureThreshold < 1 {
		v.add("failure_threshold", "must be >= 1")
	}
	if c.SuccessThreshold < 1 {
		v.add("success_threshold", "must be >= 1")
	}
	if c.Reminder < 0 || c.Reminder > 0 && c.Reminder < Duration(time.Minute) {
		v.add("reminder", "must be 0 (off) or >= 1m")
	}
	seenDep := map[string]bool{}
	for i, d := range c.Dependencies {
		p := fmt.Sprintf("dependencies[%d]", i)
		if d == "" {
			v.add(p, "empty name")
		} else if seenDep[d] {
			v.add(p, fmt.Sprintf("%q listed twice", d))
		}
		seenDep[d] = true
	}
	v.label("host", c.Host)
	v.label("runtime", c.Runtime)
	for i, tag := range c.Tags {
		if strings.TrimSpace(tag) == "" {
			v.add(fmt.Sprintf("tags[%d]", i), "empty tag")
		}
	}
	for i := range c.Maintenance {
		m := &c.Maintenance[i]
		p := fmt.Sprintf("maintenance[%d]", i)
		validateMaintenance(m, func(k, msg string) { v.add(p+"."+k, msg) })
		if len(m.Checks) > 0 {
			v.add(p+".checks", "only global maintenance windows list checks")
		}
	}
	if c.Expect.MaxResponseTime < 0 {
		v.add("expect.max_response_time", "must be >= 0")
	}
	if known {
		v.typeFields(t, c)
	}
}

// label checks host and runtime, which become nomnoml names on the map.
func (v checkValidator) label(key, s string) {
	if strings.ContainsAny(s, "[]|;\n\r") {
		v.add(key, "must not contain [ ] | ; or line breaks (it names a box on the map)")
	}
}

func (v checkValidator) required(key string, ok bool, what string) bool {
	if !ok {
		v.add(key, what)
	}
	return ok
}

func (v checkValidator) typeFields(t string, c *Check) {
	switch t {
	case "http":
		if v.required("url", c.URL != "", "required for type "+c.Type) {
			if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.add("url", "must be an absolute http:// or https:// URL")
			}
		}
		if !validMethod(c.Method) {
			v.add("method", fmt.Sprintf("invalid HTTP method %q", c.Method))
		}
		for k := range c.Headers {
			if !validMethod(k) {
				v.add(joinPath("headers", k), "invalid header name")
			}
		}
		v.days(c)
		for i, s := range c.Expect.Status {
			r, err := ParseStatus(s)
			if err != nil {
				v.add(fmt.Sprintf("expect.status[%d]", i), err.Error())
				continue
			}
			c.Expect.status = append(c.Expect.status, r)
		}
		if c.Expect.BodyRegex != "" {
			re, err := regexp.Compile(c.Expect.BodyRegex)
			if err != nil {
				v.add("expect.body_regex", "invalid regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			c.Expect.bodyRe = re
		}
		for i, s := range c.Expect.JSON {
			r, err := ParseJSONRule(s)
			if err != nil {
				v.add(fmt.Sprintf("expect.json[%d]", i), err.Error())
				continue
			}
			c.Expect.jsonRules = append(c.Expect.jsonRules, r)
		}
		for i, s := range c.Expect.JSONFields {
			p, err := ParseJSONPath(s)
			if err != nil {
				v.add(fmt.Sprintf("expect.json_fields[%d]", i), err.Error())
				continue
			}
			c.Expect.fields = append(c.Expect.fields, p)
		}
		keys := make([]string, 0, len(c.Extract))
		for k := range c.Extract {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, err := ParseJSONPath(c.Extract[k])
			if err != nil {
				v.add(joinPath("extract", k), err.Error())
				continue
			}
			if c.extract == nil {
				c.extract = map[string]JSONPath{}
			}
			c.extract[k] = p
		}
	case "tcp", "redis", "tls":
		if v.required("address", c.Address != "", "required for type "+c.Type+" (host:port)") {
			if err := checkHostPort(c.Address); err != nil {
				v.add("address", err.Error())
			}
		}
		if t == "tls" {
			v.days(c)
		}
		if t == "redis" && (c.DB < 0 || c.DB > 15) && v.has("db") {
			v.add("db", "must be between 0 and 15")
		}
	case "ping":
		if v.required("host", c.Host != "" || c.Target != "", "required for type ping (or target)") {
			key, addr := "host", c.Host
			if c.Target != "" {
				key, addr = "target", c.Target
			}
			if net.ParseIP(addr) == nil && strings.ContainsAny(addr, " \t/:@") {
				v.add(key, "must be a host name or IP address (set target when host names a server)")
			}
		}
		if c.Count < 1 || c.Count > 100 {
			v.add("count", "must be between 1 and 100")
		}
		if c.MaxLoss < 0 || c.MaxLoss > 100 {
			v.add("max_loss", "must be a percentage between 0 and 100")
		}
		if c.MaxRTT < 0 {
			v.add("max_rtt", "must be >= 0")
		}
	case "postgres", "mysql":
		v.required("dsn", strings.TrimSpace(c.DSN) != "", "required for type "+c.Type)
	case "sqlite":
		v.required("path", c.Path != "", "required for type sqlite")
	case "docker":
		if v.required("container", c.Container != "", "required for type docker") && strings.ContainsAny(c.Container, "/ \t") {
			v.add("container", "must be a container name or id")
		}
	case "tmux":
		if v.required("session", c.Session != "", "required for type tmux") && strings.ContainsAny(c.Session, ":.") {
			v.add("session", "must not contain : or . (tmux uses them as separators)")
		}
	case "command":
		if v.required("command", len(c.Command) > 0, "required for type command (a list: program and arguments)") && strings.TrimSpace(c.Command[0]) == "" {
			v.add("command[0]", "empty program")
		}
	case "heartbeat":
		switch {
		case c.Period == 0 && c.Schedule == "":
			v.add("period", "required for type heartbeat (or schedule)")
		case c.Period != 0 && c.Schedule != "":
			v.add("schedule", "use period or schedule, not both")
		case c.Period < 0 || c.Period > 0 && c.Period < Duration(time.Second):
			v.add("period", "must be >= 1s")
		case c.Schedule != "":
			if _, err := ParseCron(c.Schedule); err != nil {
				v.add("schedule", "invalid cron expression: "+err.Error())
			}
		}
		if c.Grace <= 0 {
			v.add("grace", "required for type heartbeat (time allowed after a ping is due, e.g. 5m)")
		}
		if c.Token != "" && !tokenRE.MatchString(c.Token) {
			v.add("token", "must be at least 16 characters of A-Z, a-z, 0-9, _ and -")
		}
	case "dns":
		v.required("query", c.Query != "", "required for type dns (the name to resolve)")
		if !contains([]string{"A", "AAAA", "CNAME", "MX", "TXT"}, c.Record) {
			v.add("record", fmt.Sprintf("unknown record type %q (one of A, AAAA, CNAME, MX, TXT)", c.Record))
		}
		if c.Server != "" {
			if err := checkHostPort(c.Server); err != nil {
				v.add("server", err.Error())
			}
		}
		if c.Expect.Rcode != "" && !contains(rcodes, c.Expect.Rcode) {
			v.add("expect.rcode", fmt.Sprintf("unknown rcode %q (one of %s)", c.Expect.Rcode, strings.Join(rcodes, ", ")))
		}
	}
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

var rcodes = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}

func (v checkValidator) days(c *Check) {
	if c.WarnDays < 0 {
		v.add("warn_days", "must be >= 0")
	}
	if c.ErrorDays < 0 {
		v.add("error_days", "must be >= 0")
	} else if c.ErrorDays > c.WarnDays && c.WarnDays >= 0 {
		v.add("error_days", fmt.Sprintf("must not exceed warn_days (%d)", c.WarnDays))
	}
}

// validMethod reports whether s is an HTTP token (methods and header names).
func validMethod(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port")
	}
	if host == "" {
		return fmt.Errorf("missing host in host:port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port must be a number between 1 and 65535")
	}
	return nil
}

func validateMaintenance(m *Maintenance, add func(key, msg string)) {
	if m.Schedule == "" {
		add("schedule", "required (cron expression of the window's start, e.g. \"0 3 * * 0\")")
	} else if s, err := ParseCron(m.Schedule); err != nil {
		add("schedule", "invalid cron expression: "+err.Error())
	} else {
		m.sched = s
	}
	if m.Duration <= 0 {
		add("duration", "must be > 0")
	}
	if m.Timezone == "" {
		m.Timezone = "Local"
	}
	loc, err := time.LoadLocation(m.Timezone)
	if err != nil {
		add("timezone", fmt.Sprintf("unknown timezone %q", m.Timezone))
	} else {
		m.loc = loc
	}
}

func validateConfig(c *Config, has func(string) bool, col *collector) {
	d := c.Defaults
	if d.Interval < Duration(time.Second) {
		col.add("defaults.interval", "must be >= 1s")
	}
	if d.Timeout <= 0 {
		col.add("defaults.timeout", "must be > 0")
	}
	if d.FailureThreshold < 1 {
		col.add("defaults.failure_threshold", "must be >= 1")
	}
	if d.SuccessThreshold < 1 {
		col.add("defaults.success_threshold", "must be >= 1")
	}
	if d.Concurrency < 1 {
		col.add("defaults.concurrency", "must be >= 1")
	}
	if d.Reminder < 0 || d.Reminder > 0 && d.Reminder < Duration(time.Minute) {
		col.add("defaults.reminder", "must be 0 (off) or >= 1m")
	}

	names := map[string]int{}
	tokens := map[string]int{}
	for i := range c.Checks {
		ch := &c.Checks[i]
		prefix := fmt.Sprintf("checks[%d]", i)
		if col.locate != nil {
			ch.Pos, _, _ = col.locate(prefix)
		}
		v := checkValidator{col: col, prefix: prefix + ".", has: func(k string) bool { return has(prefix + "." + k) }}
		v.check(ch)
		c.warnings = append(c.warnings, tlsKeyWarnings(ch, i, v.has)...)
		if ch.Name != "" {
			if j, dup := names[ch.Name]; dup {
				col.add(prefix+".name", fmt.Sprintf("duplicate name %q (also checks[%d])", ch.Name, j))
			} else {
				names[ch.Name] = i
			}
		}
		if ch.Token != "" {
			if j, dup := tokens[ch.Token]; dup {
				col.add(prefix+".token", fmt.Sprintf("same token as checks[%d]", j))
			} else {
				tokens[ch.Token] = i
			}
		}
	}
	for i := range c.Checks {
		ch := &c.Checks[i]
		for k, dep := range ch.Dependencies {
			p := fmt.Sprintf("checks[%d].dependencies[%d]", i, k)
			if dep == ch.Name && dep != "" {
				col.add(p, "a check cannot depend on itself")
			} else if _, ok := names[dep]; !ok && dep != "" {
				col.add(p, fmt.Sprintf("no check named %q", dep))
			}
		}
	}
	for _, cyc := range findCycles(c.Checks, names) {
		col.add(fmt.Sprintf("checks[%d].dependencies", names[cyc[0]]), "dependency cycle: "+strings.Join(cyc, " -> "))
	}

	validateTelegram(&c.Telegram, col)
	r := c.Storage.Retention
	for _, x := range []struct {
		key string
		d   Duration
	}{{"raw", r.Raw}, {"hourly", r.Hourly}, {"daily", r.Daily}} {
		if x.d < Duration(time.Hour) {
			col.add("storage.retention."+x.key, "must be >= 1h")
		}
	}
	if strings.TrimSpace(c.Storage.Path) == "" {
		col.add("storage.path", "must not be empty")
	}
	validateWeb(&c.Web, col)
	if c.Map.Source != "" && c.Map.File != "" {
		col.add("map.file", "cannot be used together with map.source (choose one)")
	}
	a := c.Alerting
	if a.GroupWait < 0 {
		col.add("alerting.group_wait", "must be >= 0")
	}
	if a.Flap.MaxChanges < 2 {
		col.add("alerting.flap.max_changes", "must be >= 2")
	}
	if a.Flap.Window < Duration(time.Minute) {
		col.add("alerting.flap.window", "must be >= 1m")
	}
	if a.HeartbeatURL != "" && !httpURL(a.HeartbeatURL) {
		col.add("alerting.heartbeat_url", "must be an absolute http:// or https:// URL")
	}
	if strings.TrimSpace(c.Docker.Socket) == "" {
		col.add("docker.socket", "must not be empty")
	}
	for i := range c.Maintenance {
		m := &c.Maintenance[i]
		p := fmt.Sprintf("maintenance[%d]", i)
		validateMaintenance(m, func(k, msg string) { col.add(p+"."+k, msg) })
		for k, name := range m.Checks {
			if _, ok := names[name]; !ok {
				col.add(fmt.Sprintf("%s.checks[%d]", p, k), fmt.Sprintf("no check named %q", name))
			}
		}
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

var botTokenRE = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

func validateTelegram(t *Telegram, col *collector) {
	if t.Token != "" && !botTokenRE.MatchString(t.Token) {
		// Never echo the token: it is a secret even when malformed.
		col.add("telegram.token", "does not look like a bot token (digits, a colon, then letters: 123456:ABC-...)")
	}
	if !httpURL(t.APIURL) {
		col.add("telegram.api_url", "must be an absolute http:// or https:// URL")
	}
	for _, l := range []struct {
		key string
		ids []int64
	}{{"allowed", t.Allowed}, {"admins", t.Admins}, {"alert_chats", t.AlertChats}} {
		// alert_chats defaults to a copy of allowed; report a bad id once, where it was written.
		if l.key == "alert_chats" && slices.Equal(t.AlertChats, t.Allowed) {
			continue
		}
		for i, id := range l.ids {
			if id == 0 {
				col.add(fmt.Sprintf("telegram.%s[%d]", l.key, i), "0 is not a Telegram id")
			}
		}
	}
	if t.DeadAfter < Duration(time.Minute) {
		col.add("telegram.dead_after", "must be >= 1m")
	}
}

func validateWeb(w *Web, col *collector) {
	host, port, err := net.SplitHostPort(w.Listen)
	if err != nil {
		col.add("web.listen", "must be host:port (e.g. 127.0.0.1:9004)")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		col.add("web.listen", "port must be a number between 0 and 65535")
	} else if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		col.add("web.listen", "invalid host")
	}
	if w.Timezone != "" {
		if _, err := time.LoadLocation(w.Timezone); err != nil {
			col.add("web.timezone", fmt.Sprintf("unknown timezone %q", w.Timezone))
		}
	}
	if !httpURL(w.BaseURL) {
		col.add("web.base_url", "must be an absolute http:// or https:// URL")
	}
	a := w.Auth
	if (a.Username == "") != (a.Password == "") {
		if a.Username == "" {
			col.add("web.auth.username", "required with web.auth.password")
		} else {
			col.add("web.auth.password", "required with web.auth.username")
		}
	}
}

// findCycles returns each dependency cycle once, as names from the first check of the cycle
// in file order back to itself ("a -> b -> a").
func findCycles(checks []Check, names map[string]int) [][]string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(checks))
	var stack []int
	var cycles [][]string
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, dep := range checks[i].Dependencies {
			j, ok := names[dep]
			if !ok || j == i {
				continue
			}
			switch color[j] {
			case white:
				visit(j)
			case grey:
				k := slices.Index(stack, j)
				idx := append([]int(nil), stack[k:]...)
				// Start at the cycle's first check in file order, so the text is stable.
				m := slices.Index(idx, slices.Min(idx))
				idx = append(idx[m:], idx[:m]...)
				cyc := make([]string, 0, len(idx)+1)
				for _, n := range idx {
					cyc = append(cyc, checks[n].Name)
				}
				cycles = append(cycles, append(cyc, checks[idx[0]].Name))
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := range checks {
		if color[i] == white && names[checks[i].Name] == i {
			visit(i)
		}
	}
	return cycles
}
