package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/png" // maps and charts are PNG
	"net/http"
	"sort"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/statusmap/statusmap/config"
)

// refusal is all a stranger learns.
const refusal = "Sorry, this is a private bot."

// refuseEvery bounds refusals to one per stranger per period, so a stranger cannot make
// the bot spam on their behalf.
const refuseEvery = time.Minute

// Telegram's photo limits; larger maps go out as documents.
const (
	maxPhotoBytes = 10 << 20
	maxPhotoSides = 10000
	maxPhotoRatio = 20
)

func (b *Bot) isAllowed(userID, chatID int64) bool {
	return b.allowed[userID] || b.allowed[chatID] || b.admins[userID]
}

// canChange reports whether a user may use commands that change things.
func (b *Bot) canChange(userID int64) bool {
	return len(b.admins) == 0 || b.admins[userID]
}

func (b *Bot) shouldRefuse(userID int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if last, ok := b.refused[userID]; ok && now.Sub(last) < refuseEvery {
		return false
	}
	if len(b.refused) > 10000 {
		for id, t := range b.refused {
			if now.Sub(t) >= refuseEvery {
				delete(b.refused, id)
			}
		}
	}
	b.refused[userID] = now
	return true
}

func (b *Bot) handleUpdate(ctx context.Context, u tele.Update) {
	defer func() {
		// A bug in one handler must not take the bot down.
		if r := recover(); r != nil {
			b.log.Error("handler panic", "update", u.ID, "panic", fmt.Sprint(r))
		}
	}()
	switch {
	case u.Message != nil:
		b.handleMessage(ctx, u.Message)
	case u.Callback != nil:
		b.handleCallback(ctx, u.Callback)
	}
}

func (b *Bot) handleMessage(ctx context.Context, m *tele.Message) {
	if m.Sender == nil || m.Chat == nil || m.Sender.IsBot {
		return
	}
	userID, chatID := m.Sender.ID, m.Chat.ID
	private := m.Chat.Type == tele.ChatPrivate
	cmd, isCmd, perr := parseCommand(m.Text)
	if isCmd && cmd.Bot != "" {
		if me, _ := b.username.Load().(string); me != "" && !strings.EqualFold(cmd.Bot, me) {
			return // addressed to another bot in a group
		}
	}
	if !b.isAllowed(userID, chatID) {
		if !isCmd && !private {
			return
		}
		// Logged only when the refusal is sent, so a stranger cannot flood the log.
		if !b.shouldRefuse(userID) {
			return
		}
		b.log.Warn("telegram: refused a stranger", "user", userID, "chat", chatID, "command", cmd.Name)
		text := refusal
		if cmd.Name == "start" {
			text = fmt.Sprintf("Sorry, this is a private bot. Your user id is <code>%d</code>; its owner can add it to telegram.allowed.", userID)
		}
		b.reply(ctx, chatID, text)
		return
	}
	if !isCmd {
		if private {
			b.reply(ctx, chatID, "I understand commands only. Try /help.")
		}
		return
	}
	if perr != nil {
		b.reply(ctx, chatID, esc(perr.Error()))
		return
	}
	if cmd.Name == "start" {
		n := len(b.deps.Engine.Snapshot())
		b.reply(ctx, chatID, fmt.Sprintf("Hi! I watch %d checks. /status for the overview, /map for the picture, /help for everything else.", n))
		return
	}
	info, ok := lookupCommand(cmd.Name)
	if !ok {
		b.reply(ctx, chatID, fmt.Sprintf("Unknown command /%s. Try /help.", esc(cmd.Name)))
		return
	}
	if info.admin && !b.canChange(userID) {
		b.log.Warn("telegram: refused a change to a non-admin", "user", userID, "command", cmd.Name)
		b.reply(ctx, chatID, fmt.Sprintf("Only admins can use /%s.", info.name))
		return
	}
	if len(cmd.Args) < info.args {
		b.reply(ctx, chatID, usage(info))
		return
	}
	b.log.Info("telegram command", "user", userID, "chat", chatID, "command", cmd.Name)
	b.run(ctx, chatID, userID, info, cmd.Args)
}

func (b *Bot) run(ctx context.Context, chatID, userID int64, info commandInfo, args []string) {
	// Names are lowercase; "/check API" means api.
	if len(args) > 0 && info.name != "add" && info.name != "map" {
		if _, ok := b.deps.Engine.Get(args[0]); !ok {
			if lower := strings.ToLower(args[0]); lower != args[0] {
				if _, ok := b.deps.Engine.Get(lower); ok {
					args[0] = lower
				}
			}
		}
	}
	switch info.name {
	case "status":
		if len(args) == 0 {
			b.reply(ctx, chatID, statusText(b.deps.Engine.Snapshot(), b.now(), b.deps.Location))
			return
		}
		if _, ok := b.deps.Engine.Get(args[0]); !ok {
			// "/status fold" with a host named fold: that host's overview.
			var on []CheckView
			for _, v := range b.deps.Engine.Snapshot() {
				if v.Spec.Host == args[0] {
					on = append(on, v)
				}
			}
			if len(on) > 0 {
				b.reply(ctx, chatID, statusText(on, b.now(), b.deps.Location))
				return
			}
		}
		b.cmdCheck(ctx, chatID, args)
	case "check":
		b.cmdCheck(ctx, chatID, args)
	case "map":
		if len(args) > 1 {
			b.reply(ctx, chatID, usage(info))
			return
		}
		host := ""
		if len(args) == 1 {
			host = args[0]
		}
		b.sendMap(ctx, chatID, host)
	case "history":
		b.cmdHistory(ctx, chatID, info, args)
	case "run":
		b.cmdRun(ctx, chatID, args[0])
	case "add":
		b.cmdAdd(ctx, chatID, args)
	case "remove":
		b.cmdRemove(ctx, chatID, args[0])
	case "pause":
		b.cmdPause(ctx, chatID, info, args)
	case "resume":
		b.cmdResume(ctx, chatID, args[0])
	case "mute":
		b.cmdMute(ctx, chatID, info, args)
	case "unmute":
		b.cmdUnmute(ctx, chatID, args[0])
	case "mutes":
		b.cmdMutes(ctx, chatID)
	case "help":
		b.reply(ctx, chatID, helpText)
	}
}

// reply sends text, split when long; failures are logged (there is nobody else to tell).
func (b *Bot) reply(ctx context.Context, chatID int64, text string) {
	if err := b.Send(ctx, chatID, text, ""); err != nil {
		b.log.Warn("telegram reply failed", "chat", chatID, "err", err)
	}
}

func (b *Bot) sendWithButtons(ctx context.Context, chatID int64, text string, rows [][]tele.InlineButton) {
	opts := &tele.SendOptions{ParseMode: tele.ModeHTML, DisableWebPagePreview: true,
		ReplyMarkup: &tele.ReplyMarkup{InlineKeyboard: rows}}
	if err := b.do(ctx, func() error {
		_, err := b.tb.Send(tele.ChatID(chatID), text, opts)
		return err
	}); err != nil {
		b.log.Warn("telegram reply failed", "chat", chatID, "err", err)
	}
}

func noCheck(name string) string {
	return fmt.Sprintf("No check named <b>%s</b>. /status lists them.", esc(name))
}

func (b *Bot) cmdCheck(ctx context.Context, chatID int64, args []string) {
	v, ok := b.deps.Engine.Get(args[0])
	if !ok {
		b.reply(ctx, chatID, noCheck(args[0]))
		return
	}
	b.reply(ctx, chatID, checkText(v, b.gatherInfo(ctx, v), b.now(), b.deps.Location))
}

func (b *Bot) gatherInfo(ctx context.Context, v CheckView) checkInfo {
	info := checkInfo{Uptime: map[string]float64{}}
	name := v.Spec.Name
	if v.Spec.Type == "heartbeat" && b.deps.PushBase != "" {
		// The engine's token is the one pushes are matched against.
		if tok, ok := b.deps.Engine.HeartbeatToken(name); ok {
			info.PushURL = strings.TrimRight(b.deps.PushBase, "/") + "/push/" + tok
		}
	}
	st := b.deps.Store
	if st == nil {
		return info
	}
	now := b.now()
	if rs, err := st.Results(ctx, name, now.Add(-30*24*time.Hour), 10); err == nil {
		info.Results = rs
	} else {
		b.log.Warn("results", "check", name, "err", err)
	}
	for _, w := range []struct {
		key string
		d   time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		if f, err := st.Uptime(ctx, name, w.d); err == nil {
			info.Uptime[w.key] = f
		}
	}
	if mutes, err := st.Mutes(ctx); err == nil {
		if t, ok := mutes[name]; ok {
			info.Muted = t
		} else if t, ok := mutes["*"]; ok {
			info.Muted = t
		}
	}
	return info
}

func (b *Bot) cmdRun(ctx context.Context, chatID int64, name string) {
	if _, ok := b.deps.Engine.Get(name); !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	r, err := b.deps.Engine.RunNow(ctx, name)
	if err != nil {
		b.reply(ctx, chatID, fmt.Sprintf("Could not run <b>%s</b>: %s", esc(name), esc(err.Error())))
		return
	}
	b.reply(ctx, chatID, resultLine(name, r))
}

func (b *Bot) cmdAdd(ctx context.Context, chatID int64, args []string) {
	c, err := parseAdd(args)
	if err != nil {
		b.reply(ctx, chatID, esc(err.Error()))
		return
	}
	if _, exists := b.deps.Engine.Get(c.Name); exists {
		b.reply(ctx, chatID, fmt.Sprintf("A check named <b>%s</b> already exists.", esc(c.Name)))
		return
	}
	// Validate a copy: the stored spec keeps only what the user gave, so later changes of
	// the defaults apply to it too.
	probe := c
	known := func(n string) bool { _, ok := b.deps.Engine.Get(n); return ok }
	if err := config.ValidateCheck(&probe, b.deps.Defaults, known); err != nil {
		b.reply(ctx, chatID, "Not added: "+esc(oneLine(err.Error())))
		return
	}
	if b.deps.Store != nil {
		if err := b.deps.Store.SaveCheck(ctx, c); err != nil {
			b.log.Error("saving chat check", "check", c.Name, "err", err)
			b.reply(ctx, chatID, "Not added: the check could not be stored.")
			return
		}
	}
	r, err := b.deps.Engine.Add(ctx, c)
	if err != nil {
		if b.deps.Store != nil {
			if derr := b.deps.Store.DeleteCheck(context.WithoutCancel(ctx), c.Name); derr != nil {
				b.log.Error("undoing stored check", "check", c.Name, "err", derr)
			}
		}
		b.reply(ctx, chatID, "Not added: "+esc(oneLine(err.Error())))
		return
	}
	every := probe.Interval.D()
	if c.Type == "heartbeat" {
		every = probe.Period.D()
	}
	head := fmt.Sprintf("Added <b>%s</b> (%s", esc(c.Name), esc(c.Type))
	if every > 0 {
		head += ", every " + fmtDur(every)
	}
	b.reply(ctx, chatID, head+").\nFirst result: "+resultLine(c.Name, r))
}

// oneLine joins a multi-line validation error for a chat answer.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// Callback data: "<action>:<check>", or "<action>:#<hash>" when the name would exceed
// Telegram's 64 bytes. Data stays valid across restarts (alerts can wait in the outbox).
func callbackData(action, name string) string {
	d := action + ":" + name
	if len(d) <= 64 {
		return d
	}
	return action + ":#" + nameHash(name)
}

func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:8])
}

func (b *Bot) resolveName(ref string) string {
	h, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return ref
	}
	for _, v := range b.deps.Engine.Snapshot() {
		if nameHash(v.Spec.Name) == h {
			return v.Spec.Name
		}
	}
	return ref
}

func alertButtons(check string) *tele.ReplyMarkup {
	return &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{
		{Text: "🔕 Mute 1h", Data: callbackData("mute", check)},
		{Text: "🔄 Check now", Data: callbackData("run", check)},
		{Text: "🗺 Map", Data: callbackData("map", check)},
	}}}
}

func (b *Bot) cmdRemove(ctx context.Context, chatID int64, name string) {
	v, ok := b.deps.Engine.Get(name)
	if !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	if v.Spec.Source != "chat" {
		b.reply(ctx, chatID, fmt.Sprintf("<b>%s</b> is defined in the config file; remove it there.", esc(name)))
		return
	}
	b.sendWithButtons(ctx, chatID, fmt.Sprintf("Remove <b>%s</b>? Its history is kept.", esc(name)),
		[][]tele.InlineButton{{
			{Text: "🗑 Remove " + clip(name, 40), Data: callbackData("rm", name)},
			{Text: "Cancel", Data: callbackData("keep", name)},
		}})
}

func (b *Bot) cmdPause(ctx context.Context, chatID int64, info commandInfo, args []string) {
	name := args[0]
	if len(args) > 2 {
		b.reply(ctx, chatID, usage(info))
		return
	}
	if _, ok := b.deps.Engine.Get(name); !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	var until time.Time
	if len(args) == 2 {
		d, err := parseDuration(args[1])
		if err != nil {
			b.reply(ctx, chatID, esc(err.Error()))
			return
		}
		until = b.now().Add(d)
	}
	if err := b.deps.Engine.Pause(name, until); err != nil {
		b.reply(ctx, chatID, fmt.Sprintf("Could not pause <b>%s</b>: %s", esc(name), esc(err.Error())))
		return
	}
	if b.deps.Store != nil {
		if err := b.deps.Store.SetPause(ctx, name, until); err != nil {
			b.log.Error("storing pause", "check", name, "err", err)
		}
	}
	if until.IsZero() {
		b.reply(ctx, chatID, fmt.Sprintf("⏸ <b>%s</b> paused until /resume %s.", esc(name), esc(name)))
		return
	}
	b.reply(ctx, chatID, fmt.Sprintf("⏸ <b>%s</b> paused until %s (%s).", esc(name), fmtTime(until, b.now(), b.deps.Location), fmtDur(until.Sub(b.now()))))
}

func (b *Bot) cmdResume(ctx context.Context, chatID int64, name string) {
	if _, ok := b.deps.Engine.Get(name); !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	if err := b.deps.Engine.Resume(name); err != nil {
		b.reply(ctx, chatID, fmt.Sprintf("Could not resume <b>%s</b>: %s", esc(name), esc(err.Error())))
		return
	}
	if b.deps.Store != nil {
		if err := b.deps.Store.DeletePause(ctx, name); err != nil {
			b.log.Error("deleting pause", "check", name, "err", err)
		}
	}
	b.reply(ctx, chatID, fmt.Sprintf("▶️ <b>%s</b> resumed.", esc(name)))
}

func (b *Bot) cmdMute(ctx context.Context, chatID int64, info commandInfo, args []string) {
	if len(args) != 2 {
		b.reply(ctx, chatID, usage(info))
		return
	}
	name := args[0]
	if strings.EqualFold(name, "all") {
		name = "*"
	} else if _, ok := b.deps.Engine.Get(name); !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	d, err := parseDuration(args[1])
	if err != nil {
		b.reply(ctx, chatID, esc(err.Error()))
		return
	}
	b.mute(ctx, chatID, name, d)
}

func (b *Bot) mute(ctx context.Context, chatID int64, name string, d time.Duration) {
	if b.deps.Store == nil {
		b.reply(ctx, chatID, "Mutes need the history database.")
		return
	}
	now := b.now()
	until := now.Add(d)
	if err := b.deps.Store.SetMute(ctx, name, until); err != nil {
		b.log.Error("storing mute", "check", name, "err", err)
		b.reply(ctx, chatID, "Could not store the mute.")
		return
	}
	b.mu.Lock()
	b.mutes[name] = muteWatch{until: until, chatID: chatID}
	b.mu.Unlock()
	b.reply(ctx, chatID, fmt.Sprintf("🔕 <b>%s</b> muted until %s (%s). Muted checks still run and show on the map; only alerts stop.",
		muteName(name), fmtTime(until, now, b.deps.Location), fmtDur(d)))
}

func (b *Bot) cmdUnmute(ctx context.Context, chatID int64, name string) {
	if strings.EqualFold(name, "all") {
		name = "*"
	}
	if b.deps.Store == nil {
		b.reply(ctx, chatID, "Mutes need the history database.")
		return
	}
	mutes, err := b.deps.Store.Mutes(ctx)
	if err != nil {
		b.reply(ctx, chatID, "Could not read the mutes.")
		return
	}
	if _, ok := mutes[name]; !ok {
		b.reply(ctx, chatID, fmt.Sprintf("<b>%s</b> is not muted.", muteName(name)))
		return
	}
	if err := b.deps.Store.DeleteMute(ctx, name); err != nil {
		b.log.Error("deleting mute", "check", name, "err", err)
		b.reply(ctx, chatID, "Could not delete the mute.")
		return
	}
	b.mu.Lock()
	delete(b.mutes, name)
	b.mu.Unlock()
	b.reply(ctx, chatID, fmt.Sprintf("🔔 <b>%s</b> unmuted.", muteName(name)))
}

func (b *Bot) cmdMutes(ctx context.Context, chatID int64) {
	if b.deps.Store == nil {
		b.reply(ctx, chatID, "Mutes need the history database.")
		return
	}
	mutes, err := b.deps.Store.Mutes(ctx)
	if err != nil {
		b.reply(ctx, chatID, "Could not read the mutes.")
		return
	}
	b.reply(ctx, chatID, mutesText(mutes, b.now(), b.deps.Location))
}

// watchMutes announces mutes that end by themselves.
func (b *Bot) watchMutes(ctx context.Context) {
	t := time.NewTicker(b.muteTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := b.now()
		type due struct {
			name string
			w    muteWatch
		}
		var expired []due
		b.mu.Lock()
		for name, w := range b.mutes {
			if !w.until.After(now) {
				expired = append(expired, due{name, w})
				delete(b.mutes, name)
			}
		}
		b.mu.Unlock()
		sort.Slice(expired, func(i, j int) bool { return expired[i].name < expired[j].name })
		for _, e := range expired {
			// A mute renewed meanwhile (another /mute) is not over.
			if b.deps.Store != nil {
				if mutes, err := b.deps.Store.Mutes(ctx); err == nil {
					if until, ok := mutes[e.name]; ok && until.After(now) {
						b.mu.Lock()
						b.mutes[e.name] = muteWatch{until: until, chatID: e.w.chatID}
						b.mu.Unlock()
						continue
					}
				}
			}
			text := fmt.Sprintf("🔔 mute of <b>%s</b> expired", muteName(e.name))
			chats := []int64{e.w.chatID}
			if e.w.chatID == 0 {
				chats = b.alertChats()
			}
			for _, c := range chats {
				b.reply(ctx, c, text)
			}
		}
	}
}

func (b *Bot) alertChats() []int64 {
	if len(b.cfg.AlertChats) > 0 {
		return b.cfg.AlertChats
	}
	return b.cfg.Allowed
}

func (b *Bot) cmdHistory(ctx context.Context, chatID int64, info commandInfo, args []string) {
	if len(args) > 2 {
		b.reply(ctx, chatID, usage(info))
		return
	}
	name := args[0]
	if _, ok := b.deps.Engine.Get(name); !ok {
		b.reply(ctx, chatID, noCheck(name))
		return
	}
	window, label := 24*time.Hour, "24h"
	if len(args) == 2 {
		switch strings.ToLower(args[1]) {
		case "24h", "1d", "day":
			window, label = 24*time.Hour, "24h"
		case "7d", "1w", "week":
			window, label = 7*24*time.Hour, "7d"
		case "30d", "month":
			window, label = 30*24*time.Hour, "30d"
		default:
			b.reply(ctx, chatID, usage(info))
			return
		}
	}
	if b.deps.Store == nil {
		b.reply(ctx, chatID, "History needs the database.")
		return
	}
	now := b.now()
	since := now.Add(-window)
	step := window / 96
	points, err := b.deps.Store.Series(ctx, name, since, now, step)
	if err != nil {
		b.log.Error("series", "check", name, "err", err)
		b.reply(ctx, chatID, "Could not read the history.")
		return
	}
	checks, fails := 0, 0
	for _, p := range points {
		checks += p.Checks
		fails += p.Failures
	}
	if checks == 0 {
		b.reply(ctx, chatID, fmt.Sprintf("No history for <b>%s</b> in the last %s yet.", esc(name), label))
		return
	}
	img, err := drawChart(points, since, now, step, name+" · last "+label, b.deps.Location)
	if err != nil {
		b.log.Error("drawing chart", "check", name, "err", err)
		b.reply(ctx, chatID, "Could not draw the chart.")
		return
	}
	caption := fmt.Sprintf("<b>%s</b> · last %s · %d checks, %d failed (%s up)", esc(name), label, checks, fails,
		fmtPercent(float64(checks-fails)/float64(checks)))
	b.sendImage(ctx, chatID, img, caption, "history-"+name+".png")
}

func (b *Bot) sendMap(ctx context.Context, chatID int64, host string) {
	views := b.deps.Engine.Snapshot()
	if host != "" {
		var on []CheckView
		hosts := map[string]bool{}
		for _, v := range views {
			if v.Spec.Host == host {
				on = append(on, v)
			}
			if v.Spec.Host != "" {
				hosts[v.Spec.Host] = true
			}
		}
		if len(on) == 0 {
			names := make([]string, 0, len(hosts))
			for h := range hosts {
				names = append(names, esc(h))
			}
			sort.Strings(names)
			msg := fmt.Sprintf("No host named <b>%s</b>.", esc(host))
			if len(names) > 0 {
				msg += " Hosts: " + strings.Join(names, ", ") + "."
			}
			b.reply(ctx, chatID, msg)
			return
		}
		views = on
	}
	if b.deps.Map == nil {
		b.reply(ctx, chatID, "The map is not configured.")
		return
	}
	src, live, err := b.deps.Map(ctx, host)
	if err != nil {
		b.log.Error("map source", "host", host, "err", err)
		b.reply(ctx, chatID, "Could not build the map: "+esc(oneLine(err.Error())))
		return
	}
	img, err := b.render(src, live)
	if err != nil {
		b.log.Error("rendering map", "host", host, "err", err)
		b.reply(ctx, chatID, "Could not draw the map: "+esc(oneLine(err.Error())))
		return
	}
	name := "statusmap.png"
	if host != "" {
		name = "statusmap-" + host + ".png"
	}
	b.sendImage(ctx, chatID, img, mapCaption(views, host), name)
}

// fitsPhoto reports whether Telegram takes img as a photo (else it goes as a document).
func fitsPhoto(img []byte) bool {
	if len(img) > maxPhotoBytes {
		return false
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return false
	}
	w, h := cfg.Width, cfg.Height
	return w > 0 && h > 0 && w+h <= maxPhotoSides && w <= maxPhotoRatio*h && h <= maxPhotoRatio*w
}

// sendImage sends a PNG as a photo when Telegram takes it as one, else as a document.
// Each attempt builds its own reader: a spent upload reader cannot be sent again.
func (b *Bot) sendImage(ctx context.Context, chatID int64, img []byte, caption, filename string) {
	opts := &tele.SendOptions{ParseMode: tele.ModeHTML}
	if fitsPhoto(img) {
		err := b.do(ctx, func() error {
			_, err := b.tb.Send(tele.ChatID(chatID), &tele.Photo{File: tele.FromReader(bytes.NewReader(img)), Caption: caption}, opts)
			return err
		})
		if err == nil {
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != http.StatusBadRequest {
			b.log.Warn("sending photo", "chat", chatID, "err", err)
			return
		}
		b.log.Info("photo refused, sending as a document", "chat", chatID, "err", err)
	}
	err := b.do(ctx, func() error {
		doc := &tele.Document{File: tele.FromReader(bytes.NewReader(img)), FileName: filename, MIME: "image/png", Caption: caption}
		_, err := b.tb.Send(tele.ChatID(chatID), doc, opts)
		return err
	})
	if err != nil {
		b.log.Warn("sending document", "chat", chatID, "err", err)
	}
}

func (b *Bot) handleCallback(ctx context.Context, cb *tele.Callback) {
	if cb.Sender == nil {
		return
	}
	userID := cb.Sender.ID
	var chatID int64
	if cb.Message != nil && cb.Message.Chat != nil {
		chatID = cb.Message.Chat.ID
	}
	answer := func(text string) {
		if err := b.do(ctx, func() error { return b.tb.Respond(cb, &tele.CallbackResponse{Text: text}) }); err != nil {
			b.log.Warn("answering callback", "err", err)
		}
	}
	if !b.isAllowed(userID, chatID) {
		b.log.Warn("telegram: refused a stranger's button", "user", userID, "chat", chatID)
		answer(refusal)
		return
	}
	action, ref, ok := strings.Cut(cb.Data, ":")
	if !ok || chatID == 0 {
		answer("This button is no longer valid.")
		return
	}
	name := b.resolveName(ref)
	v, exists := b.deps.Engine.Get(name)
	if !exists {
		answer("No check named " + name + " any more.")
		return
	}
	switch action {
	case "mute":
		if !b.canChange(userID) {
			answer("Only admins can mute.")
			return
		}
		answer("Muted " + name + " for 1h")
		b.mute(ctx, chatID, name, time.Hour)
	case "run":
		answer("Checking " + name + "…")
		b.cmdRun(ctx, chatID, name)
	case "map":
		answer("Drawing the map…")
		b.sendMap(ctx, chatID, v.Spec.Host)
	case "rm", "keep":
		if !b.canChange(userID) {
			answer("Only admins can remove checks.")
			return
		}
		text := fmt.Sprintf("Kept <b>%s</b>.", esc(name))
		if action == "rm" {
			if err := b.deps.Engine.Remove(name); err != nil {
				answer("Not removed")
				b.reply(ctx, chatID, fmt.Sprintf("Could not remove <b>%s</b>: %s", esc(name), esc(err.Error())))
				return
			}
			if b.deps.Store != nil {
				if err := b.deps.Store.DeleteCheck(ctx, name); err != nil {
					b.log.Error("deleting stored check", "check", name, "err", err)
				}
			}
			b.log.Info("check removed from chat", "check", name, "user", userID)
			text = fmt.Sprintf("🗑 Removed <b>%s</b>.", esc(name))
		}
		answer("Done")
		if cb.Message != nil {
			err := b.do(ctx, func() error {
				_, err := b.tb.Edit(cb.Message, text, &tele.SendOptions{ParseMode: tele.ModeHTML})
				return err
			})
			if err != nil {
				b.log.Warn("editing confirmation", "err", err)
			}
		}
	default:
		answer("This button is no longer valid.")
	}
}
