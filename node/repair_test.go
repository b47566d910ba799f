package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// repairWidth is the width of the square the repair test rebuilds, and
// repairSamples the cells each light node samples of it: three quarters,
// so that no cell is guaranteed to any one node and the union of three
// almost surely covers what decoding needs.
const (
	repairWidth   = 4
	repairSamples = 3 * repairWidth * repairWidth
)

// sampleEach makes light nodes sample fast (fastSampling) and n cells a
// height.
func sampleEach(t *testing.T, n int) {
	fastSampling(t)
	fast := testOptions
	testOptions = func(o *Options) {
		fast(o)
		tune := o.tuneSampling
		o.tuneSampling = func(c *sampling.Config) { tune(c); c.Samples = n }
	}
}

// fullAfterValidator stops tn's validator once every light node has its
// last header, and starts a full node bootstrapping from the light nodes
// alone; it returns the node and that head.
func fullAfterValidator(t *testing.T, tn *testNet) (*Node, uint64) {
	t.Helper()
	// Wait for the light nodes before stopping the validator: a header
	// the validator has stored may not have been gossiped yet, and once
	// it stops nothing else would send it.
	head := localHead(tn.validator)
	var boot []string
	for _, l := range tn.lights {
		waitFor(t, 30*time.Second, "light nodes at the validator's head", func() bool { return localHead(l) >= head })
		boot = append(boot, l.P2PAddrs()...)
	}
	tn.stops[tn.validator]()
	full, _ := startNode(t, filepath.Join(tn.dir, "full-late"), InitOptions{Role: RoleFull,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleFull, boot)})
	return full, head
}

// With the validator gone, a new full node bootstrapping from light nodes
// only gets the square from the cells they sampled, stores the validator's
// exact ODS and serves it as available.
func TestRepairSquareFromLightNodes(t *testing.T) {
	sampleEach(t, repairSamples)
	tn := newTestNet(t, 0, 3, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	height := fillDistinctBlock(t, tn.validator, 8, 1)
	h, err := tn.validator.chain.Header(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	if h.SquareWidth != repairWidth {
		t.Fatalf("block %d has width %d, the test needs %d", height, h.SquareWidth, repairWidth)
	}
	want, _, err := tn.validator.store.Square(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range tn.lights {
		waitFor(t, 30*time.Second, fmt.Sprintf("height %d available on %s", height, l.dir), func() bool {
			av, code := getAvailability(t, l, height)
			return code == 200 && av.Status == "available"
		})
	}
	// Each light node holds exactly its verified samples.
	union := map[[2]int]bool{}
	for _, l := range tn.lights {
		ss, err := heldSource{l}.Held(ctx, height)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != repairSamples {
			t.Fatalf("%s holds %d samples, sampled %d", l.dir, len(ss), repairSamples)
		}
		for _, s := range ss {
			if err := s.Verify(h.DataRoot, repairWidth); err != nil {
				t.Fatalf("%s holds an invalid sample (%d,%d): %v", l.dir, s.Row, s.Col, err)
			}
			union[[2]int{s.Row, s.Col}] = true
		}
	}
	t.Logf("light nodes hold %d distinct cells of %d", len(union), 4*repairWidth*repairWidth)
	if _, err := (heldSource{tn.lights[0]}).Held(ctx, height+1000); !errors.Is(err, p2p.ErrNotFound) {
		t.Fatalf("held samples of a future height: %v, want ErrNotFound", err)
	}

	full, _ := fullAfterValidator(t, tn)
	waitFor(t, time.Minute, fmt.Sprintf("the full node storing square %d", height), func() bool {
		ok, err := full.store.HasSquare(ctx, height)
		return err == nil && ok
	}, func() string { return fmt.Sprintf("full node at header %d", localHead(full)) })
	got, root, err := full.store.Square(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	if root != h.DataRoot || !slices.Equal(got, want) {
		t.Fatal("the repaired square is not the validator's")
	}
	waitFor(t, 30*time.Second, fmt.Sprintf("height %d available on the full node", height), func() bool {
		av, code := getAvailability(t, full, height)
		return code == 200 && av.Status == "available" && av.Confidence == 1
	})
	// And it now serves the square to others: ask it as a light node would.
	ss, err := tn.lights[0].host.RequestSamples(ctx, full.host.ID(), height, []p2p.Cell{{Row: 0, Col: 0}, {Row: 7, Col: 7}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if err := s.Verify(h.DataRoot, repairWidth); err != nil {
			t.Fatalf("the full node serves an invalid sample: %v", err)
		}
	}
	for _, l := range tn.lights {
		if full.host.Blocked(l.host.ID()) || l.host.Blocked(full.host.ID()) {
			t.Fatalf("honest nodes banned each other")
		}
	}
	tn.checkNoneBanned()

	// A peer whose held samples do not verify is banned and none of its
	// cells are used.
	held, err := heldSource{tn.lights[0]}.Held(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	bad := make(badHeld, len(held))
	for i, s := range held {
		c := *s
		c.Share[len(c.Share)-1] ^= 1
		bad[i] = &c
	}
	liar := startHeldServer(t, bad)
	if err := full.host.Connect(ctx, liar.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if got := full.heldFrom(ctx, h, liar.ID()); got != nil {
		t.Fatalf("%d altered samples accepted", len(got))
	}
	if !full.host.Blocked(liar.ID()) {
		t.Fatal("a peer serving altered samples is not banned")
	}
}

// badHeld serves the same samples at every height.
type badHeld []*erasure.Sample

func (b badHeld) Held(context.Context, uint64) ([]*erasure.Sample, error) { return b, nil }

// startHeldServer runs a test-only host that serves src on the held
// protocol and nothing else.
func startHeldServer(t *testing.T, src p2p.HeldSource) *p2p.Host {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs = "testnet", []string{"/ip4/127.0.0.1/tcp/0"}
	h, err := p2p.New(cfg, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHeld(src)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); h.Close() })
	return h
}

// A full node asking peers that hold too few cells does not get the
// square and says why; the verified cells it got are kept out of the
// store.
func TestRepairFailsWithTooFewCells(t *testing.T) {
	sampleEach(t, 4) // 3 × 4 cells of 64: fewer than the k² = 16 decoding needs
	tn := newTestNet(t, 0, 3, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, 10*time.Second, "an empty block first", func() bool { return localHead(tn.validator) >= 2 })
	height := fillDistinctBlock(t, tn.validator, 8, 2)
	h, err := tn.validator.chain.Header(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	if h.SquareWidth != repairWidth {
		t.Fatalf("block %d has width %d, the test needs %d", height, h.SquareWidth, repairWidth)
	}
	for _, l := range tn.lights {
		waitFor(t, 30*time.Second, "the height sampled", func() bool {
			av, code := getAvailability(t, l, height)
			return code == 200 && av.Status == "available"
		})
	}
	full, head := fullAfterValidator(t, tn)
	waitFor(t, 30*time.Second, "the full node's headers", func() bool { return localHead(full) >= head })
	err = full.repairFromPeers(ctx, h)
	if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, erasure.ErrUnrepairable) {
		t.Fatalf("repair from at most 12 cells: %v, want unavailable before decoding", err)
	}
	if ok, _ := full.store.HasSquare(ctx, height); ok {
		t.Fatal("a square stored without enough cells")
	}
	// The empty blocks before it need no cells at all.
	waitFor(t, 30*time.Second, "the empty blocks' squares", func() bool {
		ok, err := full.store.HasSquare(ctx, height-1)
		return err == nil && ok
	})
}

// The roots decide when a peer serves them: from exactly k² cells (Q0)
// with one altered, decoding alone gives a valid square through the
// altered cell, which only the roots (or, without them, the data root of
// the result) expose.
func TestRepairChecksRoots(t *testing.T) {
	tn := newTestNet(t, 1, 0, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	height := fillDistinctBlock(t, tn.validator, 8, 3)
	h, err := tn.validator.chain.Header(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	ods, _, err := tn.validator.store.Square(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	k := int(h.SquareWidth)
	altered := func() *erasure.PartialEDS {
		part, err := erasure.NewPartialEDS(k)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range ods {
			if i == 1 {
				s[len(s)-1] ^= 1
			}
			if err := part.Set(i/k, i%k, &s); err != nil {
				t.Fatal(err)
			}
		}
		return part
	}

	// The full node's peer, the validator, serves the roots.
	full := tn.fulls[0]
	waitFor(t, 30*time.Second, "the full node's peers", func() bool { return len(full.host.Peers()) > 0 })
	if _, err := full.decodeHeld(ctx, h, altered()); !errors.Is(err, erasure.ErrByzantineData) {
		t.Fatalf("decoding against the roots: %v, want ErrByzantineData", err)
	}

	// A node with no peers decodes without roots; the data root check
	// refuses the result.
	alone, _ := startNode(t, filepath.Join(tn.dir, "alone"), InitOptions{Role: RoleFull,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleFull, nil)})
	eds, err := alone.decodeHeld(ctx, h, altered())
	if err != nil {
		t.Fatalf("decoding without roots: %v", err)
	}
	if err := alone.keepSquare(ctx, h, eds.ODS()); !errors.Is(err, ErrBadSquare) {
		t.Fatalf("keeping a square of altered cells: %v, want ErrBadSquare", err)
	}
	if ok, _ := alone.store.HasSquare(ctx, height); ok {
		t.Fatal("a square of altered cells was stored")
	}
}

// next is when a repair of height is due again, zero if it is now.
func (b *repairBackoff) next(height uint64) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.heights[height].next
}

func TestRepairBackoff(t *testing.T) {
	var b repairBackoff
	t0 := time.Unix(1000, 0)
	if !b.due(7, t0) {
		t.Fatal("a first attempt must be due")
	}
	var waits []time.Duration
	now := t0
	for i := range 8 {
		b.done(7, false, now)
		next := b.next(7)
		waits = append(waits, next.Sub(now))
		if b.due(7, next.Add(-time.Nanosecond)) || !b.due(7, next) {
			t.Fatalf("due around %v wrong", next)
		}
		if i == 2 {
			b.done(8, false, now) // another height's failures are its own
		}
		now = next
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		if waits[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", waits, want)
		}
	}
	if !b.due(9, now) || b.due(8, b.next(8).Add(-time.Nanosecond)) {
		t.Fatal("a height's backoff is another's")
	}
	b.done(7, true, now)
	if !b.due(7, now) {
		t.Fatal("a success must clear the backoff")
	}
	for h := range uint64(2 * repairHeightsKept) {
		b.done(100+h, false, now)
	}
	if len(b.heights) > repairHeightsKept || b.due(100+2*repairHeightsKept-1, now) {
		t.Fatalf("%d heights remembered, or the newest forgotten", len(b.heights))
	}
}
