package consensus

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// CheckTx codes; 0 is accepted. CometBFT keeps the code and log of a
// refused transaction for the submitter.
const (
	CodeMalformed uint32 = 1 // not a blob transaction, or a blob that does not validate
	CodeTooLarge  uint32 = 2 // the blobs cannot fit the widest square
	CodeIncluded  uint32 = 3 // the same blobs are already in a committed block
	// CodePoolFull: the mempool cannot hold the transaction now. It is
	// CometBFT's first retryable code, so that CometBFT forgets having
	// seen the transaction soon and takes it again from a peer.
	CodePoolFull uint32 = abci.CodeTypeRetry
)

// DefaultPoolBytes bounds a mempool whose AppConfig says nothing.
const DefaultPoolBytes = 256 << 20

// Store is what the application keeps through the node, which owns all
// storage (DESIGN.md §4). Its methods are called from CometBFT's ABCI
// connections, concurrently.
type Store interface {
	// LastBlock is the height and app hash of the last block SaveBlock
	// made durable; zero values before the first.
	LastBlock(ctx context.Context) (height uint64, appHash []byte, err error)
	// SaveBlock makes a finalized block durable: its square, its
	// transactions' keys and the new app state, so that a crash after it
	// returns loses nothing and a crash before it leaves the previous
	// state (CometBFT then replays the block). It is called from Commit,
	// before CometBFT counts the block as committed.
	SaveBlock(ctx context.Context, b *Block) error
	// Included is the height of the committed block holding the blob
	// transaction with this key, 0 when none does.
	Included(ctx context.Context, key [32]byte) (uint64, error)
	// StageSquare writes the square of a block this validator accepted
	// while the block is still being voted on and committed, so that
	// SaveBlock only has to name it. The App calls it from a goroutine of
	// its own, and hands the result to SaveBlock in Block.Staged when the
	// block commits, or Discards it.
	StageSquare(ctx context.Context, height uint64, eds *erasure.EDS) (Staged, error)
}

// Staged is a square StageSquare wrote ahead of its block's commit.
// Discard drops it unless SaveBlock took it; it may be called more than
// once.
type Staged interface{ Discard() }

// Block is a finalized block as the node stores it.
type Block struct {
	Height uint64
	Time   time.Time
	// Hash is CometBFT's block hash.
	Hash [32]byte
	// Data is tx[0]; DataProof proves it (index 0) to the header's
	// DataHash.
	Data      DataCommitment
	DataProof merkle.Proof
	EDS       *erasure.EDS
	DAH       *erasure.DAH
	// TxKeys are the keys of the block's blob transactions, in order.
	TxKeys  [][32]byte
	AppHash []byte
	// Staged is the block's square as StageSquare wrote it, nil when it
	// was not staged (a replayed block, or staging failed): SaveBlock
	// then writes the square itself.
	Staged Staged

	staging *staging // whose result becomes Staged at Commit

	engine *Engine // whose CometBFT committed the block (Header)
}

// Header is the block's Tartan header: CometBFT's signed header and
// validator set with tx[0] and its proof. It can be read from Commit on,
// also while the engine is still starting and replays its last block.
func (b *Block) Header() (*da.Header, error) {
	if b.engine == nil {
		return nil, errors.New("consensus: the block's header is unknown: its App runs without an Engine")
	}
	return b.engine.Header(b)
}

// AppConfig is the application's part of the chain's rules.
type AppConfig struct {
	ChainID        string
	MaxSquareWidth int
	// BadEncoding is a devnet-only fault, zero when off: at this height
	// the square committed to is no codeword (every validator runs with
	// it: the dishonest supermajority of DESIGN.md §2a).
	BadEncoding uint64
	// Extended, when set, is told how long each square's extension and
	// commitment took (the node's tartan_eds_compute_seconds).
	Extended func(time.Duration)
	// PoolBytes bounds the mempool's pending transactions; zero means
	// DefaultPoolBytes.
	PoolBytes int64
}

// App is Tartan's ABCI application: it validates blob transactions,
// builds the square of a proposal, checks every other proposal's square,
// and stores committed squares through its Store. Its state is the chain
// of data roots, committed to by the app hash.
type App struct {
	abci.BaseApplication
	cfg     AppConfig
	store   Store
	log     *slog.Logger
	maxData int // blob data one transaction may carry
	// committed is called after a block is durable (Commit), with its
	// height; the node builds that height's header from it.
	committed func(height uint64)
	// engine is the Engine running the App, set by NewEngine before
	// CometBFT starts.
	engine *Engine

	mu sync.Mutex // guards the fields below; held across square builds, which CometBFT serialises anyway
	// ext extends squares; an Extender is not safe for concurrent use.
	ext *erasure.Extender
	// built holds the squares of this height's proposals by the key of
	// their transactions, so the proposer does not build its own square
	// twice and FinalizeBlock does not rebuild the one it voted for.
	built map[[32]byte]*built
	// keys caches transaction keys; it has its own lock, as CheckTx runs
	// beside the consensus calls.
	keys txKeyCache
	// pool is the mempool (pool.go); it has its own lock.
	pool    *txPool
	pending *Block // finalized, waiting for Commit
	// stages are the goroutines writing accepted squares ahead of their
	// commit (stage); Commit and Close wait for them.
	stages sync.WaitGroup
	// height and appHash are the last committed state.
	height  uint64
	appHash []byte
}

type built struct {
	eds    *erasure.EDS
	dah    *erasure.DAH
	data   DataCommitment
	keys   [][32]byte // every tx's key, tx[0] first
	txKeys [][32]byte // the blob transactions' keys
	// staging writes the square once this validator accepted it.
	staging *staging
}

// staging is a square being written ahead of its block's commit.
type staging struct {
	done chan struct{} // closed when st and err are set
	st   Staged
	err  error
}

// stage starts writing an accepted square to the store. Between the
// vote and the commit a validator mostly waits for the other votes and
// for CometBFT's own block store, so the write costs the block's commit
// only what is left of it then. Called with mu held.
func (a *App) stage(height uint64, eds *erasure.EDS) *staging {
	s := &staging{done: make(chan struct{})}
	a.stages.Go(func() {
		defer close(s.done)
		s.st, s.err = a.store.StageSquare(context.Background(), height, eds)
	})
	return s
}

// drop waits for a staging and discards what it wrote.
func (s *staging) drop() {
	<-s.done
	if s.st != nil {
		s.st.Discard()
	}
}

// NewApp returns the application. committed may be nil.
func NewApp(cfg AppConfig, st Store, log *slog.Logger, committed func(height uint64)) (*App, error) {
	maxData, err := da.MaxBlobDataSize(cfg.MaxSquareWidth, da.ShareVersionZero)
	if err != nil {
		return nil, err
	}
	if committed == nil {
		committed = func(uint64) {}
	}
	if cfg.PoolBytes <= 0 {
		cfg.PoolBytes = DefaultPoolBytes
	}
	return &App{cfg: cfg, store: st, log: log, maxData: maxData, committed: committed,
		ext: erasure.NewExtender(0), built: map[[32]byte]*built{}, pool: newTxPool(cfg.PoolBytes)}, nil
}

// Info tells CometBFT where the application's state is, so that on a
// restart it replays the blocks the application has not stored.
func (a *App) Info(ctx context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	h, appHash, err := a.store.LastBlock(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.height, a.appHash = h, appHash
	a.mu.Unlock()
	return &abci.ResponseInfo{Data: "tartan", LastBlockHeight: int64(h), LastBlockAppHash: appHash}, nil
}

// CheckTx admits a transaction from this validator's clients to the
// mempool, from which ReapTxs relays it to the peers. Transactions are
// checked once: there is no recheck.
func (a *App) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	code, log, err := a.admit(ctx, req.Tx, true)
	if err != nil {
		return nil, err
	}
	return &abci.ResponseCheckTx{Code: code, Log: log}, nil
}

// InsertTx admits a transaction a peer relayed; it is not relayed again.
func (a *App) InsertTx(ctx context.Context, req *abci.RequestInsertTx) (*abci.ResponseInsertTx, error) {
	code, log, err := a.admit(ctx, req.Tx, false)
	if err != nil {
		return nil, err
	}
	if code != abci.CodeTypeOK && code != CodeIncluded {
		a.log.Debug("relayed transaction refused", "code", code, "reason", log)
	}
	return &abci.ResponseInsertTx{Code: code}, nil
}

// ReapTxs hands CometBFT the local transactions to relay, each once.
func (a *App) ReapTxs(context.Context, *abci.RequestReapTxs) (*abci.ResponseReapTxs, error) {
	return &abci.ResponseReapTxs{Txs: a.pool.takeUnsent()}, nil
}

// admit checks a blob transaction and puts it in the mempool: it must
// decode, fit the widest square, not be in a block yet, and fit the
// pool's byte bound. A transaction already pending is admitted again
// without a change.
func (a *App) admit(ctx context.Context, tx []byte, local bool) (code uint32, log string, err error) {
	blobs, err := ParseBlobTx(tx, a.maxData)
	if err != nil {
		if errors.Is(err, da.ErrBlobTooLarge) {
			return CodeTooLarge, err.Error(), nil
		}
		return CodeMalformed, err.Error(), nil
	}
	if w, limit := da.WorstCaseShares(blobs), a.cfg.MaxSquareWidth*a.cfg.MaxSquareWidth; w > limit {
		return CodeTooLarge, fmt.Sprintf("%v: the blobs take up to %d shares, a %d×%d square holds %d",
			da.ErrBlobTooLarge, w, a.cfg.MaxSquareWidth, a.cfg.MaxSquareWidth, limit), nil
	}
	key := a.keys.key(tx)
	h, err := a.store.Included(ctx, key)
	if err != nil {
		return 0, "", err
	}
	if h != 0 {
		return CodeIncluded, fmt.Sprintf("already included at height %d", h), nil
	}
	if _, err := a.pool.add(tx, key, local); err != nil {
		return CodePoolFull, err.Error(), nil
	}
	a.keys.admitted(tx, key)
	return abci.CodeTypeOK, "", nil
}

// PrepareProposal lays out the square from the mempool's transactions in
// their order (those CometBFT passes, none with the app mempool, then the
// App's own), leaving out what is already included, what does not decode
// and what does not fit next to the ones before it (it waits for a later
// block), and puts tx[0] first.
func (a *App) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	start := time.Now()
	limit := a.cfg.MaxSquareWidth * a.cfg.MaxSquareWidth
	// tx[0] and protobuf framing come off the byte budget.
	budget := req.MaxTxBytes - DataTxSize - 8
	var (
		chosen [][]byte
		blobs  [][]da.Blob
		worst  int
		seen   = map[[32]byte]bool{}
	)
	var stale [][32]byte
	for _, tx := range slices.Concat(req.Txs, a.pool.txs()) {
		bl, err := ParseBlobTx(tx, a.maxData)
		if err != nil {
			continue // a stray tx[0] or garbage: never proposed
		}
		key := a.keys.key(tx)
		if seen[key] {
			continue
		}
		if h, err := a.store.Included(ctx, key); err != nil {
			return nil, err
		} else if h != 0 {
			// Admitted while its block was being committed.
			stale = append(stale, key)
			continue
		}
		w, size := da.WorstCaseShares(bl), int64(len(tx))+8
		if worst+w > limit || size > budget {
			continue
		}
		seen[key] = true
		worst, budget = worst+w, budget-size
		chosen, blobs = append(chosen, tx), append(blobs, bl)
	}
	a.pool.remove(stale)
	height := uint64(req.Height)
	if a.corruptsAt(height) && len(chosen) == 0 {
		filler, err := faultFiller(height)
		if err != nil {
			return nil, err
		}
		chosen, blobs = append(chosen, BlobTx(filler)), append(blobs, filler)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.build(height, blobs)
	if err != nil {
		return nil, err
	}
	txs := append([][]byte{b.data.Marshal()}, chosen...)
	b.keys = a.txKeys(txs)
	b.txKeys = b.keys[1:]
	a.built[listKey(b.keys)] = b
	a.log.Info("block built", "height", height, "square_width", b.data.SquareWidth, "submissions", len(chosen),
		"bytes", txBytes(chosen), "ms", time.Since(start).Milliseconds())
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal accepts a proposal only if tx[0] is exactly the data
// commitment of the square laid out from the other transactions: every
// validator checks every square before it votes.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	start := time.Now()
	reject := func(why string, args ...any) (*abci.ResponseProcessProposal, error) {
		a.log.Warn("proposal rejected", append([]any{"height", req.Height, "reason", why}, args...)...)
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
	}
	if len(req.Txs) == 0 {
		return reject("no tx[0]")
	}
	if _, err := ParseDataCommitment(req.Txs[0]); err != nil {
		return reject("bad tx[0]", "err", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.lookupOrBuild(uint64(req.Height), req.Txs)
	if err != nil {
		return reject("square does not build", "err", err)
	}
	if want := b.data.Marshal(); string(want) != string(req.Txs[0]) {
		return reject("tx[0] does not match the square", "want", fmt.Sprintf("%x", want), "got", fmt.Sprintf("%x", req.Txs[0]))
	}
	if b.staging == nil {
		b.staging = a.stage(uint64(req.Height), b.eds)
	}
	a.log.Info("block validated", "height", req.Height, "square_width", b.data.SquareWidth, "submissions", len(req.Txs)-1,
		"bytes", txBytes(req.Txs[1:]), "ms", time.Since(start).Milliseconds())
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// lookupOrBuild returns the square of txs (tx[0] first) built for this
// height, or lays it out from txs[1:], every one of which must decode and
// fit. Called with mu held.
func (a *App) lookupOrBuild(height uint64, txs [][]byte) (*built, error) {
	keys := a.txKeys(txs)
	lk := listKey(keys)
	if b, ok := a.built[lk]; ok {
		return b, nil
	}
	blobs := make([][]da.Blob, len(txs)-1)
	worst, limit := 0, a.cfg.MaxSquareWidth*a.cfg.MaxSquareWidth
	for i, tx := range txs[1:] {
		bl, err := ParseBlobTx(tx, a.maxData)
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", i+1, err)
		}
		if worst += da.WorstCaseShares(bl); worst > limit {
			return nil, fmt.Errorf("%w: tx %d does not fit a %d×%d square", da.ErrSquareFull, i+1, a.cfg.MaxSquareWidth, a.cfg.MaxSquareWidth)
		}
		blobs[i] = bl
	}
	b, err := a.build(height, blobs)
	if err != nil {
		return nil, err
	}
	b.keys, b.txKeys = keys, keys[1:]
	a.built[lk] = b
	return b, nil
}

// build lays out, extends and commits the square of blobs, one
// submission after another. Called with mu held.
func (a *App) build(height uint64, subs [][]da.Blob) (*built, error) {
	sb, err := da.NewSquareBuilder(a.cfg.MaxSquareWidth)
	if err != nil {
		return nil, err
	}
	for _, blobs := range subs {
		for i := range blobs {
			if err := sb.Append(blobs[i]); err != nil {
				return nil, err
			}
		}
	}
	ods, err := sb.Export()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	eds, dah, err := a.ext.ExtendAndCommit(ods.Shares)
	if err != nil {
		return nil, err
	}
	if a.cfg.Extended != nil {
		a.cfg.Extended(time.Since(start))
	}
	if a.corruptsAt(height) {
		CorruptEDS(eds)
		if dah, err = a.ext.Commit(eds); err != nil {
			return nil, err
		}
	}
	return &built{eds: eds, dah: dah, data: DataCommitment{SquareWidth: uint16(ods.Width), DataRoot: dah.DataRoot()}}, nil
}

// FinalizeBlock takes the decided block's square (built when it was
// proposed or checked, or rebuilt when CometBFT replays a block after a
// restart) and computes the next app hash; Commit stores it.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	if len(req.Txs) == 0 {
		return nil, fmt.Errorf("consensus: finalized block %d has no tx[0]", req.Height)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.lookupOrBuild(uint64(req.Height), req.Txs)
	if err != nil {
		// A decided block passed ProcessProposal on more than 2/3 of the
		// power; failing here means this node's rules differ.
		return nil, fmt.Errorf("consensus: finalized block %d does not build: %w", req.Height, err)
	}
	_, proofs := merkle.ProofsFromByteSlices(keySlices(b.keys))
	var hash [32]byte
	copy(hash[:], req.Hash)
	// A block without blobs leaves the app hash as it was: its square is
	// the fixed empty one. CometBFT proposes the block after an app-hash
	// change at once (to prove the new hash), so advancing it on every
	// empty block would make an idle chain race instead of making one
	// block per block time.
	appHash := a.appHash
	if len(b.txKeys) > 0 || len(appHash) == 0 {
		appHash = nextAppHash(a.appHash, uint64(req.Height), b.data.DataRoot)
	}
	a.pending = &Block{Height: uint64(req.Height), Time: req.Time, Hash: hash, Data: b.data, DataProof: *proofs[0],
		EDS: b.eds, DAH: b.dah, TxKeys: b.txKeys, AppHash: appHash, staging: b.staging}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i := range results {
		results[i] = &abci.ExecTxResult{Code: abci.CodeTypeOK}
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: appHash}, nil
}

// Commit stores the finalized block through the Store before CometBFT
// counts it as committed.
func (a *App) Commit(ctx context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	b := a.pending
	a.pending = nil
	var dropped []*staging
	for _, other := range a.built {
		if other.staging != nil && (b == nil || other.staging != b.staging) {
			dropped = append(dropped, other.staging)
		}
	}
	clear(a.built)
	a.mu.Unlock()
	for _, s := range dropped {
		s.drop() // a proposal of this height that was not decided
	}
	if b == nil {
		return nil, errors.New("consensus: Commit without FinalizeBlock")
	}
	start := time.Now()
	b.engine = a.engine
	if s := b.staging; s != nil {
		<-s.done
		if s.err != nil {
			a.log.Warn("square not staged; storing it at commit", "height", b.Height, "err", s.err)
		} else {
			b.Staged = s.st
			defer s.st.Discard() // no-op once SaveBlock took it
		}
	}
	if err := a.store.SaveBlock(ctx, b); err != nil {
		return nil, fmt.Errorf("consensus: storing block %d: %w", b.Height, err)
	}
	a.keys.committed(b.TxKeys)
	a.pool.remove(b.TxKeys)
	a.mu.Lock()
	a.height, a.appHash = b.Height, b.AppHash
	a.mu.Unlock()
	a.log.Debug("block stored", "height", b.Height, "k", b.Data.SquareWidth, "txs", len(b.TxKeys), "took", time.Since(start))
	a.committed(b.Height)
	return &abci.ResponseCommit{}, nil
}

// Close waits for the squares being staged and discards them; the App
// is not used after it.
func (a *App) Close() {
	a.mu.Lock()
	var all []*staging
	for _, b := range a.built {
		if b.staging != nil {
			all = append(all, b.staging)
		}
	}
	if a.pending != nil && a.pending.staging != nil {
		all = append(all, a.pending.staging)
	}
	a.mu.Unlock()
	a.stages.Wait()
	for _, s := range all {
		s.drop()
	}
}

func (a *App) corruptsAt(height uint64) bool {
	return a.cfg.BadEncoding != 0 && height == a.cfg.BadEncoding
}

// nextAppHash chains the data roots: H(prev ‖ height ‖ data root), so the
// app hash of a height commits to every data root of a block with blobs
// before it (the others are the empty square's).
func nextAppHash(prev []byte, height uint64, dataRoot [32]byte) []byte {
	h := sha256.New()
	h.Write([]byte("tartan/app-hash/v1\x00"))
	h.Write(prev)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], height)
	h.Write(b[:])
	h.Write(dataRoot[:])
	return h.Sum(nil)
}

func (a *App) txKeys(txs [][]byte) [][32]byte {
	keys := make([][32]byte, len(txs))
	for i, tx := range txs {
		keys[i] = a.keys.key(tx)
	}
	return keys
}

// listKey identifies a list of transactions by their keys.
func listKey(keys [][32]byte) [32]byte {
	h := sha256.New()
	for i := range keys {
		h.Write(keys[i][:])
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// keySlices are the keys as CometBFT's Merkle functions take them: the
// transactions' hashes are the leaves of Header.DataHash.
func keySlices(keys [][32]byte) [][]byte {
	out := make([][]byte, len(keys))
	for i := range keys {
		out[i] = keys[i][:]
	}
	return out
}

// CorruptEDS turns a correctly extended square into a badly encoded one,
// the same way every time: it flips the bits of one byte of cell (0, k),
// the first parity cell of row 0. Row 0 and column k are then no
// codewords, yet a DAH committed to the result is as well formed as any
// (parity cells carry the parity namespace whatever their bytes), so every
// sample of it verifies and only a full node's re-extension catches it.
func CorruptEDS(e *erasure.EDS) {
	e.Cell(0, e.Width())[100] ^= 0xff
}

// faultFiller is the blob the bad-encoding fault puts in a block that
// would otherwise be empty, so that the corrupted square has k = 2: light
// nodes then sample part of it rather than every cell, as on any real
// block.
func faultFiller(height uint64) ([]da.Blob, error) {
	ns, err := da.NewV0Namespace([]byte("fault"))
	if err != nil {
		return nil, err
	}
	data := make([]byte, 2*da.ContinuationSparseShareContentSize)
	copy(data, fmt.Sprintf("devnet fault bad-encoding@%d", height))
	b, err := da.NewBlob(ns, data, da.ShareVersionZero, nil)
	if err != nil {
		return nil, err
	}
	return []da.Blob{b}, nil
}

// txBytes is the total size of txs, for logs.
func txBytes(txs [][]byte) int {
	n := 0
	for _, tx := range txs {
		n += len(tx)
	}
	return n
}
