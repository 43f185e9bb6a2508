package alerting

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var ownTags = regexp.MustCompile(`</?b>`)

// FuzzMessages: whatever names and reasons people and servers write, every message is
// HTML in which only the builders' own tags appear.
func FuzzMessages(f *testing.F) {
	for _, s := range [][2]string{{"api", "HTTP 503, want 200"}, {"a<b>", "x & y"}, {"my_bot", `"<script>"`}, {"ёж🐳", "\x00\xff"}} {
		f.Add(s[0], s[1], s[0])
	}
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name, reason, dep string) {
		c := checkInfo{Name: name, Host: reason, Runtime: dep, Reason: reason, Since: now.Add(-time.Hour)}
		for _, msg := range []string{
			downText(downMsg{Check: c, Dependents: []string{dep}, Note: reason}, []string{dep}, now, time.UTC),
			groupText([]downMsg{{Check: c}, {Check: checkInfo{Name: dep}, Warn: true}}, []string{name}, now, time.UTC),
			recoveryText(recoveryMsg{Check: c, End: now, NowWarn: reason, Back: []string{dep}, StillFailing: []string{name}}, now, time.UTC),
			reminderText(c, now, time.UTC),
			flappingText(c, 7, time.Minute),
			stableText(c, reason, time.Minute),
		} {
			rest := ownTags.ReplaceAllString(msg, "")
			if strings.ContainsAny(rest, "<>") {
				t.Fatalf("unescaped markup in %q", msg)
			}
			if strings.Count(msg, "<b>") != strings.Count(msg, "</b>") {
				t.Fatalf("unbalanced tags in %q", msg)
			}
		}
	})
}
