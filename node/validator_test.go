package node

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/settlement"
)

// startNode inits and runs one node in a temp dir; it stops when the test
// ends.
func startNode(t *testing.T, dir string, o InitOptions) (*Node, func()) {
	t.Helper()
	if o.Config == nil {
		c := DefaultConfig(o.Role)
		c.API, c.RPCListen = "127.0.0.1:0", "127.0.0.1:0"
		c.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		o.Config = &c
	}
	o.Config = loopbackConsensus(t, o.Role, o.Config)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if err := Init(dir, o); err != nil && !strings.Contains(err.Error(), "already holds a node") {
		t.Fatal(err)
	}
	return runNode(t, dir)
}

// testOptions, when a test sets it, adjusts the options of every node the
// test starts. Tests in this package do not run in parallel.
var testOptions func(*Options)

// runNode runs the node in dir until the returned stop is called (or the
// test ends).
func runNode(t *testing.T, dir string) (*Node, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{Version: "test"}
	if testOptions != nil {
		testOptions(&o)
	}
	if os.Getenv("TARTAN_TEST_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("dir", filepath.Base(dir))
	}
	n, err := New(ctx, dir, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := n.Run(ctx); err != nil {
			t.Errorf("node in %s: %v", dir, err)
		}
	})
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return n, stop
}

func httpJSON(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp.StatusCode
}

// freePort reserves a loopback port (for CometBFT, which needs a known
// address for its peers) and releases it.
//
// It picks below Linux's ephemeral range (32768 on): a port the kernel
// handed out for listening and got back is otherwise soon handed to some
// outgoing connection, before the node binds it.
func freePort(tb testing.TB) string {
	tb.Helper()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+mathrand.IntN(12000))
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			return addr
		}
	}
	tb.Fatal("no free loopback port in [20000, 32000)")
	return ""
}

// loopbackConsensus is c, for a validator with its CometBFT listening on a
// free loopback port instead of the default 0.0.0.0:26656 (tests run
// beside other tests). A port the test chose is kept.
func loopbackConsensus(tb testing.TB, role Role, c *Config) *Config {
	tb.Helper()
	if role != RoleValidator || c == nil || (c.ConsensusListen != "" && c.ConsensusListen != DefaultConfig(RoleValidator).ConsensusListen) {
		return c
	}
	cc := *c
	cc.ConsensusListen = freePort(tb)
	return &cc
}

type blobReq struct {
	Namespace string `json:"namespace"`
	Data      []byte `json:"data"`
}

func TestValidatorIncludesBlobsAndRestarts(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, InitOptions{Role: RoleValidator, ChainID: "test", BlockTime: 50 * time.Millisecond})
	base := "http://" + n.APIAddr()
	ns := "74617274616e2d746573"
	data := bytes.Repeat([]byte("0123456789"), 1000)
	body := map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": "10s"}

	var first, again api.SubmitResult
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0] = httpJSON(t, "POST", base+"/v1/blobs", body, &first) })
	wg.Go(func() { codes[1] = httpJSON(t, "POST", base+"/v1/blobs", body, &again) })
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("submit answered %v", codes)
	}
	if first.Height == 0 || first.Height != again.Height || first.Commitments[0] != again.Commitments[0] {
		t.Fatalf("the same blob twice gave %+v and %+v", first, again)
	}
	var list api.BlobsJSON
	if code := httpJSON(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", base, first.Height, ns), nil, &list); code != 200 {
		t.Fatalf("get blobs: %d", code)
	}
	if len(list.Blobs) != 1 || !bytes.Equal(list.Blobs[0].Data, data) {
		t.Fatalf("height %d holds %d blobs in the namespace, want exactly the one submitted once", first.Height, len(list.Blobs))
	}
	// Empty blocks keep coming.
	var head api.HeaderJSON
	deadline := time.Now().Add(5 * time.Second)
	for httpJSON(t, "GET", base+"/v1/headers/head", nil, &head); head.Height < first.Height+3; httpJSON(t, "GET", base+"/v1/headers/head", nil, &head) {
		if time.Now().After(deadline) {
			t.Fatalf("head stuck at %d", head.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Resubmitting after inclusion answers the same height.
	var late api.SubmitResult
	if code := httpJSON(t, "POST", base+"/v1/blobs", body, &late); code != 200 || late.Height != first.Height {
		t.Fatalf("resubmission after inclusion: %d %+v, want height %d", code, late, first.Height)
	}

	// A restart resumes the same chain and still serves the blob.
	stop()
	n, _ = runNode(t, dir)
	base = "http://" + n.APIAddr()
	var list2 api.BlobsJSON
	if code := httpJSON(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", base, first.Height, ns), nil, &list2); code != 200 || len(list2.Blobs) != 1 || !bytes.Equal(list2.Blobs[0].Data, data) {
		t.Fatalf("after restart: status %d, %d blobs", code, len(list2.Blobs))
	}
	stopped := head.Height
	deadline = time.Now().Add(5 * time.Second)
	for httpJSON(t, "GET", base+"/v1/headers/head", nil, &head); head.Height <= stopped+2; httpJSON(t, "GET", base+"/v1/headers/head", nil, &head) {
		if time.Now().After(deadline) {
			t.Fatalf("after restart the head is stuck at %d", head.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var hdr api.HeaderJSON
	httpJSON(t, "GET", fmt.Sprintf("%s/v1/headers/%d", base, stopped+1), nil, &hdr)
	var prev api.HeaderJSON
	httpJSON(t, "GET", fmt.Sprintf("%s/v1/headers/%d", base, stopped), nil, &prev)
	if hdr.PrevHash != prev.Hash {
		t.Fatalf("block %d after the restart does not link to block %d", stopped+1, stopped)
	}
}

// TestFourValidatorsAndALightNode runs a chain of four validators, each a
// node with its own CometBFT on loopback, and a light node following them.
// Blobs submitted to a validator and to the light node (which forwards)
// are included exactly once, at a height every validator agrees on; the
// heights keep advancing, and the light node reports the blobs' heights
// available.
func TestFourValidatorsAndALightNode(t *testing.T) {
	fastSampling(t)
	const (
		validators = 4
		blockTime  = 300 * time.Millisecond
		ns         = "74617274616e2d346e6f"
	)
	root := t.TempDir()
	g := &Genesis{ChainID: "fournet", GenesisTime: time.Now().UTC(), BlockTime: Duration(blockTime), MaxSquareWidth: 64}
	dirs := make([]string, validators)
	ports := make([]string, validators)
	ids := make([]string, validators)
	for i := range validators {
		dirs[i] = filepath.Join(root, fmt.Sprintf("validator-%d", i))
		pk, id, err := ValidatorIdentity(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		addr, err := SettlementAddress(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := g.AddValidator(fmt.Sprintf("v%d", i), pk, addr, DefaultValidatorPower); err != nil {
			t.Fatal(err)
		}
		ids[i], ports[i] = id, freePort(t)
	}
	// Attest every 3 heights, for an oracle on a dev chain.
	g.Settlement = &GenesisSettlement{EVMChainID: 1337, Oracle: "0x5FbDB2315678afecb367f032d93F642f64180aa3", Window: 3}
	genesis := filepath.Join(root, GenesisFile)
	if err := g.Save(genesis); err != nil {
		t.Fatal(err)
	}
	vals := make([]*Node, validators)
	var boot []string
	for i := range validators {
		cfg := nodeConfig(RoleValidator, boot)
		cfg.ConsensusListen = ports[i]
		for j := range validators {
			if j != i {
				cfg.ConsensusPeers = append(cfg.ConsensusPeers, ids[j]+"@"+ports[j])
			}
		}
		vals[i], _ = startNode(t, dirs[i], InitOptions{Role: RoleValidator, Genesis: genesis, Config: cfg})
		if in, err := g.InGenesis(dirs[i]); err != nil || !in {
			t.Fatalf("validator %d is not in the genesis (%v)", i, err)
		}
		boot = append(boot, vals[i].P2PAddrs()...)
	}
	light, _ := startNode(t, filepath.Join(root, "light"), InitOptions{Role: RoleLight, Genesis: genesis,
		Config: nodeConfig(RoleLight, boot)})

	// Submit to a validator, to the light node, and the first blob again
	// to another validator: that one is answered with its first height.
	type sent struct {
		via    *Node
		data   []byte
		height uint64
	}
	var all []sent
	for i, via := range []*Node{vals[1], light, vals[3], vals[2]} {
		data := bytes.Repeat([]byte{byte(i + 1)}, 20_000)
		copy(data, fmt.Sprintf("four validators, blob %d", i))
		if i == 3 {
			data = all[0].data
		}
		var res api.SubmitResult
		body := map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": "30s"}
		if code := httpJSON(t, "POST", url(via, "/v1/blobs"), body, &res); code != 200 {
			t.Fatalf("submitting blob %d through the %s: status %d: %s", i, via.cfg.Role, code, httpBody(t, url(via, "/v1/node")))
		}
		all = append(all, sent{via, data, res.Height})
	}
	if all[3].height != all[0].height {
		t.Fatalf("the same blob submitted to two validators: heights %d and %d", all[0].height, all[3].height)
	}
	last := slices.Max([]uint64{all[0].height, all[1].height, all[2].height})
	target := last + 3
	for i, v := range vals {
		waitFor(t, 20*time.Second, fmt.Sprintf("validator %d at height %d", i, target), func() bool { return localHead(v) >= target })
	}
	// Every validator holds the same chain: same header hashes, each
	// signed by more than 2/3 of the four.
	ctx := context.Background()
	for h := uint64(1); h <= target; h++ {
		want, err := vals[0].chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		d, err := vals[0].chain.verify.Describe(want, nil)
		if err != nil {
			t.Fatal(err)
		}
		signed := 0
		for _, s := range d.Signatures {
			if len(s.Signature) > 0 {
				signed++
			}
		}
		if len(d.Validators) != validators || 3*signed <= 2*validators {
			t.Fatalf("header %d: %d validators, %d signatures; want %d validators, more than 2/3 signing", h, len(d.Validators), signed, validators)
		}
		for i, v := range vals[1:] {
			if got, err := v.chain.Header(ctx, h); err != nil || got.Hash() != want.Hash() {
				t.Fatalf("validator %d's header %d differs from validator 0's (%v)", i+1, h, err)
			}
		}
	}
	// Each blob is in exactly one block, the one it was answered with.
	found := map[int][]uint64{}
	for h := uint64(1); h <= target; h++ {
		var list api.BlobsJSON
		code := httpJSON(t, "GET", url(vals[0], fmt.Sprintf("/v1/blobs/%d?namespace=%s", h, ns)), nil, &list)
		if code != 200 {
			continue
		}
		for _, b := range list.Blobs {
			for i, s := range all[:3] {
				if bytes.Equal(b.Data, s.data) {
					found[i] = append(found[i], h)
				}
			}
		}
	}
	for i, s := range all[:3] {
		if !slices.Equal(found[i], []uint64{s.height}) {
			t.Errorf("blob %d (answered with height %d) is at heights %v, want exactly [%d]", i, s.height, found[i], s.height)
		}
	}
	// The light node follows, and finds every blob's height available.
	for _, s := range all {
		waitFor(t, 20*time.Second, fmt.Sprintf("height %d available on the light node", s.height), func() bool {
			av, code := getAvailability(t, light, s.height)
			return code == 200 && av.Status == "available"
		}, func() string { return httpBody(t, url(light, fmt.Sprintf("/v1/availability/%d", s.height))) })
		var list api.BlobsJSON
		if code := httpJSON(t, "GET", url(light, fmt.Sprintf("/v1/blobs/%d?namespace=%s", s.height, ns)), nil, &list); code != 200 ||
			!slices.ContainsFunc(list.Blobs, func(b api.BlobJSON) bool { return bytes.Equal(b.Data, s.data) }) {
			t.Fatalf("the light node does not serve the blob at height %d: status %d", s.height, code)
		}
	}
	waitFor(t, 20*time.Second, "the light node to follow the head", func() bool { return localHead(light) >= target })
	for _, a := range append(vals, light) {
		for _, b := range append(vals, light) {
			if a != b && a.host.Blocked(b.host.ID()) {
				t.Errorf("%s %s banned honest %s %s", a.cfg.Role, a.dir, b.cfg.Role, b.dir)
			}
		}
	}
	checkAttestations(t, g, vals, light, target)

	// A node that joins now saw none of the gossip: attestation sync
	// brings it every validator's signature of the ranges below its head.
	late, _ := startNode(t, filepath.Join(root, "late"), InitOptions{Role: RoleFull, Genesis: genesis, Config: nodeConfig(RoleFull, boot)})
	params, _, perr := g.SettlementParams()
	if perr != nil {
		t.Fatal(perr)
	}
	lastNonce := params.NonceOf(target) - 1
	var c api.SettlementCommitment
	waitFor(t, 30*time.Second, fmt.Sprintf("nonces 1 to %d with every signature on a node that joined late", lastNonce), func() bool {
		for nonce := uint64(1); nonce <= lastNonce; nonce++ {
			if httpJSON(t, "GET", url(late, fmt.Sprintf("/v1/settlement/commitments/%d", nonce)), nil, &c) != 200 || len(c.Signatures) != len(vals) {
				return false
			}
		}
		return true
	}, func() string { return httpBody(t, url(late, fmt.Sprintf("/v1/settlement/commitments/%d", lastNonce))) })
}

// checkAttestations: every validator attests every range below the head;
// the light node holds and serves the four signatures, each by the
// validator it names, over the tuple root of the headers it holds, and
// proves each height's tuple to it; forged attestations are refused.
func checkAttestations(t *testing.T, g *Genesis, vals []*Node, light *Node, target uint64) {
	t.Helper()
	params, _, err := g.SettlementParams()
	if err != nil {
		t.Fatal(err)
	}
	last := params.NonceOf(target) - 1 // wholly below target
	var c api.SettlementCommitment
	waitFor(t, 20*time.Second, fmt.Sprintf("nonce %d attested by every validator on the light node", last), func() bool {
		return httpJSON(t, "GET", url(light, fmt.Sprintf("/v1/settlement/commitments/%d", last)), nil, &c) == 200 && len(c.Signatures) == len(vals)
	}, func() string { return httpBody(t, url(light, fmt.Sprintf("/v1/settlement/commitments/%d", last))) })
	start, end := params.Range(last)
	if c.Start != start || c.End != end || !c.Attested || c.SignedPower != c.TotalPower || c.TotalPower != int64(len(vals))*DefaultValidatorPower {
		t.Fatalf("commitment %d: %+v", last, c)
	}
	root, err := hex.DecodeString(strings.TrimPrefix(c.TupleRoot, "0x"))
	if err != nil || len(root) != 32 {
		t.Fatalf("tuple root %q", c.TupleRoot)
	}
	for _, sg := range c.Signatures {
		sig, _ := hex.DecodeString(strings.TrimPrefix(sg.Signature, "0x"))
		who, err := params.Signer(settlement.Commitment{Nonce: last, Start: start, End: end, TupleRoot: [32]byte(root)}, sig)
		if err != nil || who.Hex() != sg.Address || !slices.ContainsFunc(g.Validators, func(v GenesisValidator) bool {
			return v.Name == sg.Validator && v.SettlementAddress == sg.Address
		}) {
			t.Fatalf("signature of %s (%s): recovers %s, %v", sg.Validator, sg.Address, who.Hex(), err)
		}
	}
	var at api.SettlementCommitment
	if code := httpJSON(t, "GET", url(vals[2], fmt.Sprintf("/v1/settlement/commitments?height=%d", end-1)), nil, &at); code != 200 || at.Nonce != last || at.TupleRoot != c.TupleRoot {
		t.Fatalf("the commitment at height %d from validator 2: status %d, %+v", end-1, code, at)
	}
	ctx := context.Background()
	for h := start; h < end; h++ {
		var tp api.TupleProof
		if code := httpJSON(t, "GET", url(light, fmt.Sprintf("/v1/settlement/tuple-proof/%d", h)), nil, &tp); code != 200 {
			t.Fatalf("tuple proof of %d: status %d", h, code)
		}
		hdr, err := light.chain.Header(ctx, h)
		if err != nil || tp.DataRoot != "0x"+hex.EncodeToString(hdr.DataRoot[:]) || tp.TupleRoot != c.TupleRoot || tp.Proof.Key != h-start || tp.Proof.NumLeaves != end-start {
			t.Fatalf("tuple proof of %d: %+v (%v)", h, tp, err)
		}
		p := erasure.MerkleProof{Index: int(tp.Proof.Key), Total: int(tp.Proof.NumLeaves)}
		for _, sn := range tp.Proof.SideNodes {
			b, _ := hex.DecodeString(strings.TrimPrefix(sn, "0x"))
			p.Aunts = append(p.Aunts, [32]byte(b))
		}
		if err := settlement.VerifyTuple([32]byte(root), settlement.Tuple{Height: h, DataRoot: hdr.DataRoot}, &p); err != nil {
			t.Fatalf("tuple proof of %d: %v", h, err)
		}
	}
	if code := httpJSON(t, "GET", url(light, fmt.Sprintf("/v1/settlement/commitments/%d", params.NonceOf(target)+1000)), nil, nil); code != 404 {
		t.Fatalf("a commitment far above the head: status %d, want 404", code)
	}

	// Forgeries, judged by a node as gossip would have them judged: a
	// signer outside the set, a validator's signature over a wrong root or
	// for another nonce's range.
	stranger, err := LoadOrCreateSettlementKey(filepath.Join(t.TempDir(), settlement.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	v0key, err := LoadOrCreateSettlementKey(filepath.Join(vals[0].dir, ConsensusDir, settlement.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	good := settlement.Commitment{Nonce: last, Start: start, End: end, TupleRoot: [32]byte(root)}
	for name, tc := range map[string]struct {
		key *ecdsa.PrivateKey
		c   settlement.Commitment
	}{
		"stranger":    {stranger, good},
		"wrong root":  {v0key, settlement.Commitment{Nonce: last, Start: start, End: end, TupleRoot: [32]byte{1}}},
		"wrong range": {v0key, settlement.Commitment{Nonce: last, Start: start, End: end + 1, TupleRoot: [32]byte(root)}},
	} {
		sig, err := params.Sign(tc.key, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := (&settlement.Attestation{Commitment: tc.c, Signature: sig}).MarshalBinary()
		if got := light.validateAttestation(ctx, "", b); got != p2p.Reject {
			t.Fatalf("%s: %v, want Reject", name, got)
		}
	}
	sig, _ := params.Sign(v0key, good)
	b, _ := (&settlement.Attestation{Commitment: good, Signature: sig}).MarshalBinary()
	if got := light.validateAttestation(ctx, "", b); got != p2p.Ignore {
		t.Fatalf("an attestation held already: %v, want Ignore", got)
	}
}

// A validator killed between CometBFT's commit of block H and its own
// store write restarts with CometBFT one block ahead: the start-up
// handshake replays H into the store inside New, before the p2p host
// runs. Publishing H's header then waited for the host for ever, and the
// node never came up (seen as a restarted devnet validator that did not
// answer /health). The test rewinds the stored app state by one block,
// which is what such a kill leaves, and wants the node up and the chain
// going on.
func TestValidatorStartsWhenItsStoreIsABlockBehind(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, InitOptions{Role: RoleValidator, ChainID: "test", BlockTime: 50 * time.Millisecond})
	waitFor(t, 10*time.Second, "height 4", func() bool { return localHead(n) >= 4 })
	stop()

	// No blobs were submitted, so every block kept the app hash: the state
	// after H-1 is (H-1, the same hash).
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, StoreDir), store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Meta(ctx, appStateKey)
	if err != nil || len(rec) < 8 {
		t.Fatalf("app state: %x %v", rec, err)
	}
	last := binary.BigEndian.Uint64(rec)
	binary.BigEndian.PutUint64(rec, last-1)
	if err := st.PutMeta(ctx, appStateKey, rec); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	started := make(chan *Node, 1)
	go func() {
		n, _ := runNode(t, dir)
		started <- n
	}()
	select {
	case n = <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("the validator has not started 30 s after its store was rewound from height %d to %d", last, last-1)
	}
	waitFor(t, 10*time.Second, "the chain to go on past the replayed block", func() bool { return localHead(n) >= last+2 })
	var hdr api.HeaderJSON
	if code := httpJSON(t, "GET", fmt.Sprintf("http://%s/v1/headers/%d", n.APIAddr(), last), nil, &hdr); code != 200 || hdr.Height != last {
		t.Fatalf("header %d after the replay: %d %+v", last, code, hdr)
	}
}
