package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads the config file at path with the process environment for ${VAR} expansion.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, os.Getenv)
}

// Parse decodes, expands, defaults and validates a config. file names it in messages and
// anchors map.file. getenv supplies ${VAR} values (nil: no variables are set). On failure
// the error is a *ValidationError listing every problem found.
func Parse(data []byte, file string, getenv func(string) string) (*Config, error) {
	if file == "" {
		file = "config"
	}
	col := &collector{failed: map[string]bool{}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxError(file, err)
	}
	var body ast.Node
	docs := 0
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, comment := doc.Body.(*ast.CommentGroupNode); comment {
			continue
		}
		docs++
		if docs == 1 {
			body = doc.Body
		} else {
			p := nodePos(doc.Body)
			col.addErr(FieldError{Pos: fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column), Msg: "only one YAML document is allowed", line: p.Line, col: p.Column})
		}
	}
	cfg := &Config{File: file}
	d := newDecoder(file, getenv, col)
	if body != nil {
		d.collectAnchors(body)
		d.decode(body, reflect.ValueOf(cfg).Elem(), "")
	}
	col.locate = d.locate
	// A key that failed to decode counts as unset, so it gets its default and its
	// dependants are checked against a sane value instead of repeating the error.
	has := func(path string) bool { _, ok := d.pos[path]; return ok && !col.failed[path] }
	resolveConfig(cfg, has)
	validateConfig(cfg, has, col)
	if err := col.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// locate finds where path (or its nearest written ancestor) is in the file.
func (d *decoder) locate(path string) (string, int, int) {
	for p := path; ; p = parentPath(p) {
		if pos, ok := d.pos[p]; ok {
			return d.posString(pos), pos.Line, pos.Column
		}
		if p == "" {
			return d.file + ":1:1", 1, 1
		}
	}
}

func syntaxError(file string, err error) error {
	var se *yaml.SyntaxError
	msg := err.Error()
	line, col := 1, 1
	if errors.As(err, &se) {
		msg = se.Message
		if se.Token != nil && se.Token.Position != nil {
			line, col = se.Token.Position.Line, se.Token.Position.Column
		}
	}
	return &ValidationError{Errors: []FieldError{{
		Pos: fmt.Sprintf("%s:%d:%d", file, line, col), Msg: "YAML syntax: " + msg, line: line, col: col,
	}}}
}
