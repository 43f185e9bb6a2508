package web

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var screenshots = flag.String("screenshots", "", "write the browser test's screenshots to this directory")

const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Chromium of the system (never a downloaded one). It skips
// when Chromium is missing, except in CI where the browser test must run.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed: %v", err)
	}
	// Chromium's helpers may still write in the profile right after it stops, so the
	// directory is removed with retries rather than by t.TempDir.
	dir, err := os.MkdirTemp("", "statusmap-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first run starts the browser and must not carry a timeout (it would stop it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs browser steps with a bound on their time.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// evalUntil evaluates js until it returns want.
func evalUntil(t *testing.T, ctx context.Context, what, js, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var got string
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		v, err := chromedp.Run(tctx, chromedp.Evaluate[string](js))
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got = v
		if got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: got %q, want %q", what, got, want)
}

const nodeFill = `(function(){var p=document.querySelector('#map path[data-check="api"]');return p?p.getAttribute('fill'):'no node'})()`

// TestBrowserLiveMap opens the page in a real browser, sees the map, breaks a check's
// target and sees its node turn red without a reload.
func TestBrowserLiveMap(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	e := newEnv(t, envOpts{fixed: true, interval: "1s", start: true})
	waitFor(t, "first runs", 10*time.Second, func() bool {
		v, _ := e.eng.Get("api")
		return v.State.Status == "ok"
	})
	ctx := browser(t, 390, 844) // a phone
	do(t, ctx,
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#map svg`)),
		chromedp.WaitVisible(chromedp.CSS(`#checks tbody tr[data-check="api"]`)),
	)
	evalUntil(t, ctx, "api node green", nodeFill, "#ccffbb", 10*time.Second)
	evalUntil(t, ctx, "live stream", `document.querySelector('#live').textContent`, "live", 10*time.Second)
	// A marker on window survives only if the page is not reloaded.
	evalUntil(t, ctx, "marker", `window.__noReload = "yes"`, "yes", time.Second)
	shot(t, ctx, "phone-ok.png")

	e.targets["api"].down.Store(true)
	evalUntil(t, ctx, "api node red", nodeFill, "#ff9988", 15*time.Second)
	evalUntil(t, ctx, "api row", `document.querySelector('#checks tr[data-check="api"] .pill').textContent`, "error", 5*time.Second)
	evalUntil(t, ctx, "no reload", `String(window.__noReload)`, "yes", time.Second)

	// Clicking the node opens its detail.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#map text[data-check="api"]`)))
	evalUntil(t, ctx, "detail", `document.querySelector('#detail').hidden ? 'hidden' : document.querySelector('#d-name').textContent`, "api", 5*time.Second)
	evalUntil(t, ctx, "detail reason", `String(/HTTP 500/.test(document.querySelector('#d-body').textContent))`, "true", 5*time.Second)
	shot(t, ctx, "phone-detail.png")

	// And the same page at desktop size, back to green after recovery.
	do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Click(chromedp.CSS(`#d-close`)))
	e.targets["api"].down.Store(false)
	evalUntil(t, ctx, "api node green again", nodeFill, "#ccffbb", 15*time.Second)
	shot(t, ctx, "desktop.png")
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	time.Sleep(300 * time.Millisecond)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
