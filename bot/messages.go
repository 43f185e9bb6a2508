package bot

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

// The message builders below have no side effects: they take what they show and return
// HTML text, so tests compare them with exact expected strings.

// maxMessage is Telegram's limit for a message's text.
const maxMessage = 4096

// maxReason bounds one reason in lists, so that one wordy check does not crowd out others.
const maxReason = 200

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc makes dynamic text safe for HTML parse mode (names like my_service, reasons with <>).
func esc(s string) string { return htmlEscaper.Replace(s) }

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// statusOrder is the order statuses are counted and listed in: worst first.
var statusOrder = []monitor.Status{monitor.StatusError, monitor.StatusWarn, monitor.StatusSkip,
	monitor.StatusUnknown, monitor.StatusPaused, monitor.StatusOK}

func statusRank(s monitor.Status) int {
	for i, o := range statusOrder {
		if o == s {
			return i
		}
	}
	return len(statusOrder)
}

func emoji(s monitor.Status) string {
	switch s {
	case monitor.StatusOK:
		return "✅"
	case monitor.StatusError:
		return "🔴"
	case monitor.StatusWarn:
		return "🟡"
	case monitor.StatusSkip:
		return "⚪"
	case monitor.StatusPaused:
		return "⏸"
	default:
		return "❔"
	}
}

// fmtDur writes a duration the way people say it: 40s, 12m, 1h 4m, 2d 3h.
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, h)
	}
}

// fmtTime writes t briefly relative to now: 14:02 today, 24 Nov 14:02 this year.
func fmtTime(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan 15:04")
	default:
		return t.Format("2 Jan 2006 15:04")
	}
}

// fmtSince writes "since 14:02 (12m)".
func fmtSince(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("since %s (%s)", fmtTime(t, now, loc), fmtDur(now.Sub(t)))
}

// fmtLatency writes 850 µs, 123 ms or 1.25 s.
func fmtLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d/time.Microsecond)
	case d < 10*time.Second:
		if d < time.Second {
			return fmt.Sprintf("%d ms", d/time.Millisecond)
		}
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
}

func fmtPercent(f float64) string {
	if f < 0 || math.IsNaN(f) {
		return "n/a"
	}
	p := f * 100
	if p >= 99.995 && f < 1 {
		return "99.99%"
	}
	return fmt.Sprintf("%.2f%%", p)
}

// countLine writes "2 error · 1 warn · 9 ok" in statusOrder, skipping zeros.
func countLine(views []CheckView) string {
	counts := map[monitor.Status]int{}
	for _, v := range views {
		counts[v.State.Status]++
	}
	var parts []string
	for _, s := range statusOrder {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d %s", emoji(s), counts[s], s))
			delete(counts, s)
		}
	}
	// Statuses outside the vocabulary still count.
	var rest []string
	for s := range counts {
		rest = append(rest, string(s))
	}
	sort.Strings(rest)
	for _, s := range rest {
		parts = append(parts, fmt.Sprintf("%s %d %s", emoji(monitor.Status(s)), counts[monitor.Status(s)], esc(s)))
	}
	return strings.Join(parts, " · ")
}

func status(v CheckView) monitor.Status {
	if v.State.Status == "" {
		return monitor.StatusUnknown
	}
	return v.State.Status
}

// reasonOf is what to show as the reason of a check that is not ok.
func reasonOf(v CheckView) string {
	st := v.State
	switch status(v) {
	case monitor.StatusPaused:
		if !st.PausedUntil.IsZero() {
			return "paused until " + st.PausedUntil.Format("2 Jan 15:04")
		}
		return "paused"
	case monitor.StatusSkip:
		if st.Last.Reason != "" {
			return "dependency down; " + st.Last.Reason
		}
		return "dependency down"
	case monitor.StatusUnknown:
		return "not checked yet"
	}
	if st.Last.Reason != "" {
		return st.Last.Reason
	}
	return string(status(v))
}

const noHost = "other"

// statusText is the /status overview: counts first, then each check that is not ok with
// its reason and since when, then the ok ones compactly, grouped by host.
func statusText(views []CheckView, now time.Time, loc *time.Location) string {
	if len(views) == 0 {
		return "No checks yet. Add one to the config file or with /add (see /help)."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%d checks</b>: %s\n", len(views), countLine(views))

	byHost := map[string][]CheckView{}
	var hosts []string
	for _, v := range views {
		h := v.Spec.Host
		if h == "" {
			h = noHost
		}
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], v)
	}
	sort.Slice(hosts, func(i, j int) bool {
		if (hosts[i] == noHost) != (hosts[j] == noHost) {
			return hosts[j] == noHost
		}
		return hosts[i] < hosts[j]
	})

	var okLines []string
	for _, h := range hosts {
		group := byHost[h]
		sort.SliceStable(group, func(i, j int) bool {
			ri, rj := statusRank(status(group[i])), statusRank(status(group[j]))
			if ri != rj {
				return ri < rj
			}
			return group[i].Spec.Name < group[j].Spec.Name
		})
		var bad []string
		var good []string
		for _, v := range group {
			if status(v) == monitor.StatusOK {
				good = append(good, esc(v.Spec.Name))
				continue
			}
			line := fmt.Sprintf("%s <b>%s</b> — %s", emoji(status(v)), esc(v.Spec.Name), esc(clip(reasonOf(v), maxReason)))
			if s := fmtSince(v.State.Since, now, loc); s != "" && status(v) != monitor.StatusUnknown {
				line += " · " + s
			}
			bad = append(bad, line)
		}
		if len(bad) > 0 {
			fmt.Fprintf(&b, "\n<b>%s</b>\n%s\n", esc(h), strings.Join(bad, "\n"))
		}
		if len(good) > 0 {
			okLines = append(okLines, fmt.Sprintf("<i>%s</i>: %s", esc(h), strings.Join(good, ", ")))
		}
	}
	if len(okLines) > 0 {
		fmt.Fprintf(&b, "\n✅ <b>ok</b>\n%s\n", strings.Join(okLines, "\n"))
	}
	return strings.TrimRight(b.String(), "\n")
}

// splitMessage cuts text into parts of at most limit runes at line boundaries. A <pre>
// block cut in two is closed and reopened so that each part is valid HTML; a line longer
// than the limit is cut hard (lines come from builders that clip their dynamic parts).
func splitMessage(text string, limit int) []string {
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	const preOpen, preClose = "<pre>", "</pre>"
	var parts []string
	var cur strings.Builder
	curLen := 0
	inPre := false
	flush := func() {
		s := cur.String()
		if inPre {
			s += preClose
		}
		if strings.TrimSpace(s) != "" && s != preClose && s != preOpen+preClose {
			parts = append(parts, strings.TrimRight(s, "\n"))
		}
		cur.Reset()
		curLen = 0
		if inPre {
			cur.WriteString(preOpen)
			curLen = len(preOpen)
		}
	}
	budget := limit - len(preClose) - 1
	for _, line := range strings.Split(text, "\n") {
		for utf8.RuneCountInString(line) > budget-len(preOpen) {
			r := []rune(line)
			head := string(r[:budget-len(preOpen)])
			if curLen > 0 {
				flush()
			}
			cur.WriteString(head)
			curLen += utf8.RuneCountInString(head)
			line = string(r[budget-len(preOpen):])
			flush()
		}
		n := utf8.RuneCountInString(line) + 1
		if curLen+n > budget {
			flush()
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		curLen += n
		if strings.LastIndex(line, preOpen) > strings.LastIndex(line, preClose) {
			inPre = true
		} else if strings.Contains(line, preClose) {
			inPre = false
		}
	}
	inPre = false
	flush()
	return parts
}

// checkInfo is what /check shows besides the engine's view.
type checkInfo struct {
	Results []monitor.Result   // newest first
	Uptime  map[string]float64 // "24h", "7d", "30d" -> 0..1; missing: unknown
	PushURL string             // heartbeat checks
	Muted   time.Time          // zero: not muted
}

// target is the thing a check looks at, for display.
func target(c config.Check) string {
	switch {
	case c.URL != "":
		return c.URL
	case c.Address != "":
		return c.Address
	case c.Target != "":
		return c.Target
	case c.Container != "":
		return "container " + c.Container
	case c.Session != "":
		return "tmux session " + c.Session
	case c.Path != "":
		return c.Path
	case len(c.Command) > 0:
		return strings.Join(c.Command, " ")
	case c.Query != "" && c.Type == "dns":
		return c.Query
	}
	return ""
}

// checkText is /check NAME: the status record, last results, uptime, latency, dependencies,
// the last run's log and, for heartbeats, the push URL.
func checkText(v CheckView, info checkInfo, now time.Time, loc *time.Location) string {
	st, spec := v.State, v.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "%s <b>%s</b> — %s\n", emoji(status(v)), esc(spec.Name), status(v))
	if status(v) != monitor.StatusOK {
		fmt.Fprintf(&b, "%s\n", esc(clip(reasonOf(v), 500)))
	}
	if s := fmtSince(st.Since, now, loc); s != "" {
		b.WriteString(s)
		if !st.LastCheck.IsZero() {
			fmt.Fprintf(&b, " · last check %s", fmtTime(st.LastCheck, now, loc))
		}
		b.WriteByte('\n')
	}
	if !info.Muted.IsZero() {
		fmt.Fprintf(&b, "🔕 muted until %s\n", fmtTime(info.Muted, now, loc))
	}
	b.WriteByte('\n')
	typ := spec.Type
	if typ == "" {
		typ = "?"
	}
	line := []string{"type " + esc(typ)}
	if spec.Interval > 0 {
		line = append(line, "every "+fmtDur(spec.Interval.D()))
	}
	if spec.Host != "" {
		line = append(line, "host "+esc(spec.Host))
	}
	if spec.Runtime != "" {
		line = append(line, "runtime "+esc(spec.Runtime))
	}
	if spec.Source == "chat" {
		line = append(line, "added from chat")
	}
	b.WriteString(strings.Join(line, " · ") + "\n")
	if t := target(spec); t != "" {
		fmt.Fprintf(&b, "target <code>%s</code>\n", esc(clip(t, 300)))
	}
	if !st.LastCheck.IsZero() {
		fmt.Fprintf(&b, "latency %s\n", fmtLatency(st.Last.Latency))
	}
	var up []string
	for _, w := range []string{"24h", "7d", "30d"} {
		if f, ok := info.Uptime[w]; ok {
			up = append(up, w+" "+fmtPercent(f))
		}
	}
	if len(up) > 0 {
		fmt.Fprintf(&b, "uptime %s\n", strings.Join(up, " · "))
	}
	if n := st.SuccessCount + st.FailCount; n > 0 {
		fmt.Fprintf(&b, "runs %d ok / %d failed (%s)\n", st.SuccessCount, st.FailCount, fmtPercent(st.SuccessRatio()))
	}
	if len(spec.Dependencies) > 0 {
		deps := make([]string, len(spec.Dependencies))
		for i, d := range spec.Dependencies {
			deps[i] = esc(d)
		}
		fmt.Fprintf(&b, "depends on %s\n", strings.Join(deps, ", "))
	}
	if len(st.Extra) > 0 {
		keys := make([]string, 0, len(st.Extra))
		for k := range st.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s\n", esc(k), esc(clip(st.Extra[k], 200)))
		}
	}
	if info.PushURL != "" {
		fmt.Fprintf(&b, "push URL <code>%s</code>\n", esc(info.PushURL))
	}
	if len(info.Results) > 0 {
		b.WriteString("\n<b>Last results</b>\n")
		for i, r := range info.Results {
			if i == 10 {
				break
			}
			line := fmt.Sprintf("%s %s %s", fmtTime(r.Time, now, loc), emoji(r.Status), fmtLatency(r.Latency))
			if r.Reason != "" {
				line += " — " + esc(clip(r.Reason, 150))
			}
			b.WriteString(line + "\n")
		}
	}
	logLines := st.Last.Log
	if len(logLines) > 0 {
		b.WriteString("\n<b>Last run</b>\n<pre>")
		for i, l := range logLines {
			if i == 25 {
				fmt.Fprintf(&b, "… %d more lines", len(logLines)-i)
				break
			}
			b.WriteString(esc(clip(l, 160)))
			if i < len(logLines)-1 {
				b.WriteByte('\n')
			}
		}
		b.WriteString("</pre>")
	}
	return strings.TrimRight(b.String(), "\n")
}

// resultLine is the one-line answer to /run and /add: "✅ api ok · 123 ms".
func resultLine(name string, r monitor.Result) string {
	s := fmt.Sprintf("%s <b>%s</b> %s · %s", emoji(r.Status), esc(name), r.Status, fmtLatency(r.Latency))
	if r.Reason != "" {
		s += " — " + esc(clip(r.Reason, 300))
	}
	return s
}

// mapCaption is the caption of /map: "Map of fold · 🔴 1 error · ✅ 3 ok".
func mapCaption(views []CheckView, host string) string {
	title := "<b>Status map</b>"
	if host != "" {
		title = "<b>Map of " + esc(host) + "</b>"
	}
	if len(views) == 0 {
		return title
	}
	return title + " · " + countLine(views)
}

// mutesText is /mutes.
func mutesText(mutes map[string]time.Time, now time.Time, loc *time.Location) string {
	if len(mutes) == 0 {
		return "No mutes. Mute a check with /mute NAME 2h."
	}
	names := make([]string, 0, len(mutes))
	for n := range mutes {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "*") != (names[j] == "*") {
			return names[i] == "*"
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	b.WriteString("<b>Mutes</b>\n")
	for _, n := range names {
		label := "<b>" + esc(n) + "</b>"
		if n == "*" {
			label = "<b>all checks</b>"
		}
		until := mutes[n]
		fmt.Fprintf(&b, "🔕 %s until %s (%s left)\n", label, fmtTime(until, now, loc), fmtDur(until.Sub(now)))
	}
	return strings.TrimRight(b.String(), "\n")
}

func muteName(name string) string {
	if name == "*" {
		return "all checks"
	}
	return esc(name)
}

// helpText is /help.
const helpText = `<b>statusmap</b> watches your services and tells you here when something breaks.

<b>Look</b>
/status — all checks, problems first
/status api — one check (same as /check api)
/map — the status map; /map fold — one host
/history api 7d — latency and uptime chart (24h, 7d, 30d)
/mutes — current mutes

<b>Change</b>
/add http api https://example.com/health every 1m expect 200
/add ping fold 10.0.0.5
/add tcp db 10.0.0.5:5432 host fold after fold
/add heartbeat backup every 1d grace 1h
/remove api — asks to confirm
/pause api 2h, /resume api
/run api — check now
/mute api 2h, /mute all 30m, /unmute api, /unmute all

Muted checks still run and show on the map; they only stop alerting.`

type commandInfo struct {
	name, desc, usage string
	admin             bool // changes something: restricted to telegram.admins when set
	args              int  // least number of arguments
}

// commandList is the menu registered with setMyCommands, in this order.
var commandList = []commandInfo{
	{name: "status", desc: "Overview of all checks, or one: /status NAME", usage: "/status [NAME]"},
	{name: "check", desc: "One check in detail: /check NAME", usage: "/check NAME", args: 1},
	{name: "map", desc: "The status map as an image: /map [HOST]", usage: "/map [HOST]"},
	{name: "history", desc: "Latency and uptime chart: /history NAME [24h|7d|30d]", usage: "/history NAME [24h|7d|30d]", args: 1},
	{name: "run", desc: "Run a check now: /run NAME", usage: "/run NAME", args: 1},
	{name: "add", desc: "Add a check: /add http NAME URL", usage: addUsage, admin: true, args: 2},
	{name: "remove", desc: "Remove a check added from chat", usage: "/remove NAME", admin: true, args: 1},
	{name: "pause", desc: "Pause a check: /pause NAME [2h]", usage: "/pause NAME [DURATION]", admin: true, args: 1},
	{name: "resume", desc: "Resume a paused check", usage: "/resume NAME", admin: true, args: 1},
	{name: "mute", desc: "Silence alerts: /mute NAME|all 2h", usage: "/mute NAME|all DURATION", admin: true, args: 2},
	{name: "unmute", desc: "End a mute: /unmute NAME|all", usage: "/unmute NAME|all", admin: true, args: 1},
	{name: "mutes", desc: "List mutes", usage: "/mutes"},
	{name: "help", desc: "Commands and examples", usage: "/help"},
}

func lookupCommand(name string) (commandInfo, bool) {
	for _, c := range commandList {
		if c.name == name {
			return c, true
		}
	}
	return commandInfo{}, false
}

func usage(c commandInfo) string { return "Usage: " + esc(c.usage) }
