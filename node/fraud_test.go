package node

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/p2p"
)

// consensus.CorruptEDS (the bad-encoding fault) makes squares of every
// width badly encoded in a way only a fraud proof shows: the DAH committed
// to the corrupted square is well formed, every cell proves against it,
// and Repair of the whole square finds the bad axis and yields a proof
// that verifies.
func TestCorruptEDSYieldsValidProof(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, k := range []int{1, 2, 4, 16} {
		ods := make([]da.Share, k*k)
		for i := range ods {
			ods[i] = da.TailPaddingShare()
		}
		if k > 1 { // some data in a user namespace, in order
			ns, _ := da.NewV0Namespace([]byte{1})
			for i := range k {
				copy(ods[i][:], ns[:])
				ods[i][da.NamespaceSize] = 1
				for j := da.NamespaceSize + 1; j < da.ShareSize; j++ {
					ods[i][j] = byte(rng.Uint32())
				}
			}
		}
		eds, err := erasure.Extend(ods)
		if err != nil {
			t.Fatal(err)
		}
		honest, err := erasure.Commit(eds)
		if err != nil {
			t.Fatal(err)
		}
		consensus.CorruptEDS(eds)
		dah, err := erasure.Commit(eds)
		if err != nil {
			t.Fatalf("k=%d: committing the corrupted square: %v", k, err)
		}
		if dah.DataRoot() == honest.DataRoot() {
			t.Fatalf("k=%d: corruption left the data root unchanged", k)
		}
		prover, err := erasure.NewProver(eds, dah)
		if err != nil {
			t.Fatal(err)
		}
		for range 8 {
			r, c := rng.IntN(2*k), rng.IntN(2*k)
			s, err := prover.Sample(r, c, erasure.Row)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(dah.DataRoot(), k); err != nil {
				t.Fatalf("k=%d: a sample of the corrupted square does not verify: %v", k, err)
			}
		}
		// The full node's path: the whole square as committed, repaired.
		part := erasure.PartialFromEDS(eds)
		rerr := part.Repair(dah)
		var berr *erasure.ByzantineError
		if !errors.As(rerr, &berr) {
			t.Fatalf("k=%d: Repair of the corrupted square: %v, want a ByzantineError", k, rerr)
		}
		proof, err := erasure.NewBadEncodingProof(berr, part, dah, 5, [32]byte{9})
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		if err := proof.Verify(dah.DataRoot(), k); err != nil {
			t.Fatalf("k=%d: proof does not verify: %v", k, err)
		}
		// The honest square admits no proof of that axis.
		if err := proof.Verify(honest.DataRoot(), k); err == nil {
			t.Fatalf("k=%d: the proof verifies against the honest data root", k)
		}
	}
}

// fraudPeer is a bare libp2p host on the fraud topic that accepts
// anything: it publishes what the test gives it.
func fraudPeer(t *testing.T, connectTo ...*Node) (*p2p.Host, *p2p.Topic) {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs = "testnet", []string{"/ip4/127.0.0.1/tcp/0"}
	for _, n := range connectTo {
		cfg.BootstrapPeers = append(cfg.BootstrapPeers, n.P2PAddrs()...)
	}
	h, err := p2p.New(cfg, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	topic, err := h.JoinTopic(p2p.FraudTopicName("testnet"), erasure.MaxBadEncodingProofSize,
		func(context.Context, peer.ID, []byte) p2p.ValidationResult { return p2p.Accept }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); h.Close() })
	for _, n := range connectTo {
		waitFor(t, 10*time.Second, "the test peer to see a node on the fraud topic", func() bool {
			return slices.Contains(topic.Peers(), n.host.ID())
		})
	}
	return h, topic
}

// firstEvent reads n's event stream from height from, of one type, until
// the first event and returns its raw data line.
func firstEvent(t *testing.T, n *Node, from uint64, typ string) (height uint64, data string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url(n, fmt.Sprintf("/v1/events?from=%d&types=%s", from, typ)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == typ:
			var body struct {
				Height uint64 `json:"height"`
			}
			data = strings.TrimPrefix(line, "data: ")
			if err := json.Unmarshal([]byte(data), &body); err != nil {
				t.Fatalf("event data %q: %v", data, err)
			}
			return body.Height, data
		}
	}
	t.Fatalf("no %s event from height %d: %v", typ, from, sc.Err())
	return 0, ""
}

// TestBadEncodingFraudProof runs a validator with Options.BadEncoding, two
// full nodes and two light nodes: the full nodes build (or receive) a
// proof that verifies, every node ends at `fraud` for that height and
// `available` for the others, tampered proofs are rejected and mark
// nothing, and a restarted light node keeps its `fraud` verdict.
func TestBadEncodingFraudProof(t *testing.T) {
	fastSampling(t)
	const bad = 12
	fast := testOptions
	testOptions = func(o *Options) { fast(o); o.BadEncoding = bad } // only the validator acts on it
	tn := newTestNet(t, 2, 2, 100*time.Millisecond)
	ctx := context.Background()
	const target = bad + 6
	waitFor(t, 30*time.Second, fmt.Sprintf("height %d", target), func() bool { return localHead(tn.validator) >= target })
	hd, err := tn.validator.chain.Header(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	k := int(hd.SquareWidth)
	if k != 2 {
		t.Fatalf("the faulty block has width %d, want 2 (the filler blob)", k)
	}

	// The validator serves samples of the bad square that verify against
	// its header: sampling alone cannot tell.
	src := squareSource{tn.validator}
	var cells []p2p.Cell
	for r := range 2 * k {
		for c := range 2 * k {
			cells = append(cells, p2p.Cell{Row: uint16(r), Col: uint16(c)})
		}
	}
	ss, err := src.Samples(ctx, bad, cells)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if err := s.Verify(hd.DataRoot, k); err != nil {
			t.Fatalf("the validator's cell (%d,%d) of the bad square does not verify: %v", s.Row, s.Col, err)
		}
	}

	var proofBytes []byte
	for _, f := range tn.fulls {
		waitFor(t, 30*time.Second, "a full node to hold a fraud proof", func() bool { return f.fraudAt(bad) },
			func() string { return httpBody(t, url(f, fmt.Sprintf("/v1/availability/%d", bad))) })
		p, err := f.FraudProof(bad)
		if err != nil {
			t.Fatal(err)
		}
		if p.Height != bad || p.HeaderHash != hd.Hash() {
			t.Fatalf("proof for height %d header %x, want %d %x", p.Height, p.HeaderHash, bad, hd.Hash())
		}
		if err := p.Verify(hd.DataRoot, k); err != nil {
			t.Fatalf("the full node's proof does not verify: %v", err)
		}
		if ok, _ := f.store.HasSquare(ctx, bad); ok {
			t.Fatal("a full node stored the badly encoded square")
		}
		if proofBytes == nil {
			proofBytes, _ = p.MarshalBinary()
		}
	}

	for _, n := range tn.all() {
		waitFor(t, 30*time.Second, fmt.Sprintf("%s at fraud for height %d", n.cfg.Role, bad), func() bool {
			av, code := getAvailability(t, n, bad)
			return code == 200 && av.Status == "fraud"
		}, func() string { return httpBody(t, url(n, fmt.Sprintf("/v1/availability/%d", bad))) })
		var sum api.AvailabilitySummary
		waitFor(t, 30*time.Second, fmt.Sprintf("%s: every other height up to %d available", n.cfg.Role, target), func() bool {
			httpJSON(t, "GET", url(n, "/v1/availability"), nil, &sum)
			for h := uint64(1); h <= target; h++ {
				if h == bad {
					continue
				}
				if av, code := getAvailability(t, n, h); code != 200 || av.Status != "available" {
					return false
				}
			}
			return slices.Equal(sum.Fraud, []uint64{bad})
		}, func() string { return httpBody(t, url(n, "/v1/availability")) })
		for _, r := range sum.Available {
			if r[0] <= bad && bad <= r[1] {
				t.Fatalf("%s summary lists fraud height %d as available: %+v", n.cfg.Role, bad, sum)
			}
		}
		var fj api.FraudProofJSON
		if code := httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/fraud/%d", bad)), nil, &fj); code != 200 || fj.Height != bad {
			t.Fatalf("%s: GET /v1/fraud/%d: %d %+v", n.cfg.Role, bad, code, fj)
		}
		if raw, err := hex.DecodeString(fj.Proof); err != nil {
			t.Fatal(err)
		} else if p := new(erasure.BadEncodingProof); p.UnmarshalBinary(raw) != nil || p.Verify(hd.DataRoot, k) != nil {
			t.Fatalf("%s serves a proof that does not verify", n.cfg.Role)
		}
		if code := httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/fraud/%d", bad+1)), nil, nil); code != 404 {
			t.Fatalf("%s: GET /v1/fraud/%d of an honest height: %d, want 404", n.cfg.Role, bad+1, code)
		}
		if h, data := firstEvent(t, n, 1, "fraud"); h != bad || !strings.Contains(data, "bad-encoding") {
			t.Fatalf("%s: first fraud event at height %d (%s), want %d", n.cfg.Role, h, data, bad)
		}
	}

	// Tampered proofs from a test peer: one moved to an honest height,
	// one with a cell changed. Both are rejected, the peer penalised, and
	// nothing more is marked.
	light := tn.lights[0]
	moved := new(erasure.BadEncodingProof)
	if err := moved.UnmarshalBinary(proofBytes); err != nil {
		t.Fatal(err)
	}
	honest, _ := light.chain.Header(ctx, bad+2)
	moved.Height, moved.HeaderHash = bad+2, honest.Hash()
	if err := moved.Verify(honest.DataRoot, int(honest.SquareWidth)); err == nil {
		t.Fatal("the moved proof verifies: the test proves nothing")
	}
	movedBytes, _ := moved.MarshalBinary()
	changed := new(erasure.BadEncodingProof)
	_ = changed.UnmarshalBinary(proofBytes)
	for _, s := range changed.Shares {
		if s != nil {
			s.Share[da.ShareSize-1] ^= 1
			break
		}
	}
	changedBytes, _ := changed.MarshalBinary()
	for i, b := range [][]byte{movedBytes, changedBytes} {
		// A peer each: the first offence may already ban one.
		tp, topic := fraudPeer(t, light)
		before := light.host.Score(tp.ID())
		if err := topic.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, fmt.Sprintf("the light node to penalise tampered proof %d", i), func() bool {
			return light.host.Score(tp.ID()) > before
		})
	}
	for _, n := range tn.all() {
		if n.fraudAt(bad + 2) {
			t.Fatalf("%s marked honest height %d fraud", n.cfg.Role, bad+2)
		}
		if av, _ := getAvailability(t, n, bad+2); av.Status == "fraud" {
			t.Fatalf("%s reports honest height %d fraud", n.cfg.Role, bad+2)
		}
	}
	tn.checkNoneBanned()

	// A light node that joins after the proof was gossiped fetches it
	// from its peers (fraud sync).
	boot := tn.validator.P2PAddrs()
	for _, f := range tn.fulls {
		boot = append(boot, f.P2PAddrs()...)
	}
	late, _ := startNode(t, filepath.Join(tn.dir, "light-late"), InitOptions{Role: RoleLight,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleLight, boot)})
	waitFor(t, 20*time.Second, "the late light node at fraud", func() bool {
		av, code := getAvailability(t, late, bad)
		return code == 200 && av.Status == "fraud"
	}, func() string { return httpBody(t, url(late, fmt.Sprintf("/v1/availability/%d", bad))) })

	// A restarted light node keeps the verdict, from its store.
	tn.stops[light]()
	light, stop := runNode(t, light.dir)
	tn.lights[0], tn.stops[light] = light, stop
	if av, code := getAvailability(t, light, bad); code != 200 || av.Status != "fraud" {
		t.Fatalf("after a restart the light node reports height %d as %q (%d)", bad, av.Status, code)
	}
	waitFor(t, 10*time.Second, "the restarted light node's summary to list the fraud", func() bool {
		var sum api.AvailabilitySummary
		httpJSON(t, "GET", url(light, "/v1/availability"), nil, &sum)
		return slices.Equal(sum.Fraud, []uint64{bad}) && sum.SampledHead >= target
	}, func() string { return httpBody(t, url(light, "/v1/availability")) })
	// Its event stream, replayed from the store, still announces the proof.
	replay := readSSE(t, light, fmt.Sprintf("/v1/events?from=%d&types=fraud,availability", bad), "", 2)
	if replay[0].typ != "fraud" || replay[0].height != bad || replay[1].typ != "availability" || replay[1].height != bad {
		t.Fatalf("replayed events from height %d after a restart: %+v", bad, replay)
	}
}

// badEncodingNet is a validator running the bad-encoding fault at height
// bad and one fast-sampling light node, with no full node to prove it.
func badEncodingNet(t *testing.T, bad uint64) *testNet {
	fastSampling(t)
	fast := testOptions
	testOptions = func(o *Options) { fast(o); o.BadEncoding = bad }
	return newTestNet(t, 0, 1, 100*time.Millisecond)
}

// Without full nodes nobody builds a proof: light nodes sampling the
// badly encoded square find every cell they ask for proven, and call it
// available. Only a fraud proof reveals the fault.
func TestBadEncodingLooksAvailableToSampling(t *testing.T) {
	const bad = 5
	tn := badEncodingNet(t, bad)
	l := tn.lights[0]
	waitFor(t, 30*time.Second, fmt.Sprintf("height %d sampled available", bad), func() bool {
		av, code := getAvailability(t, l, bad)
		return code == 200 && av.Status == "available" && av.SquareWidth == 2 && av.Samples.Verified == av.Samples.Requested && av.Samples.Verified > 0
	}, func() string { return httpBody(t, url(l, fmt.Sprintf("/v1/availability/%d", bad))) })
	if l.fraudAt(bad) || tn.validator.fraudAt(bad) {
		t.Fatal("a fraud proof appeared without any full node")
	}
}

// A proof that arrives before its header is kept, then verified and
// applied once the header is stored.
func TestFraudProofBeforeHeader(t *testing.T) {
	const bad = 4
	fast := testOptions
	testOptions = func(o *Options) {
		if fast != nil {
			fast(o)
		}
		o.BadEncoding = bad
	}
	t.Cleanup(func() { testOptions = fast })
	tn := newTestNet(t, 1, 0, 100*time.Millisecond)
	full := tn.fulls[0]
	waitFor(t, 30*time.Second, "the full node's proof", func() bool { return full.fraudAt(bad) })
	proof, err := full.FraudProof(bad)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := proof.MarshalBinary()

	// A light node that knows no peer: its chain holds nothing yet.
	dir := t.TempDir()
	l, _ := startNode(t, dir, InitOptions{Role: RoleLight, Genesis: tn.validator.dir + "/" + GenesisFile, Config: nodeConfig(RoleLight, nil)})
	ctx := context.Background()
	if got := l.validateFraud(ctx, "", data); got != p2p.Ignore {
		t.Fatalf("a proof for an unknown header: verdict %v, want Ignore", got)
	}
	if l.fraudAt(bad) {
		t.Fatal("an unverified proof was applied")
	}
	waitFor(t, 10*time.Second, "one more block", func() bool { return localHead(tn.validator) > bad })
	for h := uint64(1); h <= bad+1; h++ {
		hd, err := tn.validator.chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.chain.Add(ctx, hd); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the kept proof to be applied", func() bool {
		av, code := getAvailability(t, l, bad)
		return code == 200 && av.Status == "fraud"
	}, func() string { return httpBody(t, url(l, fmt.Sprintf("/v1/availability/%d", bad))) })
	if p, err := l.FraudProof(bad); err != nil || p.Verify(mustHeader(t, l, bad).DataRoot, 2) != nil {
		t.Fatalf("the applied proof: %v", err)
	}
}

func mustHeader(t *testing.T, n *Node, h uint64) *da.Header {
	t.Helper()
	hd, err := n.chain.Header(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return hd
}

// A square rebuilt from proven cells against roots a peer serves (the
// held-samples repair) that turns out badly encoded yields a fraud proof,
// as the committed-rows path does, and the network hears of it.
func TestRepairFromHeldCellsProvesBadEncoding(t *testing.T) {
	const bad = 5
	tn := badEncodingNet(t, bad)
	l := tn.lights[0]
	waitFor(t, 30*time.Second, fmt.Sprintf("height %d sampled", bad), func() bool {
		av, code := getAvailability(t, l, bad)
		return code == 200 && av.Status == "available"
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := tn.validator.chain.Header(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := tn.validator.faultySquare(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	// Every cell as committed (each provable against the data root); the
	// validator serves the roots.
	if _, err := l.decodeHeld(ctx, h, erasure.PartialFromEDS(sq.eds)); !errors.Is(err, errNotEncoded) {
		t.Fatalf("decoding the committed cells: %v, want errNotEncoded", err)
	}
	if !l.fraudAt(bad) {
		t.Fatal("no fraud proof held after a bad axis was found")
	}
	waitFor(t, 10*time.Second, "the validator to hear of the proof", func() bool { return tn.validator.fraudAt(bad) })
	if av, _ := getAvailability(t, l, bad); av.Status != "fraud" {
		t.Fatalf("height %d is %q after the proof, want fraud", bad, av.Status)
	}
}
