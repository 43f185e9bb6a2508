package monitor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonRule is one `expect.json` rule: PATH [OP VALUE]. Without OP the path must exist.
type jsonRule struct {
	src   string
	path  []pathStep
	raw   string // the path as written
	op    string // "", "==", "!=", ">", ">=", "<", "<="
	want  any    // decoded JSON value
	wantS string // want as written back (compact JSON)
}

// pathStep is one step of a JSON path: a key, or an index when key is "" and isIndex.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

var ruleOps = []string{"==", "!=", ">=", "<=", ">", "<"}

// parseJSONRule parses `$.a.b[0] == "x"`. Values are JSON literals (strings quoted, numbers,
// true, false, null); an unquoted word that is not JSON is taken as a string.
func parseJSONRule(src string) (jsonRule, error) {
	s := strings.TrimSpace(src)
	steps, rest, err := parsePath(s)
	if err != nil {
		return jsonRule{}, fmt.Errorf("json rule %q: %w", src, err)
	}
	r := jsonRule{src: src, path: steps, raw: strings.TrimSpace(s[:len(s)-len(rest)])}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return r, nil
	}
	for _, op := range ruleOps {
		if strings.HasPrefix(rest, op) {
			r.op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if r.op == "" {
		return jsonRule{}, fmt.Errorf("json rule %q: want an operator (== != > >= < <=) after %s", src, r.raw)
	}
	if rest == "" {
		return jsonRule{}, fmt.Errorf("json rule %q: missing value after %s", src, r.op)
	}
	if err := json.Unmarshal([]byte(rest), &r.want); err != nil {
		r.want = rest
	}
	r.wantS = compactJSON(r.want)
	if r.op != "==" && r.op != "!=" {
		if _, ok := r.want.(float64); !ok {
			return jsonRule{}, fmt.Errorf("json rule %q: %s needs a number", src, r.op)
		}
	}
	return r, nil
}

// parsePath reads a path at the start of s: $ then .key, [n], ["key"] steps. It returns the
// steps and the unread rest.
func parsePath(s string) ([]pathStep, string, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, s, errors.New("path must start with $")
	}
	i := 1
	var steps []pathStep
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && !strings.ContainsRune(".[ \t=!<>", rune(s[j])) {
				j++
			}
			if j == i+1 {
				return nil, s, fmt.Errorf("empty key at offset %d", i)
			}
			steps = append(steps, pathStep{key: s[i+1 : j]})
			i = j
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, s, fmt.Errorf("unclosed [ at offset %d", i)
			}
			inner := strings.TrimSpace(s[i+1 : i+end])
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				steps = append(steps, pathStep{key: inner[1 : len(inner)-1]})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, s, fmt.Errorf("bad index [%s]", inner)
				}
				steps = append(steps, pathStep{index: n, isIndex: true})
			}
			i += end + 1
		default:
			return steps, s[i:], nil
		}
	}
	return steps, "", nil
}

// lookup follows path in a decoded JSON document.
func lookup(doc any, path []pathStep) (any, bool) {
	cur := doc
	for _, st := range path {
		if st.isIndex {
			a, ok := cur.([]any)
			if !ok || st.index >= len(a) {
				return nil, false
			}
			cur = a[st.index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[st.key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// check evaluates the rule on doc; "" means it passed, otherwise the one-line reason.
func (r jsonRule) check(doc any) string {
	got, ok := lookup(doc, r.path)
	if !ok {
		if r.op == "" {
			return r.raw + " missing"
		}
		return fmt.Sprintf("%s missing, want %s", r.raw, r.wantText())
	}
	if r.op == "" {
		return ""
	}
	pass := false
	switch r.op {
	case "==":
		pass = jsonEqual(got, r.want)
	case "!=":
		pass = !jsonEqual(got, r.want)
	default:
		g, isNum := got.(float64)
		w := r.want.(float64)
		if isNum {
			switch r.op {
			case ">":
				pass = g > w
			case ">=":
				pass = g >= w
			case "<":
				pass = g < w
			case "<=":
				pass = g <= w
			}
		}
	}
	if pass {
		return ""
	}
	return fmt.Sprintf("%s = %s, want %s", r.raw, clipValue(compactJSON(got)), r.wantText())
}

func (r jsonRule) wantText() string {
	if r.op == "==" {
		return r.wantS
	}
	return r.op + " " + r.wantS
}

func jsonEqual(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// extractText renders an extracted value for extra: strings as they are, the rest as JSON.
func extractText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return compactJSON(v)
}

func clipValue(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
