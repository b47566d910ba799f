package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// TestSubmissionFloodIsBounded floods a validator whose mempool holds 2 MiB
// and whose blocks drain about 1 MB/s with distinct blobs from many
// clients, and checks the promise: a full mempool answers 503 with
// Retry-After (code pool_full), nothing else fails, the pool never holds
// more than its bound, the heap does not grow with what is offered, and
// every blob answered 200 is at the height it was answered with.
func TestSubmissionFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a validator for 15 to 30 s (under -race it cannot offer enough in that time)")
	}
	const (
		poolBytes  = 2 << 20
		cacheBytes = 16 << 20
		clients    = 32
		maxBlob    = 128 << 10
		floodFor   = 3 * time.Second
	)
	cfg := nodeConfig(RoleValidator, nil)
	cfg.PoolBytes = poolBytes
	// A 32×32 square holds under 0.5 MB of blobs: with 0.5 s blocks the
	// flood outruns the blocks and the pool fills.
	val, _ := launchWith(t, filepath.Join(t.TempDir(), "validator"), InitOptions{Role: RoleValidator, ChainID: "flood",
		BlockTime: 500 * time.Millisecond, MaxSquareWidth: 32, Config: cfg}, Options{SquareCacheBytes: cacheBytes})
	base := "http://" + val.APIAddr()
	// Live heap bound: the pool (2 MiB), the square cache (16 MiB), and
	// each of the 32 requests in flight holding its blob up to 4 times
	// (client copy, JSON body, base64 on the server, decoded blob: 0.7
	// MiB at most); 40 MiB of slack for libp2p, CometBFT, leveldb and the
	// runtime (measured after the warm-up below: the peak is about 35 MiB
	// above the baseline; -race builds need more).
	const headroom = poolBytes + cacheBytes + clients*4*maxBlob*3/2 + 40<<20
	// The flood lasts until it has offered half as much again (and at
	// least 3 s): a pool or cache that kept what it refused or included
	// would then blow the bound. Slow builds (-race) take longer.
	const minOffered = headroom * 3 / 2

	// An accepted blob is remembered by its hash: the blocks drain the
	// pool faster than the flood's clients could keep its bytes in the
	// heap measured.
	type accepted struct {
		ns     string
		sum    [32]byte
		size   int
		height uint64
		commit string
	}
	var (
		mu         sync.Mutex // guards the fields below
		codes      = map[int]int{}
		badBusy    []string // 503 answers without Retry-After or pool_full
		oks        []accepted
		offered    int64
		maxPool    atomic.Int64
		maxHeap    atomic.Uint64
		stopSample = make(chan struct{})
		sampling   sync.WaitGroup
	)
	sample := func() {
		gc := time.NewTicker(250 * time.Millisecond)
		defer gc.Stop()
		for {
			if _, b := val.mempoolStats(); b > maxPool.Load() {
				maxPool.Store(b)
			}
			select {
			case <-stopSample:
				return
			case <-gc.C:
				if h := liveHeap(); h > maxHeap.Load() {
					maxHeap.Store(h)
				}
			case <-time.After(time.Millisecond):
			}
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	// flood runs the clients while more is true; record counts their
	// answers.
	flood := func(more func() bool, record bool) {
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(c), 3))
				if !record {
					rng = rand.New(rand.NewPCG(uint64(c), 4))
				}
				ns := fmt.Sprintf("%020x", 0xf100d00+c%4)
				for more() {
					data := make([]byte, 1+rng.IntN(maxBlob))
					for i := range data {
						data[i] = byte(rng.Uint32())
					}
					body, _ := json.Marshal(map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": "1s"})
					resp, err := client.Post(base+"/v1/blobs", "application/json", bytes.NewReader(body))
					if err != nil {
						t.Errorf("submission: %v", err)
						return
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if !record {
						continue
					}
					mu.Lock()
					codes[resp.StatusCode]++
					offered += int64(len(data))
					switch resp.StatusCode {
					case http.StatusOK:
						var res api.SubmitResult
						if err := json.Unmarshal(raw, &res); err != nil || len(res.Commitments) != 1 {
							t.Errorf("200 answer %q: %v", raw, err)
						}
						oks = append(oks, accepted{ns, sha256.Sum256(data), len(data), res.Height, res.Commitments[0]})
					case http.StatusServiceUnavailable:
						var e struct{ Error api.Error }
						_ = json.Unmarshal(raw, &e)
						if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 || e.Error.Code != "pool_full" {
							badBusy = append(badBusy, fmt.Sprintf("Retry-After %q, body %s", resp.Header.Get("Retry-After"), raw))
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	// A short flood first, unmeasured, so that the baseline holds what
	// any busy validator holds whatever it is offered: CometBFT's
	// databases at work (goleveldb memtables and buffers), the square
	// cache and extender full, the HTTP and libp2p buffers.
	warm := time.Now()
	flood(func() bool { return time.Since(warm) < 2*time.Second }, false)
	baseline := liveHeap()
	sampling.Go(sample)
	began := time.Now()
	flood(func() bool {
		mu.Lock()
		defer mu.Unlock()
		took := time.Since(began)
		return took < floodFor || offered < minOffered && took < 30*time.Second
	}, true)
	close(stopSample)
	sampling.Wait()

	t.Logf("%s of flood: answers %v for %.1f MiB offered; pool peaked at %d bytes; live heap %.1f MiB before, peak %.1f MiB",
		time.Since(began).Round(time.Millisecond), codes, float64(offered)/(1<<20), maxPool.Load(), float64(baseline)/(1<<20), float64(maxHeap.Load())/(1<<20))
	for code := range codes {
		if code != http.StatusOK && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
			t.Errorf("answers %v: only 200, 503 (pool full) and 504 (not yet included) are expected", codes)
		}
	}
	if codes[http.StatusServiceUnavailable] == 0 || codes[http.StatusOK] == 0 {
		t.Errorf("answers %v: the flood should both fill the pool (503) and get blobs included (200)", codes)
	}
	if len(badBusy) > 0 {
		t.Errorf("%d of %d 503 answers lack Retry-After or code pool_full, e.g. %s", len(badBusy), codes[503], badBusy[0])
	}
	if m := maxPool.Load(); m > poolBytes {
		t.Errorf("the pool held %d bytes, bound %d", m, poolBytes)
	}
	bound := baseline + headroom
	if m := maxHeap.Load(); m > bound {
		t.Errorf("live heap peaked at %.1f MiB, bound %.1f MiB (%.1f MiB before the flood)", float64(m)/(1<<20), float64(bound)/(1<<20), float64(baseline)/(1<<20))
	}
	if offered < minOffered {
		t.Errorf("only %.1f MiB offered: too little to tell a bounded validator from one that keeps everything", float64(offered)/(1<<20))
	}

	// Every blob answered 200 is at its height.
	for _, a := range oks {
		var b api.BlobJSON
		path := fmt.Sprintf("/v1/blobs/%d/%s/%s", a.height, a.ns, a.commit)
		if code := httpJSON(t, "GET", base+path, nil, &b); code != 200 || sha256.Sum256(b.Data) != a.sum {
			t.Fatalf("%s: status %d, %d bytes, want the %d bytes answered 200", path, code, len(b.Data), a.size)
		}
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// killedNodeDirEnv names the directory TestHelperKilledNode runs a node
// in; the test is a no-op without it.
const killedNodeDirEnv = "TARTAN_KILLED_NODE_DIR"

// TestHelperKilledNode is the child process of
// TestNodeKilledHardServesWhatItHad: it runs the node in its directory and
// prints the REST address until it is killed (or a minute passes, so a
// lost child does not linger).
func TestHelperKilledNode(t *testing.T) {
	dir := os.Getenv(killedNodeDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestNodeKilledHardServesWhatItHad")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := New(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("api=%s\n", n.APIAddr())
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// startChildNode re-runs the test binary as a child process whose helper
// test (named by test, gated on env = dir) runs a node in dir and prints
// "api=ADDR"; it returns the running command and that address. The caller
// kills and waits for the child.
func startChildNode(tb testing.TB, test, env, dir string) (*exec.Cmd, string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	addr := ""
	for addr == "" && lines.Scan() {
		addr, _ = strings.CutPrefix(lines.Text(), "api=")
	}
	if addr == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		tb.Fatalf("the child node printed no API address: %v", lines.Err())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, addr
}

// runKilledChild runs a full node in dir in a child process, waits until
// its header head reaches height, lets it fetch squares a random moment
// longer and kills it with SIGKILL: no deferred call, no Close, no flush.
func runKilledChild(t *testing.T, dir string, height uint64, rng *rand.Rand) {
	t.Helper()
	cmd, addr := startChildNode(t, "TestHelperKilledNode", killedNodeDirEnv, dir)
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	waitFor(t, 20*time.Second, fmt.Sprintf("the child node to reach height %d", height), func() bool {
		var info api.NodeInfo
		return httpJSON(t, "GET", "http://"+addr+"/v1/node", nil, &info) == 200 && info.Head.Local >= height
	})
	time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond) // likely while the new height's square is fetched
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child node exited cleanly before it was killed")
	}
}

// TestNodeKilledHardServesWhatItHad kills a full node (a child process)
// with SIGKILL while blocks with data stream in, three times, then opens
// its directory in this process: every square it had indexed must read
// back, verify against its header and be served as verifying samples,
// every height up to its synced mark must be held, and the node must then
// catch up with the validator.
func TestNodeKilledHardServesWhatItHad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes for several seconds")
	}
	rng := rand.New(rand.NewPCG(5, 8))
	root := t.TempDir()
	pdir := filepath.Join(root, "validator")
	val, _ := launch(t, pdir, InitOptions{Role: RoleValidator, ChainID: "killed", BlockTime: 100 * time.Millisecond,
		MaxSquareWidth: 64, Config: nodeConfig(RoleValidator, nil)})
	// Keep the full node busy writing: a blob of up to 600 KB is included
	// in every block or so (squares of width 32 to 64). Each waits for its
	// block, then 50 ms: a validator with transactions pending proposes at
	// once, and a feed that did not wait would outrun the full node.
	feedCtx, stopFeed := context.WithCancel(context.Background())
	var feed sync.WaitGroup
	feed.Go(func() {
		frng := rand.New(rand.NewPCG(9, 9))
		ns, _ := da.NewV0Namespace([]byte("killed-ns"))
		for i := 0; feedCtx.Err() == nil; i++ {
			data := make([]byte, 1+frng.IntN(600_000))
			binary.BigEndian.PutUint64(data[:min(8, len(data))], uint64(i))
			for j := 8; j < len(data); j++ {
				data[j] = byte(frng.Uint32())
			}
			if _, err := val.submit(feedCtx, []da.Blob{{Namespace: ns, Data: data}}); err != nil && feedCtx.Err() == nil {
				t.Errorf("feeding the validator: %v", err)
				return
			}
			select {
			case <-feedCtx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	t.Cleanup(func() { stopFeed(); feed.Wait() })

	fdir := filepath.Join(root, "full")
	if err := Init(fdir, InitOptions{Role: RoleFull, Genesis: filepath.Join(pdir, GenesisFile),
		Config: nodeConfig(RoleFull, val.P2PAddrs())}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		runKilledChild(t, fdir, localHead(val)+10, rng)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	full, err := New(ctx, fdir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close() // Run closes it too
	head := localHead(full)
	var synced uint64
	if b, err := full.store.Meta(ctx, syncedKey); err == nil && len(b) == 8 {
		synced = binary.BigEndian.Uint64(b)
	}
	src := squareSource{full}
	held := 0
	for h := uint64(1); h <= head; h++ {
		hdr, err := val.chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if !hasSquare(full, h) {
			if h <= synced {
				t.Errorf("height %d is below the synced mark %d but its square is not held", h, synced)
			}
			continue
		}
		held++
		w := 2 * int(hdr.SquareWidth)
		cells := []p2p.Cell{{Row: 0, Col: 0}, {Row: uint16(w - 1), Col: uint16(w - 1)}, {Row: uint16(rng.IntN(w)), Col: uint16(rng.IntN(w))}}
		ss, err := src.Samples(ctx, h, cells)
		if err != nil {
			t.Fatalf("height %d, held before the kill, is not served: %v", h, err)
		}
		for _, s := range ss {
			if err := s.Verify(hdr.DataRoot, int(hdr.SquareWidth)); err != nil {
				t.Fatalf("height %d: served sample (%d,%d) does not verify: %v", h, s.Row, s.Col, err)
			}
		}
	}
	t.Logf("after 3 kills: header head %d, synced mark %d, %d squares held", head, synced, held)
	if synced < 5 || held < int(synced) {
		t.Fatalf("only %d squares held (synced mark %d): the child did not get far enough to test anything", held, synced)
	}

	// Resumes: catches up with the validator from where it was killed.
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := full.Run(ctx); err != nil {
			t.Errorf("restarted node: %v", err)
		}
	})
	defer wg.Wait()
	target := localHead(val)
	waitFor(t, 20*time.Second, fmt.Sprintf("the restarted node to hold every square up to %d", target), func() bool {
		for h := uint64(1); h <= target; h++ {
			if !hasSquare(full, h) {
				return false
			}
		}
		return true
	})
	cancel()
}

// TestSquaresLoadOnceForConcurrentRequests: a burst of requests for a
// square that is not cached shares one load from the store (one extension,
// one *square), and every request gets it.
func TestSquaresLoadOnceForConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	const k = 32
	ods := make([]da.Share, k*k)
	ns, _ := da.NewV0Namespace([]byte("squares"))
	for i := range ods {
		copy(ods[i][:], ns[:])
		for j := da.NamespaceSize; j < da.ShareSize; j++ {
			ods[i][j] = byte(rng.Uint32())
		}
	}
	eds, err := erasure.Extend(ods)
	if err != nil {
		t.Fatal(err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	// The store does not verify certificates: a stand-in will do.
	h := &da.Header{ChainID: "squares", Height: 1, Time: time.Now().UTC(), SquareWidth: k, DataRoot: dah.DataRoot(),
		BlockHash: [32]byte{1}, Certificate: []byte("test-certificate")}
	if err := st.PutHeader(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSquare(ctx, 1, h.DataRoot, ods); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		c := newSquares(st, 256<<20)
		const burst = 16
		got := make([]*square, burst)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range got {
			wg.Go(func() {
				start.Wait()
				sq, err := c.Get(ctx, h)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
				}
				got[i] = sq
			})
		}
		start.Done()
		wg.Wait()
		for i, sq := range got {
			if sq == nil || sq != got[0] {
				t.Fatalf("round %d: request %d got square %p, request 0 got %p: the square was loaded more than once", round, i, sq, got[0])
			}
		}
		if sq := got[0]; sq.dah.DataRoot() != h.DataRoot {
			t.Fatal("the loaded square has another data root")
		}
		if len(c.loading) != 0 {
			t.Fatalf("round %d: %d loads left behind", round, len(c.loading))
		}
	}
}
