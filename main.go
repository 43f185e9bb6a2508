// Command statusmap monitors services, alerts through a Telegram bot and draws a live map
// of which server runs what.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/statusmap/statusmap/alerting"
	"github.com/statusmap/statusmap/bot"
	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
	"github.com/statusmap/statusmap/storage"
	"github.com/statusmap/statusmap/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `usage: statusmap <command> [flags]

commands:
  run       -config FILE   monitor, alert, serve the bot and the web side
  validate  -config FILE   check the config and exit (2 on errors)
  once      -config FILE   run every check once, print a table, exit 1 if any is error
  map       -config FILE [-o map.png|map.svg] [-source]   render the status map once
  map       -parse FILE.nomnoml                           print nomnoml's parse JSON of a file
  version                  print the version
`

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// cli runs one command and returns the process exit code: 0 ok, 1 failure (once: a check is
// error), 2 bad usage or bad config.
func cli(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "./config.yaml", "config file")
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "statusmap", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "validate":
		if fs.Parse(rest) != nil {
			return 2
		}
		return cmdValidate(*cfgPath, stdout, stderr)
	case "once":
		if fs.Parse(rest) != nil {
			return 2
		}
		return cmdOnce(*cfgPath, stdout, stderr)
	case "run":
		if fs.Parse(rest) != nil {
			return 2
		}
		return cmdRun(*cfgPath, stderr)
	case "map":
		out := fs.String("o", "", "write the map to this .png or .svg file")
		source := fs.Bool("source", false, "print the map's nomnoml source")
		parse := fs.String("parse", "", "print the parse JSON of this nomnoml file")
		host := fs.String("host", "", "draw only this host")
		if fs.Parse(rest) != nil {
			return 2
		}
		return cmdMap(*cfgPath, *out, *source, *parse, *host, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "statusmap: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// loadConfig prints every config error at once and reports whether loading worked.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

func cmdValidate(path string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 2
	}
	warnings := append(cfg.Warnings(), mapWarnings(cfg)...)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	fmt.Fprintf(stdout, "%s: ok, %d checks\n", path, len(cfg.Checks))
	return 0
}

func cmdOnce(path string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(stderr)
	// One run decides: a check that fails now is error, not "failing once, not yet judged".
	for i := range cfg.Checks {
		cfg.Checks[i].FailureThreshold, cfg.Checks[i].SuccessThreshold = 1, 1
	}
	opt := monitor.Options{Logger: logger}
	// Persisted counters make `once` show the same record as the running service.
	if db, err := storage.Open(ctx, cfg.Storage.Path, storage.Options{Logger: logger, Retention: cfg.Storage.Retention}); err == nil {
		defer db.Close()
		if states, err := db.LoadStates(ctx); err == nil {
			opt.Restore = states
		}
		opt.Results = []monitor.ResultSink{db}
		opt.Tokens = db
	} else {
		logger.Warn("history unavailable, counters start at zero", "err", err)
	}
	eng, err := monitor.New(cfg, opt)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	views := eng.RunAll(ctx)
	return printOnce(views, stdout)
}

// printOnce writes the table of `statusmap once` and returns 1 if any check is error.
func printOnce(views []monitor.CheckView, w io.Writer) int {
	sort.Slice(views, func(i, j int) bool { return views[i].Spec.Name < views[j].Spec.Name })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tSTATUS\tLATENCY\tOK/FAIL\tREASON")
	code := 0
	for _, v := range views {
		st := v.State
		if st.Status == monitor.StatusError {
			code = 1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\n", v.Spec.Name, v.Spec.Type, st.Status,
			st.Last.Latency.Round(time.Millisecond), st.SuccessCount, st.FailCount, st.Last.Reason)
	}
	tw.Flush()
	return code
}

func cmdRun(path string, stderr io.Writer) int {
	logger := newLogger(stderr)
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, path, cfg, logger); err != nil {
		logger.Error("statusmap stopped", "err", err)
		return 1
	}
	return 0
}

// serve builds the parts, runs them until ctx is cancelled, and closes them in reverse order.
// SIGHUP reloads the config; an invalid new config is logged and the old one kept.
func serve(ctx context.Context, path string, cfg *config.Config, logger *slog.Logger) error {
	render.LogFonts(logger)
	db, err := storage.Open(ctx, cfg.Storage.Path, storage.Options{Logger: logger, Retention: cfg.Storage.Retention})
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer db.Close()
	states, err := db.LoadStates(ctx)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}

	withChatChecks(ctx, cfg, db, logger)
	// Times in chat read like the web page's: web.timezone (validated at load), else Local.
	loc := time.Local
	if cfg.Web.Timezone != "" {
		if l, err := time.LoadLocation(cfg.Web.Timezone); err == nil {
			loc = l
		}
	}

	// The engine calls its sinks from Start on; they are built after it because they read it.
	sinks := &fanout{results: []monitor.ResultSink{db}}
	eng, err := monitor.New(cfg, monitor.Options{
		Logger:  logger,
		Results: []monitor.ResultSink{sinks},
		Events:  []monitor.EventSink{sinks},
		Restore: states,
		Tokens:  db,
	})
	if err != nil {
		return err
	}
	var current atomic.Pointer[config.Config] // swapped by SIGHUP, read by map requests
	current.Store(cfg)
	mapFn := func(ctx context.Context, host string) (string, map[string]render.NodeStatus, error) {
		return mapInput(current.Load(), eng.Snapshot(), host)
	}

	var tg *bot.Bot
	var sender alerting.Sender = logSender{logger}
	if cfg.Telegram.Token == "" {
		logger.Info("telegram.token is not set: the bot is off, alerts go to this log")
		// Chat 0 is the log: alerts still pass grouping, mutes and the outbox.
		cfg.Telegram.AlertChats = []int64{0}
	} else {
		tg, err = bot.New(cfg.Telegram, bot.Deps{
			Engine: eng, Store: db, Map: mapFn, Defaults: cfg.Defaults, PushBase: cfg.Web.BaseURL, Location: loc,
		}, logger)
		if err != nil {
			return err
		}
		sender = tg
	}
	var lastContact func() time.Time
	if tg != nil {
		lastContact = tg.LastOK
	}
	alerter := alerting.New(cfg, alerting.Deps{
		Sender: sender, Store: db, Engine: eng, LastContact: lastContact, Location: loc,
	}, logger)
	site, err := web.New(cfg.Web, web.Deps{
		Engine: eng, History: db, Map: mapFn, Health: alerter.Healthy,
		Info: web.Info{Version: buildVersion()},
	}, logger)
	if err != nil {
		return err
	}
	sinks.results = append(sinks.results, site)
	sinks.events = append(sinks.events, alerter, site)

	if err := eng.Start(ctx); err != nil {
		return err
	}
	restorePauses(ctx, db, eng, logger)
	logger.Info("statusmap running", "checks", len(eng.Snapshot()), "config", path,
		"db", cfg.Storage.Path, "web", cfg.Web.Listen)

	// Each part runs until ctx ends; the first to fail stops the others.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(runCtx); err != nil && runCtx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	start("web", site.Run)
	start("alerting", alerter.Run)
	if tg != nil {
		start("telegram", tg.Run)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-runCtx.Done():
			logger.Info("stopping: letting running checks finish")
			stopCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
			defer stop()
			stopErr := eng.Stop(stopCtx)
			cancel(nil)
			wg.Wait()
			if err := context.Cause(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return stopErr
		case <-hup:
			next, err := config.Load(path)
			if err != nil {
				logger.Error("reload refused, keeping the running config", "err", err)
				continue
			}
			if err := eng.Reload(next); err != nil {
				logger.Error("reload failed, keeping the running config", "err", err)
				continue
			}
			if tg == nil { // the bot starts and stops with the process, not on reload
				next.Telegram.AlertChats = []int64{0}
			}
			alerter.Reload(next)
			current.Store(next)
		}
	}
}

// restorePauses re-applies pauses set from chat before a restart; expired ones are gone.
func restorePauses(ctx context.Context, db interface {
	Pauses(ctx context.Context) (map[string]time.Time, error)
}, eng *monitor.Engine, logger *slog.Logger) {
	pauses, err := db.Pauses(ctx)
	if err != nil {
		logger.Error("loading pauses", "err", err)
		return
	}
	for name, until := range pauses {
		if err := eng.Pause(name, until); err != nil {
			logger.Warn("restoring pause", "check", name, "err", err)
		}
	}
}

// fanout passes the engine's results and events on to every part that wants them.
// Its lists are filled before the engine starts and never change after.
type fanout struct {
	results []monitor.ResultSink
	events  []monitor.EventSink
}

func (f *fanout) RecordResult(r monitor.Result, s monitor.State) {
	for _, x := range f.results {
		x.RecordResult(r, s)
	}
}

func (f *fanout) HandleEvent(ev monitor.Event) {
	for _, x := range f.events {
		x.HandleEvent(ev)
	}
}

// logSender stands in for the bot when no token is set: alerts are written to the log.
type logSender struct{ log *slog.Logger }

func (l logSender) Send(_ context.Context, chatID int64, text, check string) error {
	l.log.Info("alert (bot off)", "chat", chatID, "check", check, "text", text)
	return nil
}

// chatChecks is what merging the checks added from chat needs from storage.
type chatChecks interface {
	Checks(ctx context.Context) ([]config.Check, error)
}

// withChatChecks appends the checks added from chat in earlier runs to cfg, so they start
// with the others (restored state, spread first runs). A stored check whose name the config
// now uses is skipped with a warning: the config wins.
func withChatChecks(ctx context.Context, cfg *config.Config, db chatChecks, logger *slog.Logger) {
	checks, err := db.Checks(ctx)
	if err != nil {
		logger.Error("loading checks added from chat", "err", err)
		return
	}
	inConfig := make(map[string]bool, len(cfg.Checks))
	for _, c := range cfg.Checks {
		inConfig[c.Name] = true
	}
	known := func(name string) bool {
		if inConfig[name] {
			return true
		}
		for _, c := range checks {
			if c.Name == name {
				return true
			}
		}
		return false
	}
	for _, c := range checks {
		if inConfig[c.Name] {
			logger.Warn("check added from chat shadowed by the config file", "check", c.Name)
			continue
		}
		// The same defaults and rules as when it was added (timeout capped at the interval, ...).
		if err := config.ValidateCheck(&c, cfg.Defaults, known); err != nil {
			logger.Warn("check added from chat no longer valid, not started", "check", c.Name, "err", err)
			continue
		}
		c.Source = monitor.SourceChat
		cfg.Checks = append(cfg.Checks, c)
	}
}

func cmdMap(path, out string, source bool, parseFile, host string, stdout, stderr io.Writer) int {
	if parseFile != "" {
		src, err := os.ReadFile(parseFile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		js, err := render.ParseJSON(string(src))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		stdout.Write(js)
		fmt.Fprintln(stdout)
		return 0
	}
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 2
	}
	// The current map: states as the running service last stored them, if it has a database.
	var opt monitor.Options
	if _, err := os.Stat(cfg.Storage.Path); err == nil {
		ctx := context.Background()
		if db, err := storage.Open(ctx, cfg.Storage.Path, storage.Options{Logger: newLogger(stderr), MaintainInterval: -1}); err == nil {
			defer db.Close()
			opt.Restore, _ = db.LoadStates(ctx)
			withChatChecks(ctx, cfg, db, slog.New(slog.DiscardHandler))
		}
	}
	eng, err := monitor.New(cfg, opt)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	src, live, err := mapInput(cfg, eng.Snapshot(), host)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if source || out == "" {
		fmt.Fprint(stdout, src)
		if !strings.HasSuffix(src, "\n") {
			fmt.Fprintln(stdout)
		}
		if out == "" {
			return 0
		}
	}
	var img []byte
	switch strings.ToLower(filepath.Ext(out)) {
	case ".png":
		img, err = render.RenderPNG(src, live)
	case ".svg":
		img, err = render.RenderSVG(src, live)
	default:
		fmt.Fprintf(stderr, "statusmap map: -o %q: want a .png or .svg file\n", out)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := os.WriteFile(out, img, 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
