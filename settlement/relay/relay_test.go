package relay

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/bindings"
)

const window = 10

// chain is a simulated L1 at Osaka rules that mines a block every few
// milliseconds, as a dev chain does, with a funded deployer.
type chain struct {
	b        *simulated.Backend
	deployer *ecdsa.PrivateKey
	mu       sync.Mutex // Commit and Fork are not safe beside each other
}

func newChain(t *testing.T, funded ...common.Address) *chain {
	t.Helper()
	deployer, _ := crypto.GenerateKey()
	cfg := *params.AllDevChainProtocolChanges
	cfg.BogotaTime = nil
	alloc := types.GenesisAlloc{crypto.PubkeyToAddress(deployer.PublicKey): {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}}
	for _, a := range funded {
		alloc[a] = types.Account{Balance: new(big.Int).Lsh(big.NewInt(1), 80)}
	}
	b := simulated.NewBackend(alloc, func(_ *node.Config, ec *ethconfig.Config) { ec.Genesis.Config = &cfg })
	c := &chain{b: b, deployer: deployer}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.mu.Lock()
				b.Commit()
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; b.Close() })
	return c
}

// fakeNode serves /v1/settlement/commitments/{n} as a node does, for
// commitments signed by the first signers[n] of keys (3 of 4 is a
// quorum); nonces above len(signers) are not there yet (503).
type fakeNode struct {
	mu      sync.Mutex
	dom     settlement.Domain
	keys    []*ecdsa.PrivateKey
	signers []int
	asked   int
}

func rootOf(nonce uint64) [32]byte {
	return crypto.Keccak256Hash([]byte("tuple root"), []byte(strconv.FormatUint(nonce, 10)))
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	n, err := strconv.ParseUint(strings.TrimPrefix(r.URL.Path, "/v1/settlement/commitments/"), 10, 64)
	if err != nil || n == 0 {
		http.Error(w, "bad nonce", 400)
		return
	}
	if n > uint64(len(f.signers)) {
		http.Error(w, `{"error":{"code":"not_yet"}}`, http.StatusServiceUnavailable)
		return
	}
	p := settlement.Params{Window: window}
	start, end := p.Range(n)
	com := settlement.Commitment{Nonce: n, Start: start, End: end, TupleRoot: rootOf(n)}
	out := api.SettlementCommitment{Nonce: n, Start: start, End: end, TupleRoot: hexutil.Encode(com.TupleRoot[:]), TotalPower: 40}
	for i, k := range f.keys {
		addr := crypto.PubkeyToAddress(k.PublicKey)
		out.Attesters = append(out.Attesters, api.SettlementAttester{Validator: fmt.Sprint("v", i), Address: addr.Hex(), Power: 10})
		if i < f.signers[n-1] {
			sig, err := f.dom.Sign(k, com)
			if err != nil {
				panic(err)
			}
			out.Signatures = append(out.Signatures, api.SettlementSignature{Validator: fmt.Sprint("v", i), Address: addr.Hex(), Signature: hexutil.Encode(sig)})
			out.SignedPower += 10
		}
	}
	out.Attested = 3*out.SignedPower > 2*out.TotalPower
	json.NewEncoder(w).Encode(out)
}

type rig struct {
	c      *chain
	node   *fakeNode
	srv    *httptest.Server
	oracle common.Address
	relay  *ecdsa.PrivateKey
	acct   *Account
}

func newRig(t *testing.T) *rig {
	t.Helper()
	relayKey, _ := crypto.GenerateKey()
	c := newChain(t, crypto.PubkeyToAddress(relayKey.PublicKey))
	ctx := context.Background()
	deployer, err := NewAccount(ctx, c.b.Client(), c.deployer)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{}
	var set []Attester
	for range 4 {
		k, _ := crypto.GenerateKey()
		f.keys = append(f.keys, k)
		set = append(set, Attester{Addr: crypto.PubkeyToAddress(k.PublicKey), Power: big.NewInt(10)})
	}
	oracle, err := DeployOracle(ctx, deployer, "relay-test", window, set, deployer.Address())
	if err != nil {
		t.Fatal(err)
	}
	f.dom = settlement.Domain{ChainID: "relay-test", EVMChainID: params.AllDevChainProtocolChanges.ChainID.Uint64(), Oracle: oracle}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	acct, err := NewAccount(ctx, c.b.Client(), relayKey)
	if err != nil {
		t.Fatal(err)
	}
	acct.poll = 5 * time.Millisecond
	return &rig{c: c, node: f, srv: srv, oracle: oracle, relay: relayKey, acct: acct}
}

func (r *rig) relayer(t *testing.T, confirmations uint64) *Relayer {
	t.Helper()
	rl, err := New(Config{Node: r.srv.URL, Oracle: r.oracle, Confirmations: confirmations, Poll: 10 * time.Millisecond}, r.acct,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

// run runs a relayer until the oracle holds nonce want, then stops it.
func (r *rig) run(t *testing.T, rl *Relayer, want uint64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rl.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		nonce, _, err := rl.State(context.Background())
		if err == nil && nonce >= want {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the oracle holds nonce %d (%v), want %d", nonce, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// sent is how many transactions the relaying account has had mined.
func (r *rig) sent(t *testing.T) uint64 {
	t.Helper()
	n, err := r.c.b.Client().NonceAt(context.Background(), r.acct.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *rig) setSigners(s ...int) {
	r.node.mu.Lock()
	r.node.signers = s
	r.node.mu.Unlock()
}

// TestRelayPostsAttestedCommitmentsOnce: the relayer posts each
// commitment with a quorum once, in order, stops at one without, and a
// new relayer (a restart) takes up where the oracle is, sending nothing
// twice.
func TestRelayPostsAttestedCommitmentsOnce(t *testing.T) {
	r := newRig(t)
	r.setSigners(4, 3, 3, 2, 4) // nonce 4 lacks a quorum: 5 waits behind it
	rl := r.relayer(t, 2)
	r.run(t, rl, 3)
	time.Sleep(200 * time.Millisecond) // it must not go past 3
	nonce, latest, err := rl.State(context.Background())
	if err != nil || nonce != 3 || latest != 3*window+1 {
		t.Fatalf("oracle at nonce %d, latest block %d (%v); want 3, %d", nonce, latest, err, 3*window+1)
	}
	if n := r.sent(t); n != 3 {
		t.Fatalf("the relayer sent %d transactions for 3 commitments", n)
	}
	inst := bindings.NewTartanDataRootOracle().Instance(r.c.b.Client(), r.oracle)
	o := bindings.NewTartanDataRootOracle()
	for n := uint64(1); n <= 3; n++ {
		got, err := bind.Call(inst, nil, o.PackDataCommitments(new(big.Int).SetUint64(n)), o.UnpackDataCommitments)
		if err != nil || got != rootOf(n) {
			t.Fatalf("oracle commitment %d = %x (%v), want %x", n, got, err, rootOf(n))
		}
	}

	// A restart, after the node gathered nonce 4's quorum.
	r.setSigners(4, 3, 3, 3, 4)
	r.run(t, r.relayer(t, 1), 5)
	if n := r.sent(t); n != 5 {
		t.Fatalf("after a restart the relayer has sent %d transactions for 5 commitments", n)
	}
	// Another relayer already posted everything: nothing to send.
	rl = r.relayer(t, 1)
	if posted, err := rl.Step(context.Background()); posted || err != nil {
		t.Fatalf("a step with the oracle up to date: posted %v, %v", posted, err)
	}
	if n := r.sent(t); n != 5 {
		t.Fatalf("%d transactions sent, want still 5", n)
	}
}

// TestRelayRefusesAnotherChainsRanges: a node whose ranges do not follow
// the oracle's (another window) is reported, not posted.
func TestRelayRefusesAnotherChainsRanges(t *testing.T) {
	r := newRig(t)
	r.setSigners(4)
	rl := r.relayer(t, 1)
	ctx := context.Background()
	if posted, err := rl.Step(ctx); !posted || err != nil {
		t.Fatalf("first step: posted %v, %v", posted, err)
	}
	// Serve a commitment for a range the oracle does not expect.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(api.SettlementCommitment{Nonce: 2, Start: 5, End: 15, Attested: true})
	}))
	defer srv.Close()
	rl.cfg.Node = srv.URL
	if posted, err := rl.Step(ctx); posted || err == nil || !strings.Contains(err.Error(), "starts at 11") {
		t.Fatalf("a foreign range: posted %v, %v", posted, err)
	}
	if n := r.sent(t); n != 1 {
		t.Fatalf("%d transactions sent, want 1", n)
	}
}

// TestRelayAfterReorg: the L1 drops the block of a post (a reorg from
// the block before it); the relayer goes on from the oracle as the new
// chain has it, and each commitment lands once.
func TestRelayAfterReorg(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	before, err := r.c.b.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.setSigners(4)
	rl := r.relayer(t, 1)
	r.run(t, rl, 1)
	r.c.mu.Lock()
	if err := r.c.b.Fork(before.Hash()); err != nil {
		r.c.mu.Unlock()
		t.Fatal(err)
	}
	for range 5 { // longer than the chain it replaces
		r.c.b.Commit()
	}
	r.c.mu.Unlock()
	// geth puts the post back into its pool, to be mined again on the new
	// chain: the relayer must wait for it rather than post beside it.
	r.setSigners(4, 3)
	r.run(t, rl, 2)
	time.Sleep(100 * time.Millisecond)
	nonce, latest, err := rl.State(ctx)
	if err != nil || nonce != 2 || latest != 2*window+1 {
		t.Fatalf("after the reorg the oracle is at nonce %d, latest block %d (%v)", nonce, latest, err)
	}
	if n := r.sent(t); n != 2 {
		t.Fatalf("the relayer has %d transactions on the chain for 2 commitments", n)
	}
}
