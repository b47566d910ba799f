package consensus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"

	"github.com/tartan-da/tartan/da"
)

// freePort reserves a loopback port for CometBFT to listen on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type engineValidator struct {
	engine *Engine
	app    *App
	store  *memStore
	commit chan uint64
}

// startValidators runs n validators of one chain, each its own CometBFT
// node on loopback, until the test ends.
func startValidators(t *testing.T, n int, blockTime time.Duration) []*engineValidator {
	t.Helper()
	homes := make([]string, n)
	addrs := make([]string, n)
	ids := make([]ValidatorIdentity, n)
	var gv []GenesisValidator
	for i := range n {
		homes[i] = filepath.Join(t.TempDir(), fmt.Sprintf("v%d", i))
		id, err := InitKeys(homes[i])
		if err != nil {
			t.Fatal(err)
		}
		ids[i], addrs[i] = id, freePort(t)
		gv = append(gv, GenesisValidator{Name: fmt.Sprintf("v%d", i), PubKey: id.PubKey, Power: 10})
	}
	chain, err := NewChain("engine-test", time.Now(), 8, gv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	vs := make([]*engineValidator, n)
	var vsMu sync.RWMutex // vs fills while the first validators run
	for i := range n {
		var peers []string
		for j := range n {
			if j != i {
				peers = append(peers, ids[j].NodeID+"@"+addrs[j])
			}
		}
		v := &engineValidator{store: newMemStore(), commit: make(chan uint64, 1000)}
		log := slog.New(slog.DiscardHandler)
		// The node fetches missing transactions from the other validators
		// over libp2p; here they are asked in process. A relay sent before
		// all the CometBFT links are up reaches only some validators.
		fetch := func(_ context.Context, keys [][32]byte) (got [][]byte, gotKeys [][32]byte) {
			vsMu.RLock()
			defer vsMu.RUnlock()
			for j, o := range vs {
				if j != i && o != nil {
					for _, tx := range o.app.PoolTxs(keys) {
						got, gotKeys = append(got, tx), append(gotKeys, TxKey(tx))
					}
				}
			}
			return got, gotKeys
		}
		if v.app, err = NewApp(AppConfig{ChainID: chain.ID(), MaxSquareWidth: 8, FetchTxs: fetch}, v.store, log, func(h uint64) { v.commit <- h }); err != nil {
			t.Fatal(err)
		}
		v.engine, err = NewEngine(EngineConfig{Home: homes[i], Moniker: fmt.Sprint(i), Chain: chain, Listen: addrs[i], Peers: peers,
			BlockTime: blockTime, MaxTxBytes: MaxTxBytes(8)}, v.app, log)
		if err != nil {
			t.Fatal(err)
		}
		if v.engine.NodeID() != ids[i].NodeID {
			t.Fatalf("engine node id %s, InitKeys said %s", v.engine.NodeID(), ids[i].NodeID)
		}
		vsMu.Lock()
		vs[i] = v
		vsMu.Unlock()
		wg.Go(func() {
			if err := v.engine.Run(ctx); err != nil {
				t.Errorf("validator %d: %v", i, err)
			}
		})
	}
	return vs
}

// waitCommitted waits until v has committed height.
func (v *engineValidator) waitCommitted(t *testing.T, height uint64, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if h, _, _ := v.store.LastBlock(context.Background()); h >= height {
			return
		}
		select {
		case <-v.commit:
		case <-deadline:
			h, _, _ := v.store.LastBlock(context.Background())
			t.Fatalf("height %d not committed in %s (at %d)", height, timeout, h)
		}
	}
}

// Four validators agree on every square: a blob submitted to one is in the
// same block on all, each stored the same data root, and every height's
// signed header verifies with more than 2/3 of the genesis power.
func TestFourValidatorsCommitTheSameSquares(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four CometBFT nodes")
	}
	vs := startValidators(t, 4, 200*time.Millisecond)
	ns, _ := da.NewV0Namespace([]byte("engine"))
	blob, _ := da.NewBlob(ns, []byte("hello validators"), da.ShareVersionZero, nil)
	tx := BlobTx([]da.Blob{blob})
	vs[0].waitCommitted(t, 1, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := vs[2].engine.Submit(ctx, tx, TxKey(tx)); err != nil {
		t.Fatal(err)
	}
	// Submitting again while pending is not an error.
	if err := vs[2].engine.Submit(ctx, tx, TxKey(tx)); err != nil {
		t.Fatalf("second submission: %v", err)
	}
	var height uint64
	deadline := time.Now().Add(20 * time.Second)
	for height == 0 && time.Now().Before(deadline) {
		height, _ = vs[0].store.Included(ctx, TxKey(tx))
		time.Sleep(50 * time.Millisecond)
	}
	if height == 0 {
		t.Fatal("blob not included in 20 s")
	}
	for i, v := range vs {
		v.waitCommitted(t, height+1, 20*time.Second)
		b := v.store.block(height)
		if b == nil || b.Data != vs[0].store.block(height).Data || len(b.TxKeys) != 1 || b.TxKeys[0] != TxKey(tx) {
			t.Fatalf("validator %d stored another block at %d", i, height)
		}
		if h, _ := v.store.Included(ctx, TxKey(tx)); h != height {
			t.Fatalf("validator %d indexed the tx at %d, not %d", i, h, height)
		}
		sh, vals, err := v.engine.SignedHeader(height)
		if err != nil {
			t.Fatal(err)
		}
		if [32]byte(sh.Hash()) != b.Hash {
			t.Fatalf("validator %d: stored block hash %x, header hashes to %x", i, b.Hash, sh.Hash())
		}
		if err := vals.VerifyCommitLight(sh.ChainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
			t.Fatalf("validator %d: commit of %d does not verify: %v", i, height, err)
		}
		leaf := TxKey(b.Data.Marshal())
		if err := b.DataProof.Verify(sh.DataHash, leaf[:]); err != nil {
			t.Fatalf("validator %d: tx[0] proof does not verify against DataHash: %v", i, err)
		}
	}
	// Once included, the same blobs are never included again: a
	// resubmission is refused, naming the inclusion.
	var refusal *TxRefusal
	if err := vs[1].engine.Submit(ctx, tx, TxKey(tx)); !errors.As(err, &refusal) || refusal.Code != CodeIncluded {
		t.Fatalf("resubmission: %v, want a refusal with code %d (included)", err, CodeIncluded)
	}
	vs[1].waitCommitted(t, height+4, 20*time.Second)
	for h := height + 1; h <= height+4; h++ {
		if b := vs[1].store.block(h); b == nil || len(b.TxKeys) != 0 {
			t.Fatalf("height %d holds transactions, want an empty block", h)
		}
	}
}

// A read of a closed database finds nothing instead of failing, so that
// CometBFT's reactor goroutines that outlive its Stop do not panic.
func TestClosedReadsFindNothing(t *testing.T) {
	raw, err := dbm.NewGoLevelDB("blockstore", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := closedReads{raw}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("open: %q, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Get([]byte("k")); err == nil {
		t.Fatal("goleveldb reads a closed database without an error: the wrapper is not needed")
	}
	if v, err := db.Get([]byte("k")); err != nil || v != nil {
		t.Fatalf("closed: %q, %v; want nothing", v, err)
	}
	if ok, err := db.Has([]byte("k")); err != nil || ok {
		t.Fatalf("closed: has %v, %v", ok, err)
	}
}
