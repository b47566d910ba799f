package consensus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

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
		if st.height != b.Height || !st.bound || st.root != b.Data.DataRoot || st.put || st.discarded > 0 {
			return fmt.Errorf("block %d given a staged square of height %d (bound %v to %x, put %v, discarded %d times)",
				b.Height, st.height, st.bound, st.root, st.put, st.discarded)
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

// StageSquare keeps the square's ODS in memory; the test reads what was
// staged, bound, put and discarded.
func (s *memStore) StageSquare(_ context.Context, height uint64, ods []da.Share) (Staged, error) {
	k, err := erasure.WidthOf(len(ods))
	if err != nil {
		return nil, err
	}
	st := &memStaged{height: height, width: k, ods: slices.Clone(ods)}
	s.mu.Lock()
	s.staged = append(s.staged, st)
	s.mu.Unlock()
	return st, nil
}

// StagedODS finds a square staged and not discarded, as the node's store
// does after a restart.
func (s *memStore) StagedODS(_ context.Context, height uint64, dataRoot [32]byte) ([]da.Share, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.staged {
		if st.height == height && st.bound && st.root == dataRoot && st.discarded == 0 {
			return st.ods, nil
		}
	}
	return nil, ErrNoStagedSquare
}

type memStaged struct {
	height    uint64
	width     int
	bound     bool
	root      [32]byte
	ods       []da.Share
	put       bool
	discarded int
}

func (m *memStaged) Bind(root [32]byte) error {
	if m.bound && m.root != root {
		return fmt.Errorf("staged square %d bound to %x, then to %x", m.height, m.root, root)
	}
	m.bound, m.root = true, root
	return nil
}

func (m *memStaged) Discard() {
	if !m.put {
		m.discarded++
	}
}

// stagedFates counts the staged squares SaveBlock took and those
// discarded. Called with mu held.
func (s *memStore) stagedFates() (put, discarded int) {
	for _, st := range s.staged {
		if st.put {
			put++
		}
		if st.discarded > 0 {
			discarded++
		}
	}
	return put, discarded
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
	a, err := NewApp(AppConfig{ChainID: "test", MaxSquareWidth: maxWidth, TxWait: 50 * time.Millisecond}, st, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

// relay puts txs in a's mempool as a peer's relay does; what does not
// decode is refused there, as it would be.
func relay(t testing.TB, a *App, txs ...[]byte) {
	t.Helper()
	for _, tx := range txs {
		if _, err := a.InsertTx(context.Background(), &abci.RequestInsertTx{Tx: tx}); err != nil {
			t.Fatal(err)
		}
	}
}

// deref maps a block's references back to the blob transactions among
// txs; tx[0] and anything else stay as they are.
func deref(t testing.TB, block [][]byte, txs [][]byte) [][]byte {
	t.Helper()
	byKey := map[[32]byte][]byte{}
	for _, tx := range txs {
		byKey[TxKey(tx)] = tx
	}
	out := make([][]byte, len(block))
	for i, tx := range block {
		out[i] = tx
		if k, ok := ParseRefTx(tx); ok {
			if out[i] = byKey[k]; out[i] == nil {
				t.Fatalf("block tx %d refers to %x, which is not among the transactions", i, k[:4])
			}
		}
	}
	return out
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
		// A voter with the relayed transactions, as every validator has
		// them from the mempool's relay.
		newVoter := func() *App {
			a, _ := newTestApp(t, 16)
			relay(t, a, mempool...)
			return a
		}
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
		relay(t, voter, mempool...)
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
		for _, tx := range deref(t, prep.Txs, mempool)[1:] {
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
		if s := process(newVoter(), append([][]byte{bad}, prep.Txs[1:]...)); s != abci.ResponseProcessProposal_REJECT {
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
			if p2, err := fresh.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: deref(t, swapped, mempool)[1:], MaxTxBytes: 1 << 30, Height: height}); err == nil && bytes.Equal(p2.Txs[0], prep.Txs[0]) {
				want = abci.ResponseProcessProposal_ACCEPT
			}
			if s := process(newVoter(), swapped); s != want {
				t.Fatalf("round %d: reordered txs gave %v, want %v", round, s, want)
			}
		}
	}
}

func TestProcessRejectsMalformed(t *testing.T) {
	ctx := context.Background()
	a, _ := newTestApp(t, 4)
	tx := BlobTx(bigBlob(t, 1000))
	good, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{tx}, MaxTxBytes: 1 << 30, Height: 1})
	if len(good.Txs) != 2 {
		t.Fatalf("a 1000-byte blob was left out of a 4×4 square")
	}
	for name, txs := range map[string][][]byte{
		"no txs":             nil,
		"tx[0] is a ref":     good.Txs[1:],
		"garbage tx":         {good.Txs[0], []byte("TBLB garbage")},
		"neither ref nor tx": {good.Txs[0], []byte("TREF short")},
		"does not fit 4×4":   {good.Txs[0], good.Txs[1], BlobTx(bigBlob(t, 14*482))},
		"ref in tx[0]'s":     {good.Txs[1], good.Txs[1]},
		"unknown reference":  {good.Txs[0], good.Txs[1], RefTx([32]byte{9})},
	} {
		fresh, _ := newTestApp(t, 4)
		relay(t, fresh, tx)
		resp, err := fresh.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: 1})
		if err != nil || resp.Status != abci.ResponseProcessProposal_REJECT {
			t.Errorf("%s: status %v, err %v; want REJECT", name, resp.GetStatus(), err)
		}
	}
	// The same block is accepted by a validator holding its transaction,
	// and by one given it whole (as blocks of earlier versions carry it).
	fresh, _ := newTestApp(t, 4)
	relay(t, fresh, tx)
	for name, txs := range map[string][][]byte{"reference": good.Txs, "whole": {good.Txs[0], tx}} {
		resp, err := fresh.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: 1})
		if err != nil || resp.Status != abci.ResponseProcessProposal_ACCEPT {
			t.Errorf("%s: status %v, err %v; want ACCEPT", name, resp.GetStatus(), err)
		}
	}
}

// A proposal may arrive before a transaction it refers to: the validator
// waits for the relay, up to TxWait, and then rejects.
func TestProcessWaitsForRelayedTx(t *testing.T) {
	ctx := context.Background()
	proposer, _ := newTestApp(t, 8)
	late, never := BlobTx(bigBlob(t, 3000)), BlobTx(bigBlob(t, 3001))
	prep, _ := proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{late}, MaxTxBytes: 1 << 30, Height: 1})
	voter, _ := newTestApp(t, 8)
	voter.cfg.TxWait = 10 * time.Second
	done := make(chan abci.ResponseProcessProposal_ProposalStatus)
	go func() {
		resp, err := voter.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: 1})
		if err != nil {
			t.Error(err)
		}
		done <- resp.GetStatus()
	}()
	select {
	case s := <-done:
		t.Fatalf("decided %v without the transaction", s)
	case <-time.After(50 * time.Millisecond):
	}
	relay(t, voter, never) // another transaction wakes it, but it waits on
	select {
	case s := <-done:
		t.Fatalf("decided %v without the transaction", s)
	case <-time.After(50 * time.Millisecond):
	}
	relay(t, voter, late)
	if s := <-done; s != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("with the transaction relayed: %v", s)
	}

	prep, _ = proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{late, BlobTx(bigBlob(t, 3002))}, MaxTxBytes: 1 << 30, Height: 1})
	other, _ := newTestApp(t, 8) // TxWait 50 ms
	relay(t, other, late)
	start := time.Now()
	resp, err := other.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: 1})
	if err != nil || resp.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatalf("a transaction never relayed: %v %v, want REJECT", resp.GetStatus(), err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("rejected after %v, before TxWait", waited)
	}
}

// A transaction the relay never brings is fetched from other validators,
// a quarter of TxWait in; what comes back is checked like any relayed
// transaction.
func TestProcessFetchesMissingTx(t *testing.T) {
	ctx := context.Background()
	proposer, _ := newTestApp(t, 8)
	tx := BlobTx(bigBlob(t, 3000))
	prep, _ := proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{tx}, MaxTxBytes: 1 << 30, Height: 1})
	for _, tc := range []struct {
		name   string
		answer [][]byte
		want   abci.ResponseProcessProposal_ProposalStatus
	}{
		{"fetched", [][]byte{tx}, abci.ResponseProcessProposal_ACCEPT},
		{"not a blob transaction", [][]byte{[]byte("TBLB not really")}, abci.ResponseProcessProposal_REJECT},
		{"nobody has it", nil, abci.ResponseProcessProposal_REJECT},
	} {
		voter, _ := newTestApp(t, 8)
		voter.cfg.TxWait = 400 * time.Millisecond
		var asked [][32]byte
		var askedAt time.Duration
		start := time.Now()
		voter.cfg.FetchTxs = func(_ context.Context, keys [][32]byte) (txs [][]byte, txKeys [][32]byte) {
			asked, askedAt = keys, time.Since(start)
			for _, tx := range tc.answer {
				txs, txKeys = append(txs, tx), append(txKeys, TxKey(tx))
			}
			return txs, txKeys
		}
		resp, err := voter.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: 1})
		if err != nil || resp.Status != tc.want {
			t.Fatalf("%s: %v %v, want %v", tc.name, resp.GetStatus(), err, tc.want)
		}
		if len(asked) != 1 || asked[0] != TxKey(tx) || askedAt < 100*time.Millisecond {
			t.Fatalf("%s: asked for %d keys after %v, want the one missing after a quarter of TxWait", tc.name, len(asked), askedAt)
		}
	}
}

// A decided block whose transactions this validator lacks still commits:
// with the square it staged before a restart, or else without a square,
// which the node then fetches; the app hash is the same either way.
func TestFinalizeWithoutTheTransactions(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	txs := [][]byte{randomTx(r), randomTx(r)}
	voter, st := newTestApp(t, 16)
	relay(t, voter, txs...)
	proposer, _ := newTestApp(t, 16)
	prep, _ := proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 30, Height: 1})
	if resp, _ := voter.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: 1}); resp.GetStatus() != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("voter: %v", resp.GetStatus())
	}
	want, err := proposer.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: 1, Hash: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseDataCommitment(prep.Txs[0])
	for _, tc := range []struct {
		name   string
		store  *memStore
		square bool
	}{
		{"restarted with the staged square", st, true}, // the voter's store, its mempool gone
		{"never saw the block", newMemStore(), false},
	} {
		a, err := NewApp(AppConfig{ChainID: "test", MaxSquareWidth: 16}, tc.store, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: 1, Hash: bytes.Repeat([]byte{1}, 32)})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(resp.AppHash, want.AppHash) {
			t.Fatalf("%s: app hash %x, the proposer's %x", tc.name, resp.AppHash, want.AppHash)
		}
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		b := tc.store.block(1)
		if got := b.EDS != nil; got != tc.square {
			t.Fatalf("%s: square held %v, want %v", tc.name, got, tc.square)
		}
		if tc.square && (b.DAH.DataRoot() != c.DataRoot || b.EDS.Width() != int(c.SquareWidth)) {
			t.Fatalf("%s: the staged square read back is not the block's", tc.name)
		}
		if len(b.TxKeys) != 2 || b.TxKeys[0] != TxKey(txs[0]) || b.TxKeys[1] != TxKey(txs[1]) {
			t.Fatalf("%s: block's tx keys are not its references'", tc.name)
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
	if len(prep.Txs) != 2 || !bytes.Equal(prep.Txs[1], RefTx(TxKey(small))) {
		t.Fatalf("proposal has %d txs, want tx[0] and a reference to the small one", len(prep.Txs))
	}
	// The big one alone fits a block.
	b, _ := newTestApp(t, 4)
	prep, _ = b.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{big}, MaxTxBytes: 1 << 30, Height: 3})
	if len(prep.Txs) != 2 || !bytes.Equal(prep.Txs[1], RefTx(TxKey(big))) {
		t.Fatalf("the big tx alone gave %d txs", len(prep.Txs))
	}
	// A byte budget below tx[0] and one reference leaves it out.
	c, _ := newTestApp(t, 4)
	prep, _ = c.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{big}, MaxTxBytes: DataTxSize + 8 + RefTxSize + 7, Height: 3})
	if len(prep.Txs) != 1 {
		t.Fatalf("a budget short of one reference gave %d txs", len(prep.Txs))
	}
}

// FinalizeBlock and Commit store the square and its tx[0] proof, and the
// proof binds tx[0] to the transactions' Merkle root, CometBFT's DataHash.
func TestFinalizeAndCommitStoreTheBlock(t *testing.T) {
	ctx := context.Background()
	a, st := newTestApp(t, 32)
	r := rand.New(rand.NewPCG(7, 8))
	txs := [][]byte{randomTx(r), randomTx(r)}
	prep, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 30, Height: 1})
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
	for _, tx := range txs {
		if h, _ := st.Included(ctx, TxKey(tx)); h != 1 {
			t.Fatalf("tx not indexed at height 1: %d", h)
		}
	}
	if n, _ := a.pool.stats(); n != 0 {
		t.Fatalf("%d included txs left in the mempool", n)
	}
	// CheckTx now refuses the same blobs.
	c, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: txs[1]})
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

// A square is staged as soon as this validator builds it; at the
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
	for _, s := range st.staged {
		if s.put && s.width != b.EDS.Width() {
			t.Fatalf("the staged square given to SaveBlock is %d wide, the block's %d", s.width, b.EDS.Width())
		}
	}
	if put, discarded := st.stagedFates(); put != 1 || discarded != 1 || b.Staged == nil {
		t.Fatalf("%d staged squares put, %d discarded; want 1 and 1", put, discarded)
	}
}

// A square is staged while it is extended, before its proposal is
// checked: one whose proposal is then rejected is discarded at the
// commit, and the decided block's goes to SaveBlock bound to its data
// root.
func TestRejectedProposalsSquareIsDiscarded(t *testing.T) {
	ctx := context.Background()
	proposer, _ := newTestApp(t, 16)
	voter, st := newTestApp(t, 16)
	r := rand.New(rand.NewPCG(11, 12))
	txs := [][]byte{randomTx(r), randomTx(r)}
	relay(t, voter, txs...)
	good, err := proposer.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 30, Height: 1})
	if err != nil {
		t.Fatal(err)
	}
	data, err := ParseDataCommitment(good.Txs[0])
	if err != nil {
		t.Fatal(err)
	}
	data.DataRoot[0] ^= 1
	forged := append([][]byte{data.Marshal()}, good.Txs[1:]...)
	for _, c := range []struct {
		txs  [][]byte
		want abci.ResponseProcessProposal_ProposalStatus
	}{{forged, abci.ResponseProcessProposal_REJECT}, {good.Txs, abci.ResponseProcessProposal_ACCEPT}} {
		resp, err := voter.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: c.txs, Height: 1})
		if err != nil || resp.Status != c.want {
			t.Fatalf("ProcessProposal: %v %v, want %v", resp.GetStatus(), err, c.want)
		}
	}
	if _, err := voter.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: good.Txs, Height: 1, Hash: bytes.Repeat([]byte{3}, 32)}); err != nil {
		t.Fatal(err)
	}
	if _, err := voter.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	put, discarded := st.stagedFates()
	if len(st.staged) != 2 || put != 1 || discarded != 1 || st.blocks[1].Staged == nil {
		t.Fatalf("%d squares staged, %d put, %d discarded; want 2, 1 and 1", len(st.staged), put, discarded)
	}
}
