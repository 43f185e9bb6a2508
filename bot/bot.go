// Package bot is statusmap's Telegram interface: commands to look at and change the
// checks, alert delivery with inline buttons, and long polling with backoff.
package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/render"
)

// DefaultAPIURL is Telegram's Bot API.
const DefaultAPIURL = "https://api.telegram.org"

const (
	// pollTimeout is how long one getUpdates call may be held by Telegram. A zero
	// timeout would turn long polling into a busy loop.
	pollTimeout = 25 * time.Second
	// Polling errors back off exponentially between these bounds, so a wrong token
	// costs a handful of requests a minute, not thousands a second.
	minBackoff = time.Second
	maxBackoff = time.Minute
	// maxHandlers bounds the updates handled at once.
	maxHandlers = 8
)

// Bot is the Telegram bot. Create it with New and run it with Run.
type Bot struct {
	cfg    config.Telegram
	deps   Deps
	log    *slog.Logger
	tb     *tele.Bot
	token  string
	apiURL string
	client *http.Client

	lastOK   atomic.Int64 // unix nanoseconds of the last successful API call
	username atomic.Value // string, from getMe

	// Knobs that tests shorten.
	pollTimeout time.Duration
	minBackoff  time.Duration
	maxBackoff  time.Duration
	muteTick    time.Duration
	render      func(src string, live map[string]render.NodeStatus) ([]byte, error)

	allowed map[int64]bool
	admins  map[int64]bool

	mu       sync.Mutex
	refused  map[int64]time.Time // last refusal per user, to answer strangers once
	mutes    map[string]muteWatch
	handlers sync.WaitGroup
}

type muteWatch struct {
	until  time.Time
	chatID int64 // 0: announce to the alert chats
}

// New builds a bot from the telegram config section. It does not contact Telegram;
// Run does.
func New(cfg config.Telegram, deps Deps, logger *slog.Logger) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: token is empty")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if deps.Engine == nil {
		return nil, errors.New("telegram: no engine")
	}
	api := strings.TrimRight(cfg.APIURL, "/")
	if api == "" {
		api = DefaultAPIURL
	}
	if u, err := url.Parse(api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("telegram: api_url %q is not an http(s) URL", cfg.APIURL)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Location == nil {
		deps.Location = time.Local
	}
	b := &Bot{
		cfg:         cfg,
		deps:        deps,
		log:         logger,
		token:       cfg.Token,
		apiURL:      api,
		pollTimeout: pollTimeout,
		minBackoff:  minBackoff,
		maxBackoff:  maxBackoff,
		muteTick:    5 * time.Second,
		render:      render.RenderPNG,
		allowed:     idSet(cfg.Allowed),
		admins:      idSet(cfg.Admins),
		refused:     map[int64]time.Time{},
		mutes:       map[string]muteWatch{},
	}
	b.client = &http.Client{Timeout: pollTimeout + 30*time.Second}
	tb, err := tele.NewBot(tele.Settings{
		Token:     cfg.Token,
		URL:       api,
		Offline:   true, // getMe happens in Run, with backoff
		Client:    b.client,
		ParseMode: tele.ModeHTML,
		OnError:   func(err error, _ tele.Context) { b.log.Error("telegram", "err", b.scrub(err)) },
	})
	if err != nil {
		return nil, fmt.Errorf("telegram: %s", b.scrubText(err.Error()))
	}
	b.tb = tb
	b.username.Store("")
	if len(b.allowed) == 0 {
		logger.Warn("telegram.allowed is empty: the bot answers nobody")
	}
	return b, nil
}

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// LastOK is the time of the last successful Bot API call (zero before the first).
func (b *Bot) LastOK() time.Time {
	n := b.lastOK.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (b *Bot) markOK() { b.lastOK.Store(time.Now().UnixNano()) }

// Run polls Telegram for updates and handles them until ctx is done. Errors talking
// to Telegram are logged and retried with backoff; Run returns nil when ctx ends.
func (b *Bot) Run(ctx context.Context) error {
	// Mutes set before a restart are still announced when they expire.
	if b.deps.Store != nil {
		if mutes, err := b.deps.Store.Mutes(ctx); err == nil {
			b.mu.Lock()
			for name, until := range mutes {
				b.mutes[name] = muteWatch{until: until}
			}
			b.mu.Unlock()
		} else {
			b.log.Warn("loading mutes", "err", err)
		}
	}
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		b.watchMutes(ctx)
	}()
	defer func() {
		bg.Wait()
		b.handlers.Wait()
	}()

	backoff := time.Duration(0)
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	fail := func(what string, err error) bool {
		var fe *FloodError
		if errors.As(err, &fe) {
			b.log.Warn("telegram rate limit", "call", what, "retry_after", fe.After)
			return wait(fe.After)
		}
		if backoff == 0 {
			backoff = b.minBackoff
		} else {
			backoff = min(backoff*2, b.maxBackoff)
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == http.StatusUnauthorized {
			b.log.Error("telegram rejected the bot token (401 Unauthorized); check telegram.token", "retry_in", backoff)
		} else if errors.As(err, &ae) && ae.Code == http.StatusConflict {
			b.log.Error("another process is polling with this bot token", "err", err, "retry_in", backoff)
		} else {
			b.log.Warn("telegram unreachable", "call", what, "err", err, "retry_in", backoff)
		}
		return wait(backoff)
	}

	// Connect: learn our name, register the command menu.
	for ctx.Err() == nil {
		var me tele.User
		if err := b.call(ctx, "getMe", nil, &me); err != nil {
			if !fail("getMe", err) {
				return nil
			}
			continue
		}
		b.username.Store(me.Username)
		if err := b.setCommands(ctx); err != nil {
			b.log.Warn("setMyCommands", "err", err)
		}
		b.log.Info("telegram bot connected", "username", me.Username)
		backoff = 0
		break
	}

	offset, confirmed := 0, 0
	defer func() {
		// Confirm what was handled, so a restart does not run the same commands again.
		if offset > confirmed {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			defer cancel()
			var none []tele.Update
			if err := b.call(cctx, "getUpdates", map[string]any{"offset": offset, "timeout": 0, "limit": 1}, &none); err != nil {
				b.log.Warn("confirming handled updates", "err", err)
			}
		}
	}()
	sem := make(chan struct{}, maxHandlers)
	for ctx.Err() == nil {
		var updates []tele.Update
		params := map[string]any{
			"offset":          offset,
			"timeout":         int(b.pollTimeout / time.Second),
			"allowed_updates": []string{"message", "callback_query"},
		}
		if err := b.call(ctx, "getUpdates", params, &updates); err != nil {
			if ctx.Err() != nil {
				break
			}
			if !fail("getUpdates", err) {
				break
			}
			continue
		}
		confirmed = offset
		if backoff != 0 {
			b.log.Info("telegram reachable again")
			backoff = 0
		}
		for _, u := range updates {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				// Not handed over: leave it unconfirmed, so it is fetched again after a restart.
				return nil
			}
			if ctx.Err() != nil {
				// Both were ready; a handler on a cancelled context would drop the command.
				<-sem
				return nil
			}
			// Only an update that a handler took counts as handled.
			if u.ID >= offset {
				offset = u.ID + 1
			}
			b.handlers.Add(1)
			go func(u tele.Update) {
				defer func() { <-sem; b.handlers.Done() }()
				b.handleUpdate(ctx, u)
			}(u)
		}
	}
	return nil
}

// call makes one Bot API request with ctx (telebot's own calls cannot be cancelled,
// which would hold shutdown for a whole long poll). result receives the "result" field.
func (b *Bot) call(ctx context.Context, method string, params any, result any) error {
	var body bytes.Buffer
	if params != nil {
		if err := json.NewEncoder(&body).Encode(params); err != nil {
			return fmt.Errorf("telegram %s: %w", method, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.apiURL+"/bot"+b.token+"/"+method, &body)
	if err != nil {
		return b.scrub(fmt.Errorf("telegram %s: %w", method, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return b.scrub(fmt.Errorf("telegram %s: %w", method, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return b.scrub(fmt.Errorf("telegram %s: %w", method, err))
	}
	var env struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Code        int             `json:"error_code"`
		Description string          `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("telegram %s: HTTP %d with a body that is not JSON", method, resp.StatusCode)
	}
	if !env.OK {
		return apiError(env.Code, env.Description, env.Parameters.RetryAfter)
	}
	b.markOK()
	if result != nil && len(env.Result) > 0 {
		if err := json.Unmarshal(env.Result, result); err != nil {
			return fmt.Errorf("telegram %s: decoding result: %w", method, err)
		}
	}
	return nil
}

// APIError is an error answer of the Bot API other than 429.
type APIError struct {
	Code        int
	Description string
}

func (e *APIError) Error() string { return fmt.Sprintf("telegram: %s (%d)", e.Description, e.Code) }

// FloodError is Telegram's 429 Too Many Requests: wait After before the next call.
type FloodError struct {
	After time.Duration
}

func (e *FloodError) Error() string {
	return fmt.Sprintf("telegram: too many requests, retry after %s", e.After)
}

// RetryAfter is how long Telegram asked to wait.
func (e *FloodError) RetryAfter() time.Duration { return e.After }

func apiError(code int, desc string, retryAfter int) error {
	if code == http.StatusTooManyRequests {
		if retryAfter <= 0 {
			retryAfter = 1
		}
		return &FloodError{After: time.Duration(retryAfter) * time.Second}
	}
	return &APIError{Code: code, Description: desc}
}

// scrubText removes the token (plain and URL-escaped) from s: telebot's and net/http's
// errors carry the request URL, which contains it.
func (b *Bot) scrubText(s string) string {
	if b.token == "" {
		return s
	}
	for _, t := range []string{b.token, url.PathEscape(b.token), url.QueryEscape(b.token)} {
		s = strings.ReplaceAll(s, t, "<token>")
	}
	return s
}

var plainAPIError = regexp.MustCompile(`^telegram: (.+) \(([1-5][0-9][0-9])\)$`)

// scrub turns any error from a Bot API call into one that is safe to show: the token is
// removed and Telegram's answers become *APIError or *FloodError.
func (b *Bot) scrub(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	var fe *FloodError
	if errors.As(err, &ae) || errors.As(err, &fe) {
		return err
	}
	var tfe tele.FloodError // a value type in telebot
	if errors.As(err, &tfe) {
		return &FloodError{After: time.Duration(max(tfe.RetryAfter, 1)) * time.Second}
	}
	var te *tele.Error
	if errors.As(err, &te) {
		return &APIError{Code: te.Code, Description: te.Description}
	}
	var ge tele.GroupError
	if errors.As(err, &ge) {
		return &APIError{Code: http.StatusBadRequest, Description: b.scrubText(ge.Error())}
	}
	msg := b.scrubText(err.Error())
	// telebot reports descriptions it does not know as a plain "telegram: DESC (CODE)".
	if m := plainAPIError.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[2])
		return &APIError{Code: code, Description: m[1]}
	}
	return errors.New(msg)
}

// do runs a telebot call, honouring ctx as far as telebot allows (the request itself
// cannot be cancelled; the caller stops waiting), and scrubs its error.
func (b *Bot) do(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			return b.scrub(err)
		}
		b.markOK()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send sends an HTML message to chatID. With check set, the message carries the
// buttons Mute 1h, Check now and Map for that check. Text longer than Telegram's limit
// is split at line boundaries; the buttons go on the last part. A 429 comes back as
// *FloodError (RetryAfter); no error contains the token.
func (b *Bot) Send(ctx context.Context, chatID int64, text string, check string) error {
	var markup *tele.ReplyMarkup
	if check != "" {
		markup = alertButtons(check)
	}
	parts := splitMessage(text, maxMessage)
	for i, part := range parts {
		opts := &tele.SendOptions{ParseMode: tele.ModeHTML, DisableWebPagePreview: true}
		if i == len(parts)-1 {
			opts.ReplyMarkup = markup
		}
		if err := b.do(ctx, func() error {
			_, err := b.tb.Send(tele.ChatID(chatID), part, opts)
			return err
		}); err != nil {
			return fmt.Errorf("send to %d: %w", chatID, err)
		}
	}
	return nil
}

func (b *Bot) setCommands(ctx context.Context) error {
	var cmds []map[string]string
	for _, c := range commandList {
		cmds = append(cmds, map[string]string{"command": c.name, "description": c.desc})
	}
	return b.call(ctx, "setMyCommands", map[string]any{"commands": cmds}, nil)
}

func (b *Bot) now() time.Time { return b.deps.Now() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
