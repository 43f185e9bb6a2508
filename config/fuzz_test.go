package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and a failure must be a
// *ValidationError whose every line carries a position.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../config.example.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("checks:\n  - {name: a, type: http, url: \"http://h/\", expect: {json: ['$.a[0][\"b\"] >= 1']}}\n"))
	f.Add([]byte("x-a: &a {type: tcp}\nchecks: [{<<: *a, name: b, address: ${A:-h:1}}]\n"))
	getenv := func(k string) string {
		if k == "SET" {
			return "v"
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang is a failure too: Parse gets a generous bound, not the fuzzer's forever.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("Parse hangs on %q", data))
			}
		}()
		c, err := Parse(data, "f.yaml", getenv)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("error %T %v is not a non-empty *ValidationError", err, err)
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "f.yaml:") {
					t.Fatalf("line without position: %q", l)
				}
			}
			return
		}
		_ = c.Warnings()
		for i := range c.Checks {
			ch := c.Checks[i]
			if err := ValidateCheck(&ch, c.Defaults, func(string) bool { return true }); err != nil {
				t.Fatalf("check %q valid in the file but not through ValidateCheck: %v", ch.Name, err)
			}
		}
	})
}
