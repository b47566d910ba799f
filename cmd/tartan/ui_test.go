package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tartan-da/tartan/api"
)

// screenshotsEnv names a directory where TestDashboardInBrowser saves
// screenshots of the main pages; unset, it saves none.
const screenshotsEnv = "TARTAN_UI_SCREENSHOTS"

// uiWithholdAt is the devnet's withhold height in the browser test: late
// enough that the blob submitted through the form lands below it, so it
// can turn available, while the blob after it is withheld.
const uiWithholdAt = 40

// countEventSources runs before the page's own scripts and counts the
// event streams it opens.
const countEventSources = `(() => {
  const ES = window.EventSource;
  window.__eventSources = 0;
  window.EventSource = function (...args) { window.__eventSources++; return new ES(...args); };
  window.EventSource.prototype = ES.prototype;
  Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
})();`

// browserLog collects what the page writes to the console as errors.
type browserLog struct {
	mu     sync.Mutex // guards errors
	errors []string
}

func (b *browserLog) add(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

func (b *browserLog) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

// TestDashboardInBrowser drives Debian's chromium against a devnet with a
// withholding fault: the dashboard loads fast and without console errors,
// a blob submitted through its form turns available on the light node's
// page without a reload, the square grid shows exactly the cells
// /v1/availability/{h} reports, and a withheld height shows unavailable.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes and a browser")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): the dashboard's browser test needs it")
	}
	shots := os.Getenv(screenshotsEnv)
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	base := freeBase(t, 4)
	p := startDevnetProc(t, "--dir", dir, "--validators", "2", "--fulls", "1", "--lights", "1",
		"--api-port", strconv.Itoa(base), "--block-time", "500ms", "--fault", fmt.Sprintf("withhold@%d", uiWithholdAt))
	d := p.waitJSON(t, dir, nil)
	var validator, full, light string
	for _, n := range d.Nodes {
		switch n.Role {
		case "validator":
			validator = n.API
		case "full":
			full = n.API
		case "light":
			light = n.API
		}
	}

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless,
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	var blog browserLog
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: countEventSources})
		return err
	})); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				blog.add(fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
		}
	}()
	run := func(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v; console errors: %q", what, err, blog.list())
		}
	}
	eval := func(expr string, out any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
		if err == nil {
			err = json.Unmarshal(raw, out)
		}
		if err != nil {
			t.Fatalf("evaluating %s: %v", expr, err)
		}
	}
	waitFor := func(what, expr string, timeout time.Duration) {
		t.Helper()
		run(what, timeout+5*time.Second, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond)))
	}
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The light node's dashboard: it paints within a second and fills in.
	run("open the dashboard", 30*time.Second, chromedp.Navigate(light+"/ui/"))
	waitFor("the node and the timeline", `document.querySelector("#node-role") && document.querySelectorAll("#timeline a").length > 0`, 20*time.Second)
	var paint float64
	eval(`(performance.getEntriesByName("first-contentful-paint")[0] || {startTime: -1}).startTime`, &paint)
	if paint < 0 || paint > 1000 {
		t.Errorf("first contentful paint at %.0f ms, want under 1000", paint)
	}
	var role string
	eval(`document.querySelector("#node-role").textContent`, &role)
	if role != "light" {
		t.Fatalf("the dashboard says role %q, want light", role)
	}
	waitFor("the live stream", `document.querySelector("#live").textContent === "Live"`, 10*time.Second)
	eval(`window.__reloadMarker = 1`, new(int))
	shot("overview")

	// Submit a blob through the form; its height turns available on the
	// height's page, live.
	// About 5 kB: a 4×4 square, so the grid has cells in every quadrant.
	text := fmt.Sprintf("dashboard blob %d ", time.Now().UnixNano()) + strings.Repeat("tartan dashboard ", 300)
	run("open the form", 10*time.Second, chromedp.Navigate(light+"/ui/#/submit"))
	waitFor("the form", `document.querySelector("#submit-form") !== null`, 10*time.Second)
	eval(`window.__reloadMarker = 1`, new(int))
	run("fill the form", 10*time.Second, chromedp.SetValue(chromedp.CSS("#text"), text), chromedp.Click(chromedp.CSS("#submit-btn")))
	waitFor("the submission's answer", `document.querySelector("#result-height") !== null || document.querySelector("#submit-result .error") !== null`, 60*time.Second)
	var res struct {
		Height     uint64 `json:"height"`
		Commitment string `json:"commitment"`
		Error      string `json:"error"`
	}
	eval(`({height: Number((document.querySelector("#result-height") || {dataset: {}}).dataset.height || 0),
	  commitment: (document.querySelector("#result-commitment") || {}).textContent || "",
	  error: (document.querySelector("#submit-result .error") || {}).textContent || ""})`, &res)
	if res.Error != "" || res.Height == 0 || len(res.Commitment) != 64 {
		t.Fatalf("the form's answer: %+v", res)
	}
	if res.Height >= uiWithholdAt {
		t.Fatalf("the blob landed at height %d, at or above the withheld heights (%d on): the devnet started too slowly for this test", res.Height, uiWithholdAt)
	}
	shot("submit")
	// Follow the answer's link: a hash change, not a page load.
	run("open the height", 10*time.Second, chromedp.Click(chromedp.CSS("#result-height")))
	waitFor("the height's page", fmt.Sprintf(`location.hash === "#/h/%d" && document.querySelector("#av-status") !== null`, res.Height), 10*time.Second)
	waitFor("the height turning available", `document.querySelector("#av-status").dataset.status === "available" && document.querySelectorAll("#square .cell").length > 0`, 60*time.Second)
	var marker int
	eval(`window.__reloadMarker || 0`, &marker)
	if marker != 1 {
		t.Fatal("the page reloaded on its way to the verdict")
	}
	checkGrid(t, eval, light, res.Height, "available")
	shot("height")

	// The full node's page of that height lists the blob with links to
	// its proofs.
	run("open the full node's height", 30*time.Second, chromedp.Navigate(fmt.Sprintf("%s/ui/#/h/%d", full, res.Height)))
	waitFor("the blob on the full node", fmt.Sprintf(`document.querySelector('#blobs code[title="%s"]') !== null`, res.Commitment), 30*time.Second)
	var proofLink string
	eval(`document.querySelector('#blobs a[href$="/proof"]').getAttribute("href")`, &proofLink)
	if code := getJSON(t, full+proofLink, nil); code != http.StatusOK {
		t.Fatalf("the blob's proof link %s answers %d", proofLink, code)
	}
	shot("full-height")

	// A withheld height: submit a blob at or above the fault's height and
	// watch the light node call it unavailable.
	deadline := time.Now().Add(60 * time.Second)
	var head api.HeaderJSON
	for getJSON(t, validator+"/v1/headers/head", &head) != http.StatusOK || head.Height < uiWithholdAt {
		if time.Now().After(deadline) {
			t.Fatalf("the chain does not reach height %d", uiWithholdAt)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var wres api.SubmitResult
	body := map[string]any{"blobs": []map[string]any{{"namespace": tryNamespace, "data": []byte(strings.Repeat("withheld ", 600))}}, "timeout": "30s"}
	if code := doJSON(t, http.MethodPost, validator+"/v1/blobs", body, &wres); code != http.StatusOK || wres.Height < uiWithholdAt {
		t.Fatalf("submitting the withheld blob: %d at height %d", code, wres.Height)
	}
	start := time.Now()
	for {
		var av api.HeightAvailability
		if getJSON(t, fmt.Sprintf("%s/v1/availability/%d", light, wres.Height), &av); av.Status == "unavailable" {
			break
		}
		if time.Since(start) > 90*time.Second {
			t.Fatalf("the light node does not call withheld height %d unavailable: %+v", wres.Height, av)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("withheld height %d judged unavailable %s after its block", wres.Height, time.Since(start).Round(time.Millisecond))
	run("back to the light node", 30*time.Second, chromedp.Navigate(light+"/ui/"))
	waitFor("the timeline", `document.querySelectorAll("#timeline a").length > 0`, 20*time.Second)
	// In the timeline, or among the earlier flagged heights once the
	// timeline has moved past it.
	waitFor("the withheld height unavailable in the chain",
		fmt.Sprintf(`(document.querySelector('#main a[data-height="%d"]') || {dataset: {}}).dataset.status === "unavailable"`, wres.Height), 60*time.Second)
	shot("overview-unavailable")
	run("open the withheld height", 10*time.Second, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = "#/h/%d"`, wres.Height)))
	waitFor("the withheld height's verdict", `(document.querySelector("#av-status") || {dataset: {}}).dataset.status === "unavailable" && document.querySelectorAll("#square .cell").length > 0`, 30*time.Second)
	checkGrid(t, eval, light, wres.Height, "unavailable")
	shot("height-unavailable")
	run("open availability", 10*time.Second, chromedp.Evaluate[chromedp.Void](`location.hash = "#/availability"`))
	waitFor("the unavailable list", fmt.Sprintf(`[...document.querySelectorAll("#unavailable-list a")].some(a => a.textContent === "height %d")`, wres.Height), 20*time.Second)
	shot("availability")

	// A phone's width: nothing wider than the screen. And the dark scheme.
	run("phone width", 10*time.Second, chromedp.EmulateViewport(390, 844))
	run("reopen on the phone", 30*time.Second, chromedp.Navigate(light+"/ui/"))
	waitFor("the timeline on the phone", `document.querySelectorAll("#timeline a").length > 0`, 20*time.Second)
	var overflow bool
	eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow)
	if overflow {
		t.Error("the overview is wider than a 390 px phone screen")
	}
	shot("phone")
	run("dark scheme", 10*time.Second, chromedp.EmulateViewport(1200, 900), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	var bg string
	eval(`getComputedStyle(document.body).backgroundColor`, &bg)
	if bg != "rgb(17, 19, 22)" {
		t.Errorf("the dark scheme's background is %s, want the dark one", bg)
	}
	shot("overview-dark")

	var streams int
	eval(`window.__eventSources`, &streams)
	if streams != 1 {
		t.Errorf("the last page load opened %d event streams, want 1", streams)
	}
	if errs := blog.list(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	cancel()
	p.stop(t)
}

// checkGrid compares the cells drawn in the square with those the light
// node's /v1/availability/{h} reports: the same cells, the verified ones
// drawn verified and, for an unavailable height, the rest failed.
func checkGrid(t *testing.T, eval func(string, any), light string, height uint64, status string) {
	t.Helper()
	var av api.HeightAvailability
	if code := getJSON(t, fmt.Sprintf("%s/v1/availability/%d", light, height), &av); code != http.StatusOK || av.Status != status {
		t.Fatalf("height %d: %d %+v, want %s", height, code, av, status)
	}
	var drawn []struct {
		Row   int    `json:"row"`
		Col   int    `json:"col"`
		State string `json:"state"`
	}
	eval(`[...document.querySelectorAll("#square .cell")].map(c => ({row: Number(c.dataset.row), col: Number(c.dataset.col), state: c.dataset.state}))`, &drawn)
	if len(av.Cells) == 0 || len(drawn) != len(av.Cells) {
		t.Fatalf("height %d: %d cells drawn, the API reports %d", height, len(drawn), len(av.Cells))
	}
	want := map[[2]int]string{}
	for _, c := range av.Cells {
		st := "pending"
		switch {
		case c.Verified:
			st = "verified"
		case status == "unavailable":
			st = "failed"
		}
		want[[2]int{c.Row, c.Col}] = st
	}
	for _, c := range drawn {
		if st, ok := want[[2]int{c.Row, c.Col}]; !ok || st != c.State {
			t.Fatalf("height %d: cell (%d,%d) drawn %s; the API says %q", height, c.Row, c.Col, c.State, st)
		}
		delete(want, [2]int{c.Row, c.Col})
	}
	if len(want) != 0 {
		t.Fatalf("height %d: cells not drawn: %v", height, want)
	}
}
