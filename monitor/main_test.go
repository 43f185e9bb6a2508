package monitor

import (
	"os"
	"testing"
)

// TestMain stops the database servers the tests started (see servers_test.go) once all
// tests have run; each server starts lazily on first use.
func TestMain(m *testing.M) {
	code := m.Run()
	stopTestServers()
	os.Exit(code)
}
