package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// JSONPath is a parsed path into a JSON document: `$.a.b`, `$.items[0].id`, `$["odd key"]`.
type JSONPath struct {
	Raw      string
	Segments []PathSegment
}

// PathSegment is one step: an object key, or an array index when IsIndex.
type PathSegment struct {
	Key     string
	Index   int
	IsIndex bool
}

// String returns the path as written.
func (p JSONPath) String() string { return p.Raw }

// ParseJSONPath parses a path that starts with `$`.
func ParseJSONPath(s string) (JSONPath, error) {
	p, rest, err := parsePathPrefix(s)
	if err != nil {
		return JSONPath{}, err
	}
	if strings.TrimSpace(rest) != "" {
		return JSONPath{}, fmt.Errorf("unexpected %q after JSON path", rest)
	}
	return p, nil
}

// parsePathPrefix reads a path from the start of s and returns what follows it.
func parsePathPrefix(s string) (JSONPath, string, error) {
	t := strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(t, "$") {
		return JSONPath{}, "", fmt.Errorf("JSON path must start with $ (e.g. $.status)")
	}
	i := 1
	var segs []PathSegment
	for i < len(t) {
		switch t[i] {
		case '.':
			j := i + 1
			for j < len(t) && !strings.ContainsRune(".[ \t=!<>", rune(t[j])) {
				j++
			}
			if j == i+1 {
				return JSONPath{}, "", fmt.Errorf("empty key after . at offset %d of JSON path", i)
			}
			segs = append(segs, PathSegment{Key: t[i+1 : j]})
			i = j
		case '[':
			end, seg, err := parseBracket(t, i)
			if err != nil {
				return JSONPath{}, "", err
			}
			segs = append(segs, seg)
			i = end
		default:
			return JSONPath{Raw: t[:i], Segments: segs}, t[i:], nil
		}
	}
	return JSONPath{Raw: t, Segments: segs}, "", nil
}

// parseBracket reads `[0]`, `["key"]` or `['key']` at t[i] and returns the offset after it.
func parseBracket(t string, i int) (int, PathSegment, error) {
	j := i + 1
	if j < len(t) && (t[j] == '"' || t[j] == '\'') {
		q := t[j]
		var b strings.Builder
		k := j + 1
		for ; k < len(t) && t[k] != q; k++ {
			if t[k] == '\\' && k+1 < len(t) {
				k++
			}
			b.WriteByte(t[k])
		}
		if k >= len(t) || k+1 >= len(t) || t[k+1] != ']' {
			return 0, PathSegment{}, fmt.Errorf("unterminated [%c...%c] in JSON path", q, q)
		}
		return k + 2, PathSegment{Key: b.String()}, nil
	}
	end := strings.IndexByte(t[j:], ']')
	if end < 0 {
		return 0, PathSegment{}, fmt.Errorf("unterminated [ in JSON path")
	}
	n, err := strconv.Atoi(t[j : j+end])
	if err != nil || n < 0 {
		return 0, PathSegment{}, fmt.Errorf("array index %q must be a number >= 0 (quote keys: [\"key\"])", t[j:j+end])
	}
	return j + end + 1, PathSegment{Index: n, IsIndex: true}, nil
}

// Lookup follows the path in a document decoded by encoding/json (maps, slices, scalars).
func (p JSONPath) Lookup(doc any) (any, bool) {
	cur := doc
	for _, s := range p.Segments {
		if s.IsIndex {
			arr, ok := cur.([]any)
			if !ok || s.Index >= len(arr) {
				return nil, false
			}
			cur = arr[s.Index]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[s.Key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// JSONRule is one `expect.json` rule: `$.path OP value`, OP one of == != < <= > >=, value a
// JSON literal (string in double quotes, number, true, false, null).
type JSONRule struct {
	Expr  string
	Path  JSONPath
	Op    string
	Value any // nil, bool, float64 or string
}

var jsonOps = []string{"==", "!=", "<=", ">=", "<", ">"}

// ParseJSONRule parses an `expect.json` expression.
func ParseJSONRule(expr string) (JSONRule, error) {
	path, rest, err := parsePathPrefix(expr)
	if err != nil {
		return JSONRule{}, err
	}
	rest = strings.TrimSpace(rest)
	op := ""
	for _, o := range jsonOps {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return JSONRule{}, fmt.Errorf("want `$.path OP value` with OP one of == != < <= > >=")
	}
	lit := strings.TrimSpace(rest[len(op):])
	if lit == "" {
		return JSONRule{}, fmt.Errorf("missing value after %s", op)
	}
	var v any
	if err := json.Unmarshal([]byte(lit), &v); err != nil {
		if !strings.ContainsAny(lit, `"'{}[]`) {
			return JSONRule{}, fmt.Errorf("value %s is not a JSON literal (strings need double quotes: %q)", lit, lit)
		}
		return JSONRule{}, fmt.Errorf("value %s is not a JSON literal (a string in double quotes, a number, true, false or null)", lit)
	}
	switch v.(type) {
	case nil, bool, string, float64:
	default:
		return JSONRule{}, fmt.Errorf("value must be a string, number, true, false or null, not an object or array")
	}
	if _, num := v.(float64); !num && op != "==" && op != "!=" {
		return JSONRule{}, fmt.Errorf("operator %s needs a number", op)
	}
	return JSONRule{Expr: strings.TrimSpace(expr), Path: path, Op: op, Value: v}, nil
}

// String is the rule in canonical form.
func (r JSONRule) String() string {
	b, _ := json.Marshal(r.Value)
	return r.Path.Raw + " " + r.Op + " " + string(b)
}

// Want describes the expected value for a reason line: `"foldwrap"`, `>= 3`.
func (r JSONRule) Want() string {
	b, _ := json.Marshal(r.Value)
	if r.Op == "==" {
		return string(b)
	}
	return r.Op + " " + string(b)
}

// Match evaluates the rule on a document decoded by encoding/json (json.Number is accepted
// too). got is the found value as compact JSON (at most 60 bytes), or "missing". A missing
// path counts as null for == null and != null, and fails every other rule.
func (r JSONRule) Match(doc any) (ok bool, got string) {
	v, found := r.Path.Lookup(doc)
	if !found {
		if r.Value == nil {
			return r.Op == "==", "missing"
		}
		return false, "missing"
	}
	got = compactJSON(v)
	if n, isNum := toFloat(v); isNum {
		if want, wantNum := r.Value.(float64); wantNum {
			switch r.Op {
			case "==":
				return n == want, got
			case "!=":
				return n != want, got
			case "<":
				return n < want, got
			case "<=":
				return n <= want, got
			case ">":
				return n > want, got
			case ">=":
				return n >= want, got
			}
		}
	}
	switch r.Op {
	case "==":
		return scalarEqual(v, r.Value), got
	case "!=":
		return !scalarEqual(v, r.Value), got
	}
	return false, got // ordering on a non-number
}

func scalarEqual(a, b any) bool {
	switch av := a.(type) {
	case nil:
		return b == nil
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return math.NaN(), false
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
