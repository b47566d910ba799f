package consensus

import (
	"bytes"
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

// DefaultTxWait is how long ProcessProposal waits, when AppConfig says
// nothing, for a transaction a proposal refers to that has not reached
// this validator's mempool yet.
const DefaultTxWait = time.Second

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
	// StageSquare writes the original data square (k² shares, row-major)
	// of a block this validator may vote for, so that SaveBlock only has
	// to name it. The App calls it from a goroutine of its own as soon as
	// the square is laid out, so the write overlaps the square's
	// extension, and Binds the result to the data root before it votes
	// for the block. Once bound the square survives the process
	// (StagedODS finds it after a restart); it may still be syncing to
	// disk, which SaveBlock waits for. The App hands the result to
	// SaveBlock in Block.Staged when the block commits, or Discards it.
	StageSquare(ctx context.Context, height uint64, ods []da.Share) (Staged, error)
	// StagedODS is the original data square staged for height with this
	// data root before a crash, ErrNoStagedSquare when there is none.
	// CometBFT replays a block it committed but the App had not; blocks
	// carry only references, so the replay needs the square this
	// validator staged when it voted.
	StagedODS(ctx context.Context, height uint64, dataRoot [32]byte) ([]da.Share, error)
}

// ErrNoStagedSquare is StagedODS's answer when it has no square.
var ErrNoStagedSquare = errors.New("consensus: no staged square")

// Staged is a square StageSquare wrote ahead of its block's commit.
type Staged interface {
	// Bind records that the square has this data root, which the App
	// computed; only a bound square outlives the process.
	Bind(dataRoot [32]byte) error
	// Discard drops the square unless SaveBlock took it; it may be
	// called more than once.
	Discard()
}

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
	// EDS and DAH are the square, nil when this validator has neither the
	// block's transactions nor a staged square: it did not vote for the
	// block (it was catching up, or missed a relayed transaction). The
	// node then fetches the square from peers, as a full node does.
	EDS *erasure.EDS
	DAH *erasure.DAH
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
	// TxWait bounds ProcessProposal's wait for a referred transaction not
	// in the mempool yet; zero means DefaultTxWait.
	TxWait time.Duration
	// Spares, when set, holds squares the node no longer serves, which
	// the App extends new squares into (erasure.Extender.UseSpares).
	Spares *erasure.Spares
	// FetchTxs, when set, asks other validators for the transactions with
	// these keys and returns those it got with their keys, each checked to
	// hash to its key. A transaction is relayed once, by the validator
	// that took it, so one that was down then, or is not that validator's
	// peer, gets it only this way. ProcessProposal calls it for what the relay has not
	// brought a quarter of TxWait in.
	FetchTxs func(ctx context.Context, keys [][32]byte) (txs [][]byte, txKeys [][32]byte)
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
	eds    *erasure.EDS // nil when neither the transactions nor a staged square were at hand (Block.EDS)
	dah    *erasure.DAH
	data   DataCommitment
	keys   [][32]byte // every block tx's key (CometBFT's tx hash), tx[0] first
	txKeys [][32]byte // the blob transactions' keys, which references carry
	// extension is how long extending and committing to it took.
	extension time.Duration
	// staging writes the square from the moment it was laid out (stage);
	// nil for one read back from its staged file after a restart.
	staging *staging
}

// staging is a square being written ahead of its block's commit.
type staging struct {
	// root takes the square's data root once it is extended; it is
	// closed without one when the extension failed.
	root chan [32]byte
	done chan struct{} // closed when st and err are set
	st   Staged
	err  error
}

// errNotExtended ends the staging of a square whose extension failed.
var errNotExtended = errors.New("consensus: the square was not extended")

// stage starts writing a square's ODS to the store as soon as it is laid
// out, while the caller extends it, so that it is on disk by the time
// this validator votes: written after the extension, the 32 MiB of a
// k = 256 square added 80–120 ms to every loaded block; beside it, the
// write uses what the extension leaves of the machine. The write is
// bound to the data root the caller sends on root, or discarded if it
// closes root. Called with mu held.
func (a *App) stage(height uint64, ods []da.Share) *staging {
	s := &staging{root: make(chan [32]byte, 1), done: make(chan struct{})}
	a.stages.Go(func() {
		defer close(s.done)
		st, err := a.store.StageSquare(context.Background(), height, ods)
		root, extended := <-s.root
		switch {
		case err != nil:
			s.err = err
		case !extended:
			st.Discard()
			s.err = errNotExtended
		default:
			if err := st.Bind(root); err != nil {
				st.Discard()
				s.err = err
				return
			}
			s.st = st
		}
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
	if cfg.TxWait <= 0 {
		cfg.TxWait = DefaultTxWait
	}
	ext := erasure.NewExtender(0)
	ext.UseSpares(cfg.Spares)
	return &App{cfg: cfg, store: st, log: log, maxData: maxData, committed: committed,
		ext: ext, built: map[[32]byte]*built{}, pool: newTxPool(cfg.PoolBytes)}, nil
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
// block). The block carries tx[0] and a reference to each transaction;
// the square starts being staged at once.
func (a *App) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	start := time.Now()
	limit := a.cfg.MaxSquareWidth * a.cfg.MaxSquareWidth
	// tx[0] and protobuf framing come off the byte budget.
	budget := req.MaxTxBytes - DataTxSize - 8
	var (
		refs    [][]byte
		blobs   [][]da.Blob
		txKeys  [][32]byte
		worst   int
		size    int
		seen    = map[[32]byte]bool{}
		stale   [][32]byte
		fromReq = len(req.Txs)
	)
	for i, tx := range slices.Concat(req.Txs, a.pool.txs()) {
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
		if i < fromReq {
			// Only the mempool's transactions can be referred to; one
			// CometBFT passes is taken in as if relayed.
			if _, err := a.pool.add(tx, key, false); err != nil {
				continue
			}
		}
		w := da.WorstCaseShares(bl)
		if worst+w > limit || RefTxSize+8 > budget {
			continue
		}
		seen[key] = true
		worst, budget, size = worst+w, budget-RefTxSize-8, size+len(tx)
		refs, blobs, txKeys = append(refs, RefTx(key)), append(blobs, bl), append(txKeys, key)
	}
	a.pool.remove(stale)
	height := uint64(req.Height)
	if a.corruptsAt(height) && len(refs) == 0 {
		filler, err := faultFiller(height)
		if err != nil {
			return nil, err
		}
		// Carried whole: it is in no mempool to refer to.
		tx := BlobTx(filler)
		refs, blobs, txKeys = append(refs, tx), append(blobs, filler), append(txKeys, TxKey(tx))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.build(height, blobs)
	if err != nil {
		return nil, err
	}
	txs := append([][]byte{b.data.Marshal()}, refs...)
	b.keys, b.txKeys = a.txKeys(txs), txKeys
	a.built[listKey(b.keys)] = b
	a.log.Info("block built", "height", height, "square_width", b.data.SquareWidth, "submissions", len(refs),
		"bytes", size, "extend_ms", b.extension.Milliseconds(), "ms", time.Since(start).Milliseconds())
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal accepts a proposal only if tx[0] is exactly the data
// commitment of the square laid out from the transactions the others
// refer to, and that square is on this validator's disk: every validator
// checks and keeps every square before it votes, so that a committed
// block's square is held by more than 2/3 of the power.
func (a *App) ProcessProposal(ctx context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
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
	height := uint64(req.Height)
	keys := a.txKeys(req.Txs)
	a.mu.Lock()
	b := a.built[listKey(keys)]
	a.mu.Unlock()
	var waited time.Duration
	if b == nil {
		t := time.Now()
		blobTxs, txKeys, missing, err := a.resolve(ctx, req.Txs[1:], a.cfg.TxWait)
		waited = time.Since(t)
		if err != nil {
			return reject("malformed transaction", "err", err)
		}
		if len(missing) > 0 {
			return reject("referred transactions not received", "missing", len(missing), "waited_ms", waited.Milliseconds())
		}
		a.mu.Lock()
		b, err = a.buildTxs(height, keys, blobTxs, txKeys)
		a.mu.Unlock()
		if err != nil {
			return reject("square does not build", "err", err)
		}
	}
	if want := b.data.Marshal(); string(want) != string(req.Txs[0]) {
		return reject("tx[0] does not match the square", "want", fmt.Sprintf("%x", want), "got", fmt.Sprintf("%x", req.Txs[0]))
	}
	// Staged since it was built; voting for it waits until it is written.
	s := b.staging
	<-s.done
	if s.err != nil {
		return reject("square not stored", "err", s.err)
	}
	a.log.Info("block validated", "height", req.Height, "square_width", b.data.SquareWidth, "submissions", len(req.Txs)-1,
		"waited_ms", waited.Milliseconds(), "ms", time.Since(start).Milliseconds())
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// resolve finds the blob transactions of a block's txs after tx[0]: those
// a reference names in the mempool, waiting up to wait for any not there
// yet (relayed to this validator but still on the way), and blob
// transactions themselves, as blocks of earlier versions carry them.
// txKeys are the blob transactions' keys; missing are those of the
// references still unresolved after the wait, whose blobTxs are nil.
func (a *App) resolve(ctx context.Context, txs [][]byte, wait time.Duration) (blobTxs [][]byte, txKeys, missing [][32]byte, err error) {
	fctx, cancel := context.WithCancel(ctx)
	var fetching sync.WaitGroup
	defer fetching.Wait()
	defer cancel()
	blobTxs, txKeys = make([][]byte, len(txs)), make([][32]byte, len(txs))
	var pending []int
	for i, tx := range txs {
		if key, ok := ParseRefTx(tx); ok {
			txKeys[i] = key
			pending = append(pending, i)
			continue
		}
		if !bytes.HasPrefix(tx, blobTxMagic) {
			return nil, nil, nil, fmt.Errorf("tx %d is neither a reference nor a blob transaction", i+1)
		}
		blobTxs[i], txKeys[i] = tx, a.keys.key(tx)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var fetchAt <-chan time.Time
	if a.cfg.FetchTxs != nil && wait > 0 {
		t := time.NewTimer(wait / 4)
		defer t.Stop()
		fetchAt = t.C
	}
	for {
		var next <-chan struct{}
		left := pending[:0]
		for _, i := range pending {
			tx, n := a.pool.get(txKeys[i])
			if tx == nil {
				left, next = append(left, i), n
				continue
			}
			blobTxs[i] = tx
		}
		pending = left
		if len(pending) == 0 {
			return blobTxs, txKeys, nil, nil
		}
		select {
		case <-next:
			continue
		case <-fetchAt:
			fetchAt = nil
			keys := make([][32]byte, len(pending))
			for j, i := range pending {
				keys[j] = txKeys[i]
			}
			fetching.Go(func() { a.fetch(fctx, keys) })
			continue
		case <-ctx.Done():
		case <-timer.C:
		}
		for _, i := range pending {
			missing = append(missing, txKeys[i])
		}
		return blobTxs, txKeys, missing, nil
	}
}

// fetch asks other validators for transactions and admits those it gets
// to the mempool (as if relayed), which wakes resolve.
func (a *App) fetch(ctx context.Context, keys [][32]byte) {
	txs, txKeys := a.cfg.FetchTxs(ctx, keys)
	admitted := 0
	for i, tx := range txs {
		a.keys.put(tx, txKeys[i], false) // checked by FetchTxs: admit need not hash it again
		if code, _, err := a.admit(ctx, tx, false); err == nil && code == abci.CodeTypeOK {
			admitted++
		}
	}
	a.log.Info("fetched transactions a proposal refers to", "asked", len(keys), "got", len(txs), "admitted", admitted)
}

// PoolTxs are the pending transactions with these keys this validator
// holds, for another that lacks them.
func (a *App) PoolTxs(keys [][32]byte) [][]byte {
	var out [][]byte
	for _, k := range keys {
		if tx, _ := a.pool.get(k); tx != nil {
			out = append(out, tx)
		}
	}
	return out
}

// buildTxs lays out the square of a block's blob transactions, every one
// of which must decode and fit, and keeps it for this height. keys are
// the block's tx keys, tx[0] first. Called with mu held.
func (a *App) buildTxs(height uint64, keys [][32]byte, blobTxs [][]byte, txKeys [][32]byte) (*built, error) {
	blobs := make([][]da.Blob, len(blobTxs))
	worst, limit := 0, a.cfg.MaxSquareWidth*a.cfg.MaxSquareWidth
	for i, tx := range blobTxs {
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
	b.keys, b.txKeys = keys, txKeys
	a.built[listKey(keys)] = b
	return b, nil
}

// finalSquare is the square of a decided block: the one built for it at
// this height, else one built from the mempool, else the one staged for it
// before a restart, else none (built.eds nil), which the node fetches from
// peers. Called with mu held.
func (a *App) finalSquare(ctx context.Context, height uint64, txs [][]byte, keys [][32]byte) (*built, error) {
	if b, ok := a.built[listKey(keys)]; ok {
		return b, nil
	}
	data, err := ParseDataCommitment(txs[0])
	if err != nil {
		return nil, err
	}
	blobTxs, txKeys, missing, err := a.resolve(ctx, txs[1:], 0)
	if err != nil {
		return nil, err
	}
	if len(missing) == 0 {
		return a.buildTxs(height, keys, blobTxs, txKeys)
	}
	b := &built{data: data, keys: keys, txKeys: txKeys}
	ods, err := a.store.StagedODS(ctx, height, data.DataRoot)
	switch {
	case errors.Is(err, ErrNoStagedSquare):
		a.log.Info("block's square not held; the node fetches it", "height", height, "missing_txs", len(missing))
		return b, nil
	case err != nil:
		return nil, err
	}
	if b.eds, b.dah, err = a.ext.ExtendAndCommit(ods); err != nil {
		return nil, err
	}
	if b.dah.DataRoot() != data.DataRoot {
		// Staged by a bad-encoding fault, which re-extends to another
		// square: let the node take the one committed to from peers.
		b.eds, b.dah = nil, nil
	}
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
	s := a.stage(height, ods.Shares)
	start := time.Now()
	eds, dah, err := a.ext.ExtendAndCommit(ods.Shares)
	took := time.Since(start)
	if err == nil && a.cfg.Extended != nil {
		a.cfg.Extended(took)
	}
	if err == nil && a.corruptsAt(height) {
		CorruptEDS(eds)
		dah, err = a.ext.Commit(eds)
	}
	if err != nil {
		close(s.root)
		s.drop()
		return nil, err
	}
	s.root <- dah.DataRoot()
	return &built{eds: eds, dah: dah, data: DataCommitment{SquareWidth: uint16(ods.Width), DataRoot: dah.DataRoot()}, staging: s, extension: took}, nil
}

// FinalizeBlock takes the decided block's square (built when it was
// proposed or checked; else built from the mempool, or read back from
// where it was staged when CometBFT replays a block after a restart; else
// left for the node to fetch) and computes the next app hash; Commit
// stores it.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	if len(req.Txs) == 0 {
		return nil, fmt.Errorf("consensus: finalized block %d has no tx[0]", req.Height)
	}
	height := uint64(req.Height)
	keys := a.txKeys(req.Txs)
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.finalSquare(ctx, height, req.Txs, keys)
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
		appHash = nextAppHash(a.appHash, height, b.data.DataRoot)
	}
	a.pending = &Block{Height: height, Time: req.Time, Hash: hash, Data: b.data, DataProof: *proofs[0],
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
