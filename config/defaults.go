package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Default values. Every one of them is written into the Config (and into each Check) when
// the key is absent, so consumers read resolved values and never re-apply defaults.
const (
	DefaultInterval         = Duration(60 * time.Second)
	DefaultTimeout          = Duration(10 * time.Second)
	DefaultFailureThreshold = 2
	DefaultSuccessThreshold = 1
	DefaultConcurrency      = 64
	DefaultMethod           = "GET"
	DefaultPingCount        = 3
	DefaultWarnDays         = 14
	DefaultErrorDays        = 3
	DefaultDockerSocket     = "/var/run/docker.sock"
	DefaultStoragePath      = "./statusmap.db"
	DefaultRetentionRaw     = Duration(7 * day)
	DefaultRetentionHourly  = Duration(90 * day)
	DefaultRetentionDaily   = Duration(5 * year)
	DefaultListen           = "127.0.0.1:9004"
	DefaultTelegramAPI      = "https://api.telegram.org"
	DefaultDeadAfter        = Duration(10 * time.Minute)
	DefaultGroupWait        = Duration(10 * time.Second)
	DefaultFlapMaxChanges   = 6
	DefaultFlapWindow       = Duration(30 * time.Minute)
	DefaultDBQuery          = "SELECT 1"
	DefaultDNSRecord        = "A"
)

// resolveConfig fills defaults into every key has reports as not written.
func resolveConfig(c *Config, has func(path string) bool) {
	d := &c.Defaults
	setDur(&d.Interval, DefaultInterval, has("defaults.interval"))
	setDur(&d.Timeout, DefaultTimeout, has("defaults.timeout"))
	setInt(&d.FailureThreshold, DefaultFailureThreshold, has("defaults.failure_threshold"))
	setInt(&d.SuccessThreshold, DefaultSuccessThreshold, has("defaults.success_threshold"))
	setInt(&d.Concurrency, DefaultConcurrency, has("defaults.concurrency"))

	setStr(&c.Docker.Socket, DefaultDockerSocket)
	setStr(&c.Storage.Path, DefaultStoragePath)
	setDur(&c.Storage.Retention.Raw, DefaultRetentionRaw, has("storage.retention.raw"))
	setDur(&c.Storage.Retention.Hourly, DefaultRetentionHourly, has("storage.retention.hourly"))
	setDur(&c.Storage.Retention.Daily, DefaultRetentionDaily, has("storage.retention.daily"))
	setStr(&c.Web.Listen, DefaultListen)
	if c.Web.BaseURL == "" {
		c.Web.BaseURL = "http://" + c.Web.Listen
	}
	c.Web.BaseURL = strings.TrimRight(c.Web.BaseURL, "/")
	setStr(&c.Telegram.APIURL, DefaultTelegramAPI)
	c.Telegram.APIURL = strings.TrimRight(c.Telegram.APIURL, "/")
	if !has("telegram.alert_chats") {
		c.Telegram.AlertChats = append([]int64(nil), c.Telegram.Allowed...)
	}
	setDur(&c.Telegram.DeadAfter, DefaultDeadAfter, has("telegram.dead_after"))
	setDur(&c.Alerting.GroupWait, DefaultGroupWait, has("alerting.group_wait"))
	setInt(&c.Alerting.Flap.MaxChanges, DefaultFlapMaxChanges, has("alerting.flap.max_changes"))
	setDur(&c.Alerting.Flap.Window, DefaultFlapWindow, has("alerting.flap.window"))

	for i := range c.Checks {
		prefix := fmt.Sprintf("checks[%d].", i)
		ch := &c.Checks[i]
		ch.Source = "config"
		resolveCheck(ch, c.Defaults, c.Docker.Socket, func(k string) bool { return has(prefix + k) })
	}
}

// resolveCheck writes defaults into the fields of ch that has reports as not set.
func resolveCheck(ch *Check, d Defaults, dockerSocket string, has func(key string) bool) {
	setDur(&ch.Interval, d.Interval, has("interval"))
	if !has("timeout") {
		// The default timeout never exceeds the interval, so a check that runs every 5s
		// does not need its own timeout; an explicit timeout longer than the interval is
		// an error instead.
		ch.Timeout = d.Timeout
		if ch.Interval >= Duration(time.Second) {
			ch.Timeout = min(d.Timeout, ch.Interval)
		}
	}
	setInt(&ch.FailureThreshold, d.FailureThreshold, has("failure_threshold"))
	setInt(&ch.SuccessThreshold, d.SuccessThreshold, has("success_threshold"))
	setDur(&ch.Reminder, d.Reminder, has("reminder"))
	for i := range ch.Maintenance {
		if ch.Maintenance[i].Timezone == "" {
			ch.Maintenance[i].Timezone = "Local"
		}
	}
	yes := true
	switch BaseType(ch.Type) {
	case "http":
		ch.Method = strings.ToUpper(ch.Method)
		setStr(&ch.Method, DefaultMethod)
		if ch.FollowRedirects == nil {
			ch.FollowRedirects = &yes
		}
		if ch.TLSVerify == nil {
			v := yes
			ch.TLSVerify = &v
		}
		setInt(&ch.WarnDays, DefaultWarnDays, has("warn_days"))
		setInt(&ch.ErrorDays, DefaultErrorDays, has("error_days"))
		if !has("expect.status") {
			// Redirects are followed by default, so the final answer should be 2xx; when
			// they are not followed a 3xx is the expected answer of a healthy server.
			ch.Expect.Status = []string{"200-299"}
			if !*ch.FollowRedirects {
				ch.Expect.Status = []string{"200-399"}
			}
		}
	case "tls":
		setInt(&ch.WarnDays, DefaultWarnDays, has("warn_days"))
		setInt(&ch.ErrorDays, DefaultErrorDays, has("error_days"))
	case "ping":
		setInt(&ch.Count, DefaultPingCount, has("count"))
		if !has("max_loss") {
			// One lost packet of three is noise, two are an outage.
			ch.MaxLoss = 34
			if ch.Count == 1 {
				ch.MaxLoss = 0
			}
		}
	case "postgres", "mysql":
		setStr(&ch.Query, DefaultDBQuery)
	case "docker":
		setStr(&ch.Socket, dockerSocket)
	case "dns":
		ch.Record = strings.ToUpper(ch.Record)
		setStr(&ch.Record, DefaultDNSRecord)
		ch.Expect.Rcode = strings.ToUpper(ch.Expect.Rcode)
		if ch.Server != "" {
			if _, _, err := net.SplitHostPort(ch.Server); err != nil {
				ch.Server = net.JoinHostPort(strings.Trim(ch.Server, "[]"), "53")
			}
		}
	}
}

func setDur(p *Duration, def Duration, set bool) {
	if !set {
		*p = def
	}
}

func setInt(p *int, def int, set bool) {
	if !set {
		*p = def
	}
}

func setStr(p *string, def string) {
	if *p == "" {
		*p = def
	}
}
