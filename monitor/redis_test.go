package monitor

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statusmap/statusmap/config"
)

func TestRedis(t *testing.T) {
	srv := startRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	setup := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.Password, DB: 2})
	defer setup.Close()
	if err := setup.Set(ctx, "deploy:version", "1.4.2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := setup.Set(ctx, "queue:len", "10", 0).Err(); err != nil {
		t.Fatal(err)
	}
	closed, _ := freePort()

	// A listener that accepts and never answers: the probe must give up at the deadline.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	tests := []struct {
		name    string
		check   config.Check
		timeout time.Duration
		status  Status
		reason  string
	}{
		{"ping", config.Check{Address: srv.Addr, Password: srv.Password}, 0, StatusOK, ""},
		{"key present", config.Check{Address: srv.Addr, Password: srv.Password, DB: 2, Key: "deploy:version"}, 0, StatusOK, ""},
		{"key value", config.Check{Address: srv.Addr, Password: srv.Password, DB: 2, Key: "deploy:version", Expect: config.Expect{Value: "1.4.2"}}, 0, StatusOK, ""},
		{"key value differs", config.Check{Address: srv.Addr, Password: srv.Password, DB: 2, Key: "queue:len", Expect: config.Expect{Value: "0"}}, 0, StatusError, `key "queue:len" is "10", want "0"`},
		{"key in other db", config.Check{Address: srv.Addr, Password: srv.Password, DB: 0, Key: "deploy:version"}, 0, StatusError, `key "deploy:version" does not exist`},
		{"wrong password", config.Check{Address: srv.Addr, Password: "wrong-Pa55word"}, 0, StatusError, "WRONGPASS"},
		{"no password", config.Check{Address: srv.Addr}, 0, StatusError, "NOAUTH"},
		{"closed port", config.Check{Address: "127.0.0.1:" + strconv.Itoa(closed)}, 0, StatusError, "connection refused"},
		{"silent server", config.Check{Address: silent.Addr().String()}, 400 * time.Millisecond, StatusError, "timed out"},
		{"no address", config.Check{}, 0, StatusError, "no address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			out, _ := runProbe(t, probeRedis, tt.check, timeout, srv.Password, "wrong-Pa55word")
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("extra", func(t *testing.T) {
		out, _ := runProbe(t, probeRedis, config.Check{Address: srv.Addr, Password: srv.Password, DB: 2}, 5*time.Second)
		if out.Extra["role"] != "master" {
			t.Errorf("role %q", out.Extra["role"])
		}
		if out.Extra["keys"] != "2" || out.Metrics["redis_keys"] != 2 {
			t.Errorf("keys %q %v", out.Extra["keys"], out.Metrics)
		}
		if out.Extra["used_memory"] == "" || out.Metrics["redis_used_memory_bytes"] <= 0 {
			t.Errorf("memory %v %v", out.Extra, out.Metrics)
		}
		if out.Extra["version"] == "" {
			t.Errorf("version missing")
		}
	})
}

func TestRedisInfoReplicaLinkDown(t *testing.T) {
	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	redisInfoFacts("# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n# Memory\r\nused_memory:2048\r\n", &out)
	if out.Status != StatusWarn || out.Extra["role"] != "slave" || out.Extra["used_memory"] != "2.0 KB" {
		t.Errorf("got %+v", out)
	}
}
