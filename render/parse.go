package render

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseError is a syntax error in a nomnoml source. Line, Column and Message are
// exactly what nomnoml 1.7.0 reports (Column counts UTF-16 units from the start of
// the line, starting at 0, as nomnoml does); Error() adds the offending source line
// and a caret under the position, like a compiler.
type ParseError struct {
	Line    int
	Column  int
	Message string // "Parse error at line L column C, expected X but got Y"

	// Where the error really is, for the caret: nomnoml does not count the line
	// breaks that an edge label swallows, so Line can lag behind the real line.
	srcLine string
	caret   int // in runes from the start of srcLine
	realNum int
}

// Error is the message followed by the source line and a caret line.
func (e *ParseError) Error() string {
	if e.realNum == 0 {
		return e.Message
	}
	var b strings.Builder
	b.WriteString(e.Message)
	prefix := fmt.Sprintf("%5d | ", e.realNum)
	b.WriteString("\n")
	b.WriteString(prefix)
	b.WriteString(e.srcLine)
	b.WriteString("\n")
	b.WriteString(strings.Repeat(" ", len(prefix)-2))
	b.WriteString("| ")
	// Keep tabs so the caret lines up under tab-indented text.
	n := 0
	for _, r := range e.srcLine {
		if n >= e.caret {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	for ; n < e.caret; n++ {
		b.WriteByte(' ')
	}
	b.WriteString("^")
	return b.String()
}

// Parse reads a nomnoml 1.7.0 source. The result is the same tree nomnoml's
// parse(src) returns (without its config; see Diagram.Config). Errors are
// *ParseError. Parse never panics.
func Parse(src string) (*Diagram, error) {
	if !utf8.ValidString(src) {
		src = strings.ToValidUTF8(src, "\uFFFD")
	}
	directives := extractDirectives(src)
	orig := utf16.Encode([]rune(src))
	code := removeLines(removeLines(orig, isCommentAt), isDirectiveAt)
	if jsTrim16(code) == 0 {
		return &Diagram{Root: newPart(), Directives: directives}, nil
	}
	p := &parser{src: code, line: 1, orig: orig}
	root, err := p.part()
	if err == nil && p.idx < len(p.src) {
		err = p.fail(`"end of file"`, p.at())
	}
	if err != nil {
		return nil, err
	}
	return &Diagram{Root: root, Directives: directives}, nil
}

func newPart() *Part {
	return &Part{Nodes: []*Node{}, Assocs: []*Assoc{}, Lines: []string{}}
}

// extractDirectives keeps every line whose first character is '#': the key is the
// text up to the first ':', untrimmed, and the value the rest, trimmed.
func extractDirectives(src string) []Directive {
	out := []Directive{}
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		key, value, _ := strings.Cut(line[1:], ":")
		out = append(out, Directive{Key: key, Value: jsTrim(value)})
	}
	return out
}

// isLineTerminator is what a JavaScript multiline `^` matches after.
func isLineTerminator(c uint16) bool {
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029
}

// isCommentAt matches /[ \t]*\/\// at i.
func isCommentAt(s []uint16, i int) bool {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i+1 < len(s) && s[i] == '/' && s[i+1] == '/'
}

func isDirectiveAt(s []uint16, i int) bool { return i < len(s) && s[i] == '#' }

// removeLines deletes, from every line start (as a JavaScript multiline regexp sees
// line starts) where match holds, everything up to the next '\n'.
func removeLines(s []uint16, match func([]uint16, int) bool) []uint16 {
	out := make([]uint16, 0, len(s))
	for i := 0; i < len(s); {
		if (i == 0 || isLineTerminator(s[i-1])) && match(s, i) {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			if i >= len(s) {
				break
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// parser walks the UTF-16 units of the source like nomnoml does, so columns and
// the quirks at the end of input come out the same. idx may run past the end:
// reading there gives JavaScript's undefined (ok == false).
type parser struct {
	src       []uint16
	orig      []uint16
	idx       int
	line      int
	lineStart int
}

func (p *parser) peek() (uint16, bool) {
	if p.idx >= 0 && p.idx < len(p.src) {
		return p.src[p.idx], true
	}
	return 0, false
}

func (p *parser) is(c uint16) bool {
	x, ok := p.peek()
	return ok && x == c
}

func (p *parser) pop() (uint16, bool) {
	c, ok := p.peek()
	p.idx++
	return c, ok
}

// at is the serialized current character, for error messages.
func (p *parser) at() string {
	c, ok := p.peek()
	if !ok {
		return "end of file"
	}
	return jsQuote([]uint16{c})
}

func (p *parser) hasPrefix(tok string) bool {
	if p.idx > len(p.src) {
		return tok == ""
	}
	rest := p.src[p.idx:]
	if len(tok) > len(rest) {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if rest[i] != uint16(tok[i]) {
			return false
		}
	}
	return true
}

func (p *parser) isOneOf(toks ...string) bool {
	for _, t := range toks {
		if p.hasPrefix(t) {
			return true
		}
	}
	return false
}

func (p *parser) discardSpaces() {
	for p.is(' ') {
		p.idx++
	}
}

func (p *parser) fail(expected, actual string) *ParseError {
	col := p.idx - p.lineStart
	e := &ParseError{
		Line:    p.line,
		Column:  col,
		Message: fmt.Sprintf("Parse error at line %d column %d, expected %s but got %s", p.line, col, expected, actual),
	}
	p.locate(e)
	return e
}

// locate finds the real line and column of the error in the original source, for
// the caret. Removed comment and directive lines keep their line breaks, so the
// line structure of the parsed text is the original's.
func (p *parser) locate(e *ParseError) {
	idx := min(p.idx, len(p.src))
	num, start := 1, 0
	for i := 0; i < idx; i++ {
		if p.src[i] == '\n' {
			num++
			start = i + 1
		}
	}
	e.realNum = num
	e.caret = len([]rune(string(utf16.Decode(p.src[start:idx])))) + (p.idx - idx)
	// Show the original line (comments and directives included).
	lines := strings.Split(string(utf16.Decode(p.orig)), "\n")
	if num-1 < len(lines) {
		// A carriage return would send the terminal's cursor back; show it instead.
		e.srcLine = strings.ReplaceAll(lines[num-1], "\r", "␍")
	}
}

func (p *parser) part() (*Part, error) {
	part := newPart()
	for p.idx < len(p.src) {
		last := p.idx
		p.discardSpaces()
		c, ok := p.peek()
		switch {
		case ok && c == '\n':
			p.pop()
			p.line++
			p.lineStart = p.idx
		case ok && c == ';':
			p.pop()
		case ok && (c == '|' || c == ']'):
			return part, nil
		case ok && c == '[':
			nodes, assocs, err := p.nodesAndAssocs()
			if err != nil {
				return nil, err
			}
			for _, n := range nodes {
				part.Nodes = addNode(part.Nodes, n)
			}
			part.Assocs = append(part.Assocs, assocs...)
		default:
			if text := jsTrim(p.textLine()); text != "" {
				part.Lines = append(part.Lines, text)
			}
		}
		if p.idx == last {
			return nil, fmt.Errorf("parse: no progress at offset %d", p.idx)
		}
	}
	return part, nil
}

// addNode keeps the first position of an id; a later node with the same id
// replaces it only when it has more parts.
func addNode(nodes []*Node, n *Node) []*Node {
	for i, e := range nodes {
		if e.ID == n.ID {
			if len(e.Parts) < len(n.Parts) {
				nodes[i] = n
			}
			return nodes
		}
	}
	return append(nodes, n)
}

func (p *parser) nodesAndAssocs() ([]*Node, []*Assoc, error) {
	node, err := p.node()
	if err != nil {
		return nil, nil, err
	}
	nodes := addNode(nil, node)
	var assocs []*Assoc
	for p.idx < len(p.src) {
		p.discardSpaces()
		if p.isOneOf("\n", "]", "|", ";") {
			break
		}
		a, target, err := p.association(node)
		if err != nil {
			return nil, nil, err
		}
		assocs = append(assocs, a)
		nodes = addNode(nodes, target)
		node = target
	}
	return nodes, assocs, nil
}

func escaped(c uint16, ok bool) []uint16 {
	if !ok {
		return nil
	}
	if c == 'n' {
		return []uint16{'\n'}
	}
	return []uint16{c}
}

var (
	assocLookahead = []string{"(o-", "(-", "o<-", "o-", "+-", "<:-", "<-", "-"}
	assocStart     = []string{"(o", "(", "o<", "o", "+", "<:", "<", ""}
	assocLine      = []string{"--", "-/-", "-"}
	assocEnd       = []string{"o)", "o", ">o", ">", ")", "+", ":>", ""}
)

func (p *parser) association(from *Node) (*Assoc, *Node, error) {
	var label []uint16
	for p.idx < len(p.src) {
		if p.is('\\') {
			p.pop()
			label = append(label, escaped(p.pop())...)
		}
		if p.isOneOf(assocLookahead...) {
			break
		} else if p.isOneOf("[", "]", "|", "<", ">", ";") {
			return nil, nil, p.fail(`"label"`, p.at())
		}
		c, ok := p.pop()
		if ok {
			label = append(label, c)
		}
	}
	t1, err := p.consumeOneOf(assocStart)
	if err != nil {
		return nil, nil, err
	}
	t2, err := p.consumeOneOf(assocLine)
	if err != nil {
		return nil, nil, err
	}
	t3, err := p.consumeOneOf(assocEnd)
	if err != nil {
		return nil, nil, err
	}
	endStart := min(p.idx, len(p.src))
	for p.idx < len(p.src) && p.src[p.idx] != '[' {
		p.idx++
	}
	endLabel := p.src[endStart:min(p.idx, len(p.src))]
	target, err := p.node()
	if err != nil {
		return nil, nil, err
	}
	return &Assoc{
		Type:       t1 + t2 + t3,
		Start:      from.ID,
		End:        target.ID,
		StartLabel: Label{Text: jsTrim(decode16(label))},
		EndLabel:   Label{Text: jsTrim(decode16(endLabel))},
	}, target, nil
}

func (p *parser) consumeOneOf(toks []string) (string, error) {
	for _, t := range toks {
		if p.hasPrefix(t) {
			p.idx += len(t)
			return t, nil
		}
	}
	quoted := make([]string, len(toks))
	for i, t := range toks {
		quoted[i] = jsQuote(utf16.Encode([]rune(t)))
	}
	// nomnoml slices the wrong range here and always reports "" when not at the end.
	actual := `""`
	if p.idx+1 >= len(p.src) {
		actual = "end of file"
	}
	return "", p.fail(strings.Join(quoted, " or "), actual)
}

func (p *parser) node() (*Node, error) {
	p.idx++ // '['
	n := &Node{Attr: map[string]string{}, Type: "class"}
	if p.is('<') {
		if err := p.meta(n); err != nil {
			return nil, err
		}
	}
	first, err := p.part()
	if err != nil {
		return nil, err
	}
	n.Parts = []*Part{first}
	for p.is('|') {
		p.pop()
		part, err := p.part()
		if err != nil {
			return nil, err
		}
		n.Parts = append(n.Parts, part)
	}
	if !p.is(']') {
		return nil, p.fail(`"]"`, p.at())
	}
	p.pop()
	p.discardSpaces()
	if id, ok := n.Attr["id"]; ok {
		n.ID = id
	} else if len(first.Lines) > 0 {
		n.ID = first.Lines[0]
	}
	return n, nil
}

func isWordUnit(c uint16) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *parser) consumeWhile(ok func(uint16) bool, expected string) (string, error) {
	start := p.idx
	for {
		c, in := p.peek()
		if !in || !ok(c) {
			break
		}
		p.idx++
	}
	if start >= p.idx {
		return "", p.fail(expected, p.at())
	}
	return decode16(p.src[start:p.idx]), nil
}

func (p *parser) meta(n *Node) error {
	p.idx++ // '<'
	typ, err := p.consumeWhile(isWordUnit, "[a-zA-Z0-9_]")
	if err != nil {
		return err
	}
	n.Type = typ
	c, ok := p.pop()
	if ok && c == '>' {
		return nil
	}
	if !ok || c != ' ' {
		return p.fail(`" " or ">"`, serializeUnit(c, ok))
	}
	for {
		key, err := p.consumeWhile(isWordUnit, "[a-zA-Z0-9_]")
		if err != nil {
			return err
		}
		if c, ok := p.pop(); !ok || c != '=' {
			return p.fail(`"="`, serializeUnit(c, ok))
		}
		value, err := p.consumeWhile(func(c uint16) bool { return c != '>' && c != ' ' }, "[^> ]")
		if err != nil {
			return err
		}
		// Later keys win, as in nomnoml's {[key]: value, ...rest}.
		n.Attr[key] = value
		c, ok := p.pop()
		if ok && c == '>' {
			return nil
		}
		if !ok || c != ' ' {
			return p.fail(`" " or ">"`, serializeUnit(c, ok))
		}
	}
}

func serializeUnit(c uint16, ok bool) string {
	if !ok {
		return "end of file"
	}
	return jsQuote([]uint16{c})
}

// textLine reads up to `[ ] | ; \n`, with `\n` and `\X` escapes.
func (p *parser) textLine() string {
	var out []uint16
	for p.idx < len(p.src) {
		c := p.src[p.idx]
		if c == '\\' {
			p.pop()
			out = append(out, escaped(p.pop())...)
			continue
		}
		if c == '[' || c == ']' || c == '|' || c == ';' || c == '\n' {
			break
		}
		out = append(out, c)
		p.idx++
	}
	return decode16(out)
}

func decode16(s []uint16) string { return string(utf16.Decode(s)) }

// jsSpace is JavaScript's String.prototype.trim set: WhiteSpace and LineTerminator.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func jsTrim(s string) string { return strings.TrimFunc(s, jsSpace) }

// jsTrim16 is the length of s trimmed.
func jsTrim16(s []uint16) int {
	n := 0
	for _, c := range s {
		if !jsSpace(rune(c)) {
			n++
		}
	}
	return n
}

// jsQuote is JSON.stringify of a string given as UTF-16 units.
func jsQuote(s []uint16) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case utf16.IsSurrogate(rune(c)):
			if c < 0xDC00 && i+1 < len(s) && s[i+1] >= 0xDC00 && s[i+1] <= 0xDFFF {
				b.WriteRune(utf16.DecodeRune(rune(c), rune(s[i+1])))
				i++
			} else {
				fmt.Fprintf(&b, `\u%04x`, c)
			}
		default:
			b.WriteRune(rune(c))
		}
	}
	b.WriteByte('"')
	return b.String()
}
