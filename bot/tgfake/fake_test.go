package tgfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

const token = "123456:TEST-token_abc"

func newBot(t *testing.T, s *Server, tok string) *tele.Bot {
	t.Helper()
	b, err := tele.NewBot(tele.Settings{Token: tok, URL: s.URL(), Offline: true, Client: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, 0, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	s := New(token)
	defer s.Close()
	resp, err := http.Get(s.URL() + "/botWRONG/getMe")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 401 || body["ok"] != false || body["error_code"] != float64(401) || body["description"] != "Unauthorized" {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	_, err = tele.NewBot(tele.Settings{Token: "WRONG", URL: s.URL()})
	if !errors.Is(err, tele.ErrUnauthorized) {
		t.Fatalf("telebot error = %v, want ErrUnauthorized", err)
	}
	if s.Calls("getMe") != 2 {
		t.Fatalf("calls = %d", s.Calls("getMe"))
	}
}

func TestGetMe(t *testing.T) {
	s := New(token)
	defer s.Close()
	b, err := tele.NewBot(tele.Settings{Token: token, URL: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if b.Me.Username != botUsername || !b.Me.IsBot {
		t.Fatalf("me = %+v", b.Me)
	}
}

func getUpdates(t *testing.T, b *tele.Bot, offset, timeout int) []tele.Update {
	t.Helper()
	data, err := b.Raw("getUpdates", map[string]string{"offset": strconv.Itoa(offset), "timeout": strconv.Itoa(timeout)})
	if err != nil {
		t.Fatal(err)
	}
	var resp struct{ Result []tele.Update }
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Result
}

func TestGetUpdatesOffsetAndHold(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)

	id1 := s.SendUserMessage(7, 7, "/status")
	id2 := s.SendUserMessage(7, 7, "hello")
	ups := getUpdates(t, b, 0, 0)
	if len(ups) != 2 || ups[0].ID != id1 || ups[1].ID != id2 {
		t.Fatalf("updates = %+v", ups)
	}
	if ups[0].Message.Text != "/status" || ups[0].Message.Sender.ID != 7 || ups[0].Message.Chat.Type != tele.ChatPrivate {
		t.Fatalf("message = %+v", ups[0].Message)
	}
	if len(ups[0].Message.Entities) != 1 || ups[0].Message.Entities[0].Type != tele.EntityCommand {
		t.Fatalf("entities = %+v", ups[0].Message.Entities)
	}
	// Without confirming, the same updates come again.
	if again := getUpdates(t, b, 0, 0); len(again) != 2 {
		t.Fatalf("unconfirmed updates = %d", len(again))
	}
	// Offset id2 confirms id1.
	if ups := getUpdates(t, b, id2, 0); len(ups) != 1 || ups[0].ID != id2 {
		t.Fatalf("after offset: %+v", ups)
	}
	if ups := getUpdates(t, b, 0, 0); len(ups) != 1 {
		t.Fatalf("confirmed update came back: %+v", ups)
	}

	// An empty queue holds for the timeout.
	start := time.Now()
	if ups := getUpdates(t, b, id2+1, 1); len(ups) != 0 {
		t.Fatalf("want none, got %+v", ups)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("returned after %v, want about 1s", d)
	}

	// A held poll returns as soon as an update arrives.
	go func() {
		time.Sleep(200 * time.Millisecond)
		s.SendUserMessage(7, 7, "late")
	}()
	start = time.Now()
	ups = getUpdates(t, b, id2+1, 10)
	if len(ups) != 1 || ups[0].Message.Text != "late" {
		t.Fatalf("held poll got %+v", ups)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("held poll took %v", d)
	}
}

func TestSecondPollerConflicts(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Raw("getUpdates", map[string]string{"timeout": "5"})
		errc <- err
	}()
	if err := s.WaitCalls("getUpdates", 1, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	getUpdates(t, b, 0, 0)
	err := <-errc
	if err == nil || !strings.Contains(err.Error(), "Conflict: terminated by other getUpdates request") {
		t.Fatalf("first poll err = %v", err)
	}
}

func TestSendMessageHTML(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	chat := &tele.Chat{ID: 42}
	cases := []struct {
		text string
		err  string // "" = accepted
	}{
		{"<b>api</b> is down: my_service &lt;503&gt; &amp; more", ""},
		{"<a href=\"http://x/?a=1&amp;b=2\">link</a> <code>x</code> <pre><code class=\"language-go\">x</code></pre>", ""},
		{"<b>unclosed", `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"<foo>x</foo>", `Bad Request: can't parse entities: Unsupported start tag "foo" at byte offset 0`},
		{"a < b", `Bad Request: can't parse entities: Empty tag name at byte offset 2`},
		{"<b>x</i>", `Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{"x</b>", `Bad Request: can't parse entities: Unexpected end tag at byte offset 1`},
		{"<b></b>", `Bad Request: message text is empty`},
		{strings.Repeat("a", 4096), ""},
		{strings.Repeat("a", 4097), `Bad Request: message is too long`},
		{"<b>" + strings.Repeat("я", 4096) + "</b>", ""},
		{strings.Repeat("&amp;", 4096), ""},
	}
	for i, c := range cases {
		_, err := b.Send(chat, c.text, tele.ModeHTML)
		if c.err == "" && err != nil {
			t.Errorf("case %d: unexpected error %v", i, err)
		}
		if c.err != "" {
			if err == nil {
				t.Errorf("case %d: accepted %q", i, c.text)
				continue
			}
			// telebot shortens known descriptions; read the raw answer instead.
			data, _ := b.Raw("sendMessage", map[string]string{"chat_id": "42", "text": c.text, "parse_mode": "HTML"})
			var e struct{ Description string }
			_ = json.Unmarshal(data, &e)
			if e.Description != c.err {
				t.Errorf("case %d: description %q, want %q", i, e.Description, c.err)
			}
		}
	}
	sent := s.Sent(42)
	if len(sent) != 5 {
		t.Fatalf("stored %d messages, want 5", len(sent))
	}
	if sent[0].Plain != "api is down: my_service <503> & more" {
		t.Fatalf("plain = %q", sent[0].Plain)
	}
	// Without parse mode, tags are plain text.
	if _, err := b.Send(chat, "<b>unclosed"); err != nil {
		t.Fatal(err)
	}
}

func TestButtonsCallbacksEditsDeletes(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	chat := &tele.Chat{ID: 42}
	kb := &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "Mute 1h", Data: "mute:api:1h"}, {Text: "Check now", Data: "run:api"}}}}
	m, err := b.Send(chat, "api is down", &tele.SendOptions{ReplyMarkup: kb, ParseMode: tele.ModeHTML})
	if err != nil {
		t.Fatal(err)
	}
	sent := s.Sent(42)
	if len(sent) != 1 || len(sent[0].Buttons) != 1 || sent[0].Buttons[0][1] != (Button{Text: "Check now", Data: "run:api"}) {
		t.Fatalf("sent = %+v", sent)
	}
	if _, err := s.PressButton(7, 42, m.ID, "nope"); err == nil {
		t.Fatal("pressing a missing button succeeded")
	}
	cbID, err := s.PressButton(7, 42, m.ID, "run:api")
	if err != nil {
		t.Fatal(err)
	}
	ups := getUpdates(t, b, 0, 0)
	if len(ups) != 1 || ups[0].Callback == nil || ups[0].Callback.Data != "run:api" || ups[0].Callback.Message.ID != m.ID || ups[0].Callback.Sender.ID != 7 {
		t.Fatalf("callback update = %+v", ups)
	}
	if err := b.Respond(ups[0].Callback, &tele.CallbackResponse{Text: "checking"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Respond(ups[0].Callback); err == nil {
		t.Fatal("second answer accepted")
	}
	if a := s.Answers(); len(a) != 1 || a[0].QueryID != cbID || a[0].Text != "checking" {
		t.Fatalf("answers = %+v", a)
	}

	if _, err := b.Edit(m, "api is down", &tele.SendOptions{ReplyMarkup: kb, ParseMode: tele.ModeHTML}); !errors.Is(err, tele.ErrSameMessageContent) {
		t.Fatalf("same edit err = %v", err)
	}
	if _, err := b.Edit(m, "api is <b>back</b>", tele.ModeHTML); err != nil {
		t.Fatal(err)
	}
	if got := s.Sent(42)[0]; got.Plain != "api is back" || got.Edits != 1 || got.Buttons != nil {
		t.Fatalf("edited = %+v", got)
	}
	if err := b.Delete(m); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(m); err == nil || !strings.Contains(err.Error(), "message to delete not found") {
		t.Fatalf("second delete err = %v", err)
	}
	bad := &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "x", Data: strings.Repeat("d", 65)}}}}
	if _, err := b.Send(chat, "x", bad); !errors.Is(err, tele.ErrBadButtonData) {
		t.Fatalf("long callback data err = %v", err)
	}
}

func TestPhotoAndDocumentUploads(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	chat := &tele.Chat{ID: -100}

	img := pngOf(300, 200)
	// telebot sends FromReader files with an empty filename.
	p := &tele.Photo{File: tele.FromReader(bytes.NewReader(img)), Caption: "<b>3 ok</b>, 1 error"}
	msg, err := b.Send(chat, p, tele.ModeHTML)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Photo == nil || msg.Photo.Width != 300 || msg.Photo.Height != 200 {
		t.Fatalf("photo result = %+v", msg.Photo)
	}
	sent := s.Sent(-100)
	if len(sent) != 1 || !bytes.Equal(sent[0].Photo, img) || sent[0].Caption != "<b>3 ok</b>, 1 error" {
		t.Fatalf("stored = %+v", sent)
	}

	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"too wide", pngOf(2100, 100), "PHOTO_INVALID_DIMENSIONS"},
		{"too big", pngOf(6000, 4500), "PHOTO_INVALID_DIMENSIONS"},
		{"not an image", []byte("hello"), "Image process failed"},
	} {
		_, err := b.Send(chat, &tele.Photo{File: tele.FromReader(bytes.NewReader(c.data))})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.want)
		}
	}

	doc := &tele.Document{File: tele.FromReader(bytes.NewReader(pngOf(2100, 100))), FileName: "map.png", Caption: "map"}
	if _, err := b.Send(chat, doc); err != nil {
		t.Fatal(err)
	}
	sent = s.Sent(-100)
	if len(sent) != 2 || sent[1].Method != "sendDocument" || sent[1].DocumentName != "map.png" || len(sent[1].Document) == 0 {
		t.Fatalf("document = %+v", sent[1])
	}
	// Re-sending by file_id works, an unknown id does not.
	if _, err := b.Send(chat, &tele.Photo{File: tele.File{FileID: msg.Photo.FileID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Send(chat, &tele.Photo{File: tele.File{FileID: "nope"}}); err == nil {
		t.Fatal("unknown file id accepted")
	}
}

func TestInjected429AndStorm(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	chat := &tele.Chat{ID: 42}
	s.Inject429(2, 7)
	for i := 0; i < 2; i++ {
		_, err := b.Send(chat, "x")
		var fe tele.FloodError
		if !errors.As(err, &fe) || fe.RetryAfter != 7 {
			t.Fatalf("call %d: err = %#v", i, err)
		}
	}
	if _, err := b.Send(chat, "x"); err != nil {
		t.Fatal(err)
	}
	s.Storm(3 * time.Second)
	_, err := b.Send(chat, "x")
	var fe tele.FloodError
	if !errors.As(err, &fe) || fe.RetryAfter < 2 || fe.RetryAfter > 3 {
		t.Fatalf("storm err = %#v", err)
	}
	// getUpdates is not throttled by injections.
	getUpdates(t, b, 0, 0)
	if len(s.Sent(42)) != 1 {
		t.Fatalf("sent = %d", len(s.Sent(42)))
	}
}

func TestUnreachable(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Raw("getUpdates", map[string]string{"timeout": "20"})
		errc <- err
	}()
	if err := s.WaitCalls("getUpdates", 1, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	s.SetUnreachable(true)
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("held poll succeeded while unreachable")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("held poll not ended by outage")
	}
	if _, err := b.Send(&tele.Chat{ID: 1}, "x"); err == nil {
		t.Fatal("send succeeded while unreachable")
	}
	s.SetUnreachable(false)
	if _, err := b.Send(&tele.Chat{ID: 1}, "x"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Sent(1)); n != 1 {
		t.Fatalf("sent %d", n)
	}
}

func TestSetMyCommandsAndStrictChats(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	if err := b.SetCommands([]tele.Command{{Text: "status", Description: "Status of all checks"}}); err != nil {
		t.Fatal(err)
	}
	if c := s.Commands(); len(c) != 1 || c[0].Command != "status" {
		t.Fatalf("commands = %+v", c)
	}
	if err := b.SetCommands([]tele.Command{{Text: "Bad-Cmd", Description: "x"}}); err == nil {
		t.Fatal("invalid command accepted")
	}
	s.RequireKnownChats(true)
	if _, err := b.Send(&tele.Chat{ID: 99}, "x"); err == nil || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("unknown chat err = %v", err)
	}
	s.SendUserMessage(99, 99, "/start")
	if _, err := b.Send(&tele.Chat{ID: 99}, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestParseHTMLEntities(t *testing.T) {
	for in, want := range map[string]string{
		"&lt;&gt;&amp;&quot;":                 `<>&"`,
		"&#65;&#x42;":                         "AB",
		"AT&T &nbsp;":                         "AT&T &nbsp;",
		"<i>x</i><s>y</s>":                    "xy",
		"<span class=\"tg-spoiler\">s</span>": "s",
	} {
		got, err := parseHTML(in)
		if err != nil || got != want {
			t.Errorf("parseHTML(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRateLimits(t *testing.T) {
	s := New(token)
	defer s.Close()
	b := newBot(t, s, token)
	s.EnforceRateLimits(true)
	if _, err := b.Send(&tele.Chat{ID: 42}, "one"); err != nil {
		t.Fatal(err)
	}
	_, err := b.Send(&tele.Chat{ID: 42}, "two")
	var fe tele.FloodError
	if !errors.As(err, &fe) || fe.RetryAfter != 1 {
		t.Fatalf("second message in a second: %#v", err)
	}
	// Another chat is not affected.
	if _, err := b.Send(&tele.Chat{ID: 43}, "x"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := b.Send(&tele.Chat{ID: 42}, "two"); err != nil {
		t.Fatalf("after a second: %v", err)
	}
	// Groups take 20 a minute.
	for i := 0; i < 20; i++ {
		if _, err := b.Send(&tele.Chat{ID: -7}, "g"); err != nil {
			t.Fatalf("group message %d: %v", i, err)
		}
	}
	if _, err := b.Send(&tele.Chat{ID: -7}, "g"); !errors.As(err, &fe) || fe.RetryAfter < 59 {
		t.Fatalf("21st group message: %#v", err)
	}
	if s.Violations() != 2 || len(s.Sent(42)) != 2 || len(s.Sent(-7)) != 20 {
		t.Fatalf("violations %d, sent %d/%d", s.Violations(), len(s.Sent(42)), len(s.Sent(-7)))
	}
}
