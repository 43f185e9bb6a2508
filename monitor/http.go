package monitor

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statusmap/statusmap/config"
)

// maxBody bounds what an http check reads of a response: enough for any health endpoint,
// small enough that thousands of checks cannot fill the memory.
const maxBody = 1 << 20

// Default certificate thresholds for https targets (days before expiry).
const (
	DefaultWarnDays  = 14
	DefaultErrorDays = 3
)

// httpProber runs http checks. It owns one Transport per TLS-verify setting so connections
// are reused across runs and checks, with a bounded idle pool.
type httpProber struct {
	// clients[insecure][noFollow]
	clients [2][2]*http.Client
	bufs    sync.Pool
	regexes sync.Map // pattern -> *regexp.Regexp or error
	now     func() time.Time
}

func newHTTPProber() *httpProber {
	h := &httpProber{now: time.Now}
	h.bufs.New = func() any { return new(bytes.Buffer) }
	for i, verify := range []bool{true, false} {
		tr := &http.Transport{
			// The target is checked as it is reached from here, without proxies.
			Proxy:             nil,
			DialContext:       (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2: true,
			// Bodies are checked as the server sends them to a plain client (like curl
			// without --compressed); it also spares a header map per request.
			DisableCompression:     true,
			MaxIdleConns:           512,
			MaxIdleConnsPerHost:    64,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    15 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: 256 << 10,
			TLSClientConfig:        &tls.Config{InsecureSkipVerify: !verify}, //nolint:gosec // the user asked for it (tls_verify: false)
		}
		h.clients[i][0] = &http.Client{Transport: tr}
		h.clients[i][1] = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return h
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// defaultHeader is sent by every http check; never modified after init.
var defaultHeader = http.Header{"User-Agent": {"statusmap"}}

// probeHTTP is the http (alias api) check.
func (h *httpProber) probe(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	p := cached(ctx, c, prepareHTTP)
	if p.err != "" {
		return Outcome{Status: StatusError, Reason: p.err}
	}
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, "", body)
	if err != nil {
		return Outcome{Status: StatusError, Reason: "invalid method"}
	}
	// Shared, read-only between runs: the client never changes a request's URL or headers.
	req.URL, req.Host, req.Header = p.url, p.host, p.header
	ins, nof := 0, 0
	if !p.verify {
		ins = 1
	}
	if !p.follow {
		nof = 1
	}
	follow := p.follow
	log.add(p.logReq)

	start := time.Now()
	resp, err := h.clients[ins][nof].Do(req)
	if err != nil {
		reason := httpErrReason(ctx, err, c.Timeout.D())
		log.Printf("request failed: %s", reason)
		return Outcome{Status: StatusError, Reason: reason, Latency: time.Since(start)}
	}
	defer resp.Body.Close()
	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // keep the pool small; a rare big body is left to the GC
			h.bufs.Put(buf)
		}
	}()
	_, rerr := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	elapsed := time.Since(start)
	data := buf.Bytes()
	truncated := len(data) > maxBody
	if truncated {
		data = data[:maxBody]
	}
	log.add("HTTP ", strconv.Itoa(resp.StatusCode), ", ", strconv.Itoa(len(data)), " bytes in ", elapsed.Round(time.Microsecond).String())
	out := Outcome{Status: StatusOK, Code: resp.StatusCode, Latency: elapsed}
	fail := func(reason string) Outcome {
		log.Printf("%s", reason)
		out.Status, out.Reason = StatusError, reason
		return out
	}
	if rerr != nil {
		return fail("reading body: " + httpErrReason(ctx, rerr, c.Timeout.D()))
	}
	if truncated {
		log.Printf("body cut at %d bytes", maxBody)
	}

	if ok, want := statusItemsMatch(resp.StatusCode, p.status, follow); !ok {
		return fail(fmt.Sprintf("HTTP %d, want %s", resp.StatusCode, want))
	}
	e := c.Expect
	if e.BodyContains != "" && !bytes.Contains(data, []byte(e.BodyContains)) {
		return fail(fmt.Sprintf("body does not contain %q", clipValue(e.BodyContains)))
	}
	if e.BodyRegex != "" {
		re, err := h.regexp(e.BodyRegex)
		if err != nil {
			return fail(fmt.Sprintf("body_regex: %v", err))
		}
		if !re.Match(data) {
			return fail(fmt.Sprintf("body does not match /%s/", clipValue(e.BodyRegex)))
		}
	}
	if len(e.JSON) > 0 || len(e.JSONFields) > 0 || len(c.Extract) > 0 {
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			if len(e.JSON) > 0 || len(e.JSONFields) > 0 {
				return fail("body is not JSON: " + jsonErrText(err))
			}
			log.Printf("extract: body is not JSON: %s", jsonErrText(err))
		} else {
			if p.rulesErr != "" {
				return fail(p.rulesErr)
			}
			if reason := checkJSON(doc, p.rules, p.fields); reason != "" {
				return fail(reason)
			}
			out.Extra = extractFields(doc, p.extract, log)
		}
	}

	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		warnDays, errorDays := c.WarnDays, c.ErrorDays
		if warnDays <= 0 {
			warnDays = DefaultWarnDays
		}
		if errorDays <= 0 {
			errorDays = DefaultErrorDays
		}
		st, reason, extra := certVerdict(resp.TLS.PeerCertificates, warnDays, errorDays, h.now())
		if len(extra) > 0 {
			if out.Extra == nil {
				out.Extra = make(map[string]string, len(extra))
			}
			for k, v := range extra {
				out.Extra[k] = v
			}
		}
		switch st {
		case StatusError:
			return fail(reason)
		case StatusWarn:
			log.Printf("%s", reason)
			out.Status, out.Reason = StatusWarn, reason
		}
	}

	if max := e.MaxResponseTime.D(); max > 0 && elapsed > max && out.Status == StatusOK {
		out.Status = StatusWarn
		out.Reason = fmt.Sprintf("response took %s, want <= %s", FormatLatency(elapsed), FormatLatency(max))
		log.Printf("%s", out.Reason)
	}
	return out
}

func (h *httpProber) regexp(p string) (*regexp.Regexp, error) {
	if v, ok := h.regexes.Load(p); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		h.regexes.Store(p, err)
		return nil, err
	}
	h.regexes.Store(p, re)
	return re, nil
}

// httpPrep is what an http check needs that does not change between runs.
type httpPrep struct {
	err            string // the spec cannot run: the reason
	method         string
	url            *url.URL
	host           string
	header         http.Header
	follow, verify bool
	rules          []config.JSONRule
	fields         []jsonField
	extract        []extractField
	rulesErr       string   // a bad json rule or field: reported when the body is JSON
	logReq         string   // the run log's first line: method and redacted URL
	status         []string // expect.status split into items
}

type jsonField struct {
	raw  string
	path config.JSONPath
}

type extractField struct {
	key, raw string
	path     config.JSONPath
	err      string
}

func prepareHTTP(c *config.Check) *httpPrep {
	p := &httpPrep{
		method: strings.ToUpper(c.Method),
		follow: boolOr(c.FollowRedirects, true),
		verify: boolOr(c.TLSVerify, true),
	}
	if p.method == "" {
		p.method = http.MethodGet
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// The error quotes the URL, which may hold credentials: say what is wrong without it.
		p.err = "invalid url"
		return p
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		p.err = fmt.Sprintf("url scheme %q: want http or https", u.Scheme)
		return p
	}
	if u.Host == "" {
		p.err = "url has no host"
		return p
	}
	p.url, p.host = u, u.Host
	p.logReq = p.method + " " + redactURL(u)
	p.status = statusList(c.Expect.Status)
	// Most checks send no headers of their own: they share one read-only set.
	p.header = defaultHeader
	if len(c.Headers) > 0 {
		p.header = defaultHeader.Clone()
	}
	for k, v := range c.Headers {
		if strings.EqualFold(k, "Host") {
			p.host = v
			continue
		}
		p.header.Set(k, v)
	}
	// Rules and paths are parsed by config, which validated them at load.
	for _, src := range c.Expect.JSON {
		r, err := config.ParseJSONRule(src)
		if err != nil {
			p.rulesErr = fmt.Sprintf("json rule %q: %v", src, err)
			break
		}
		p.rules = append(p.rules, r)
	}
	for _, f := range c.Expect.JSONFields {
		f = strings.TrimSpace(f)
		path, err := config.ParseJSONPath(f)
		if err != nil {
			if p.rulesErr == "" {
				p.rulesErr = fmt.Sprintf("json_fields %q: %v", f, err)
			}
			continue
		}
		p.fields = append(p.fields, jsonField{raw: f, path: path})
	}
	for k, src := range c.Extract {
		src = strings.TrimSpace(src)
		path, err := config.ParseJSONPath(src)
		ef := extractField{key: k, raw: src, path: path}
		if err != nil {
			ef.err = fmt.Sprintf("extract %s: %v", k, err)
		}
		p.extract = append(p.extract, ef)
	}
	return p
}

// checkJSON applies the json rules, then the required fields; "" when all pass.
func checkJSON(doc any, rules []config.JSONRule, fields []jsonField) string {
	for _, r := range rules {
		ok, got := r.Match(doc)
		switch {
		case ok:
		case got == "missing":
			return fmt.Sprintf("%s missing, want %s", r.Path.Raw, r.Want())
		default:
			return fmt.Sprintf("%s = %s, want %s", r.Path.Raw, got, r.Want())
		}
	}
	for _, f := range fields {
		if _, ok := f.path.Lookup(doc); !ok {
			return f.raw + " missing"
		}
	}
	return ""
}

// extractFields copies JSON values into extra; missing paths are logged.
func extractFields(doc any, extract []extractField, log *RunLog) map[string]string {
	if len(extract) == 0 {
		return nil
	}
	out := make(map[string]string, len(extract))
	for _, f := range extract {
		if f.err != "" {
			log.Printf("%s", f.err)
			continue
		}
		v, ok := f.path.Lookup(doc)
		if !ok {
			log.Printf("extract %s: %s missing", f.key, f.raw)
			continue
		}
		out[f.key] = clipValue(extractText(v))
	}
	return out
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// statusMatches checks code against the expected list ("200", "2xx", "200-299"; items may be
// comma separated). Empty list: any 2xx, and 3xx too when redirects are not followed.
// It returns the wanted list as text for the reason.
func statusMatches(code int, want []string, follow bool) (bool, string) {
	return statusItemsMatch(code, statusList(want), follow)
}

// statusList splits the expected status list into its items; nil when nothing is expected.
func statusList(want []string) []string {
	if len(want) == 0 {
		return nil
	}
	items := make([]string, 0, len(want))
	for _, w := range want {
		for _, it := range strings.Split(w, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
	}
	return items
}

// statusItemsMatch is statusMatches on a list split by statusList.
func statusItemsMatch(code int, items []string, follow bool) (bool, string) {
	if items == nil {
		if code >= 200 && code < 300 || !follow && code >= 300 && code < 400 {
			return true, ""
		}
		if follow {
			return false, "2xx"
		}
		return false, "2xx or 3xx"
	}
	for _, it := range items {
		if statusItem(code, it) {
			return true, ""
		}
	}
	return false, strings.Join(items, ", ")
}

func statusItem(code int, it string) bool {
	low := strings.ToLower(it)
	if len(low) == 3 && strings.HasSuffix(low, "xx") && low[0] >= '1' && low[0] <= '5' {
		return code/100 == int(low[0]-'0')
	}
	if a, b, ok := strings.Cut(it, "-"); ok {
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		return err1 == nil && err2 == nil && code >= lo && code <= hi
	}
	n, err := strconv.Atoi(it)
	return err == nil && n == code
}

// httpErrReason turns a client error into one line without the URL (it may hold secrets).
func httpErrReason(ctx context.Context, err error, timeout time.Duration) string {
	if ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return timeoutReason(timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// timeoutReason is the reason of a run that hit the check's timeout.
func timeoutReason(timeout time.Duration) string {
	if timeout <= 0 {
		return "timeout"
	}
	return "timeout after " + timeout.String()
}

// redactURL shows where a request goes without credentials or query values.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	c.Fragment = ""
	return c.String()
}
