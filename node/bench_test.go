package node

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/p2p"
)

// Load targets of the network issue, measured on real nodes over loopback.
// Everything (validator, full node, requesters, clients) shares the
// machine's cores, so the figures are a floor for a server with its own.

// launch inits (unless dir already holds a node) and runs one node until
// the returned stop is called or the test or benchmark ends. It is
// startNode for benchmarks too.
func launch(tb testing.TB, dir string, o InitOptions) (*Node, func()) {
	tb.Helper()
	return launchWith(tb, dir, o, Options{})
}

// launchWith is launch with the node's Options.
func launchWith(tb testing.TB, dir string, o InitOptions, opts Options) (*Node, func()) {
	tb.Helper()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Config = loopbackConsensus(tb, o.Role, o.Config)
	if err := Init(dir, o); err != nil && !strings.Contains(err.Error(), "already holds a node") {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts.Version = "bench"
	n, err := New(ctx, dir, opts)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := n.Run(ctx); err != nil {
			tb.Errorf("node in %s: %v", dir, err)
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	tb.Cleanup(stop)
	return n, stop
}

// launchPair runs a validator (max square 128) and one full node that
// bootstraps from it.
func launchPair(tb testing.TB, blockTime time.Duration, valCfg *Config) (val, full *Node) {
	tb.Helper()
	dir := tb.TempDir()
	if valCfg == nil {
		valCfg = nodeConfig(RoleValidator, nil)
	}
	pdir := filepath.Join(dir, "validator")
	val, _ = launch(tb, pdir, InitOptions{Role: RoleValidator, ChainID: "bench", BlockTime: blockTime,
		MaxSquareWidth: 128, Config: valCfg})
	full, _ = launch(tb, filepath.Join(dir, "full"), InitOptions{Role: RoleFull,
		Genesis: filepath.Join(pdir, GenesisFile), Config: nodeConfig(RoleFull, val.P2PAddrs())})
	return val, full
}

// waitUntil polls cond every 10 ms until it holds; it fails tb after timeout.
func waitUntil(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hasSquare(n *Node, height uint64) bool {
	ok, err := n.store.HasSquare(context.Background(), height)
	return err == nil && ok
}

// fillBlock submits blobs to the validator's mempool that lay out a k×k
// square (k = 128 needs more than 64² shares) and returns the height.
func fillBlock(tb testing.TB, val *Node, shares int) uint64 {
	tb.Helper()
	return fillDistinctBlock(tb, val, shares, 1)
}

// requester is a bare libp2p host that asks a node for samples, as a light
// node's sampler does.
func requester(tb testing.TB, boot []string) *p2p.Host {
	tb.Helper()
	key, _, err := crypto.GenerateEd25519Key(crand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs, cfg.BootstrapPeers = "bench", []string{"/ip4/127.0.0.1/tcp/0"}, boot
	h, err := p2p.New(cfg, key, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	tb.Cleanup(func() { cancel(); wg.Wait(); h.Close() })
	return h
}

// BenchmarkServeSamples measures how many verified samples per second a
// full node serves to concurrent requesters (target: ≥ 20,000/s at
// k = 128). Requesters pick random cells of the EDS, ask in batches and
// verify every sample against the data root; an op is one batch.
func BenchmarkServeSamples(b *testing.B) {
	const (
		k          = 128
		requesters = 8
		perHost    = 4 // requests in flight per requester
	)
	val, full := launchPair(b, time.Second, nil)
	height := fillBlock(b, val, 7000)
	h, err := val.chain.Header(context.Background(), height)
	if err != nil {
		b.Fatal(err)
	}
	if h.SquareWidth != k {
		b.Fatalf("the filled block is %d wide, want %d", h.SquareWidth, k)
	}
	waitUntil(b, 30*time.Second, "the full node to store the square", func() bool { return hasSquare(full, height) })
	hosts := make([]*p2p.Host, requesters)
	for i := range hosts {
		hosts[i] = requester(b, full.P2PAddrs())
	}
	server := full.host.ID()
	for _, hh := range hosts {
		waitUntil(b, 10*time.Second, "requesters to connect", func() bool { return slices.Contains(hh.Peers(), server) })
	}

	// k=128 is the target's shape (32 cells a request); one cell a
	// request shows the cost of a stream per sample.
	for _, batch := range []int{32, 1} {
		name := fmt.Sprintf("k=%d", k)
		if batch != 32 {
			name += fmt.Sprintf(",batch=%d", batch)
		}
		b.Run(name, func(b *testing.B) { serveSamples(b, hosts, server, h, requesters, perHost, batch) })
	}
	// An older height, out of the cache: the first requests load it from
	// the store and extend it again.
	b.Run(fmt.Sprintf("k=%d,uncached", k), func(b *testing.B) {
		b.StopTimer()
		full.squares.mu.Lock()
		full.squares.used -= full.squares.entries[height].bytes()
		delete(full.squares.entries, height)
		full.squares.mu.Unlock()
		b.StartTimer()
		serveSamples(b, hosts, server, h, requesters, perHost, 32)
	})
}

// serveSamples runs b.N requests of batch random cells of h's square from
// the hosts, perHost at a time each, verifying every sample.
func serveSamples(b *testing.B, hosts []*p2p.Host, server peer.ID, h *da.Header, requesters, perHost, batch int) {
	b.ReportAllocs()
	k, height := int(h.SquareWidth), h.Height
	var (
		next atomic.Int64
		busy atomic.Int64
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for i := range requesters * perHost {
		wg.Go(func() {
			host := hosts[i%requesters]
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			cells := make([]p2p.Cell, batch)
			for next.Add(1) <= int64(b.N) {
				for j := range cells {
					cells[j] = p2p.Cell{Row: uint16(rng.IntN(2 * k)), Col: uint16(rng.IntN(2 * k))}
				}
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					ss, err := host.RequestSamples(ctx, server, height, cells)
					cancel()
					if errors.Is(err, p2p.ErrBusy) {
						busy.Add(1) // shed by the server: ask again
						continue
					}
					if err != nil {
						b.Errorf("samples request: %v", err)
						return
					}
					for _, s := range ss {
						if err := s.Verify(h.DataRoot, k); err != nil {
							b.Errorf("sample (%d,%d) does not verify: %v", s.Row, s.Col, err)
							return
						}
					}
					break
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "samples/s")
	b.ReportMetric(float64(busy.Load())/float64(b.N), "busy/op")
}

// loadSeconds is how long BenchmarkSustainedSubmissions submits:
// TARTAN_LOAD_SECONDS, 60 by default.
func loadSeconds(tb testing.TB) time.Duration {
	s := os.Getenv("TARTAN_LOAD_SECONDS")
	if s == "" {
		return 60 * time.Second
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("TARTAN_LOAD_SECONDS=%q: want a positive number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// BenchmarkSustainedSubmissions is the devnet load target: with 1 s
// blocks and a max square of 128, clients submit 4 MiB/s of blobs over
// REST for TARTAN_LOAD_SECONDS (default 60), and every block must reach
// the full node within 1 s of its header's time. It runs once whatever
// b.N is (a run is far longer than -benchtime):
//
//	go test ./node -run '^$' -bench SustainedSubmissions -benchtime 1x
//
// Metrics: included bytes/s (blobs answered 200), the replication delay
// of every block produced during the load (p50, p99, max: header time to
// the full node storing the verified square), and 503 answers.
func BenchmarkSustainedSubmissions(b *testing.B) {
	const (
		clients    = 8
		clientRate = 512 << 10 // bytes/s per client: 4 MiB/s in all
		timeout    = "30s"
	)
	dur := loadSeconds(b)
	val, full := launchPair(b, time.Second, nil)
	waitUntil(b, 10*time.Second, "the full node to follow", func() bool { return localHead(full) >= 1 })
	base := "http://" + val.APIAddr()

	// Replication watcher: the first moment the full node holds each
	// height's square, polled every 2 ms.
	stored := map[uint64]time.Time{}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	var watch sync.WaitGroup
	watch.Go(func() {
		next := localHead(full) + 1
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-t.C:
			}
			for hasSquare(full, next) {
				stored[next] = time.Now()
				next++
			}
		}
	})

	var (
		mu       sync.Mutex // guards codes and included
		codes    = map[int]int{}
		included int64
		inflight sync.WaitGroup
	)
	client := &http.Client{Timeout: time.Minute}
	submit := func(ns string, data []byte) {
		body, _ := json.Marshal(map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": timeout})
		code := 0
		resp, err := client.Post(base+"/v1/blobs", "application/json", bytes.NewReader(body))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		mu.Lock()
		codes[code]++
		if code == 200 {
			included += int64(len(data))
		}
		mu.Unlock()
	}
	b.ResetTimer()
	startHeight := localHead(val) + 1
	start := time.Now()
	var gen sync.WaitGroup
	for c := range clients {
		gen.Go(func() {
			// Open loop: a client sends its next blob when its byte budget
			// allows, whether or not earlier ones are answered.
			rng := rand.New(rand.NewPCG(uint64(c), 11))
			ns := fmt.Sprintf("%020x", 0xb10b000+c%4)
			sent := 0
			for i := 0; ; i++ {
				due := start.Add(time.Duration(float64(sent) / clientRate * float64(time.Second)))
				if due.Sub(start) >= dur {
					return
				}
				time.Sleep(time.Until(due))
				size := 64<<10 + rng.IntN(448<<10+1)
				data := make([]byte, size)
				for j := 0; j < size; j += 8 {
					v := rng.Uint64()
					for o := 0; o < 8 && j+o < size; o++ {
						data[j+o] = byte(v >> (8 * o))
					}
				}
				sent += size
				inflight.Go(func() { submit(ns, data) })
			}
		})
	}
	gen.Wait()
	endHeight := localHead(val)
	inflight.Wait()
	elapsed := time.Since(start)
	// Let the last blocks replicate before judging them.
	last := localHead(val)
	waitUntil(b, 30*time.Second, "the full node to store the last square", func() bool { return hasSquare(full, last) })
	time.Sleep(10 * time.Millisecond)
	stopWatch()
	watch.Wait()
	b.StopTimer()

	var (
		delays []time.Duration
		widths int
	)
	for h := startHeight; h <= endHeight; h++ {
		hd, err := val.chain.Header(context.Background(), h)
		if err != nil {
			b.Fatal(err)
		}
		at, ok := stored[h]
		if !ok {
			b.Fatalf("height %d was never seen stored on the full node", h)
		}
		delays = append(delays, at.Sub(hd.Time))
		widths += int(hd.SquareWidth)
	}
	slices.Sort(delays)
	pct := func(p float64) time.Duration { return delays[min(len(delays)-1, int(p*float64(len(delays))))] }
	late := 0
	for _, d := range delays {
		if d > time.Second {
			late++
		}
	}
	b.ReportMetric(float64(included)/elapsed.Seconds()/(1<<20), "MiB/s-included")
	b.ReportMetric(float64(len(delays)), "blocks")
	b.ReportMetric(float64(widths)/float64(len(delays)), "mean-k")
	b.ReportMetric(float64(pct(0.5).Milliseconds()), "p50-repl-ms")
	b.ReportMetric(float64(pct(0.99).Milliseconds()), "p99-repl-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Milliseconds()), "max-repl-ms")
	b.ReportMetric(float64(late), "blocks-over-1s")
	b.ReportMetric(float64(codes[503]), "503s")
	b.Logf("%s of load: answers %v, %d blocks (heights %d–%d), %d over 1 s", elapsed.Round(time.Millisecond), codes, len(delays), startHeight, endHeight, late)
	for code := range codes {
		if code != 200 && code != 503 && code != 504 {
			b.Errorf("unexpected answers: %v (0 is a client error)", codes)
		}
	}
}
