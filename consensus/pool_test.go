package consensus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Property: after any sequence of adds, removals and relays the pool
// holds exactly what a plain model holds, in arrival order, within its
// byte bound, and relays each local transaction at most once.
func TestPoolMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		p := newTxPool(int64(1000 + r.IntN(4000)))
		type entry struct {
			tx  []byte
			key [32]byte
		}
		var model []entry
		relayed := map[[32]byte]bool{}
		pendingLocal := map[[32]byte]bool{}
		var all [][32]byte
		for range 300 {
			switch op := r.IntN(10); {
			case op < 6:
				id := r.IntN(40) // few distinct contents: duplicates happen
				tx := bytes.Repeat([]byte{byte(id)}, 1+10*id)
				key := TxKey(tx)
				local := r.IntN(2) == 0
				used := int64(0)
				present := false
				for _, e := range model {
					used += int64(len(e.tx))
					present = present || e.key == key
				}
				added, err := p.add(tx, key, local)
				switch {
				case present:
					if added || err != nil {
						t.Fatalf("round %d: a pending tx added again: %v %v", round, added, err)
					}
				case used+int64(len(tx)) > p.max:
					if added || !errors.Is(err, ErrMempoolFull) {
						t.Fatalf("round %d: over the bound: added %v, err %v", round, added, err)
					}
				default:
					if !added || err != nil {
						t.Fatalf("round %d: not added: %v", round, err)
					}
					model = append(model, entry{tx, key})
					all = append(all, key)
					relayed[key] = false // a new admission (the old one was removed)
					if local {
						pendingLocal[key] = true
					}
				}
			case op < 8 && len(all) > 0:
				var keys [][32]byte
				for range 1 + r.IntN(3) {
					keys = append(keys, all[r.IntN(len(all))])
				}
				p.remove(keys)
				model = slices.DeleteFunc(model, func(e entry) bool { return slices.Contains(keys, e.key) })
				for _, k := range keys {
					delete(pendingLocal, k)
				}
			default:
				for _, tx := range p.takeUnsent() {
					k := TxKey(tx)
					if relayed[k] || !pendingLocal[k] {
						t.Fatalf("round %d: relayed %x twice or not a pending local tx", round, k[:4])
					}
					relayed[k] = true
					delete(pendingLocal, k)
				}
			}
			got := p.txs()
			if len(got) != len(model) {
				t.Fatalf("round %d: pool holds %d txs, model %d", round, len(got), len(model))
			}
			var size int64
			for i := range got {
				if !bytes.Equal(got[i], model[i].tx) {
					t.Fatalf("round %d: tx %d differs from the model (order or content)", round, i)
				}
				size += int64(len(got[i]))
			}
			if n, b := p.stats(); n != len(model) || b != size || b > p.max {
				t.Fatalf("round %d: stats %d txs %d bytes, want %d and %d ≤ %d", round, n, b, len(model), size, p.max)
			}
		}
	}
}

// A client's transaction is relayed once; one a peer relayed is kept but
// not relayed again; a full pool refuses with the retryable code and
// keeps nothing; a committed block's transactions leave the pool.
func TestAppMempoolRelayAndBounds(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	a, err := NewApp(AppConfig{ChainID: "test", MaxSquareWidth: 16, PoolBytes: 30_000}, st, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	local, fromPeer, tooMany := BlobTx(bigBlob(t, 10_000)), BlobTx(bigBlob(t, 10_001)), BlobTx(bigBlob(t, 10_002))
	if c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: local}); c.Code != abci.CodeTypeOK {
		t.Fatalf("CheckTx: code %d %s", c.Code, c.Log)
	}
	if c, _ := a.InsertTx(ctx, &abci.RequestInsertTx{Tx: fromPeer}); c.Code != abci.CodeTypeOK {
		t.Fatalf("InsertTx: code %d", c.Code)
	}
	reap, _ := a.ReapTxs(ctx, &abci.RequestReapTxs{})
	if len(reap.Txs) != 1 || !bytes.Equal(reap.Txs[0], local) {
		t.Fatalf("ReapTxs gave %d txs, want the local one only", len(reap.Txs))
	}
	if again, _ := a.ReapTxs(ctx, &abci.RequestReapTxs{}); len(again.Txs) != 0 {
		t.Fatalf("the local tx was relayed twice")
	}
	// Submitting the pending tx again changes nothing and relays nothing.
	if c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: local}); c.Code != abci.CodeTypeOK {
		t.Fatalf("second CheckTx: code %d", c.Code)
	}
	if again, _ := a.ReapTxs(ctx, &abci.RequestReapTxs{}); len(again.Txs) != 0 {
		t.Fatalf("a resubmitted pending tx was relayed again")
	}
	c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: tooMany})
	if c.Code != CodePoolFull || c.Code < abci.CodeTypeRetry {
		t.Fatalf("a tx past the pool's bound: code %d, want %d (retryable)", c.Code, CodePoolFull)
	}
	if n, _ := a.pool.stats(); n != 2 {
		t.Fatalf("pool holds %d txs, want 2", n)
	}
	// The proposal takes the pool's transactions in arrival order.
	prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{MaxTxBytes: 1 << 30, Height: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 3 || !bytes.Equal(prep.Txs[1], RefTx(TxKey(local))) || !bytes.Equal(prep.Txs[2], RefTx(TxKey(fromPeer))) {
		t.Fatalf("proposal of %d txs, want tx[0] then references to the pool's in order", len(prep.Txs))
	}
	if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: 1, Hash: bytes.Repeat([]byte{1}, 32)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if n, b := a.pool.stats(); n != 0 || b != 0 {
		t.Fatalf("after the commit the pool holds %d txs (%d bytes)", n, b)
	}
	if c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: tooMany}); c.Code != abci.CodeTypeOK {
		t.Fatalf("room again after the commit: code %d %s", c.Code, c.Log)
	}
	if c, _ := a.InsertTx(ctx, &abci.RequestInsertTx{Tx: local}); c.Code != CodeIncluded {
		t.Fatalf("an included tx relayed again: code %d, want %d", c.Code, CodeIncluded)
	}
}
