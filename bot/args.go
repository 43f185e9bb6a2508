package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/statusmap/statusmap/config"
)

// command is a parsed chat command: "/mute@statusmap_bot api 2h" -> {Name: "mute", Bot:
// "statusmap_bot", Args: ["api", "2h"]}.
type command struct {
	Name string
	Bot  string
	Args []string
}

// maxArgs bounds what one message can ask for.
const maxArgs = 32

// parseCommand splits a message into a command and its arguments. Arguments are
// separated by spaces; double quotes group words ("my api"), and a backslash escapes
// a quote inside them. ok is false when text is not a command.
func parseCommand(text string) (cmd command, ok bool, err error) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return command{}, false, nil
	}
	head, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(head, "\n\t"); i >= 0 {
		rest = head[i:] + " " + rest
		head = head[:i]
	}
	name, botName, _ := strings.Cut(head[1:], "@")
	if name == "" || !validCommandName(name) {
		return command{}, false, nil
	}
	cmd = command{Name: strings.ToLower(name), Bot: botName}
	cmd.Args, err = splitArgs(rest)
	return cmd, true, err
}

func validCommandName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// splitArgs splits s at white space, keeping double-quoted runs together.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, errors.New("the message is not valid UTF-8")
		case inQuote && r == '\\' && i < len(s) && (s[i] == '"' || s[i] == '\\'):
			cur.WriteByte(s[i])
			i++
		case r == '"' || r == '“' || r == '”':
			inQuote = !inQuote
			have = true
		case !inQuote && unicode.IsSpace(r):
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
		if len(args) > maxArgs {
			return nil, fmt.Errorf("too many arguments (at most %d)", maxArgs)
		}
	}
	if inQuote {
		return nil, errors.New("a quote is not closed")
	}
	if have {
		args = append(args, cur.String())
	}
	if len(args) > maxArgs {
		return nil, fmt.Errorf("too many arguments (at most %d)", maxArgs)
	}
	return args, nil
}

// quoteArg writes an argument so that splitArgs reads it back unchanged.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, "\"“”\\") && strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '“', '”':
			// Curly quotes also open and close; they cannot be escaped, so write plain ones.
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseDuration reads "90s", "15m", "2h", "7d", "1w", "1h30m" or plain seconds.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration (like 30s, 15m, 2h, 7d)", s)
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 20 {
		return 0, bad
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d := time.Duration(n) * time.Second
		if d <= 0 || d > maxDuration {
			return 0, bad
		}
		return d, nil
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, bad
		}
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil {
			return 0, bad
		}
		j := i
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		var unit time.Duration
		switch s[i:j] {
		case "s", "sec", "secs":
			unit = time.Second
		case "m", "min", "mins":
			unit = time.Minute
		case "h", "hour", "hours":
			unit = time.Hour
		case "d", "day", "days":
			unit = 24 * time.Hour
		case "w", "week", "weeks":
			unit = 7 * 24 * time.Hour
		default:
			return 0, bad
		}
		d := time.Duration(n) * unit
		if d/unit != time.Duration(n) || total+d < total || total+d > maxDuration {
			return 0, fmt.Errorf("%q is too long (at most a year)", s)
		}
		total += d
		s = s[j:]
	}
	if total <= 0 {
		return 0, bad
	}
	return total, nil
}

const maxDuration = 366 * 24 * time.Hour

// addTypes are the check types /add can create, with their positional argument.
var addTypes = map[string]string{
	"http":      "URL",
	"api":       "URL",
	"ping":      "HOST",
	"tcp":       "HOST:PORT",
	"tls":       "HOST:PORT",
	"dns":       "NAME_TO_RESOLVE",
	"redis":     "HOST:PORT",
	"heartbeat": "",
}

const addUsage = "/add TYPE NAME TARGET [every 5m] [timeout 10s] [expect 200] [host HOST] [after CHECK] — TYPE is http, ping, tcp, tls, dns, redis or heartbeat"

// parseAdd turns "/add" arguments into a check spec. Options come as keyword-value pairs
// after the positional ones: every, timeout, expect, host, after (a dependency), grace,
// record and server (dns).
func parseAdd(args []string) (config.Check, error) {
	if len(args) < 2 {
		return config.Check{}, errors.New(addUsage)
	}
	typ := strings.ToLower(args[0])
	target, ok := addTypes[typ]
	if !ok {
		return config.Check{}, fmt.Errorf("unknown type %q; /add knows http, ping, tcp, tls, dns, redis and heartbeat", args[0])
	}
	c := config.Check{Type: typ, Name: args[1], Source: "chat"}
	if typ == "api" {
		c.Type = "http"
	}
	if !validCheckName(c.Name) {
		return config.Check{}, fmt.Errorf("%q is not a usable name: use lowercase letters, digits, - and _ (at most 64)", c.Name)
	}
	rest := args[2:]
	if target != "" {
		if len(rest) == 0 {
			return config.Check{}, fmt.Errorf("usage: /add %s NAME %s", typ, target)
		}
		v := rest[0]
		rest = rest[1:]
		switch c.Type {
		case "http":
			if !strings.Contains(v, "://") {
				v = "https://" + v
			}
			c.URL = v
		case "ping":
			c.Target, c.Host = v, v
		case "tcp", "tls", "redis":
			c.Address = v
		case "dns":
			c.Query = v
		}
	}
	if len(rest)%2 != 0 {
		return config.Check{}, fmt.Errorf("option %q needs a value", rest[len(rest)-1])
	}
	for i := 0; i < len(rest); i += 2 {
		key, val := strings.ToLower(rest[i]), rest[i+1]
		switch key {
		case "every", "interval":
			d, err := parseDuration(val)
			if err != nil {
				return config.Check{}, err
			}
			if c.Type == "heartbeat" {
				c.Period = config.Duration(d)
			} else {
				c.Interval = config.Duration(d)
			}
		case "timeout":
			d, err := parseDuration(val)
			if err != nil {
				return config.Check{}, err
			}
			c.Timeout = config.Duration(d)
		case "grace":
			d, err := parseDuration(val)
			if err != nil {
				return config.Check{}, err
			}
			c.Grace = config.Duration(d)
		case "expect":
			switch c.Type {
			case "http":
				c.Expect.Status = append(c.Expect.Status, val)
			case "dns":
				c.Expect.Values = append(c.Expect.Values, val)
			case "redis":
				c.Expect.Value = val
			default:
				return config.Check{}, fmt.Errorf("%s checks take no expect", c.Type)
			}
		case "contains":
			if c.Type != "http" {
				return config.Check{}, errors.New("contains is for http checks")
			}
			c.Expect.BodyContains = val
		case "host", "on":
			c.Host = val
		case "after", "depends":
			c.Dependencies = append(c.Dependencies, val)
		case "record":
			if c.Type != "dns" {
				return config.Check{}, errors.New("record is for dns checks")
			}
			c.Record = strings.ToUpper(val)
		case "server":
			if c.Type != "dns" {
				return config.Check{}, errors.New("server is for dns checks")
			}
			c.Server = val
		case "key":
			if c.Type != "redis" {
				return config.Check{}, errors.New("key is for redis checks")
			}
			c.Key = val
		default:
			return config.Check{}, fmt.Errorf("unknown option %q; options: every, timeout, expect, host, after", rest[i])
		}
	}
	return c, nil
}

// validCheckName keeps chat-added names to what the engine accepts, which also keeps them
// usable in commands, callback data and the map.
func validCheckName(s string) bool {
	if s == "" || len(s) > 64 || s == "all" || s == "*" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
