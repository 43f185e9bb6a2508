// Package tgfake is a fake of the Telegram Bot API for tests: an HTTP server on 127.0.0.1
// that answers /bot<TOKEN>/<method> the way api.telegram.org does, including its error
// JSON, long polling, multipart uploads and HTML parse-mode checks. Tests drive it as the
// user (SendUserMessage, PressButton) and read what the bot sent (Sent, WaitFor).
//
//	fake := tgfake.New("123:abc")
//	defer fake.Close()
//	// give the bot fake.URL() as its telegram.api_url and "123:abc" as its token
//	fake.SendUserMessage(7, 7, "/status")            // user 7 writes in a private chat
//	m, err := fake.WaitFor(7, 5*time.Second, func(m tgfake.Message) bool { return m.Method == "sendMessage" })
//	_, err = fake.PressButton(7, 7, m.ID, "run:api")  // only buttons the bot sent can be pressed
//
// Failure modes for tests: InjectError and Inject429 (the next calls fail), Storm (every
// call answers 429 for a while), SetUnreachable (connections are closed unanswered),
// EnforceRateLimits (Telegram's per-chat and global limits), RequireKnownChats.
package tgfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // photos may be GIF
	_ "image/jpeg" // photos may be JPEG
	_ "image/png"  // photos may be PNG
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Telegram's limits, as documented for the Bot API.
const (
	MaxTextLength    = 4096
	MaxCaptionLength = 1024
	MaxPhotoBytes    = 10 << 20
	MaxPhotoSides    = 10000 // width + height
	MaxPhotoRatio    = 20
	MaxUploadBytes   = 50 << 20
	maxCallbackData  = 64
	firstUpdateID    = 500000
	botUserID        = 1000001
	botUsername      = "statusmap_test_bot"
)

// Button is an inline keyboard button as the bot sent it.
type Button struct {
	Text string
	Data string // callback_data
	URL  string
}

// Message is a message the bot sent, as it stands now (after edits and deletion).
type Message struct {
	ID        int
	ChatID    int64
	Method    string // sendMessage, sendPhoto, sendDocument
	Text      string // as sent, with markup
	Plain     string // as a client shows it: tags removed, entities decoded
	ParseMode string
	Caption   string

	Photo        []byte // the uploaded image bytes
	PhotoWidth   int
	PhotoHeight  int
	Document     []byte
	DocumentName string

	Buttons [][]Button
	Edits   int
	Deleted bool
	Date    time.Time
}

// CallbackAnswer is an answerCallbackQuery call.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
}

// Command is one entry of setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

type update struct {
	id   int
	body map[string]any
}

type callback struct {
	chatID   int64
	answered bool
}

// Server is the fake Bot API. The zero value is not usable; call New.
type Server struct {
	token string
	srv   *httptest.Server

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every state change
	updates     []update
	nextUpdate  int
	confirmed   int // updates with id < confirmed are gone
	pollSeq     int // identifies the getUpdates request currently holding
	messages    map[int64][]*Message
	nextMsgID   map[int64]int
	callbacks   map[string]*callback
	nextCB      int
	answers     []CallbackAnswer
	commands    []Command
	calls       map[string]int
	inject      []injected
	stormUntil  time.Time
	unreachable bool
	knownChats  map[int64]bool
	strictChats bool
	files       map[string][]byte
	limits      bool
	sendTimes   map[int64][]time.Time // per chat, for the rate limits
	allSends    []time.Time
	violations  int
}

type injected struct {
	code       int
	desc       string
	retryAfter int
}

// New starts a fake on 127.0.0.1 that accepts token. Close it when done.
func New(token string) *Server {
	s := &Server{
		token:      token,
		changed:    make(chan struct{}),
		nextUpdate: firstUpdateID,
		confirmed:  0,
		messages:   map[int64][]*Message{},
		nextMsgID:  map[int64]int{},
		callbacks:  map[string]*callback{},
		calls:      map[string]int{},
		knownChats: map[int64]bool{},
		files:      map[string][]byte{},
		sendTimes:  map[int64][]time.Time{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base to give the bot as its API URL (like https://api.telegram.org).
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down, ending held long polls.
func (s *Server) Close() {
	s.mu.Lock()
	s.unreachable = true
	s.notifyLocked()
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetUnreachable makes every request fail at the connection level (the connection is
// closed without an answer), as when the network or Telegram is down.
func (s *Server) SetUnreachable(down bool) {
	s.mu.Lock()
	s.unreachable = down
	s.notifyLocked()
	s.mu.Unlock()
	if down {
		s.srv.CloseClientConnections()
	}
}

// Inject429 makes the next n calls (other than getUpdates) fail with 429 and retry_after.
func (s *Server) Inject429(n, retryAfter int) {
	for range n {
		s.InjectError(http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), retryAfter)
	}
}

// InjectError makes the next call (other than getUpdates) fail with this error.
// retryAfter > 0 adds parameters.retry_after.
func (s *Server) InjectError(code int, description string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{code: code, desc: description, retryAfter: retryAfter})
}

// Storm answers every call (other than getUpdates) with 429 for d, with retry_after
// counting down to the storm's end.
func (s *Server) Storm(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stormUntil = time.Now().Add(d)
}

// EnforceRateLimits makes the fake answer 429 like Telegram when the bot sends faster
// than its documented limits: more than one message a second to a private chat, more than
// 20 a minute to a group (negative id), more than 30 a second overall. Off by default.
func (s *Server) EnforceRateLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = on
}

// Violations counts the sends refused by EnforceRateLimits.
func (s *Server) Violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations
}

// rateLimitLocked records a send to chatID, or refuses it when over a limit.
func (s *Server) rateLimitLocked(chatID int64) error {
	if !s.limits {
		return nil
	}
	now := time.Now()
	keep := func(ts []time.Time, window time.Duration) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= window {
			i++
		}
		return ts[i:]
	}
	window, max := time.Second, 1
	if chatID < 0 {
		window, max = time.Minute, 20
	}
	chat := keep(s.sendTimes[chatID], window)
	s.allSends = keep(s.allSends, time.Second)
	var wait time.Duration
	switch {
	case len(chat) >= max:
		wait = window - now.Sub(chat[0])
	case len(s.allSends) >= 30:
		wait = time.Second - now.Sub(s.allSends[0])
	}
	if wait > 0 {
		s.violations++
		s.sendTimes[chatID] = chat
		after := int((wait + time.Second - 1) / time.Second)
		return &apiError{code: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", after), retryAfter: after}
	}
	s.sendTimes[chatID] = append(chat, now)
	s.allSends = append(s.allSends, now)
	return nil
}

// RequireKnownChats makes sends to chats that never wrote to the bot fail with
// "Bad Request: chat not found", as Telegram does. Off by default.
func (s *Server) RequireKnownChats(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strictChats = on
}

// AddChat marks a chat as known (as if its user had pressed Start).
func (s *Server) AddChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knownChats[chatID] = true
}

// Calls reports how many requests a method received (with the right token or not).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Commands returns the last setMyCommands list.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands...)
}

// Answers returns every answerCallbackQuery received.
func (s *Server) Answers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAnswer(nil), s.answers...)
}

// PendingUpdates is how many updates the bot has not confirmed yet.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.updates {
		if u.id >= s.confirmed {
			n++
		}
	}
	return n
}

// SendUserMessage queues an update: user userID wrote text in chat chatID
// (chatID == userID is a private chat, a negative id a group). It returns the update id.
func (s *Server) SendUserMessage(userID, chatID int64, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knownChats[chatID] = true
	s.nextMsgID[chatID]++
	msgID := s.nextMsgID[chatID]
	msg := map[string]any{
		"message_id": msgID,
		"from":       userJSON(userID),
		"chat":       chatJSON(chatID),
		"date":       time.Now().Unix(),
		"text":       text,
	}
	if strings.HasPrefix(text, "/") {
		n := strings.IndexAny(text, " \n")
		if n < 0 {
			n = len(text)
		}
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": utf16Len(text[:n])}}
	}
	return s.addUpdateLocked(map[string]any{"message": msg})
}

// PressButton queues a callback_query: user userID pressed the button with callback
// data on the bot's message messageID in chatID. It fails when no such button exists,
// because a real user can only press what the bot sent.
func (s *Server) PressButton(userID, chatID int64, messageID int, data string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findLocked(chatID, messageID)
	if m == nil || m.Deleted {
		return "", fmt.Errorf("tgfake: no message %d in chat %d", messageID, chatID)
	}
	found := false
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Data == data && data != "" {
				found = true
			}
		}
	}
	if !found {
		return "", fmt.Errorf("tgfake: message %d in chat %d has no button with data %q", messageID, chatID, data)
	}
	s.nextCB++
	id := fmt.Sprintf("cb%d", s.nextCB)
	s.callbacks[id] = &callback{chatID: chatID}
	s.addUpdateLocked(map[string]any{"callback_query": map[string]any{
		"id":            id,
		"from":          userJSON(userID),
		"message":       s.messageJSONLocked(m),
		"chat_instance": fmt.Sprintf("ci%d", chatID),
		"data":          data,
	}})
	return id, nil
}

func (s *Server) addUpdateLocked(body map[string]any) int {
	id := s.nextUpdate
	s.nextUpdate++
	body["update_id"] = id
	s.updates = append(s.updates, update{id: id, body: body})
	s.notifyLocked()
	return id
}

// Sent returns the messages the bot sent to chatID, oldest first (copies).
func (s *Server) Sent(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentLocked(chatID)
}

func (s *Server) sentLocked(chatID int64) []Message {
	var out []Message
	for _, m := range s.messages[chatID] {
		out = append(out, *m)
	}
	return out
}

// WaitFor waits until the bot has sent (or edited) a message in chatID that satisfies
// match, and returns it. It fails after timeout.
func (s *Server) WaitFor(chatID int64, timeout time.Duration, match func(Message) bool) (Message, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, m := range s.messages[chatID] {
			if match(*m) {
				c := *m
				s.mu.Unlock()
				return c, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return Message{}, fmt.Errorf("tgfake: no matching message in chat %d after %v (sent: %s)", chatID, timeout, s.summary(chatID))
		}
	}
}

// WaitSent waits until the bot has sent at least n messages to chatID and returns them all.
func (s *Server) WaitSent(chatID int64, n int, timeout time.Duration) ([]Message, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.messages[chatID]) >= n {
			out := s.sentLocked(chatID)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return nil, fmt.Errorf("tgfake: want %d messages in chat %d, have %s after %v", n, chatID, s.summary(chatID), timeout)
		}
	}
}

// WaitCalls waits until method has been called at least n times.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		c := s.calls[method]
		ch := s.changed
		s.mu.Unlock()
		if c >= n {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("tgfake: %s called %d times, want %d", method, c, n)
		}
	}
}

func (s *Server) summary(chatID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, m := range s.messages[chatID] {
		t := m.Plain
		if m.Method != "sendMessage" {
			t = m.Method + ": " + m.Caption
		}
		if len(t) > 80 {
			t = t[:80] + "..."
		}
		parts = append(parts, strconv.Quote(t))
	}
	return fmt.Sprintf("%d [%s]", len(parts), strings.Join(parts, ", "))
}

func (s *Server) findLocked(chatID int64, id int) *Message {
	for _, m := range s.messages[chatID] {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// apiError is a Bot API error answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func (e *apiError) Error() string { return e.desc }

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.unreachable
	s.mu.Unlock()
	if down {
		hangUp(w)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.notifyLocked()
	s.mu.Unlock()
	if token != s.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	params, files, err := readParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if method != "getUpdates" && method != "getMe" {
		if e := s.takeInjected(); e != nil {
			writeError(w, e)
			return
		}
	}
	var result any
	switch method {
	case "getMe":
		result = map[string]any{"id": botUserID, "is_bot": true, "first_name": "statusmap", "username": botUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "getUpdates":
		result, err = s.getUpdates(r.Context(), params)
	case "sendMessage":
		result, err = s.sendMessage(params)
	case "sendPhoto", "sendDocument":
		result, err = s.sendFile(method, params, files)
	case "editMessageText":
		result, err = s.editMessageText(params)
	case "editMessageReplyMarkup":
		result, err = s.editMessageReplyMarkup(params)
	case "answerCallbackQuery":
		result, err = s.answerCallback(params)
	case "setMyCommands":
		result, err = s.setMyCommands(params)
	case "getMyCommands":
		result = s.Commands()
	case "deleteMessage":
		result, err = s.deleteMessage(params)
	case "sendChatAction":
		result = true
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found: method not found"})
		return
	}
	if errors.Is(err, errHangUp) {
		hangUp(w)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

var errHangUp = errors.New("hang up")

func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func (s *Server) takeInjected() *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Before(s.stormUntil) {
		left := int((s.stormUntil.Sub(now) + time.Second - 1) / time.Second)
		return &apiError{code: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", left), retryAfter: left}
	}
	if len(s.inject) == 0 {
		return nil
	}
	e := s.inject[0]
	s.inject = s.inject[1:]
	return &apiError{code: e.code, desc: e.desc, retryAfter: e.retryAfter}
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{code: http.StatusInternalServerError, desc: "Internal Server Error: " + err.Error()}
	}
	body := map[string]any{"ok": false, "error_code": ae.code, "description": ae.desc}
	if ae.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": ae.retryAfter}
	}
	writeJSON(w, ae.code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

type upload struct {
	name string
	data []byte
}

// readParams reads the parameters from the query string and a JSON, urlencoded or
// multipart body, as the Bot API accepts all of them. Multipart is walked part by part:
// telebot names photo parts with an empty filename, which FormFile does not treat as a file.
func readParams(r *http.Request) (map[string]string, map[string]upload, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	files := map[string]upload{}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(nil, r.Body, MaxUploadBytes+1<<20)
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, &apiError{code: 413, desc: "Request Entity Too Large"}
		}
		if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
			return params, files, nil
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, nil, badRequest("can't parse JSON object")
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				params[k] = s
			} else if string(raw) != "null" {
				params[k] = string(raw)
			}
		}
	case "application/x-www-form-urlencoded":
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, &apiError{code: 413, desc: "Request Entity Too Large"}
		}
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, nil, badRequest("can't parse request body")
		}
		for k, v := range vals {
			params[k] = v[0]
		}
	case "multipart/form-data":
		mr := multipart.NewReader(body, ctParams["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, nil, &apiError{code: 413, desc: "Request Entity Too Large"}
				}
				return nil, nil, badRequest("can't parse multipart body: %v", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, nil, &apiError{code: 413, desc: "Request Entity Too Large"}
			}
			name := part.FormName()
			// A part with a filename header (even an empty one) is a file.
			if _, isFile := partParams(part)["filename"]; isFile {
				files[name] = upload{name: part.FileName(), data: data}
			} else {
				params[name] = string(data)
			}
		}
	}
	return params, files, nil
}

func partParams(p *multipart.Part) map[string]string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return nil
	}
	return params
}

func (s *Server) getUpdates(ctx context.Context, p map[string]string) (any, error) {
	offset, _ := strconv.Atoi(p["offset"])
	limit := 100
	if v, err := strconv.Atoi(p["limit"]); err == nil && v >= 1 && v <= 100 {
		limit = v
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	if timeout < 0 {
		timeout = 0
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()

	s.mu.Lock()
	s.pollSeq++
	me := s.pollSeq
	// A request with an offset confirms every update before it.
	if offset > 0 && offset > s.confirmed {
		s.confirmed = offset
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	s.notifyLocked() // wakes an older poll so it can see it was replaced
	s.mu.Unlock()

	for {
		s.mu.Lock()
		if s.unreachable {
			s.mu.Unlock()
			return nil, errHangUp
		}
		if s.pollSeq != me {
			s.mu.Unlock()
			return nil, &apiError{code: http.StatusConflict, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		}
		var out []map[string]any
		pending := s.updates
		if offset < 0 && len(pending) > -offset {
			pending = pending[len(pending)+offset:]
		}
		for _, u := range pending {
			if len(out) >= limit {
				break
			}
			if u.id >= offset || offset < 0 {
				out = append(out, u.body)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return []map[string]any{}, nil
		case <-ctx.Done():
			return nil, errHangUp
		}
	}
}

func parseChat(p map[string]string) (int64, error) {
	v := p["chat_id"]
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		// @channelusername is valid in Telegram; the fake knows no channels.
		return 0, badRequest("chat not found")
	}
	return id, nil
}

// checkText validates text under parse_mode and returns what a client would show.
func checkText(text, mode string, limit int, tooLong string) (string, error) {
	plain := text
	switch strings.ToLower(mode) {
	case "":
	case "html":
		var err error
		plain, err = parseHTML(text)
		if err != nil {
			return "", badRequest("can't parse entities: %v", err)
		}
	case "markdown", "markdownv2":
		// The fake does not check Markdown; statusmap uses HTML.
	default:
		return "", badRequest("unsupported parse_mode")
	}
	if n := utf8.RuneCountInString(plain); n > limit {
		return "", badRequest("%s", tooLong)
	}
	return plain, nil
}

func parseMarkup(raw string) ([][]Button, error) {
	if raw == "" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
			URL          string `json:"url"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	var rows [][]Button
	for _, row := range m.InlineKeyboard {
		var out []Button
		for _, b := range row {
			if b.Text == "" {
				return nil, badRequest("text buttons are unallowed in the inline keyboard")
			}
			if b.URL == "" && (b.CallbackData == "" || len(b.CallbackData) > maxCallbackData) {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			out = append(out, Button{Text: b.Text, Data: b.CallbackData, URL: b.URL})
		}
		rows = append(rows, out)
	}
	return rows, nil
}

func (s *Server) checkChatLocked(chatID int64) error {
	if s.strictChats && !s.knownChats[chatID] {
		return badRequest("chat not found")
	}
	return nil
}

func (s *Server) sendMessage(p map[string]string) (any, error) {
	chatID, err := parseChat(p)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p["text"]) == "" {
		return nil, badRequest("message text is empty")
	}
	plain, err := checkText(p["text"], p["parse_mode"], MaxTextLength, "message is too long")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(plain) == "" {
		return nil, badRequest("message text is empty")
	}
	buttons, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkChatLocked(chatID); err != nil {
		return nil, err
	}
	if err := s.rateLimitLocked(chatID); err != nil {
		return nil, err
	}
	m := &Message{ChatID: chatID, Method: "sendMessage", Text: p["text"], Plain: plain, ParseMode: p["parse_mode"], Buttons: buttons}
	s.storeLocked(m)
	return s.messageJSONLocked(m), nil
}

func (s *Server) storeLocked(m *Message) {
	s.nextMsgID[m.ChatID]++
	m.ID = s.nextMsgID[m.ChatID]
	m.Date = time.Now()
	s.messages[m.ChatID] = append(s.messages[m.ChatID], m)
	s.notifyLocked()
}

func (s *Server) sendFile(method string, p map[string]string, files map[string]upload) (any, error) {
	field := "photo"
	if method == "sendDocument" {
		field = "document"
	}
	chatID, err := parseChat(p)
	if err != nil {
		return nil, err
	}
	caption, err := checkText(p["caption"], p["parse_mode"], MaxCaptionLength, "message caption is too long")
	if err != nil {
		return nil, err
	}
	_ = caption
	buttons, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return nil, err
	}
	up, ok := files[field]
	if !ok {
		ref := p[field]
		if strings.HasPrefix(ref, "attach://") {
			up, ok = files[strings.TrimPrefix(ref, "attach://")]
		} else if ref != "" {
			s.mu.Lock()
			data, known := s.files[ref]
			s.mu.Unlock()
			if !known {
				return nil, badRequest("wrong file identifier/HTTP URL specified")
			}
			up, ok = upload{name: ref, data: data}, true
		}
		if !ok {
			return nil, badRequest("there is no %s in the request", field)
		}
	}
	m := &Message{ChatID: chatID, Method: method, Caption: p["caption"], ParseMode: p["parse_mode"], Buttons: buttons}
	if field == "photo" {
		if len(up.data) > MaxPhotoBytes {
			return nil, badRequest("PHOTO_SAVE_FILE_INVALID")
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data))
		if err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		w, h := cfg.Width, cfg.Height
		if w <= 0 || h <= 0 || w+h > MaxPhotoSides || w > MaxPhotoRatio*h || h > MaxPhotoRatio*w {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		// Decode fully: a truncated image is rejected, not only a bad header.
		if _, _, err := image.Decode(bytes.NewReader(up.data)); err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		m.Photo, m.PhotoWidth, m.PhotoHeight = up.data, w, h
	} else {
		if len(up.data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		m.Document, m.DocumentName = up.data, up.name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkChatLocked(chatID); err != nil {
		return nil, err
	}
	if err := s.rateLimitLocked(chatID); err != nil {
		return nil, err
	}
	s.storeLocked(m)
	s.files[fileID(m)] = up.data
	return s.messageJSONLocked(m), nil
}

func fileID(m *Message) string { return fmt.Sprintf("file-%d-%d", m.ChatID, m.ID) }

func (s *Server) editTarget(p map[string]string) (*Message, error) {
	if p["inline_message_id"] != "" {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	chatID, err := parseChat(p)
	if err != nil {
		return nil, err
	}
	id, err := strconv.Atoi(p["message_id"])
	if err != nil {
		return nil, badRequest("message identifier is not specified")
	}
	m := s.findLocked(chatID, id)
	if m == nil || m.Deleted {
		return nil, badRequest("message to edit not found")
	}
	return m, nil
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

func (s *Server) editMessageText(p map[string]string) (any, error) {
	if strings.TrimSpace(p["text"]) == "" {
		return nil, badRequest("message text is empty")
	}
	plain, err := checkText(p["text"], p["parse_mode"], MaxTextLength, "MESSAGE_TOO_LONG")
	if err != nil {
		return nil, err
	}
	buttons, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	if m.Method != "sendMessage" {
		return nil, badRequest("there is no text in the message to edit")
	}
	if m.Plain == plain && m.Text == p["text"] && sameButtons(m.Buttons, buttons) {
		return nil, badRequest(notModified)
	}
	m.Text, m.Plain, m.ParseMode, m.Buttons = p["text"], plain, p["parse_mode"], buttons
	m.Edits++
	s.notifyLocked()
	return s.messageJSONLocked(m), nil
}

func (s *Server) editMessageReplyMarkup(p map[string]string) (any, error) {
	buttons, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	if sameButtons(m.Buttons, buttons) {
		return nil, badRequest(notModified)
	}
	m.Buttons = buttons
	m.Edits++
	s.notifyLocked()
	return s.messageJSONLocked(m), nil
}

func sameButtons(a, b [][]Button) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (s *Server) deleteMessage(p map[string]string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, err := parseChat(p)
	if err != nil {
		return nil, err
	}
	id, _ := strconv.Atoi(p["message_id"])
	m := s.findLocked(chatID, id)
	if m == nil || m.Deleted {
		return nil, badRequest("message to delete not found")
	}
	m.Deleted = true
	s.notifyLocked()
	return true, nil
}

func (s *Server) answerCallback(p map[string]string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p["callback_query_id"]
	cb, ok := s.callbacks[id]
	if !ok || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf8.RuneCountInString(p["text"]) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	show, _ := strconv.ParseBool(p["show_alert"])
	s.answers = append(s.answers, CallbackAnswer{QueryID: id, Text: p["text"], ShowAlert: show})
	s.notifyLocked()
	return true, nil
}

func (s *Server) setMyCommands(p map[string]string) (any, error) {
	var cmds []Command
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = cmds
	s.notifyLocked()
	return true, nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func userJSON(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": fmt.Sprintf("User%d", id), "language_code": "en"}
}

func chatJSON(id int64) map[string]any {
	if id < 0 {
		return map[string]any{"id": id, "type": "supergroup", "title": fmt.Sprintf("Group %d", -id)}
	}
	return map[string]any{"id": id, "type": "private", "first_name": fmt.Sprintf("User%d", id)}
}

func (s *Server) messageJSONLocked(m *Message) map[string]any {
	out := map[string]any{
		"message_id": m.ID,
		"from":       map[string]any{"id": botUserID, "is_bot": true, "first_name": "statusmap", "username": botUsername},
		"chat":       chatJSON(m.ChatID),
		"date":       m.Date.Unix(),
	}
	if m.Edits > 0 {
		out["edit_date"] = time.Now().Unix()
	}
	switch m.Method {
	case "sendMessage":
		out["text"] = m.Plain
	case "sendPhoto":
		id := fileID(m)
		out["photo"] = []map[string]any{{"file_id": id, "file_unique_id": "u" + id, "width": m.PhotoWidth, "height": m.PhotoHeight, "file_size": len(m.Photo)}}
	case "sendDocument":
		id := fileID(m)
		out["document"] = map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_name": m.DocumentName, "file_size": len(m.Document)}
	}
	if m.Caption != "" {
		out["caption"] = m.Caption
	}
	if len(m.Buttons) > 0 {
		var rows [][]map[string]any
		for _, row := range m.Buttons {
			var r []map[string]any
			for _, b := range row {
				bj := map[string]any{"text": b.Text}
				if b.Data != "" {
					bj["callback_data"] = b.Data
				}
				if b.URL != "" {
					bj["url"] = b.URL
				}
				r = append(r, bj)
			}
			rows = append(rows, r)
		}
		out["reply_markup"] = map[string]any{"inline_keyboard": rows}
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Chats lists the chats the bot sent messages to, in id order.
func (s *Server) Chats() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, ms := range s.messages {
		for _, m := range ms {
			if m.Method != "" {
				ids = append(ids, id)
				break
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
