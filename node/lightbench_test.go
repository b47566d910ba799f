package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// Light-node targets of the sampling issue, measured on real nodes over
// loopback. Each benchmark runs once whatever b.N is (a run is far longer
// than -benchtime), e.g.
//
//	go test ./node -run '^$' -bench LightFollow -benchtime 1x
//
// Every node shares the machine's cores, so the figures are a floor.

// envInt reads a positive integer from name, def when unset.
func envInt(tb testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// fillShares submits blobs of shares shares in all through the validator's
// mempool (1,000-share blobs in distinct namespaces, random bytes from seed)
// and waits for their block. It returns an error rather than failing, so
// that it can run in a goroutine of its own.
func fillShares(ctx context.Context, val *Node, shares int, seed uint64) (uint64, error) {
	rng := rand.New(rand.NewPCG(seed, 13))
	var blobs []da.Blob
	for left := shares; left > 0; left -= 1000 {
		data := make([]byte, min(left, 1000)*478)
		for j := 0; j < len(data); j += 8 {
			v := rng.Uint64()
			for o := 0; o < 8 && j+o < len(data); o++ {
				data[j+o] = byte(v >> (8 * o))
			}
		}
		ns, err := da.NewV0Namespace([]byte(fmt.Sprintf("lfill-%04d", len(blobs))))
		if err != nil {
			return 0, err
		}
		blobs = append(blobs, da.Blob{Namespace: ns, Data: data})
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return val.submit(wctx, blobs)
}

// keepFilling fills every block with shares shares until the benchmark
// ends; errors are counted, not fatal (a submission may miss its block).
func keepFilling(tb testing.TB, val *Node, shares int) *int {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg   sync.WaitGroup
		errs int
	)
	wg.Go(func() {
		for i := uint64(0); ctx.Err() == nil; i++ {
			if _, err := fillShares(ctx, val, shares, i); err != nil && ctx.Err() == nil {
				errs++
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
	tb.Cleanup(func() { cancel(); wg.Wait() })
	return &errs
}

// lightChildEnv names the directory TestHelperLightChild runs a light node
// in; the test is a no-op without it.
const lightChildEnv = "TARTAN_LIGHT_CHILD_DIR"

// TestHelperLightChild is the child process of BenchmarkLightFollow: a
// light node alone in its process, so that its RSS and sockets are its
// own. It prints its REST address and runs until killed (or ten minutes
// pass, so a lost child does not linger).
func TestHelperLightChild(t *testing.T) {
	dir := os.Getenv(lightChildEnv)
	if dir == "" {
		t.Skip("runs only as the child of BenchmarkLightFollow")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n, err := New(ctx, dir, Options{Version: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("api=%s\n", n.APIAddr())
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// procStatusKiB reads a "Key:   N kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// procIO reads rchar and wchar of /proc/<pid>/io: every byte read or
// written by system calls, sockets and files alike (an upper bound on the
// network bytes, since leveldb's writes count too).
func procIO(pid int) (rchar, wchar int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			rchar, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			wchar, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return rchar, wchar, nil
}

var (
	ssPidRe   = regexp.MustCompile(`pid=(\d+),`)
	ssSentRe  = regexp.MustCompile(`bytes_sent:(\d+)`)
	ssRecvRe  = regexp.MustCompile(`bytes_received:(\d+)`)
	ssSpaceRe = regexp.MustCompile(`\s+`)
)

// tcpBytes is the payload bytes of one TCP socket as the kernel's tcp_info
// counts them (bytes_sent includes retransmissions; none on loopback).
type tcpBytes struct{ sent, recv int64 }

// socketBytes lists the TCP sockets of pid with their byte counters, keyed
// by "local peer", leaving out those whose local address is skip (the
// REST listener's connections, which the benchmark itself opens).
func socketBytes(pid int, skip string) (map[string]tcpBytes, error) {
	out, err := exec.Command("ss", "-tinpH").Output()
	if err != nil {
		return nil, err
	}
	res := map[string]tcpBytes{}
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		head := lines[i]
		if head == "" || head[0] == ' ' || head[0] == '\t' {
			continue
		}
		info := ""
		if i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			info = lines[i+1]
			i++
		}
		m := ssPidRe.FindStringSubmatch(head)
		if m == nil || m[1] != strconv.Itoa(pid) {
			continue
		}
		f := ssSpaceRe.Split(strings.TrimSpace(head), -1)
		if len(f) < 5 || f[3] == skip {
			continue
		}
		var tb tcpBytes
		if s := ssSentRe.FindStringSubmatch(info); s != nil {
			tb.sent, _ = strconv.ParseInt(s[1], 10, 64)
		}
		if s := ssRecvRe.FindStringSubmatch(info); s != nil {
			tb.recv, _ = strconv.ParseInt(s[1], 10, 64)
		}
		res[f[3]+" "+f[4]] = tb
	}
	return res, nil
}

// BenchmarkLightFollow is target 1 of the sampling issue: a light node
// following a 1 s chain of k = 128 squares uses ≤ 64 MiB RSS and ≤ 20 kB/s
// on average. The light node runs alone in a child process (the test
// binary re-executed as TestHelperLightChild); the validator and a full
// node run here, the validator's mempool filled with ~4.6 MiB of blobs for
// every block. After the light node has caught up, the benchmark watches
// it for TARTAN_LIGHT_SECONDS (default 60):
//
//   - peak-RSS-MiB: the child's VmHWM at the end (whole life, catch-up
//     included); rss-MiB its last VmRSS.
//   - kB/s: the payload bytes (sent + received, per the kernel's tcp_info,
//     read with ss every 500 ms) of the child's TCP sockets other than its
//     REST listener's, over the window. A socket closed between two reads
//     loses its last ≤ 500 ms of bytes; TCP/IP headers are not counted.
//   - io-kB/s: rchar + wchar of /proc/<pid>/io over the window, an upper
//     bound (it counts leveldb's file I/O too).
func BenchmarkLightFollow(b *testing.B) {
	const k = 128
	b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
		window := time.Duration(envInt(b, "TARTAN_LIGHT_SECONDS", 60)) * time.Second
		val, full := launchPair(b, time.Second, nil)
		fillErrs := keepFilling(b, val, 10_000)
		dir := filepath.Join(b.TempDir(), "light")
		cfg := nodeConfig(RoleLight, append(val.P2PAddrs(), full.P2PAddrs()...))
		// TARTAN_LIGHT_CONFIDENCE measures another target than the
		// default 0.9999 (0.99: 16 samples a height, Celestia's count).
		if v := os.Getenv("TARTAN_LIGHT_CONFIDENCE"); v != "" {
			c, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("TARTAN_LIGHT_CONFIDENCE=%q: %v", v, err)
			}
			cfg.Confidence = c
		}
		if err := Init(dir, InitOptions{Role: RoleLight, Genesis: filepath.Join(val.dir, GenesisFile), Now: time.Now(),
			Config: cfg}); err != nil {
			b.Fatal(err)
		}
		cmd, addr := startChildNode(b, "TestHelperLightChild", lightChildEnv, dir)
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		pid := cmd.Process.Pid
		summary := func() api.AvailabilitySummary {
			var s api.AvailabilitySummary
			resp, err := http.Get("http://" + addr + "/v1/availability")
			if err != nil {
				return s
			}
			defer resp.Body.Close()
			_ = json.NewDecoder(resp.Body).Decode(&s)
			return s
		}
		caughtUp := func() bool {
			s := summary()
			return s.SampledHead > 0 && s.SampledHead+1 >= localHead(val)
		}
		waitUntil(b, 2*time.Minute, "the light child to catch up", caughtUp)

		// Sockets seen in the window: baseline counters at the start (zero
		// for sockets opened later) and the last counters read.
		base, err := socketBytes(pid, addr)
		if err != nil {
			b.Fatalf("ss: %v", err)
		}
		last := map[string]tcpBytes{}
		for key, v := range base {
			last[key] = v
		}
		r0, w0, err := procIO(pid)
		if err != nil {
			b.Fatal(err)
		}
		startHead := localHead(val)
		b.ResetTimer()
		start := time.Now()
		var maxRSS int64
		for time.Since(start) < window {
			time.Sleep(500 * time.Millisecond)
			now, err := socketBytes(pid, addr)
			if err != nil {
				b.Fatalf("ss: %v", err)
			}
			for key, v := range now {
				last[key] = v
			}
			if rss, err := procStatusKiB(pid, "VmRSS"); err == nil {
				maxRSS = max(maxRSS, rss)
			}
		}
		elapsed := time.Since(start)
		endHead := localHead(val)
		b.StopTimer()
		var netBytes, sent, recv int64
		for key, v := range last {
			bv := base[key]
			sent += v.sent - bv.sent
			recv += v.recv - bv.recv
		}
		netBytes = sent + recv
		r1, w1, _ := procIO(pid)
		hwm, err := procStatusKiB(pid, "VmHWM")
		if err != nil {
			b.Fatal(err)
		}
		rss, _ := procStatusKiB(pid, "VmRSS")
		// Judge the window's heights once the light node has had a moment.
		waitUntil(b, 30*time.Second, fmt.Sprintf("the light child to sample height %d", endHead), func() bool {
			return summary().SampledHead >= endHead
		})
		s := summary()
		var wide, widths int
		for h := startHead + 1; h <= endHead; h++ {
			hd, err := val.chain.Header(context.Background(), h)
			if err != nil {
				b.Fatal(err)
			}
			widths += int(hd.SquareWidth)
			if hd.SquareWidth == k {
				wide++
			}
		}
		blocks := int(endHead - startHead)
		b.ReportMetric(float64(sampling.SampleCount(k, sampling.Config{Confidence: cfg.Confidence})), "samples/height")
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
		b.ReportMetric(float64(maxRSS)/1024, "window-max-RSS-MiB")
		b.ReportMetric(float64(netBytes)/1000/elapsed.Seconds(), "kB/s")
		b.ReportMetric(float64((r1-r0)+(w1-w0))/1000/elapsed.Seconds(), "io-kB/s")
		b.ReportMetric(float64(netBytes)/float64(max(blocks, 1)), "B/height")
		b.ReportMetric(float64(blocks), "blocks")
		b.ReportMetric(float64(wide), "blocks-k=128")
		b.ReportMetric(float64(widths)/float64(max(blocks, 1)), "mean-k")
		b.Logf("%s window, heights %d–%d: sent %d B, received %d B over %d sockets; unavailable %v; fill errors %d",
			elapsed.Round(time.Millisecond), startHead+1, endHead, sent, recv, len(last), s.Unavailable, *fillErrs)
		if len(s.Unavailable) != 0 || len(s.Fraud) != 0 {
			b.Errorf("the light child judged heights unavailable %v or fraudulent %v", s.Unavailable, s.Fraud)
		}
		if hwm > 64<<10 {
			b.Logf("TARGET MISSED: peak RSS %.1f MiB > 64 MiB", float64(hwm)/1024)
		}
		if kbs := float64(netBytes) / 1000 / elapsed.Seconds(); kbs > 20 {
			b.Logf("TARGET MISSED: %.1f kB/s > 20 kB/s", kbs)
		}
	})
}

// BenchmarkLightCatchUp is target 2 of the sampling issue: a fresh light
// node catches up TARTAN_CATCHUP_HEIGHTS (default 10,000) empty or small
// heights in ≤ 60 s, with the default sampling config. A validator with the
// shortest block time genesis allows (10 ms) builds the chain, with a
// small blob (~5 kB, so a sampled 4×4 square) in about one height of
// ten; then a light node bootstrapping from the validator alone starts,
// and the time until every height up to the target is available is
// measured. The validator keeps producing meanwhile, as a live chain does.
func BenchmarkLightCatchUp(b *testing.B) {
	heights := uint64(envInt(b, "TARTAN_CATCHUP_HEIGHTS", 10_000))
	b.Run(fmt.Sprintf("heights=%d", heights), func(b *testing.B) {
		dir := b.TempDir()
		pdir := filepath.Join(dir, "validator")
		val, _ := launch(b, pdir, InitOptions{Role: RoleValidator, ChainID: "bench", BlockTime: 10 * time.Millisecond,
			MaxSquareWidth: 128, Config: nodeConfig(RoleValidator, nil)})
		ctx, cancel := context.WithCancel(context.Background())
		var feed sync.WaitGroup
		feed.Go(func() {
			for i := uint64(0); ctx.Err() == nil; i++ {
				data := make([]byte, 5000)
				copy(data, fmt.Sprintf("small blob %d", i))
				ns, _ := da.NewV0Namespace([]byte("catch-up"))
				wctx, c := context.WithTimeout(ctx, 5*time.Second)
				_, _ = val.submit(wctx, []da.Blob{{Namespace: ns, Data: data}})
				c()
				time.Sleep(90 * time.Millisecond)
			}
		})
		defer func() { cancel(); feed.Wait() }()
		t0 := time.Now()
		waitUntil(b, 30*time.Minute, fmt.Sprintf("the validator to reach height %d", heights), func() bool {
			return localHead(val) >= heights
		})
		produced := time.Since(t0)
		nonEmpty := 0
		for h := uint64(1); h <= heights; h++ {
			hd, err := val.chain.Header(context.Background(), h)
			if err != nil {
				b.Fatal(err)
			}
			if !isEmptyBlock(hd) {
				nonEmpty++
			}
		}
		b.ResetTimer()
		start := time.Now()
		light, _ := launch(b, filepath.Join(dir, "light"), InitOptions{Role: RoleLight,
			Genesis: filepath.Join(pdir, GenesisFile), Config: nodeConfig(RoleLight, val.P2PAddrs())})
		var headersAt time.Duration
		waitUntil(b, 30*time.Minute, fmt.Sprintf("the light node to sample up to height %d", heights), func() bool {
			if headersAt == 0 && localHead(light) >= heights {
				headersAt = time.Since(start)
			}
			return light.sampler.sampledHead() >= heights
		})
		elapsed := time.Since(start)
		b.StopTimer()
		light.sampler.mu.Lock()
		bad := 0
		for h := uint64(1); h <= heights; h++ {
			if st, _ := light.sampler.sched.Status(h); st != sampling.StatusAvailable {
				bad++
			}
		}
		workers := light.sampler.cfg.Workers
		light.sampler.mu.Unlock()
		b.ReportMetric(elapsed.Seconds(), "catch-up-s")
		b.ReportMetric(elapsed.Seconds()*1000/float64(heights), "s/1000-heights")
		b.ReportMetric(float64(heights)/elapsed.Seconds(), "heights/s")
		b.ReportMetric(headersAt.Seconds(), "headers-s")
		b.ReportMetric(float64(nonEmpty), "non-empty")
		b.Logf("chain of %d heights built in %s (%d non-empty); workers %d; %d heights not available",
			heights, produced.Round(time.Millisecond), nonEmpty, workers, bad)
		if bad != 0 {
			b.Errorf("%d of %d heights are not available on the light node", bad, heights)
		}
	})
}

// BenchmarkManyLights is target 3 of the sampling issue: TARTAN_LIGHTS
// (default 100) light nodes in this process sample concurrently against
// a validator and 2 full nodes with 1 s blocks of small blobs, for
// TARTAN_MANY_SECONDS (default 20). Keeping up means every light node's
// sampled head is within 2 heights of the network head at the end, and
// every height up to it available.
func BenchmarkManyLights(b *testing.B) {
	n := envInt(b, "TARTAN_LIGHTS", 100)
	// An ablation, TARTAN_LIGHTS_ISOLATE=1: every light node bans every
	// other (through the exported Penalize), so that it neither connects
	// to nor asks other light nodes, which hold no sample it needs.
	isolate := os.Getenv("TARTAN_LIGHTS_ISOLATE") == "1"
	name := fmt.Sprintf("lights=%d", n)
	if isolate {
		name += ",isolated"
	}
	b.Run(name, func(b *testing.B) {
		dur := time.Duration(envInt(b, "TARTAN_MANY_SECONDS", 20)) * time.Second
		dir := b.TempDir()
		pdir := filepath.Join(dir, "validator")
		val, _ := launch(b, pdir, InitOptions{Role: RoleValidator, ChainID: "bench", BlockTime: time.Second,
			MaxSquareWidth: 128, Config: nodeConfig(RoleValidator, nil)})
		genesis := filepath.Join(pdir, GenesisFile)
		boot := val.P2PAddrs()
		servers := []*Node{val}
		for i := range 2 {
			f, _ := launch(b, filepath.Join(dir, fmt.Sprintf("full-%d", i+1)), InitOptions{Role: RoleFull,
				Genesis: genesis, Config: nodeConfig(RoleFull, val.P2PAddrs())})
			boot = append(boot, f.P2PAddrs()...)
			servers = append(servers, f)
		}
		// Small blobs in every block: ~20 kB, a 16×16 square or so.
		fillErrs := keepFilling(b, val, 40)
		t0 := time.Now()
		lights := make([]*Node, n)
		for i := range lights {
			lights[i], _ = launch(b, filepath.Join(dir, fmt.Sprintf("light-%03d", i+1)), InitOptions{Role: RoleLight,
				Genesis: genesis, Config: nodeConfig(RoleLight, boot)})
		}
		if isolate {
			for _, l := range lights {
				for _, o := range lights {
					for i := 0; o != l && !l.host.Blocked(o.host.ID()) && i < 100; i++ {
						l.host.Penalize(o.host.ID(), p2p.OffenceInvalid, errors.New("benchmark ablation: light nodes isolated"))
					}
				}
			}
		}
		startup := time.Since(t0)
		b.ResetTimer()
		startHead := localHead(val)
		time.Sleep(dur)
		head := localHead(val)
		b.StopTimer()
		fds, _ := os.ReadDir("/proc/self/fd")
		var (
			kept, behind   int
			worstLag       uint64
			worstHeaderLag uint64
			notAvailable   int
			peerCount      int
			lagHistogram   = map[uint64]int{}
			firstBehindAt  string
		)
		var verified, failed, servedByLights, servedByServers uint64
		for _, l := range lights {
			verified += l.metrics.SamplesVerified.Value()
			failed += l.metrics.SamplesFailed.Value()
			servedByLights += l.metrics.SamplesServed.Value()
		}
		for _, sv := range servers {
			servedByServers += sv.metrics.SamplesServed.Value()
		}
		isLight := map[string]bool{}
		for _, l := range lights {
			isLight[l.host.ID().String()] = true
		}
		lightPeers := 0
		for i, l := range lights {
			for _, p := range l.host.Peers() {
				if isLight[p.String()] {
					lightPeers++
				}
			}
			l.sampler.mu.Lock()
			sh := l.sampler.sched.SampledHead()
			for h := uint64(1); h <= min(sh, head); h++ {
				if st, _ := l.sampler.sched.Status(h); st != sampling.StatusAvailable {
					notAvailable++
				}
			}
			l.sampler.mu.Unlock()
			running := l.sampler.sched.Running()
			hlag := head - min(localHead(l), head)
			worstHeaderLag = max(worstHeaderLag, hlag)
			lag := head - min(sh, head)
			lagHistogram[lag]++
			worstLag = max(worstLag, lag)
			if lag <= 2 {
				kept++
			} else {
				behind++
				if firstBehindAt == "" {
					firstBehindAt = fmt.Sprintf("light %d: sampled head %d, header head %d, %d heights running", i+1, sh, localHead(l), running)
				}
			}
			peerCount += len(l.host.Peers())
		}
		widths := 0
		for h := startHead + 1; h <= head; h++ {
			if hd, err := val.chain.Header(context.Background(), h); err == nil {
				widths += int(hd.SquareWidth)
			}
		}
		b.ReportMetric(float64(kept), "kept-up")
		b.ReportMetric(float64(behind), "behind")
		b.ReportMetric(float64(worstLag), "worst-lag")
		b.ReportMetric(float64(worstHeaderLag), "worst-header-lag")
		b.ReportMetric(float64(notAvailable), "not-available")
		b.ReportMetric(float64(len(fds)), "fds")
		b.ReportMetric(startup.Seconds(), "startup-s")
		b.ReportMetric(float64(peerCount)/float64(n), "peers/light")
		b.ReportMetric(float64(lightPeers)/float64(n), "light-peers/light")
		b.ReportMetric(float64(widths)/float64(max(1, head-startHead)), "mean-k")
		b.ReportMetric(float64(verified)/float64(n), "verified/light")
		b.Logf("head %d (window from %d); lags %v; %s; fill errors %d", head, startHead, lagHistogram, firstBehindAt, *fillErrs)
		b.Logf("samples: %d verified by lights (%d failed), %d served by validator+fulls, %d served by lights", verified, failed, servedByServers, servedByLights)
		if behind != 0 || notAvailable != 0 {
			b.Logf("TARGET MISSED: %d of %d light nodes more than 2 heights behind, %d heights not available", behind, n, notAvailable)
		}
	})
}
