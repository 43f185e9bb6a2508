package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/statusmap/statusmap/config"
)

// Ping defaults.
const (
	DefaultPingCount = 3
	pingInterval     = 500 * time.Millisecond
)

// errPingPermission explains what to change when the system refuses both socket kinds.
var errPingPermission = errors.New("ping not permitted: raw ICMP sockets need root or CAP_NET_RAW, " +
	"unprivileged ICMP needs this process's group in the sysctl net.ipv4.ping_group_range " +
	"(e.g. sysctl -w net.ipv4.ping_group_range=\"0 2147483647\")")

// probePing pings target (else host) count times. Loss over max_loss is an error, an
// average RTT over max_rtt a warning. Latency is the average RTT.
func probePing(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	addr := c.Target
	if addr == "" {
		addr = c.Host
	}
	if addr == "" {
		return Outcome{Status: StatusError, Reason: "no target or host to ping"}
	}
	count := c.Count
	if count <= 0 {
		count = DefaultPingCount
	}
	maxLoss := c.MaxLoss
	if maxLoss <= 0 {
		maxLoss = 34
		if count == 1 {
			maxLoss = 0
		}
	}

	ip, err := resolveIP(ctx, addr)
	if err != nil {
		reason := dialReason(ctx, err, c.Timeout.D())
		log.Printf("resolve %s: %s", addr, reason)
		return Outcome{Status: StatusError, Reason: reason}
	}
	log.Printf("ping %s (%s), %d packets", addr, ip, count)

	var stats *probing.Statistics
	switch {
	case c.Privileged != nil:
		stats, err = runPing(ctx, ip, count, *c.Privileged)
	default:
		stats, err = runPing(ctx, ip, count, true)
		if err != nil && isPermission(err) {
			log.Printf("raw socket refused (%v); trying unprivileged ICMP", err)
			stats, err = runPing(ctx, ip, count, false)
		}
	}
	if err != nil {
		if isPermission(err) {
			err = errPingPermission
		}
		log.Printf("%v", err)
		return Outcome{Status: StatusError, Reason: err.Error()}
	}
	log.Printf("%d sent, %d received, %.0f%% loss, rtt min/avg/max %s/%s/%s",
		stats.PacketsSent, stats.PacketsRecv, stats.PacketLoss,
		stats.MinRtt.Round(time.Microsecond), stats.AvgRtt.Round(time.Microsecond), stats.MaxRtt.Round(time.Microsecond))

	return pingVerdict(stats.PacketsSent, stats.PacketsRecv, stats.PacketLoss, stats.AvgRtt, maxLoss, c.MaxRTT.D(), c.Timeout.D())
}

// pingVerdict judges the statistics of one ping run: loss over maxLoss (or no reply at all)
// is an error, an average RTT over maxRTT (when set) a warning.
func pingVerdict(sent, recv int, loss float64, avg time.Duration, maxLoss float64, maxRTT, timeout time.Duration) Outcome {
	out := Outcome{Status: StatusOK, Latency: avg, Metrics: map[string]float64{
		"ping_loss_percent": loss,
		"ping_rtt_seconds":  avg.Seconds(),
	}}
	if sent == 0 {
		out.Status, out.Reason, out.Latency = StatusError, timeoutReason(timeout)+": no packet sent", 0
		return out
	}
	if loss > maxLoss || recv == 0 {
		out.Status = StatusError
		out.Reason = fmt.Sprintf("%d/%d packets lost (%.0f%% loss), want <= %.0f%%", sent-recv, sent, loss, maxLoss)
		if recv == 0 {
			out.Latency = 0
		}
		return out
	}
	if maxRTT > 0 && avg > maxRTT {
		out.Status = StatusWarn
		out.Reason = fmt.Sprintf("rtt %s, want <= %s", FormatLatency(avg), FormatLatency(maxRTT))
	}
	return out
}

func resolveIP(ctx context.Context, addr string) (*net.IPAddr, error) {
	if ip := net.ParseIP(addr); ip != nil {
		return &net.IPAddr{IP: ip}, nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, addr)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips { // prefer IPv4, as ping(8) does
		if ip.IP.To4() != nil {
			return &ip, nil
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", addr)
	}
	return &ips[0], nil
}

// runPing sends count echo requests, spaced pingInterval, and waits for replies until ctx's
// deadline (or until all are answered).
func runPing(ctx context.Context, ip *net.IPAddr, count int, privileged bool) (*probing.Statistics, error) {
	p := probing.New(ip.String())
	p.SetIPAddr(ip)
	p.SetPrivileged(privileged)
	p.SetLogger(probing.NoopLogger{})
	p.Count = count
	p.Interval = pingInterval
	if dl, ok := ctx.Deadline(); ok {
		p.Timeout = time.Until(dl)
	}
	if err := p.RunWithContext(ctx); err != nil {
		return nil, err
	}
	return p.Statistics(), nil
}

func isPermission(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) ||
		strings.Contains(err.Error(), "operation not permitted") || strings.Contains(err.Error(), "permission denied")
}
