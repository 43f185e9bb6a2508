package monitor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statusmap/statusmap/config"
)

// probeRedis sends PING to address (with password and db), optionally reads key and
// compares it with expect.value, then reports used memory, keys and role from INFO.
func probeRedis(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	addr := strings.TrimSpace(c.Address)
	if addr == "" {
		return checkFailed("redis: no address configured")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "6379")
	}
	opt := &redis.Options{
		Addr:     addr,
		Password: c.Password,
		DB:       c.DB,
		// One connection, no retries: a check measures one attempt.
		PoolSize:        1,
		MaxRetries:      -1,
		DialerRetries:   1,
		DisableIdentity: true,
	}
	if dl, ok := ctx.Deadline(); ok {
		d := time.Until(dl)
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = d, d, d
	}
	client := redis.NewClient(opt)
	defer client.Close()
	secrets := []string{c.Password}

	log.Printf("PING %s db %d", addr, c.DB)
	if err := client.Ping(ctx).Err(); err != nil {
		return checkFailed("%s", redisReason(ctx, err, start, secrets))
	}
	log.Printf("PONG")

	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	if c.Key != "" {
		v, err := client.Get(ctx, c.Key).Result()
		switch {
		case errors.Is(err, redis.Nil):
			log.Printf("key %q does not exist", c.Key)
			out.Status, out.Reason = StatusError, fmt.Sprintf("key %q does not exist", c.Key)
		case err != nil:
			return checkFailed("%s", redisReason(ctx, err, start, secrets))
		default:
			log.Printf("key %q = %q", c.Key, oneLine(v))
			if c.Expect.Value != "" && !valueMatches(v, c.Expect.Value) {
				out.Status, out.Reason = StatusError, fmt.Sprintf("key %q is %q, want %q", c.Key, oneLine(v), c.Expect.Value)
			}
		}
	}

	if info, err := client.Info(ctx, "server", "memory", "replication").Result(); err == nil {
		redisInfoFacts(info, &out)
	} else {
		log.Printf("INFO: %s", redact(err.Error(), secrets...))
	}
	if n, err := client.DBSize(ctx).Result(); err == nil {
		out.Extra["keys"] = strconv.FormatInt(n, 10)
		out.Metrics["redis_keys"] = float64(n)
	} else {
		log.Printf("DBSIZE: %s", redact(err.Error(), secrets...))
	}
	return out
}

// redisInfoFacts reads the fields shown on the map from an INFO reply.
func redisInfoFacts(info string, out *Outcome) {
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && !strings.HasPrefix(k, "#") {
			fields[k] = v
		}
	}
	if v := fields["redis_version"]; v != "" {
		out.Extra["version"] = v
	}
	if v := fields["role"]; v != "" {
		out.Extra["role"] = v
	}
	if v, err := strconv.ParseInt(fields["used_memory"], 10, 64); err == nil {
		out.Extra["used_memory"] = fmtBytes(v)
		out.Metrics["redis_used_memory_bytes"] = float64(v)
	}
	if fields["role"] == "slave" {
		if fields["master_link_status"] != "" {
			out.Extra["master_link"] = fields["master_link_status"]
		}
		if fields["master_link_status"] == "down" && out.Status == StatusOK {
			out.Status, out.Reason = StatusWarn, "replica's link to its master is down"
		}
	}
}

func redisReason(ctx context.Context, err error, start time.Time, secrets []string) string {
	return driverReason(ctx, "redis", err, start, secrets, nil)
}
