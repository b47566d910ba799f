package node

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

// burstPost sends n submissions of size random bytes at once to n's API
// and returns the answers' status counts and the included results.
func burstPost(t *testing.T, n *Node, count, size int, ns string) (map[int]int, []api.SubmitResult, []string) {
	t.Helper()
	var (
		mu      sync.Mutex
		codes   = map[int]int{}
		results []api.SubmitResult
		errs    []string
		wg      sync.WaitGroup
	)
	for range count {
		wg.Go(func() {
			data := make([]byte, size)
			_, _ = rand.Read(data)
			body, _ := json.Marshal(map[string]any{"blobs": []blobReq{{Namespace: ns, Data: data}}})
			resp, err := http.Post(url(n, "/v1/blobs"), "application/json", bytes.NewReader(body))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[0]++
				errs = append(errs, err.Error())
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			codes[resp.StatusCode]++
			var r api.SubmitResult
			if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &r) != nil {
				errs = append(errs, fmt.Sprintf("%d %s", resp.StatusCode, raw))
				return
			}
			results = append(results, r)
		})
	}
	wg.Wait()
	return codes, results, errs
}

// Issue 10, finding 2: 100 concurrent 20 KB submissions through a light
// node were 64 × 200 and the rest refused (forwarded to a full node,
// streams reset, pool_full). They are now queued and forwarded only to
// the validator: every one is included.
func TestSubmissionBurstThroughALightNode(t *testing.T) {
	tn := newTestNet(t, 1, 1, 300*time.Millisecond)
	light := tn.lights[0]
	waitFor(t, 20*time.Second, "the light node to know the validator accepts submissions",
		func() bool { return len(light.host.SubmitPeers()) > 0 })
	ns := "74617274616e2d627374"
	codes, results, errs := burstPost(t, light, 100, 20_000, ns)
	if codes[http.StatusOK] != 100 {
		t.Fatalf("100 concurrent submissions through a light node: %v; first refusals: %.3q", codes, errs)
	}
	// Each is in the block it names, readable through the light node.
	for _, r := range results[:5] {
		var got api.BlobJSON
		u := url(light, fmt.Sprintf("/v1/blobs/%d/%s/%s", r.Height, ns, r.Commitments[0]))
		if code := httpJSON(t, http.MethodGet, u, nil, &got); code != http.StatusOK || len(got.Data) != 20_000 {
			t.Fatalf("GET %s: %d, %d bytes", u, code, len(got.Data))
		}
	}
}

// Issue 10, finding 3: 200 concurrent reads of a 3 MiB blob through a
// light node gave 72 × 503. Identical reads in flight now share one
// fetch and one answer.
func TestReadBurstThroughALightNode(t *testing.T) {
	tn := newTestNet(t, 0, 1, 300*time.Millisecond)
	light := tn.lights[0]
	ns := "74617274616e2d726478"
	data := make([]byte, 3<<20)
	_, _ = rand.Read(data)
	var res api.SubmitResult
	if code := httpJSON(t, http.MethodPost, url(tn.validator, "/v1/blobs"), map[string]any{"blobs": []blobReq{{Namespace: ns, Data: data}}}, &res); code != http.StatusOK {
		t.Fatalf("submit: %d", code)
	}
	waitFor(t, 20*time.Second, "the light node to reach the blob's height", func() bool { return localHead(light) >= res.Height })
	u := url(light, fmt.Sprintf("/v1/blobs/%d?namespace=%s", res.Height, ns))
	var (
		mu     sync.Mutex
		codes  = map[int]int{}
		bodies = map[string]int{}
		wg     sync.WaitGroup
	)
	for range 200 {
		wg.Go(func() {
			resp, err := http.Get(u)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[0]++
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			codes[resp.StatusCode]++
			if resp.StatusCode == http.StatusOK {
				bodies[string(raw)]++
			}
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 200 {
		t.Fatalf("200 concurrent reads of a 3 MiB blob through a light node: %v", codes)
	}
	for body := range bodies {
		var got api.BlobsJSON
		if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Blobs) != 1 || !bytes.Equal(got.Blobs[0].Data, data) {
			t.Fatalf("an answer is not the blob (%v, %d blobs)", err, len(got.Blobs))
		}
	}
}

// Issue 10, finding 5: a node logged 3 lines in 7 minutes and 410 blocks.
// At info it now says what it does, and no level writes a token.
func TestLogsSayWhatTheNodeDoes(t *testing.T) {
	var logs lockedLog
	testOptions = func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	t.Cleanup(func() { testOptions = nil })
	tn := newTestNet(t, 1, 1, 200*time.Millisecond)
	light := tn.lights[0]
	ns := "74617274616e2d6c6f67"
	if codes, _, errs := burstPost(t, tn.validator, 2, 1000, ns); codes[http.StatusOK] != 2 {
		t.Fatalf("submissions: %v %q", codes, errs)
	}
	// Two refusals: a reserved namespace and a body that is not JSON.
	for _, body := range []string{`{"blobs":[{"namespace":"0000000000000000000000000000000000000000000000000000000001","data":"aGk="}]}`, `{`} {
		resp, err := http.Post(url(light, "/v1/blobs"), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("refused submission answered %d", resp.StatusCode)
		}
	}
	// A token, valid and not, must never reach the log.
	token, _, err := NewTokens(light.dir).Create("ops", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{token, "tartan_NotATokenNotATokenNotATokenNotAToken1234"} {
		req, _ := http.NewRequest(http.MethodPost, url(light, "/v1/blobs"), strings.NewReader(`{`))
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	waitFor(t, 20*time.Second, "the full node to store a square", func() bool {
		return strings.Contains(logs.String(), "role=full") && strings.Contains(logs.String(), "msg=\"block stored\" role=full")
	})
	// Stop one node and let the others see it go before stopping them.
	tn.stops[tn.fulls[0]]()
	waitFor(t, 10*time.Second, "a peer to log the stopped node leaving", func() bool {
		return strings.Contains(logs.String(), `msg="peer left"`)
	})
	tn.stops[tn.lights[0]]()
	tn.stops[tn.validator]()
	out := logs.String()
	for _, want := range []string{
		`msg="node running" role=validator chain=testnet`, "max_square_width=128", "storage_window=",
		`msg="block built"`, `msg="block validated"`, `msg="block stored" role=validator`, `msg="block stored" role=full`,
		"square_width=", "bytes=", "ms=",
		`msg="peer joined"`, "peers=", `msg="peer left"`,
		`msg="submissions refused" role=light count=1`, "bad_namespace=1",
		`msg="node stopped" role=light`, `msg="node stopped" role=validator`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the info log lacks %q", want)
		}
	}
	if strings.Contains(out, "level=DEBUG") || strings.Contains(out, `msg=request`) {
		t.Error("per-request detail is logged at info")
	}
	if strings.Contains(out, token) || strings.Contains(out, "NotAToken") {
		t.Error("the log holds a token")
	}
	if t.Failed() {
		t.Logf("log:\n%s", out)
	}
}
