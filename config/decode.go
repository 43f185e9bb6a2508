package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder turns goccy/go-yaml's AST into the config structs by reflection. Doing it by hand
// (instead of yaml.Unmarshal) lets it report every unknown key and type error with its
// position in one pass, expand ${ENV} in scalars, and remember where each path was written
// so validation messages can point at the line.
type decoder struct {
	file    string
	getenv  func(string) string
	anchors map[string]ast.Node
	col     *collector
	// pos maps a path ("checks[3].interval") to where its value was written. Only non-null
	// values are recorded, so it also tells which keys were set.
	pos    map[string]token.Position
	budget int
	merged map[ast.Node][]*ast.MappingValueNode // memoized pairs
}

var durationType = reflect.TypeOf(Duration(0))

func newDecoder(file string, getenv func(string) string, col *collector) *decoder {
	return &decoder{
		file:    file,
		getenv:  getenv,
		anchors: map[string]ast.Node{},
		col:     col,
		pos:     map[string]token.Position{},
		budget:  1_000_000, // nodes, bounds alias expansion
		merged:  map[ast.Node][]*ast.MappingValueNode{},
	}
}

func (d *decoder) posString(p token.Position) string {
	return fmt.Sprintf("%s:%d:%d", d.file, p.Line, p.Column)
}

// fail records a decode error at node n and marks the path as failed.
func (d *decoder) fail(n ast.Node, path, msg string) {
	p := nodePos(n)
	d.col.addErr(FieldError{Pos: d.posString(p), Path: path, Msg: msg, line: p.Line, col: p.Column})
	if d.col.failed == nil {
		d.col.failed = map[string]bool{}
	}
	d.col.failed[path] = true
}

func nodePos(n ast.Node) token.Position {
	if n == nil {
		return token.Position{Line: 1, Column: 1}
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		n = mv.Key
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		return nodePos(m.Values[0].Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return token.Position{Line: 1, Column: 1}
	}
	return *tk.Position
}

func (d *decoder) collectAnchors(root ast.Node) {
	ast.Walk(visitFunc(func(n ast.Node) {
		if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
			d.anchors[a.Name.GetToken().Value] = a.Value
		}
	}), root)
}

type visitFunc func(ast.Node)

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	f(n)
	return f
}

// resolve strips documents, anchors, tags and aliases down to the node holding the value.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	for i := 0; i < 64; i++ {
		switch v := n.(type) {
		case *ast.DocumentNode:
			n = v.Body
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.fail(v, path, fmt.Sprintf("unknown alias *%s", name))
				return nil, false
			}
			n = target
		default:
			return n, true
		}
	}
	d.fail(n, path, "aliases nested too deeply")
	return nil, false
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// scalar returns a scalar node's text, ${ENV}-expanded. fromEnv reports a substitution, so
// messages never echo a value that may be a secret.
func (d *decoder) scalar(n ast.Node, path string) (text string, fromEnv, ok bool) {
	var raw string
	switch v := n.(type) {
	case *ast.StringNode:
		raw = v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			raw = v.Value.Value
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		raw = n.GetToken().Value
	default:
		return "", false, false
	}
	out, changed, err := expandEnv(raw, d.getenv)
	if err != nil {
		d.fail(n, path, err.Error())
		return "", false, false
	}
	return out, changed, true
}

func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	if tk := n.GetToken(); tk != nil {
		return quoteValue(tk.Value, false)
	}
	return "a scalar"
}

func quoteValue(text string, fromEnv bool) string {
	if fromEnv {
		return "the value of an environment variable"
	}
	if len(text) > 40 {
		text = text[:40] + "..."
	}
	return strconv.Quote(text)
}

func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	d.budget--
	if d.budget < 0 {
		if d.budget == -1 {
			d.fail(n, path, "document too large (aliases expand to over a million values)")
		}
		return
	}
	use := n
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	d.pos[path] = nodePos(use)

	if v.Type() == durationType {
		d.decodeDuration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decode(n, e.Elem(), path)
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.fail(n, path, "must be a list, got "+describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		pairs, ok := d.pairs(n, path)
		if !ok {
			d.fail(n, path, "must be a mapping, got "+describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(pairs))
		for _, mv := range pairs {
			key, ok := d.key(mv, path)
			if !ok {
				continue
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(mv.Value, ev, joinPath(path, key))
			m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.String:
		text, _, ok := d.scalarOrFail(n, path, "a string")
		if ok {
			v.SetString(text)
		}
	case reflect.Int, reflect.Int64:
		text, env, ok := d.scalarOrFail(n, path, "an integer")
		if !ok {
			return
		}
		i, err := parseInt(text)
		if err != nil || v.OverflowInt(i) {
			d.fail(n, path, "must be an integer, got "+quoteValue(text, env))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		text, env, ok := d.scalarOrFail(n, path, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, path, "must be a number, got "+quoteValue(text, env))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		text, env, ok := d.scalarOrFail(n, path, "true or false")
		if !ok {
			return
		}
		switch strings.ToLower(text) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			d.fail(n, path, "must be true or false, got "+quoteValue(text, env))
		}
	default:
		d.fail(n, path, "unsupported field type "+v.Type().String())
	}
}

func (d *decoder) scalarOrFail(n ast.Node, path, want string) (string, bool, bool) {
	text, env, ok := d.scalar(n, path)
	if !ok {
		if _, isScalar := n.(ast.ScalarNode); !isScalar {
			if _, lit := n.(*ast.LiteralNode); !lit {
				d.fail(n, path, "must be "+want+", got "+describe(n))
			}
		}
		return "", false, false
	}
	return text, env, true
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string) {
	text, env, ok := d.scalarOrFail(n, path, "a duration")
	if !ok {
		return
	}
	dur, err := ParseDuration(text)
	if err != nil {
		if env {
			err = badDuration("$ENV")
		}
		d.fail(n, path, err.Error())
		return
	}
	v.SetInt(int64(dur))
}

// pairs lists a mapping's key/value pairs with YAML merge keys (<<: *base) expanded. A key
// written in the mapping wins over merged ones, and among merged mappings the first listed
// wins, as the merge key spec says. Results are memoized per node and each key kept once,
// so nested merges cost linear time instead of exploding.
func (d *decoder) pairs(n ast.Node, path string) ([]*ast.MappingValueNode, bool) {
	return d.pairsOf(n, path, map[ast.Node]bool{})
}

func (d *decoder) pairsOf(n ast.Node, path string, active map[ast.Node]bool) ([]*ast.MappingValueNode, bool) {
	var vals []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		vals = m.Values
	case *ast.MappingValueNode:
		vals = []*ast.MappingValueNode{m}
	default:
		return nil, false
	}
	if p, ok := d.merged[n]; ok {
		return p, true
	}
	if active[n] {
		d.fail(n, path, "<< merges a mapping into itself")
		return nil, true
	}
	active[n] = true
	defer delete(active, n)

	var out []*ast.MappingValueNode
	seen := map[string]bool{}
	var merges []*ast.MappingValueNode
	for _, mv := range vals {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			merges = append(merges, mv)
			continue
		}
		out = append(out, mv)
		if k, ok := keyText(mv); ok {
			seen[k] = true
		}
	}
	for _, mv := range merges {
		target, ok := d.resolve(mv.Value, path)
		if !ok {
			continue
		}
		sources := []ast.Node{target}
		if seq, isSeq := target.(*ast.SequenceNode); isSeq {
			sources = seq.Values
		}
		for _, src := range sources {
			src, ok := d.resolve(src, path)
			if !ok {
				continue
			}
			p, ok := d.pairsOf(src, path, active)
			if !ok {
				d.fail(mv, path, "<< must merge a mapping or a list of mappings")
				continue
			}
			for _, pv := range p {
				k, ok := keyText(pv)
				if ok && seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, pv)
			}
		}
	}
	d.merged[n] = out
	return out, true
}

// keyText is a pair's key as text, without reporting anything.
func keyText(mv *ast.MappingValueNode) (string, bool) {
	if mv.Key == nil {
		return "", false
	}
	if s, ok := mv.Key.(*ast.StringNode); ok {
		return s.Value, true
	}
	if tk := mv.Key.GetToken(); tk != nil {
		return tk.Value, true
	}
	return "", false
}

func (d *decoder) key(mv *ast.MappingValueNode, path string) (string, bool) {
	k, ok := d.resolve(mv.Key, path)
	if !ok {
		return "", false
	}
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value, true
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	d.fail(mv.Key, path, "mapping keys must be plain strings")
	return "", false
}

type fieldInfo struct {
	index int
	name  string
}

func yamlFields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "-" || tag == "" {
			continue
		}
		out = append(out, fieldInfo{i, tag})
	}
	return out
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	pairs, ok := d.pairs(n, path)
	if !ok {
		d.fail(n, path, "must be a mapping, got "+describe(n))
		return
	}
	fields := yamlFields(v.Type())
	for _, mv := range pairs {
		key, ok := d.key(mv, path)
		if !ok {
			continue
		}
		if path == "" && strings.HasPrefix(key, "x-") {
			continue // top-level extension keys hold YAML anchors for reuse, like docker-compose's
		}
		kp := joinPath(path, key)
		idx := -1
		for _, f := range fields {
			if f.name == key {
				idx = f.index
				break
			}
		}
		if idx < 0 {
			msg := "unknown key"
			if s := suggest(key, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.fail(mv.Key, kp, msg)
			continue
		}
		d.decode(mv.Value, v.Field(idx), kp)
	}
}

// suggest returns the field name closest to a misspelt key, if one is close.
func suggest(key string, fields []fieldInfo) string {
	best, bestD := "", 3
	for _, f := range fields {
		if dist := levenshtein(key, f.name); dist < bestD {
			best, bestD = f.name, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseInt reads decimal integers (a leading 0 is not octal, as in YAML 1.2) and 0x, 0o, 0b
// prefixed ones, with optional _ separators.
func parseInt(text string) (int64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(text), "_", "")
	u := strings.TrimLeft(t, "+-")
	if len(u) > 1 && u[0] == '0' && strings.ContainsRune("xXoObB", rune(u[1])) {
		return strconv.ParseInt(t, 0, 64)
	}
	return strconv.ParseInt(t, 10, 64)
}
