package consensus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// memStore keeps what App stores in memory, for tests of the application
// alone (the node's store is tested in node).
type memStore struct {
	mu       sync.Mutex
	height   uint64
	appHash  []byte
	blocks   map[uint64]*Block
	included map[[32]byte]uint64
	staged   []*memStaged
}

func newMemStore() *memStore {
	return &memStore{blocks: map[uint64]*Block{}, included: map[[32]byte]uint64{}}
}

func (s *memStore) LastBlock(context.Context) (uint64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.height, s.appHash, nil
}

func (s *memStore) SaveBlock(_ context.Context, b *Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := b.Staged.(*memStaged); ok {
		if st.height != b.Height || st.put || st.discarded > 0 {
			return fmt.Errorf("block %d given a staged square of height %d (put %v, discarded %d times)", b.Height, st.height, st.put, st.discarded)
		}
		st.put = true
	}
	s.blocks[b.Height] = b
	for _, k := range b.TxKeys {
		if s.included[k] == 0 {
			s.included[k] = b.Height
		}
	}
	s.height, s.appHash = b.Height, b.AppHash
	return nil
}

// StageSquare keeps the square's ODS rows in memory; the test reads what
// was staged, put and discarded.
func (s *memStore) StageSquare(_ context.Context, height uint64, eds *erasure.EDS) (Staged, error) {
	st := &memStaged{height: height, width: eds.Width()}
	s.mu.Lock()
	s.staged = append(s.staged, st)
	s.mu.Unlock()
	return st, nil
}

type memStaged struct {
	height    uint64
	width     int
	put       bool
	discarded int
}

func (m *memStaged) Discard() {
	if !m.put {
		m.discarded++
	}
}

func (s *memStore) Included(_ context.Context, key [32]byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.included[key], nil
}

func (s *memStore) block(h uint64) *Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[h]
}

func newTestApp(t testing.TB, maxWidth int) (*App, *memStore) {
	t.Helper()
	st := newMemStore()
	a, err := NewApp(AppConfig{ChainID: "test", MaxSquareWidth: maxWidth}, st, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

// randomTx is a blob transaction of 1–3 blobs in a few namespaces, some
// large enough to need alignment.
func randomTx(r *rand.Rand) []byte {
	blobs := make([]da.Blob, 1+r.IntN(3))
	for i := range blobs {
		ns, err := da.NewV0Namespace([]byte{'n', byte(1 + r.IntN(5))})
		if err != nil {
			panic(err)
		}
		data := make([]byte, 1+r.IntN(20_000))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if blobs[i], err = da.NewBlob(ns, data, da.ShareVersionZero, nil); err != nil {
			panic(err)
		}
	}
	return BlobTx(blobs)
}

// Property: whatever the mempool holds, the square PrepareProposal builds
// is accepted by every other validator's ProcessProposal, and a proposal
// whose tx[0] or transactions were changed is not.
func TestPrepareAndProcessAgree(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	proposed := 0
	defer func() {
		if !t.Failed() && proposed < 100 {
			t.Errorf("only %d transactions proposed in 40 rounds: the property was hardly exercised", proposed)
		}
	}()
	for round := range 40 {
		proposer, _ := newTestApp(t, 16)
		voter, _ := newTestApp(t, 16)
		var mempool [][]byte
		for range r.IntN(30) {
			switch r.IntN(10) {
			case 0:
				mempool = append(mempool, []byte("garbage"))
			case 1:
				if len(mempool) > 0 {
					mempool = append(mempool, mempool[r.IntN(len(mempool))]) // a duplicate
				}
			default:
				mempool = append(mempool, randomTx(r))
			}
		}
		height := int64(round + 1)
		prep, err := proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 30, Height: height})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseDataCommitment(prep.Txs[0]); err != nil {
			t.Fatalf("round %d: tx[0]: %v", round, err)
		}
		proposed += len(prep.Txs) - 1
		process := func(a *App, txs [][]byte) abci.ResponseProcessProposal_ProposalStatus {
			resp, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: height})
			if err != nil {
				t.Fatal(err)
			}
			return resp.Status
		}
		if s := process(voter, prep.Txs); s != abci.ResponseProcessProposal_ACCEPT {
			t.Fatalf("round %d: voter rejected the proposal of %d txs", round, len(prep.Txs))
		}
		if s := process(proposer, prep.Txs); s != abci.ResponseProcessProposal_ACCEPT {
			t.Fatalf("round %d: proposer rejected its own proposal", round)
		}
		// The square is exactly that of the chosen transactions.
		c, _ := ParseDataCommitment(prep.Txs[0])
		var all []da.Blob
		for _, tx := range prep.Txs[1:] {
			bl, err := ParseBlobTx(tx, 1<<30)
			if err != nil {
				t.Fatalf("round %d: proposed tx does not parse: %v", round, err)
			}
			all = append(all, bl...)
		}
		sq, err := da.BuildSquare(all, 16)
		if err != nil {
			t.Fatal(err)
		}
		eds, err := erasure.Extend(sq.Shares)
		if err != nil {
			t.Fatal(err)
		}
		dah, _ := erasure.Commit(eds)
		if dah.DataRoot() != c.DataRoot || int(c.SquareWidth) != sq.Width {
			t.Fatalf("round %d: tx[0] is not the square of the proposed transactions", round)
		}
		// Tampering is caught by a fresh voter (no cached square).
		bad := bytes.Clone(prep.Txs[0])
		bad[len(bad)-1] ^= 1
		fresh, _ := newTestApp(t, 16)
		if s := process(fresh, append([][]byte{bad}, prep.Txs[1:]...)); s != abci.ResponseProcessProposal_REJECT {
			t.Fatalf("round %d: a wrong data root was accepted", round)
		}
		if len(prep.Txs) > 2 {
			swapped := append([][]byte{prep.Txs[0]}, prep.Txs[1:]...)
			swapped[1], swapped[2] = swapped[2], swapped[1]
			if bytes.Equal(swapped[1], swapped[2]) {
				continue
			}
			fresh, _ := newTestApp(t, 16)
			// Reordering submissions of different namespaces may leave
			// the square unchanged; it must then still be accepted.
			want := abci.ResponseProcessProposal_REJECT
			if p2, err := fresh.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: swapped[1:], MaxTxBytes: 1 << 30, Height: height}); err == nil && bytes.Equal(p2.Txs[0], prep.Txs[0]) {
				want = abci.ResponseProcessProposal_ACCEPT
			}
			fresh, _ = newTestApp(t, 16)
			if s := process(fresh, swapped); s != want {
				t.Fatalf("round %d: reordered txs gave %v, want %v", round, s, want)
			}
		}
	}
}

func TestProcessRejectsMalformed(t *testing.T) {
	ctx := context.Background()
	a, _ := newTestApp(t, 4)
	good, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{BlobTx(bigBlob(t, 1000))}, MaxTxBytes: 1 << 30, Height: 1})
	if len(good.Txs) != 2 {
		t.Fatalf("a 1000-byte blob was left out of a 4×4 square")
	}
	for name, txs := range map[string][][]byte{
		"no txs":             nil,
		"tx[0] is a blob":    good.Txs[1:],
		"garbage tx":         {good.Txs[0], []byte("TBLB garbage")},
		"does not fit 4×4":   {good.Txs[0], good.Txs[1], BlobTx(bigBlob(t, 14*482))},
		"blob tx in tx[0]'s": {good.Txs[1], good.Txs[1]},
	} {
		fresh, _ := newTestApp(t, 4)
		resp, err := fresh.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: 1})
		if err != nil || resp.Status != abci.ResponseProcessProposal_REJECT {
			t.Errorf("%s: status %v, err %v; want REJECT", name, resp.GetStatus(), err)
		}
	}
}

func bigBlob(t *testing.T, n int) []da.Blob {
	ns, _ := da.NewV0Namespace([]byte("big"))
	b, err := da.NewBlob(ns, bytes.Repeat([]byte{1}, n), da.ShareVersionZero, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []da.Blob{b}
}

// A proposer leaves out what does not fit for a later block, and what is
// already included, but keeps the mempool's order for the rest.
func TestPrepareLeavesOutWhatDoesNotFitOrIsIncluded(t *testing.T) {
	ctx := context.Background()
	a, st := newTestApp(t, 4) // 16 shares
	small, big := BlobTx(bigBlob(t, 100)), BlobTx(bigBlob(t, 15*482))
	old := BlobTx(bigBlob(t, 200))
	st.included[TxKey(old)] = 1
	prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{small, big, old, small}, MaxTxBytes: 1 << 30, Height: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 2 || !bytes.Equal(prep.Txs[1], small) {
		t.Fatalf("proposal has %d txs, want tx[0] and the small one", len(prep.Txs))
	}
	// The big one alone fits the next block.
	prep, _ = a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{big}, MaxTxBytes: 1 << 30, Height: 3})
	if len(prep.Txs) != 2 {
		t.Fatalf("the big tx alone gave %d txs", len(prep.Txs))
	}
	// A byte budget below the big tx leaves it out.
	prep, _ = a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{big}, MaxTxBytes: 5000, Height: 3})
	if len(prep.Txs) != 1 {
		t.Fatalf("a 5000-byte budget gave %d txs", len(prep.Txs))
	}
}

// FinalizeBlock and Commit store the square and its tx[0] proof, and the
// proof binds tx[0] to the transactions' Merkle root, CometBFT's DataHash.
func TestFinalizeAndCommitStoreTheBlock(t *testing.T) {
	ctx := context.Background()
	a, st := newTestApp(t, 32)
	r := rand.New(rand.NewPCG(7, 8))
	prep, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{randomTx(r), randomTx(r)}, MaxTxBytes: 1 << 30, Height: 1})
	if len(prep.Txs) != 3 {
		t.Fatalf("proposal of %d txs, want 3", len(prep.Txs))
	}
	resp, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: 1, Hash: bytes.Repeat([]byte{5}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.TxResults) != len(prep.Txs) || len(resp.AppHash) != 32 {
		t.Fatalf("%d results, app hash %x", len(resp.TxResults), resp.AppHash)
	}
	if st.block(1) != nil {
		t.Fatal("stored before Commit")
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	b := st.block(1)
	if b == nil || b.Data.Marshal() == nil || b.DAH.DataRoot() != b.Data.DataRoot {
		t.Fatal("block not stored with its square")
	}
	dataHash := types.Txs(toTxs(prep.Txs)).Hash()
	if err := b.DataProof.Verify(dataHash, types.Tx(prep.Txs[1]).Hash()); err == nil {
		t.Fatal("tx[0]'s proof verified another transaction")
	}
	leaf := types.Tx(prep.Txs[0]).Hash()
	if err := b.DataProof.Verify(dataHash, leaf); err != nil {
		t.Fatalf("tx[0] proof does not verify against the DataHash: %v", err)
	}
	for _, tx := range prep.Txs[1:] {
		if h, _ := st.Included(ctx, TxKey(tx)); h != 1 {
			t.Fatalf("tx not indexed at height 1: %d", h)
		}
	}
	// CheckTx now refuses the same blobs.
	c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: prep.Txs[1]})
	if c.Code != CodeIncluded {
		t.Fatalf("an included tx got CheckTx code %d", c.Code)
	}
	info, _ := a.Info(ctx, &abci.RequestInfo{})
	if info.LastBlockHeight != 1 || !bytes.Equal(info.LastBlockAppHash, resp.AppHash) {
		t.Fatalf("Info after commit: %d %x", info.LastBlockHeight, info.LastBlockAppHash)
	}
}

func toTxs(b [][]byte) []types.Tx {
	out := make([]types.Tx, len(b))
	for i := range b {
		out[i] = b[i]
	}
	return out
}

func TestCheckTx(t *testing.T) {
	ctx := context.Background()
	a, _ := newTestApp(t, 4)
	for name, c := range map[string]struct {
		tx   []byte
		code uint32
	}{
		"good":      {BlobTx(bigBlob(t, 100)), abci.CodeTypeOK},
		"garbage":   {[]byte("nope"), CodeMalformed},
		"tx[0]":     {DataCommitment{SquareWidth: 1}.Marshal(), CodeMalformed},
		"too large": {BlobTx(bigBlob(t, 16*482)), CodeTooLarge},
	} {
		resp, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: c.tx})
		if err != nil || resp.Code != c.code {
			t.Errorf("%s: code %d (%s), err %v; want %d", name, resp.GetCode(), resp.GetLog(), err, c.code)
		}
	}
}

// A square is staged once this validator accepts its proposal; at the
// commit the decided block's staged square goes to SaveBlock, and one
// staged for a proposal that was not decided is discarded.
func TestCommitTakesTheStagedSquare(t *testing.T) {
	ctx := context.Background()
	a, st := newTestApp(t, 32)
	r := rand.New(rand.NewPCG(9, 10))
	first, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{randomTx(r)}, MaxTxBytes: 1 << 30, Height: 1})
	second, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{randomTx(r), randomTx(r)}, MaxTxBytes: 1 << 30, Height: 1})
	for _, p := range [][][]byte{first.Txs, second.Txs} {
		resp, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: p, Height: 1})
		if err != nil || resp.Status != abci.ResponseProcessProposal_ACCEPT {
			t.Fatalf("ProcessProposal: %v %v", resp, err)
		}
	}
	// Accepting the same proposal again stages nothing more.
	if _, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: second.Txs, Height: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: second.Txs, Height: 1, Hash: bytes.Repeat([]byte{2}, 32)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.staged) != 2 {
		t.Fatalf("%d squares staged, want 2 (one per accepted proposal)", len(st.staged))
	}
	b := st.blocks[1]
	var put, discarded int
	for _, s := range st.staged {
		if s.put {
			put++
			if s.width != b.EDS.Width() {
				t.Fatalf("the staged square given to SaveBlock is %d wide, the block's %d", s.width, b.EDS.Width())
			}
		}
		if s.discarded > 0 {
			discarded++
		}
	}
	if put != 1 || discarded != 1 || b.Staged == nil {
		t.Fatalf("%d staged squares put, %d discarded; want 1 and 1", put, discarded)
	}
}
