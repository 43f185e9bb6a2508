package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/statusmap/statusmap/config"
)

// probeTCP connects to address (host:port) within the deadline and closes the connection.
func probeTCP(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return Outcome{Status: StatusError, Reason: fmt.Sprintf("address %q: want host:port", c.Address)}
	}
	log.Printf("connect tcp %s", c.Address)
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", c.Address)
	elapsed := time.Since(start)
	if err != nil {
		reason := dialReason(ctx, err, c.Timeout.D())
		log.Printf("%s", reason)
		return Outcome{Status: StatusError, Reason: reason, Latency: elapsed}
	}
	log.Printf("connected to %s in %s", conn.RemoteAddr(), elapsed.Round(time.Microsecond))
	_ = conn.Close()
	out := Outcome{Status: StatusOK, Latency: elapsed}
	if max := c.Expect.MaxResponseTime.D(); max > 0 && elapsed > max {
		out.Status = StatusWarn
		out.Reason = fmt.Sprintf("connect took %s, want <= %s", FormatLatency(elapsed), FormatLatency(max))
		log.Printf("%s", out.Reason)
	}
	return out
}

// dialReason is one line for a failed dial: "connect: connection refused", "timeout after 5s".
func dialReason(ctx context.Context, err error, timeout time.Duration) string {
	if ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return timeoutReason(timeout)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		var dnsErr *net.DNSError
		if errors.As(oe.Err, &dnsErr) {
			return "lookup " + dnsErr.Name + ": " + dnsErr.Err
		}
		return oe.Err.Error()
	}
	return err.Error()
}
