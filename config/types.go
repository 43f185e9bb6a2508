// Package config loads, expands, defaults and validates statusmap's YAML configuration.
//
// The key names are a contract: scripts and docs use them. New keys may be added, never renamed.
//
// Loading goes: YAML syntax (goccy/go-yaml) -> a reflective walk of the AST that decodes
// into these structs, expanding ${VAR} and ${VAR:-default} in scalar values and reporting
// unknown keys and type errors with their positions -> defaults written into every field
// left unset -> validation per struct. Every problem found is returned at once in a
// *ValidationError, one "file:line:col: path: message" per line. Top-level keys starting
// with "x-" are ignored, so they can hold YAML anchors for reuse.
package config

import (
	"regexp"
	"time"

	"github.com/robfig/cron/v3"
)

// Config is the whole configuration file.
type Config struct {
	Defaults    Defaults      `yaml:"defaults"`
	Checks      []Check       `yaml:"checks"`
	Telegram    Telegram      `yaml:"telegram"`
	Storage     Storage       `yaml:"storage"`
	Web         Web           `yaml:"web"`
	Map         Map           `yaml:"map"`
	Alerting    Alerting      `yaml:"alerting"`
	Docker      Docker        `yaml:"docker"`
	Maintenance []Maintenance `yaml:"maintenance"` // global windows, apply to every check

	// File is the path the config was loaded from ("" when built in code).
	File string `yaml:"-"`

	warnings []string // found while validating, returned by Warnings
}

// Defaults apply to every check that does not set the field itself.
type Defaults struct {
	Interval         Duration `yaml:"interval"`          // default 60s
	Timeout          Duration `yaml:"timeout"`           // default 10s
	FailureThreshold int      `yaml:"failure_threshold"` // default 2
	SuccessThreshold int      `yaml:"success_threshold"` // default 1
	Concurrency      int      `yaml:"concurrency"`       // global bound on running checks, default 64
	Reminder         Duration `yaml:"reminder"`          // 0: no reminders
}

// Check is one monitored thing. Common fields first, then the fields of each type.
// Fields that do not belong to the check's type are rejected by validation.
type Check struct {
	Name             string            `yaml:"name"`
	Type             string            `yaml:"type"`
	Interval         Duration          `yaml:"interval"`
	Timeout          Duration          `yaml:"timeout"`
	FailureThreshold int               `yaml:"failure_threshold"`
	SuccessThreshold int               `yaml:"success_threshold"`
	Dependencies     []string          `yaml:"dependencies"`
	Host             string            `yaml:"host"`
	Runtime          string            `yaml:"runtime"`
	Important        *bool             `yaml:"important"` // nil means true
	Extra            map[string]string `yaml:"extra"`
	Tags             []string          `yaml:"tags"`
	Paused           bool              `yaml:"paused"`
	AlertOnWarn      bool              `yaml:"alert_on_warn"`
	Reminder         Duration          `yaml:"reminder"`
	Maintenance      []Maintenance     `yaml:"maintenance"`
	Expect           Expect            `yaml:"expect"`

	// http (alias api)
	Method          string            `yaml:"method"`
	URL             string            `yaml:"url"`
	Headers         map[string]string `yaml:"headers"`
	Body            string            `yaml:"body"`
	FollowRedirects *bool             `yaml:"follow_redirects"` // nil means true
	TLSVerify       *bool             `yaml:"tls_verify"`       // nil means true
	Extract         map[string]string `yaml:"extract"`          // extra key -> JSON path ("$.version")

	// tcp, redis, tls: host:port
	Address string `yaml:"address"`

	// ping
	Count      int      `yaml:"count"`      // default 3
	MaxLoss    float64  `yaml:"max_loss"`   // percent; more loss is an error (default 0 with count 1, else 34)
	MaxRTT     Duration `yaml:"max_rtt"`    // over it: warn
	Privileged *bool    `yaml:"privileged"` // nil: try raw sockets, fall back to UDP

	// ping pings `host` (the server the check stands for); `target` overrides it when the
	// address to ping differs from the name shown on the map.
	Target string `yaml:"target"`

	// postgres, mysql
	DSN string `yaml:"dsn"`
	// postgres, mysql, sqlite: query; dns: name to resolve
	Query string `yaml:"query"`

	// redis
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	Key      string `yaml:"key"`

	// sqlite
	Path string `yaml:"path"`

	// docker
	Container string `yaml:"container"`
	Socket    string `yaml:"socket"` // default docker.socket

	// tmux
	Session string `yaml:"session"`
	Window  string `yaml:"window"`
	Process string `yaml:"process"`

	// command
	Command []string `yaml:"command"`
	Shell   bool     `yaml:"shell"`

	// heartbeat
	Token    string   `yaml:"token"` // optional fixed token; otherwise generated and stored
	Period   Duration `yaml:"period"`
	Grace    Duration `yaml:"grace"`
	Schedule string   `yaml:"schedule"` // cron expression, alternative to period

	// dns
	Record string `yaml:"record"` // A, AAAA, CNAME, MX, TXT
	Server string `yaml:"server"` // host:port, default 53

	// tls (and http on https)
	WarnDays  int `yaml:"warn_days"`  // default 14
	ErrorDays int `yaml:"error_days"` // default 3

	// Source says where the check came from: "config" or "chat". Not a YAML key.
	Source string `yaml:"-"`
	// Pos is "file:line:col" of the check in the config file, for messages.
	Pos string `yaml:"-"`

	extract map[string]JSONPath // compiled Extract
}

// Expect holds the rules a result must pass. Each type uses the rules that fit it.
type Expect struct {
	Status          []string `yaml:"status"`            // http: "200", "2xx", "200-299"
	BodyContains    string   `yaml:"body_contains"`     // http
	BodyRegex       string   `yaml:"body_regex"`        // http, compiled at load
	JSON            []string `yaml:"json"`              // http: `$.resource == "foldwrap"`, `$.n >= 3`
	JSONFields      []string `yaml:"json_fields"`       // http: required JSON paths
	MaxResponseTime Duration `yaml:"max_response_time"` // over it: warn
	Value           string   `yaml:"value"`             // postgres/mysql/sqlite query result, redis key value
	Values          []string `yaml:"values"`            // dns answers that must be present
	Rcode           string   `yaml:"rcode"`             // dns: NOERROR, NXDOMAIN, ...

	// Compiled at load; read through the accessor methods.
	bodyRe    *regexp.Regexp
	jsonRules []JSONRule
	status    []StatusRange
	fields    []JSONPath
}

// IsImportant reports whether failures of this check alert.
func (c *Check) IsImportant() bool { return c.Important == nil || *c.Important }

// Telegram configures the bot.
type Telegram struct {
	Token      string   `yaml:"token"`   // usually ${TELEGRAM_TOKEN}; never logged
	APIURL     string   `yaml:"api_url"` // default https://api.telegram.org
	Allowed    []int64  `yaml:"allowed"` // user and chat ids
	Admins     []int64  `yaml:"admins"`  // if set, only these may change things
	AlertChats []int64  `yaml:"alert_chats"`
	DeadAfter  Duration `yaml:"dead_after"` // default 10m
}

// Storage configures the SQLite history.
type Storage struct {
	Path      string    `yaml:"path"` // default ./statusmap.db
	Retention Retention `yaml:"retention"`
}

// Retention bounds the history's growth.
type Retention struct {
	Raw    Duration `yaml:"raw"`    // default 7d
	Hourly Duration `yaml:"hourly"` // default 90d
	Daily  Duration `yaml:"daily"`  // default 5y
}

// Web configures the HTTP side.
type Web struct {
	Listen   string  `yaml:"listen"`   // default 127.0.0.1:9004
	Timezone string  `yaml:"timezone"` // for lastcheck, default Local
	Public   bool    `yaml:"public"`   // allow a non-loopback listen without auth
	Auth     WebAuth `yaml:"auth"`
	BaseURL  string  `yaml:"base_url"` // how push URLs are shown, default http://<listen>
}

// WebAuth protects the web side when bound beyond loopback.
type WebAuth struct {
	Bearer   string `yaml:"bearer"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Map configures the status map.
type Map struct {
	Source string `yaml:"source"` // inline nomnoml
	File   string `yaml:"file"`   // nomnoml file, relative to the config file
}

// Alerting configures how transitions become messages.
type Alerting struct {
	GroupWait    Duration `yaml:"group_wait"` // default 10s
	Flap         Flap     `yaml:"flap"`
	HeartbeatURL string   `yaml:"heartbeat_url"`
}

// Flap configures flapping detection.
type Flap struct {
	MaxChanges int      `yaml:"max_changes"` // default 6
	Window     Duration `yaml:"window"`      // default 30m
}

// Docker configures the Docker Engine API access.
type Docker struct {
	Socket string `yaml:"socket"` // default /var/run/docker.sock
}

// Maintenance is a recurring window during which failures are recorded but not sent.
type Maintenance struct {
	Schedule string   `yaml:"schedule"` // cron expression for the window's start, e.g. "0 3 * * 0"
	Duration Duration `yaml:"duration"`
	Timezone string   `yaml:"timezone"` // default Local
	Checks   []string `yaml:"checks"`   // global windows only: limit to these checks (empty: all)

	sched cron.Schedule // compiled Schedule
	loc   *time.Location
}

// Duration accepts 90 (seconds), "90s", "15m", "2h", "7d", "1y".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
