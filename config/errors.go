package config

import (
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem in the configuration, located in the file.
type FieldError struct {
	Pos  string // "file:line:col"; empty for checks that did not come from a file
	Path string // "checks[3].interval"; empty for file-level problems
	Msg  string

	line, col int // for sorting
}

func (e FieldError) Error() string {
	var parts []string
	if e.Pos != "" {
		parts = append(parts, e.Pos)
	}
	if e.Path != "" {
		parts = append(parts, e.Path)
	}
	parts = append(parts, e.Msg)
	return strings.Join(parts, ": ")
}

// ValidationError holds every problem found, in file order.
type ValidationError struct {
	Errors []FieldError
}

// Error is one "pos: path: msg" per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// collector gathers FieldErrors, locating paths through pos and dropping problems under a
// path that already failed to decode (they would only repeat the first error).
type collector struct {
	errs   []FieldError
	locate func(path string) (pos string, line, col int)
	failed map[string]bool
}

func (c *collector) add(path, msg string) {
	for p := path; p != ""; p = parentPath(p) {
		if c.failed[p] {
			return
		}
	}
	fe := FieldError{Path: path, Msg: msg}
	if c.locate != nil {
		fe.Pos, fe.line, fe.col = c.locate(path)
	}
	c.addErr(fe)
}

func (c *collector) addErr(fe FieldError) {
	// One problem per line: values quoted into messages may hold line breaks.
	fe.Msg = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(fe.Msg)
	for _, e := range c.errs {
		if e.Pos == fe.Pos && e.Path == fe.Path && e.Msg == fe.Msg {
			return
		}
	}
	c.errs = append(c.errs, fe)
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	errs := append([]FieldError(nil), c.errs...)
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		// Errors without a position (whole-config problems) go last.
		if (a.line == 0) != (b.line == 0) {
			return b.line == 0
		}
		if a.line != b.line {
			return a.line < b.line
		}
		return a.col < b.col
	})
	return &ValidationError{Errors: errs}
}

// parentPath drops the last element: "checks[3].expect.status[1]" -> "checks[3].expect.status".
func parentPath(p string) string {
	if strings.HasSuffix(p, `"]`) {
		if i := strings.LastIndex(p, `["`); i > 0 {
			return p[:i]
		}
	}
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

func joinPath(base, key string) string {
	simple := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			simple = false
			break
		}
	}
	if !simple {
		return base + "[" + strconv.Quote(key) + "]"
	}
	if base == "" {
		return key
	}
	return base + "." + key
}
