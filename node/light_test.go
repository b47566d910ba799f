package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// fastSampling shortens the light nodes' rounds and backoffs for the
// duration of a test.
func fastSampling(t *testing.T) {
	testOptions = func(o *Options) {
		o.tuneSampling = func(c *sampling.Config) {
			c.MaxAttempts = 2
			c.SessionTimeout = 5 * time.Second
			c.RetryBase = 200 * time.Millisecond
			c.RetryMax = time.Second
		}
		o.countSampling = true
	}
	t.Cleanup(func() { testOptions = nil })
}

// submitBlobs submits count blobs of varied sizes to n one after the
// other, each waiting for its block, and returns their heights.
func submitBlobs(t *testing.T, n *Node, count int) []uint64 {
	t.Helper()
	sizes := []int{700, 30_000, 150_000}
	var heights []uint64
	for i := range count {
		data := bytes.Repeat([]byte{byte(i + 1)}, sizes[i%len(sizes)])
		var res api.SubmitResult
		body := map[string]any{"blobs": []blobReq{{"74617274616e2d6e6574", data}}, "timeout": "20s"}
		if code := httpJSON(t, "POST", url(n, "/v1/blobs"), body, &res); code != 200 {
			t.Fatalf("submitting blob %d: status %d", i, code)
		}
		heights = append(heights, res.Height)
	}
	return heights
}

// feedBlobs keeps submitting small blobs to n until the test ends, so
// that blocks keep being non-empty.
func feedBlobs(t *testing.T, n *Node) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			b, _ := json.Marshal(map[string]any{"blobs": []blobReq{{"74617274616e2d6e6574", bytes.Repeat([]byte{byte(i)}, 5000+i*100)}}, "timeout": "5s"})
			req, _ := http.NewRequestWithContext(ctx, "POST", url(n, "/v1/blobs"), bytes.NewReader(b))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func getAvailability(t *testing.T, n *Node, h uint64) (api.HeightAvailability, int) {
	var av api.HeightAvailability
	code := httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/availability/%d", h)), nil, &av)
	return av, code
}

func storedSession(t *testing.T, n *Node, h uint64) *sampling.Session {
	t.Helper()
	b, err := n.store.Meta(context.Background(), sessionKey(h))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := sampling.RestoreSession(b, n.sampler.cfg, time.Now())
	if err != nil {
		t.Fatalf("stored session of height %d: %v", h, err)
	}
	return s
}

func TestEmptyDataRootIsSpecConstant(t *testing.T) {
	want := "3d96b7d238e7e0456f6af8e7cdf0a67bd6cf9c2089ecb559c659dcaa1f880353" // SPEC §9
	got := emptyDataRoot()
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("empty data root %x, SPEC §9 says %s", got, want)
	}
}

func TestLightNodesSampleEveryHeight(t *testing.T) {
	fastSampling(t)
	tn := newTestNet(t, 1, 2, 100*time.Millisecond)
	blobHeights := submitBlobs(t, tn.validator, 6)
	target := localHead(tn.validator)
	for _, l := range tn.lights {
		for h := uint64(1); h <= target; h++ {
			waitFor(t, 20*time.Second, fmt.Sprintf("height %d available on a light node", h), func() bool {
				av, code := getAvailability(t, l, h)
				return code == 200 && av.Status == "available"
			}, func() string { return httpBody(t, url(l, fmt.Sprintf("/v1/availability/%d", h))) })
		}
		for _, h := range blobHeights {
			av, _ := getAvailability(t, l, h)
			want := sampling.SampleCount(av.SquareWidth, l.sampler.cfg)
			if av.SquareWidth < 2 || av.Samples.Requested != want || av.Samples.Verified != want ||
				av.Confidence < 0.9999 || av.Bound != sampling.Bound {
				t.Fatalf("height %d on a light node: %+v, want %d of %d samples verified at ≥ 0.9999", h, av, want, want)
			}
			// The light node serves the cells it sampled, and only those.
			sess := storedSession(t, l, h)
			// /v1/availability/{h} lists exactly those cells, all verified.
			if len(av.Cells) != len(sess.Cells()) {
				t.Fatalf("height %d: availability lists %d cells, the session has %d", h, len(av.Cells), len(sess.Cells()))
			}
			for i, c := range sess.Cells() {
				if got := av.Cells[i]; got != (api.SampledCell{Row: int(c.Row), Col: int(c.Col), Verified: true}) {
					t.Fatalf("height %d: cell %d is %+v, want %v verified", h, i, got, c)
				}
			}
			c := sess.Cells()[0]
			var sj erasure.SampleJSON
			if code := httpJSON(t, "GET", url(l, fmt.Sprintf("/v1/shares/%d/%d/%d", h, c.Row, c.Col)), nil, &sj); code != 200 {
				t.Fatalf("light node does not serve its sampled cell %v at height %d: %d", c, h, code)
			}
			hd, _ := l.chain.Header(context.Background(), h)
			if err := sj.Sample.Verify(hd.DataRoot, int(hd.SquareWidth)); err != nil {
				t.Fatalf("served sample does not verify: %v", err)
			}
			for r := 0; r < 2*av.SquareWidth; r++ {
				if !slices.Contains(sess.Cells(), sampling.Cell{Row: uint16(r), Col: 0}) {
					if code := httpJSON(t, "GET", url(l, fmt.Sprintf("/v1/shares/%d/%d/0", h, r)), nil, nil); code == 200 {
						t.Fatalf("light node serves cell (%d,0) at height %d that it never sampled", r, h)
					}
					break
				}
			}
		}
		var sum api.AvailabilitySummary
		httpJSON(t, "GET", url(l, "/v1/availability"), nil, &sum)
		if len(sum.Available) == 0 || sum.Available[0][0] != 1 || sum.Available[0][1] < target || len(sum.Unavailable) != 0 {
			t.Fatalf("light summary %+v, want [1, ≥%d] available", sum, target)
		}
	}
	// Full nodes and the validator report whole squares.
	for _, n := range []*Node{tn.validator, tn.fulls[0]} {
		h := blobHeights[len(blobHeights)-1]
		waitFor(t, 10*time.Second, fmt.Sprintf("%s: height %d available", n.cfg.Role, h), func() bool {
			av, _ := getAvailability(t, n, h)
			return av.Status == "available"
		})
		av, _ := getAvailability(t, n, h)
		all := 4 * av.SquareWidth * av.SquareWidth
		if av.Confidence != 1 || av.Samples.Requested != all || av.Samples.Verified != all || av.Cells != nil {
			t.Fatalf("%s height %d: %+v, want confidence 1 over %d cells, none listed", n.cfg.Role, h, av, all)
		}
		// The square's blobs by namespace: the one blob submitted there.
		var list api.NamespacesJSON
		if code := httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/blobs/%d/namespaces", h)), nil, &list); code != 200 ||
			len(list.Namespaces) != 1 || list.Namespaces[0].Namespace != "0000000000000000000000000000000000000074617274616e2d6e6574" ||
			len(list.Namespaces[0].Blobs) != 1 || list.Namespaces[0].Blobs[0].Size != 150_000 {
			t.Fatalf("%s /v1/blobs/%d/namespaces: %d %+v, want the one 150000-byte blob", n.cfg.Role, h, code, list)
		}
	}
	if code := httpJSON(t, "GET", url(tn.lights[0], fmt.Sprintf("/v1/blobs/%d/namespaces", blobHeights[0])), nil, nil); code != 501 {
		t.Fatalf("a light node listing a square's namespaces: %d, want 501", code)
	}
	if _, code := getAvailability(t, tn.lights[0], target+1000); code != 404 {
		t.Fatalf("a height far above the network head: status %d, want 404", code)
	}
	// The event stream replays every header and verdict from height 1.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := availabilityService{tn.lights[0]}.Events(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	nextHeader, avail := uint64(1), map[uint64]bool{}
	for nextHeader <= target || len(avail) < int(target) {
		select {
		case e := <-ch:
			switch e.Type {
			case api.EventHeader:
				if e.Height == nextHeader {
					nextHeader++
				} else if e.Height < nextHeader {
					t.Fatalf("header event %d after %d", e.Height, nextHeader-1)
				}
			case api.EventAvailability:
				if e.Data.(api.HeightAvailability).Status == "available" && e.Height <= target {
					avail[e.Height] = true
				}
			}
		case <-ctx.Done():
			t.Fatalf("events: headers up to %d, %d of %d verdicts", nextHeader-1, len(avail), target)
		}
	}
	cancel()
	for range ch { // the stream ends with its context
	}
	checkEventResume(t, tn.lights[0], target)
	tn.checkNoneBanned()
}

func TestLightNodeRestartKeepsCellsAndVerdicts(t *testing.T) {
	fastSampling(t)
	testOptions = func(o *Options) {
		o.tuneSampling = func(c *sampling.Config) {
			c.MaxAttempts, c.SessionTimeout, c.RetryBase, c.RetryMax = 2, 5*time.Second, 200*time.Millisecond, time.Second
			c.Workers = 1 // a slower catch-up, to stop it midway
		}
		o.countSampling = true
	}
	tn := newTestNet(t, 1, 1, 50*time.Millisecond)
	feedBlobs(t, tn.validator)
	light := tn.lights[0]
	type before struct {
		cells    []sampling.Cell
		verified bool
	}
	seen := map[uint64]before{}
	// capture records the stored cells and verdicts of every height.
	capture := func(n *Node) (verdicts int) {
		local, _ := n.chain.Heights()
		for h := uint64(1); h <= local; h++ {
			if s := storedSession(t, n, h); s != nil {
				_, _, err := n.loadVerdict(context.Background(), h)
				seen[h] = before{slices.Clone(s.Cells()), err == nil}
				if err == nil {
					verdicts++
				}
			}
		}
		return verdicts
	}
	waitFor(t, 20*time.Second, "verdicts on some non-empty heights", func() bool { return capture(light) >= 3 })
	tn.stops[light]()
	// Catch up over a stretch of downtime, and stop again midway.
	down := localHead(tn.validator)
	waitFor(t, 20*time.Second, "blocks while the light node is down", func() bool { return localHead(tn.validator) >= down+40 })
	light, stop := runNode(t, light.dir)
	waitFor(t, 20*time.Second, "a verdict after the restart", func() bool {
		light.sampler.mu.Lock()
		defer light.sampler.mu.Unlock()
		for h := range light.sampler.started {
			if st, _ := light.sampler.sched.Status(h); st == sampling.StatusAvailable {
				return true
			}
		}
		return false
	})
	capture(light)
	stop()
	light, _ = runNode(t, light.dir)
	target := localHead(tn.validator)
	for h := uint64(1); h <= target; h++ {
		waitFor(t, 20*time.Second, fmt.Sprintf("height %d available after restart", h), func() bool {
			av, code := getAvailability(t, light, h)
			return code == 200 && av.Status == "available"
		})
	}
	light.sampler.mu.Lock()
	defer light.sampler.mu.Unlock()
	verified, unfinished := 0, 0
	for h, b := range seen {
		after := storedSession(t, light, h)
		if after == nil || !slices.Equal(after.Cells(), b.cells) {
			t.Fatalf("height %d: cells %v before the restart, %v after", h, b.cells, after)
		}
		if !b.verified {
			unfinished++
			continue
		}
		verified++
		if light.sampler.started[h] != 0 || light.sampler.requests[h] != 0 {
			t.Fatalf("height %d was verified before the restart but sampled again (%d sessions, %d requests)",
				h, light.sampler.started[h], light.sampler.requests[h])
		}
	}
	if verified == 0 {
		t.Fatal("no verified height to check")
	}
	t.Logf("head %d: %d heights with stored cells, %d verified and %d unfinished at the last stop", target, len(seen), verified, unfinished)
}

// corruptSamples serves the validator's samples with a byte of each share
// flipped, so no proof verifies.
type corruptSamples struct {
	squareSource
	served atomic.Int64
}

func (c *corruptSamples) Samples(ctx context.Context, height uint64, cells []p2p.Cell) ([]*erasure.Sample, error) {
	ss, err := c.squareSource.Samples(ctx, height, cells)
	for _, s := range ss {
		s.Share[len(s.Share)-1] ^= 1
	}
	if err == nil {
		c.served.Add(1)
	}
	return ss, err
}

// withholdSamples serves the validator's samples except half the cells of
// the first non-empty height at or above from, which it says it lacks.
type withholdSamples struct {
	squareSource
	from     uint64
	withheld atomic.Uint64
}

func (w *withholdSamples) Samples(ctx context.Context, height uint64, cells []p2p.Cell) ([]*erasure.Sample, error) {
	if height >= w.from {
		if hd, err := w.n.chain.Header(ctx, height); err == nil && hd.SquareWidth > 1 {
			w.withheld.CompareAndSwap(0, height)
		}
	}
	if height == w.withheld.Load() {
		for _, c := range cells {
			if (c.Row+c.Col)%2 == 0 {
				return nil, fmt.Errorf("%w: cell (%d,%d) withheld", p2p.ErrNotFound, c.Row, c.Col)
			}
		}
	}
	return w.squareSource.Samples(ctx, height, cells)
}

// startServer runs a test-only host that serves the validator's headers
// and squares through src, bootstrapping to boot.
func startServer(t *testing.T, src p2p.SquareSource, val *Node, boot []string) *p2p.Host {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs, cfg.BootstrapPeers = "testnet", []string{"/ip4/127.0.0.1/tcp/0"}, boot
	h, err := p2p.New(cfg, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHeaders(headerSource{val.store, val.chain.verify})
	h.ServeSquares(src)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); h.Close() })
	return h
}

func addrs(h *p2p.Host) []string {
	var out []string
	for _, a := range h.Addrs() {
		out = append(out, a.String())
	}
	return out
}

func TestLightNodeBansPeerServingBadSamples(t *testing.T) {
	fastSampling(t)
	tn := newTestNet(t, 0, 0, 100*time.Millisecond)
	feedBlobs(t, tn.validator)
	bad := &corruptSamples{squareSource: squareSource{tn.validator}}
	badHost := startServer(t, bad, tn.validator, tn.validator.P2PAddrs())
	light, _ := startNode(t, filepath.Join(tn.dir, "light"), InitOptions{Role: RoleLight,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile),
		Config:  nodeConfig(RoleLight, append(addrs(badHost), tn.validator.P2PAddrs()...))})
	waitFor(t, 20*time.Second, "the light node to ask the bad peer", func() bool { return bad.served.Load() > 0 })
	target := localHead(tn.validator) + 5
	waitFor(t, 20*time.Second, fmt.Sprintf("heights 1 to %d available", target), func() bool {
		for h := uint64(1); h <= target; h++ {
			if av, code := getAvailability(t, light, h); code != 200 || av.Status != "available" {
				return false
			}
		}
		return true
	})
	if !light.host.Blocked(badHost.ID()) {
		t.Fatal("the peer serving bad samples was not banned")
	}
	if light.host.Blocked(tn.validator.host.ID()) {
		t.Fatal("the honest validator was banned")
	}
}

func TestLightNodeReportsWithheldHeightUnavailable(t *testing.T) {
	fastSampling(t)
	tn := newTestNet(t, 0, 0, 100*time.Millisecond)
	feedBlobs(t, tn.validator)
	// The only server the light node knows is the withholder: it does not
	// bootstrap to the validator, so the validator's samples are out of
	// reach and headers come from the withholder's range sync.
	w := &withholdSamples{squareSource: squareSource{tn.validator}, from: localHead(tn.validator) + 3}
	wh := startServer(t, w, tn.validator, nil)
	light, _ := startNode(t, filepath.Join(tn.dir, "light"), InitOptions{Role: RoleLight,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleLight, addrs(wh))})
	waitFor(t, 20*time.Second, "a height to be withheld", func() bool { return w.withheld.Load() != 0 })
	withheld := w.withheld.Load()
	waitFor(t, 20*time.Second, fmt.Sprintf("height %d unavailable", withheld), func() bool {
		av, _ := getAvailability(t, light, withheld)
		return av.Status == "unavailable"
	}, func() string { return httpBody(t, url(light, fmt.Sprintf("/v1/availability/%d", withheld))) })
	// Later heights are still sampled and found available.
	later := withheld + 10
	waitFor(t, 20*time.Second, fmt.Sprintf("heights %d to %d available", withheld+1, later), func() bool {
		for h := withheld + 1; h <= later; h++ {
			if av, code := getAvailability(t, light, h); code != 200 || av.Status != "available" {
				return false
			}
		}
		return true
	})
	// Including a non-empty one, which the withholder serves in full.
	waitFor(t, 20*time.Second, fmt.Sprintf("a non-empty height above %d available", withheld), func() bool {
		local, _ := light.chain.Heights()
		for h := withheld + 1; h <= local; h++ {
			if av, code := getAvailability(t, light, h); code == 200 && av.Status == "available" && av.SquareWidth > 1 {
				return true
			}
		}
		return false
	})
	var sum api.AvailabilitySummary
	httpJSON(t, "GET", url(light, "/v1/availability"), nil, &sum)
	if !slices.Contains(sum.Unavailable, withheld) || sum.SampledHead < later {
		t.Fatalf("summary %+v, want %d unavailable and sampled head ≥ %d", sum, withheld, later)
	}
	// It stays unavailable across retries, over the same cells.
	before := storedSession(t, light, withheld).Cells()
	time.Sleep(1500 * time.Millisecond)
	av, _ := getAvailability(t, light, withheld)
	if av.Status != "unavailable" || av.Samples.Verified == av.Samples.Requested {
		t.Fatalf("withheld height %d: %+v", withheld, av)
	}
	// The cells it lists are the session's, with as many verified as counted.
	verified := 0
	for i, c := range av.Cells {
		if i >= len(before) || c.Row != int(before[i].Row) || c.Col != int(before[i].Col) {
			t.Fatalf("withheld height %d: cell %d is %+v, the session's are %v", withheld, i, c, before)
		}
		if c.Verified {
			verified++
		}
	}
	if len(av.Cells) != len(before) || verified != av.Samples.Verified {
		t.Fatalf("withheld height %d: %d cells, %d verified; want %d cells, %d verified", withheld, len(av.Cells), verified, len(before), av.Samples.Verified)
	}
	light.sampler.mu.Lock()
	retries := light.sampler.started[withheld]
	light.sampler.mu.Unlock()
	if retries < 2 {
		t.Fatalf("withheld height %d sampled %d times, want retries", withheld, retries)
	}
	if after := storedSession(t, light, withheld).Cells(); !slices.Equal(before, after) {
		t.Fatalf("retry re-rolled the cells of height %d", withheld)
	}
}

func TestEventLogBoundedAndOrdered(t *testing.T) {
	l, err := newEventLog(func() uint64 { return 1 })
	if err != nil {
		t.Fatal(err)
	}
	for h := uint64(1); h <= maxEvents+500; h++ {
		l.add(api.Event{Type: api.EventHeader, Height: h})
	}
	evs, next, _ := l.since(0)
	if len(evs) > maxEvents || next != maxEvents+500 {
		t.Fatalf("%d events held, next sequence %d", len(evs), next)
	}
	for i, e := range evs {
		if e.Height != evs[0].Height+uint64(i) {
			t.Fatalf("event %d at height %d after %d", i, e.Height, evs[0].Height)
		}
	}
	if evs[len(evs)-1].Height != maxEvents+500 {
		t.Fatalf("last event at height %d", evs[len(evs)-1].Height)
	}
	l.add(api.Event{Type: api.EventHeader, Height: maxEvents + 501})
	more, _, _ := l.since(next)
	if len(more) != 1 || more[0].Height != maxEvents+501 {
		t.Fatalf("after sequence %d: %+v", next, more)
	}
}

// BenchmarkHeaderToAvailable measures, on a light node, the time from a
// header's arrival (its header event) to the height's available verdict
// (its availability event) at the default 0.9999 confidence, for k = 128
// squares served by a validator and a full node on loopback. An op is one
// filled block; p50 and p99 of the latency are reported in ms.
func BenchmarkHeaderToAvailable(b *testing.B) {
	const k = 128
	b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
		b.ReportAllocs()
		val, full := launchPair(b, 500*time.Millisecond, nil)
		light, _ := launch(b, filepath.Join(b.TempDir(), "light"), InitOptions{Role: RoleLight,
			Genesis: filepath.Join(val.dir, GenesisFile),
			Config:  nodeConfig(RoleLight, append(val.P2PAddrs(), full.P2PAddrs()...))})
		waitUntil(b, 10*time.Second, "the light node to connect", func() bool { return len(light.host.Peers()) >= 2 })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		local, _ := light.chain.Heights()
		events, err := availabilityService{light}.Events(ctx, local+1, nil)
		if err != nil {
			b.Fatal(err)
		}
		var (
			mu      sync.Mutex
			arrived = map[uint64]time.Time{}
			latency = map[uint64]time.Duration{}
			wg      sync.WaitGroup
		)
		wg.Go(func() {
			for e := range events {
				now := time.Now()
				mu.Lock()
				switch e.Type {
				case api.EventHeader:
					arrived[e.Height] = now
				case api.EventAvailability:
					if t0, ok := arrived[e.Height]; ok && e.Data.(api.HeightAvailability).Status == "available" {
						latency[e.Height] = now.Sub(t0)
					}
				}
				mu.Unlock()
			}
		})
		var lat []time.Duration
		b.ResetTimer()
		for i := range b.N {
			height := fillDistinctBlock(b, val, 7000, uint64(i))
			hd, _ := val.chain.Header(context.Background(), height)
			if hd.SquareWidth != k {
				b.Fatalf("the filled block is %d wide, want %d", hd.SquareWidth, k)
			}
			waitUntil(b, 30*time.Second, fmt.Sprintf("height %d available on the light node", height), func() bool {
				mu.Lock()
				defer mu.Unlock()
				_, ok := latency[height]
				return ok
			})
			mu.Lock()
			lat = append(lat, latency[height])
			mu.Unlock()
		}
		b.StopTimer()
		cancel()
		wg.Wait()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	})
}

// fillDistinctBlock is fillBlock with blobs drawn from seed, so that
// successive calls fill new blocks rather than resubmit the same blobs.
func fillDistinctBlock(tb testing.TB, val *Node, shares int, seed uint64) uint64 {
	tb.Helper()
	rng := mrand.New(mrand.NewPCG(seed, 7))
	var blobs []da.Blob
	for left := shares; left > 0; left -= 1000 {
		data := make([]byte, min(left, 1000)*478)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		ns, err := da.NewV0Namespace([]byte(fmt.Sprintf("fill-%05d", len(blobs))))
		if err != nil {
			tb.Fatal(err)
		}
		blobs = append(blobs, da.Blob{Namespace: ns, Data: data})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	height, err := val.submit(ctx, blobs)
	if err != nil {
		tb.Fatal(err)
	}
	return height
}

func TestLightNodePrunesHeightsOutsideWindow(t *testing.T) {
	fastSampling(t)
	tn := newTestNet(t, 0, 0, 100*time.Millisecond)
	cfg := nodeConfig(RoleLight, tn.validator.P2PAddrs())
	cfg.Window = Duration(2 * time.Second)
	light, _ := startNode(t, filepath.Join(tn.dir, "light"), InitOptions{Role: RoleLight,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: cfg})
	h := submitBlobs(t, tn.validator, 1)[0]
	waitFor(t, 10*time.Second, fmt.Sprintf("height %d available", h), func() bool {
		av, _ := getAvailability(t, light, h)
		return av.Status == "available"
	})
	cells := storedSession(t, light, h).Cells()
	if _, err := light.lightSample(context.Background(), h, int(cells[0].Row), int(cells[0].Col)); err != nil {
		t.Fatalf("sampled cell not served: %v", err)
	}
	waitFor(t, 10*time.Second, fmt.Sprintf("height %d pruned", h), func() bool {
		av, _ := getAvailability(t, light, h)
		return av.Status == "pruned"
	}, func() string { return httpBody(t, url(light, fmt.Sprintf("/v1/availability/%d", h))) })
	waitFor(t, 5*time.Second, "the stored records of the pruned height to go", func() bool {
		_, err := light.store.Meta(context.Background(), sampleKey(h, int(cells[0].Row), int(cells[0].Col)))
		return errors.Is(err, store.ErrNotFound) && storedSession(t, light, h) == nil
	})
	var sum api.AvailabilitySummary
	httpJSON(t, "GET", url(light, "/v1/availability"), nil, &sum)
	if len(sum.Available) > 0 && sum.Available[0][0] <= h {
		t.Fatalf("summary %+v still lists pruned height %d", sum, h)
	}
}

// A verdict that comes late for an old height (after events at higher
// heights) is not lost by a client that reconnects with the cursor of the
// last event it got, as it would be by one resuming at a height.
func TestEventLogResumesAfterCursor(t *testing.T) {
	floor := uint64(1)
	l, err := newEventLog(func() uint64 { return floor })
	if err != nil {
		t.Fatal(err)
	}
	l.add(api.Event{Type: api.EventHeader, Height: 1})
	l.add(api.Event{Type: api.EventHeader, Height: 2})
	l.add(api.Event{Type: api.EventAvailability, Height: 2})
	evs, _, _ := l.since(0)
	last := evs[len(evs)-1]
	cur, err := api.ParseEventCursor(last.ID)
	if err != nil || cur.Floor != 1 || cur.Seq != 2 || cur.Boot != l.boot {
		t.Fatalf("cursor %q: %+v %v", last.ID, cur, err)
	}
	// The client is away: height 1's verdict comes late, then height 3.
	floor = 3
	l.add(api.Event{Type: api.EventAvailability, Height: 1})
	l.add(api.Event{Type: api.EventHeader, Height: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := l.subscribe(ctx, nil, 0, &cur, nil) // an exact cursor replays nothing from the store
	want := []string{"availability@1", "header@3", "header@4"}
	for i, w := range want {
		if i == 2 {
			l.add(api.Event{Type: api.EventHeader, Height: 4})
		}
		select {
		case e := <-ch:
			if got := fmt.Sprintf("%s@%d", e.Type, e.Height); got != w {
				t.Fatalf("event %d after the cursor: %s, want %s", i, got, w)
			}
			if c, err := api.ParseEventCursor(e.ID); err != nil || c.Seq != cur.Seq+uint64(i)+1 || c.Floor != 3 {
				t.Fatalf("event %d: id %q (%+v %v)", i, e.ID, c, err)
			}
		case <-ctx.Done():
			t.Fatalf("no event %d (%s) after the cursor", i, w)
		}
	}
}

// A height older than the storage window that no peer serves any more is
// gone, not "try again": a light node answers 410 pruned for its blobs
// (the alt-DA /get turns that into 404).
func TestReadOfHeightPrunedEverywhereIsGone(t *testing.T) {
	dir := t.TempDir()
	pcfg := nodeConfig(RoleValidator, nil)
	pcfg.Window = Duration(2 * time.Second)
	val, _ := startNode(t, filepath.Join(dir, "validator"), InitOptions{Role: RoleValidator, ChainID: "prunenet",
		BlockTime: 100 * time.Millisecond, MaxSquareWidth: 16, Config: pcfg})
	lcfg := nodeConfig(RoleLight, val.P2PAddrs())
	lcfg.Window = Duration(2 * time.Second)
	light, _ := startNode(t, filepath.Join(dir, "light"), InitOptions{Role: RoleLight,
		Genesis: filepath.Join(dir, "validator", GenesisFile), Config: lcfg})
	h := submitBlobs(t, val, 1)[0]
	path := fmt.Sprintf("/v1/blobs/%d?namespace=74617274616e2d6e6574", h)
	var got api.BlobsJSON
	waitFor(t, 10*time.Second, fmt.Sprintf("height %d's blob read through the light node", h), func() bool {
		return httpJSON(t, "GET", url(light, path), nil, &got) == 200 && len(got.Blobs) == 1
	})
	waitFor(t, 15*time.Second, fmt.Sprintf("the validator to prune height %d", h), func() bool {
		ok, err := val.store.HasSquare(context.Background(), h)
		return err == nil && !ok
	})
	if code := httpJSON(t, "GET", url(light, path), nil, nil); code != 410 {
		t.Fatalf("a height pruned everywhere: %d, want 410", code)
	}
	if body := httpBody(t, url(light, path)); !strings.Contains(body, `"code":"pruned"`) {
		t.Fatalf("a height pruned everywhere: %s", body)
	}
}
