package tgfake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// htmlTags are the tags Telegram's HTML parse mode accepts, with the attributes each may carry.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// parseHTML checks text the way Telegram's HTML parse mode does and returns the plain
// text a client would show (tags removed, entities decoded). The error texts follow the
// ones Telegram puts after "Bad Request: can't parse entities: ".
func parseHTML(text string) (string, error) {
	var out strings.Builder
	var stack []string
	i := 0
	for i < len(text) {
		c := text[i]
		switch c {
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end > 0 && end <= 10 {
				if s, ok := decodeEntity(text[i+1 : i+end]); ok {
					out.WriteString(s)
					i += end + 1
					continue
				}
			}
			// An unknown entity stays as literal text, as in Telegram.
			out.WriteByte('&')
			i++
		case '<':
			start := i
			i++
			if i >= len(text) {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", start)
			}
			if text[i] == '/' {
				i++
				j := i
				for j < len(text) && isTagChar(text[j]) {
					j++
				}
				name := strings.ToLower(text[i:j])
				for j < len(text) && text[j] == ' ' {
					j++
				}
				if j >= len(text) || text[j] != '>' {
					return "", fmt.Errorf("Can't find end tag at byte offset %d", start)
				}
				if len(stack) == 0 {
					return "", fmt.Errorf("Unexpected end tag at byte offset %d", start)
				}
				top := stack[len(stack)-1]
				if name != top {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", start, top, name)
				}
				stack = stack[:len(stack)-1]
				i = j + 1
				continue
			}
			j := i
			for j < len(text) && isTagChar(text[j]) {
				j++
			}
			name := strings.ToLower(text[i:j])
			if name == "" {
				return "", fmt.Errorf("Empty tag name at byte offset %d", start)
			}
			if !htmlTags[name] {
				return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, start)
			}
			// attributes until '>', honouring quotes
			var quote byte
			for ; j < len(text); j++ {
				ch := text[j]
				if quote != 0 {
					if ch == quote {
						quote = 0
					}
					continue
				}
				if ch == '"' || ch == '\'' {
					quote = ch
					continue
				}
				if ch == '>' {
					break
				}
				if ch == '<' {
					return "", fmt.Errorf("Unclosed start tag at byte offset %d", start)
				}
			}
			if j >= len(text) {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", start)
			}
			attrs := text[i+len(name) : j]
			if name == "span" && !strings.Contains(attrs, "tg-spoiler") {
				return "", fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", start)
			}
			stack = append(stack, name)
			i = j + 1
		default:
			r, size := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && size == 1 {
				return "", fmt.Errorf("Strings must be encoded in UTF-8")
			}
			out.WriteString(text[i : i+size])
			i += size
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

func isTagChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func decodeEntity(name string) (string, bool) {
	switch name {
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "amp":
		return "&", true
	case "quot":
		return "\"", true
	}
	if len(name) > 1 && name[0] == '#' {
		var n uint64
		var err error
		if name[1] == 'x' || name[1] == 'X' {
			n, err = strconv.ParseUint(name[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(name[1:], 10, 32)
		}
		if err == nil && utf8.ValidRune(rune(n)) && n != 0 {
			return string(rune(n)), true
		}
	}
	return "", false
}
