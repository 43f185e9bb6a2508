package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ParseJSON parses src and returns the canonical JSON of the result, the same value
// nomnoml 1.7.0's parse(src) returns without its config: {"root":...,"directives":[...]}.
// A syntax error is not an error here: it is encoded as
// {"error":{"line":L,"column":C,"message":"Parse error at ..."}}, as the conformance
// script prints it. The error return is only for failures to encode.
func ParseJSON(src string) ([]byte, error) {
	d, err := Parse(src)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("parse: %w", err)
		}
		return encodeJSON(map[string]any{"error": map[string]any{
			"line": pe.Line, "column": pe.Column, "message": pe.Message,
		}})
	}
	return encodeJSON(d)
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Keep <, > and & as they are: nomnoml's JSON.stringify does not escape them.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode parse tree: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
