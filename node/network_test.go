package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/p2p"
)

// testNet is a validator with full and light nodes, each a real node with
// its own libp2p host on loopback, data directory and REST API.
type testNet struct {
	t         *testing.T
	dir       string
	validator *Node
	fulls     []*Node
	lights    []*Node
	stops     map[*Node]func()
}

func nodeConfig(role Role, bootstrap []string) *Config {
	c := DefaultConfig(role)
	c.API, c.RPCListen = "127.0.0.1:0", "127.0.0.1:0"
	c.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	c.Bootstrap = bootstrap
	return &c
}

func newTestNet(t *testing.T, fulls, lights int, blockTime time.Duration) *testNet {
	t.Helper()
	tn := &testNet{t: t, dir: t.TempDir(), stops: map[*Node]func(){}}
	pdir := filepath.Join(tn.dir, "validator")
	p, stop := startNode(t, pdir, InitOptions{Role: RoleValidator, ChainID: "testnet", BlockTime: blockTime,
		MaxSquareWidth: 128, Config: nodeConfig(RoleValidator, nil)})
	tn.validator, tn.stops[p] = p, stop
	genesis := filepath.Join(pdir, GenesisFile)
	boot := p.P2PAddrs()
	for i := range fulls {
		n, stop := startNode(t, filepath.Join(tn.dir, fmt.Sprintf("full-%d", i+1)),
			InitOptions{Role: RoleFull, Genesis: genesis, Config: nodeConfig(RoleFull, boot)})
		tn.fulls, tn.stops[n] = append(tn.fulls, n), stop
		boot = append(boot, n.P2PAddrs()...)
	}
	for i := range lights {
		n, stop := startNode(t, filepath.Join(tn.dir, fmt.Sprintf("light-%d", i+1)),
			InitOptions{Role: RoleLight, Genesis: genesis, Config: nodeConfig(RoleLight, boot)})
		tn.lights, tn.stops[n] = append(tn.lights, n), stop
	}
	return tn
}

// checkNoneBanned fails if an honest node has banned another: every node
// here is honest, so any ban is a bug in judging peers.
func (tn *testNet) checkNoneBanned() {
	tn.t.Helper()
	for _, a := range tn.all() {
		for _, b := range tn.all() {
			if a != b && a.host.Blocked(b.host.ID()) {
				tn.t.Errorf("%s %s banned honest %s %s", a.cfg.Role, a.dir, b.cfg.Role, b.dir)
			}
		}
	}
}

func (tn *testNet) all() []*Node {
	return append(append([]*Node{tn.validator}, tn.fulls...), tn.lights...)
}

func url(n *Node, path string) string { return "http://" + n.APIAddr() + path }

// waitFor polls cond until it holds or the timeout passes; explain, if
// given, says what was seen last.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			last := ""
			for _, e := range explain {
				last += ": " + e()
			}
			t.Fatalf("timed out after %s waiting for %s%s", timeout, what, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func localHead(n *Node) uint64 {
	l, _ := n.chain.Heights()
	return l
}

func TestNetworkServesBlobsFromEveryRole(t *testing.T) {
	tn := newTestNet(t, 2, 3, 200*time.Millisecond)
	ns := "74617274616e2d6e6574"
	sizes := []int{1, 478, 479, 100_000, 2_000_000}
	type sent struct {
		data   []byte
		height uint64
		commit string
	}
	var all []sent
	for i, size := range sizes {
		data := bytes.Repeat([]byte{byte(i + 1)}, size)
		copy(data, fmt.Sprintf("blob %d of %d bytes", i, size))
		// Alternate between the validator and a light node (which forwards).
		via := tn.validator
		if i%2 == 1 {
			via = tn.lights[0]
		}
		var res api.SubmitResult
		body := map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": "20s"}
		if code := httpJSON(t, "POST", url(via, "/v1/blobs"), body, &res); code != 200 {
			t.Fatalf("submitting %d bytes through the %s: status %d", size, via.cfg.Role, code)
		}
		all = append(all, sent{data, res.Height, res.Commitments[0]})
	}
	last := all[len(all)-1].height
	for _, n := range tn.all() {
		waitFor(t, 10*time.Second, fmt.Sprintf("%s to reach height %d", n.cfg.Role, last), func() bool { return localHead(n) >= last })
	}
	for _, n := range tn.all() {
		for _, s := range all {
			var b api.BlobJSON
			path := fmt.Sprintf("/v1/blobs/%d/%s/%s", s.height, ns, s.commit)
			waitFor(t, 10*time.Second, fmt.Sprintf("%s to serve %s", n.cfg.Role, path), func() bool {
				return httpJSON(t, "GET", url(n, path), nil, &b) == 200
			}, func() string { return httpBody(t, url(n, path)) })
			if !bytes.Equal(b.Data, s.data) {
				t.Fatalf("%s serves %d bytes for a %d-byte blob", n.cfg.Role, len(b.Data), len(s.data))
			}
			checkBlobProof(t, n, s.height, path, s.data)
		}
	}
	// Every node agrees on every header.
	for h := uint64(1); h <= last; h++ {
		var want api.HeaderJSON
		httpJSON(t, "GET", url(tn.validator, fmt.Sprintf("/v1/headers/%d", h)), nil, &want)
		for _, n := range tn.all()[1:] {
			var got api.HeaderJSON
			if code := httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/headers/%d", h)), nil, &got); code != 200 || got.Hash != want.Hash {
				t.Fatalf("%s header %d: status %d hash %s, validator's is %s", n.cfg.Role, h, code, got.Hash, want.Hash)
			}
		}
	}
	tn.checkNoneBanned()
}

// checkBlobProof fetches a blob's proof from n and verifies it against the
// data root of the header n serves.
func checkBlobProof(t *testing.T, n *Node, height uint64, path string, data []byte) {
	t.Helper()
	var hdr api.HeaderJSON
	httpJSON(t, "GET", url(n, fmt.Sprintf("/v1/headers/%d", height)), nil, &hdr)
	var pj api.BlobProofJSON
	if code := httpJSON(t, "GET", url(n, path+"/proof"), nil, &pj); code != 200 {
		t.Fatalf("%s: blob proof status %d", n.cfg.Role, code)
	}
	p, err := blobProofFromJSON(pj)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := hex.DecodeString(hdr.DataRoot)
	if err := p.Verify([32]byte(root), hdr.SquareWidth); err != nil {
		t.Fatalf("%s: blob proof does not verify: %v", n.cfg.Role, err)
	}
	parsed, err := da.BlobsFromShares(p.Shares)
	if err != nil || len(parsed) != 1 || !bytes.Equal(parsed[0].Data, data) {
		t.Fatalf("%s: the proven shares do not hold the blob (%v)", n.cfg.Role, err)
	}
}

// blobProofFromJSON rebuilds an erasure.BlobProof from the API's JSON, as a
// client would.
func blobProofFromJSON(j api.BlobProofJSON) (*erasure.BlobProof, error) {
	ns, err := da.ParseNamespace(j.Namespace)
	if err != nil {
		return nil, err
	}
	p := &erasure.BlobProof{Namespace: ns, Start: j.Start, End: j.End}
	for _, s := range j.Shares {
		sh, err := da.ShareFromBytes(s)
		if err != nil {
			return nil, err
		}
		p.Shares = append(p.Shares, sh)
	}
	for _, r := range j.Rows {
		row := erasure.BlobRow{Row: r.Row, Proof: erasure.NMTProof{Start: r.Proof.Start, End: r.Proof.End}}
		for _, h := range r.Proof.Nodes {
			b, _ := hex.DecodeString(h)
			nd, err := da.NMTNodeFromBytes(b)
			if err != nil {
				return nil, err
			}
			row.Proof.Nodes = append(row.Proof.Nodes, nd)
		}
		b, _ := hex.DecodeString(r.Root)
		if row.Root, err = da.NMTNodeFromBytes(b); err != nil {
			return nil, err
		}
		row.RootProof = erasure.MerkleProof{Index: r.RootProof.Index, Total: r.RootProof.Total}
		for _, a := range r.RootProof.Aunts {
			b, _ := hex.DecodeString(a)
			row.RootProof.Aunts = append(row.RootProof.Aunts, [32]byte(b))
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

func TestFullNodeCatchesUpAfterDowntime(t *testing.T) {
	tn := newTestNet(t, 1, 0, 100*time.Millisecond)
	full := tn.fulls[0]
	dir := full.dir
	waitFor(t, 10*time.Second, "the full node to follow", func() bool { return localHead(full) >= 3 })
	tn.stops[full]()
	stoppedAt := localHead(tn.validator)
	waitFor(t, 10*time.Second, "20 blocks while the full node is down", func() bool { return localHead(tn.validator) >= stoppedAt+20 })
	full, _ = runNode(t, dir)
	target := localHead(tn.validator)
	waitFor(t, 10*time.Second, "the full node to catch up", func() bool { return localHead(full) >= target })
	for h := uint64(1); h <= target; h++ {
		waitFor(t, 10*time.Second, fmt.Sprintf("square %d on the full node", h), func() bool {
			ok, err := full.store.HasSquare(context.Background(), h)
			return err == nil && ok
		})
	}
	tn.fulls[0] = full
	tn.checkNoneBanned()
}

func httpBody(t *testing.T, u string) string {
	resp, err := http.Get(u)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// badSquares serves the validator's squares with one byte changed.
type badSquares struct{ squareSource }

func (b badSquares) ODS(ctx context.Context, height uint64) ([]byte, error) {
	ods, err := b.squareSource.ODS(ctx, height)
	if err == nil {
		ods[len(ods)-da.ShareSize+100] ^= 1 // in the last share
	}
	return ods, err
}

func TestPeerServingBadSquaresIsBannedOthersServe(t *testing.T) {
	tn := newTestNet(t, 0, 0, 100*time.Millisecond)
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs, cfg.BootstrapPeers = "testnet", []string{"/ip4/127.0.0.1/tcp/0"}, tn.validator.P2PAddrs()
	bad, err := p2p.New(cfg, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad.ServeHeaders(headerSource{tn.validator.store, tn.validator.chain.verify})
	bad.ServeSquares(badSquares{squareSource{tn.validator}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = bad.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); bad.Close() })

	var boot []string
	for _, a := range bad.Addrs() {
		boot = append(boot, a.String())
	}
	boot = append(boot, tn.validator.P2PAddrs()...)
	full, _ := startNode(t, filepath.Join(tn.dir, "full"), InitOptions{Role: RoleFull,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleFull, boot)})
	waitFor(t, 10*time.Second, "30 blocks", func() bool { return localHead(tn.validator) >= 30 })
	waitFor(t, 10*time.Second, "the full node to store every square", func() bool {
		for h := uint64(1); h <= 30; h++ {
			if ok, err := full.store.HasSquare(context.Background(), h); err != nil || !ok {
				return false
			}
		}
		return true
	})
	if !full.host.Blocked(bad.ID()) {
		t.Fatal("the peer serving bad squares was not banned")
	}
	if full.host.Blocked(tn.validator.host.ID()) {
		t.Fatal("the honest validator was banned")
	}
}

func TestNodeRemembersPeersAcrossRestarts(t *testing.T) {
	tn := newTestNet(t, 1, 0, 100*time.Millisecond)
	full := tn.fulls[0]
	waitFor(t, 10*time.Second, "the full node to follow", func() bool { return localHead(full) >= 2 })
	tn.stops[full]()
	// Forget the bootstrap peer: only the remembered peers are left.
	cfg, err := LoadConfig(full.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bootstrap = nil
	if err := cfg.Save(full.dir); err != nil {
		t.Fatal(err)
	}
	full, _ = runNode(t, full.dir)
	target := localHead(tn.validator) + 3
	waitFor(t, 10*time.Second, "the restarted full node to find the validator and follow", func() bool { return localHead(full) >= target })
}

// forgedHeaders serves one header at a time from src's chain. With a
// forge it answers every height asked, with src's header there (its head
// when it has none that high) changed by forge; without, src's headers as
// they are.
type forgedHeaders struct {
	src   *Node
	forge func(h *da.Header, asked uint64)
}

func (f forgedHeaders) Headers(ctx context.Context, from uint64, _ int) ([]*da.Header, error) {
	at := from
	if f.forge != nil {
		at = min(from, localHead(f.src))
	}
	hs, err := headerSource{f.src.store, f.src.chain.verify}.Headers(ctx, at, 1)
	if err != nil {
		return nil, err
	}
	h := *hs[0]
	if f.forge != nil {
		f.forge(&h, from)
	}
	return []*da.Header{&h}, nil
}

// startHeaderServer runs a bare host that answers header ranges from src,
// bootstrapping to boot, until the test ends.
func startHeaderServer(t *testing.T, chainID string, src p2p.HeaderSource, boot []string) *p2p.Host {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.DefaultConfig()
	cfg.ChainID, cfg.ListenAddrs, cfg.BootstrapPeers = chainID, []string{"/ip4/127.0.0.1/tcp/0"}, boot
	h, err := p2p.New(cfg, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHeaders(src)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); h.Close() })
	return h
}

// Peers that serve headers whose certificates do not vouch for them are
// banned, and the node follows the honest validator: one peer serves the
// chain's headers with a data root that is not the one tx[0] commits to
// (and, above the chain's head, a height its certificate does not name);
// the other serves the headers of another chain of the same id, which
// another validator signed, and which is always ahead of this one.
func TestPeersServingForgedHeadersAreBanned(t *testing.T) {
	other, _ := startNode(t, filepath.Join(t.TempDir(), "other-validator"), InitOptions{Role: RoleValidator, ChainID: "testnet",
		BlockTime: 50 * time.Millisecond, MaxSquareWidth: 128, Config: nodeConfig(RoleValidator, nil)})
	waitFor(t, 10*time.Second, "the other chain to start", func() bool { return localHead(other) >= 2 })
	tn := newTestNet(t, 0, 0, 300*time.Millisecond)
	rootForger := startHeaderServer(t, "testnet", forgedHeaders{src: tn.validator, forge: func(h *da.Header, asked uint64) {
		h.DataRoot[0] ^= 1
		h.Height = asked
	}}, tn.validator.P2PAddrs())
	chainForger := startHeaderServer(t, "testnet", forgedHeaders{src: other}, tn.validator.P2PAddrs())

	boot := append(append(addrs(rootForger), addrs(chainForger)...), tn.validator.P2PAddrs()...)
	full, _ := startNode(t, filepath.Join(tn.dir, "full"), InitOptions{Role: RoleFull,
		Genesis: filepath.Join(tn.dir, "validator", GenesisFile), Config: nodeConfig(RoleFull, boot)})
	waitFor(t, 20*time.Second, "both forgers banned", func() bool {
		return full.host.Blocked(rootForger.ID()) && full.host.Blocked(chainForger.ID())
	}, func() string {
		return fmt.Sprintf("data-root forger banned %v, other-chain forger banned %v", full.host.Blocked(rootForger.ID()), full.host.Blocked(chainForger.ID()))
	})
	target := localHead(tn.validator) + 3
	waitFor(t, 10*time.Second, "the full node to follow the validator", func() bool { return localHead(full) >= target })
	ctx := context.Background()
	for h := uint64(1); h <= target; h++ {
		got, err := full.chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tn.validator.chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != want.Hash() || got.DataRoot != want.DataRoot {
			t.Fatalf("the full node stored a forged header at height %d", h)
		}
	}
	if full.host.Blocked(tn.validator.host.ID()) {
		t.Fatal("the honest validator was banned")
	}
}
