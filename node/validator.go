package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// A validator runs CometBFT (package consensus) and is the consensus
// Store of its App: each committed block's square, header and included
// submissions go into the node's store before CometBFT counts the block
// as committed. Blob submissions enter CometBFT's mempool and are answered
// once their block is stored.

// validator is the validator role's state.
type validator struct {
	engine *consensus.Engine
	app    *consensus.App

	mu      sync.Mutex // guards waiters
	waiters map[[32]byte][]chan uint64

	// committed is the last height SaveBlock stored.
	committed atomic.Uint64
}

// Store keys of the validator role.
const (
	appStateKey = "consensus/app" // height(8) ‖ app hash
	txKeyPrefix = "consensus/tx/" // + hex tx key → height(8)
)

// initValidator builds the App and the CometBFT engine.
func (n *Node) initValidator(ctx context.Context) error {
	cc, err := n.genesis.Chain()
	if err != nil {
		return err
	}
	if in, err := n.genesis.InGenesis(n.dir); err != nil {
		return err
	} else if !in {
		n.log.Warn("this validator's key is not in the genesis: it follows the chain but does not vote (add it with tartan genesis add-validator)")
	}
	v := &validator{waiters: map[[32]byte][]chan uint64{}}
	h, _, err := validatorStore{n}.LastBlock(ctx)
	if err != nil {
		return err
	}
	v.committed.Store(h)
	acfg := consensus.AppConfig{ChainID: n.genesis.ChainID, MaxSquareWidth: n.genesis.MaxSquareWidth, BadEncoding: n.opts.BadEncoding,
		Extended: n.metrics.EDSComputeSeconds.ObserveDuration, PoolBytes: n.cfg.PoolBytes, FetchTxs: n.fetchTxs,
		Spares: n.squares.spares}
	if v.app, err = consensus.NewApp(acfg, validatorStore{n}, n.log.With("module", "app"), nil); err != nil {
		return err
	}
	ecfg := consensus.EngineConfig{
		Home: filepath.Join(n.dir, ConsensusDir), Moniker: filepath.Base(n.dir), Chain: cc,
		Listen: n.cfg.ConsensusListen, External: n.cfg.ConsensusExternal, Peers: n.cfg.ConsensusPeers,
		BlockTime:  n.genesis.BlockTime.D(),
		MaxTxBytes: consensus.MaxTxBytes(n.genesis.MaxSquareWidth),
		RPCListen:  tcpURL(n.cfg.ConsensusRPC), PrometheusListen: n.cfg.ConsensusMetrics,
	}
	// Set before the engine exists: starting it may replay the last block
	// into SaveBlock, which releases that block's waiters.
	n.validator = v
	if v.engine, err = consensus.NewEngine(ecfg, v.app, n.log.With("module", "cometbft")); err != nil {
		return err
	}
	if n.opts.Withhold > 0 {
		n.log.Warn("fault injection: withholding part of every non-empty square from peers and clients", "from_height", n.opts.Withhold)
	}
	if n.opts.BadEncoding > 0 {
		n.log.Warn("fault injection: committing to a badly encoded square", "height", n.opts.BadEncoding)
	}
	return nil
}

func tcpURL(addr string) string {
	if addr == "" || strings.Contains(addr, "://") {
		return addr
	}
	return "tcp://" + addr
}

// validatorStore is the App's Store.
type validatorStore struct{ n *Node }

func (s validatorStore) LastBlock(ctx context.Context) (uint64, []byte, error) {
	b, err := s.n.store.Meta(ctx, appStateKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil, nil
	case err != nil:
		return 0, nil, err
	case len(b) < 8:
		return 0, nil, fmt.Errorf("%w: app state record of %d bytes", store.ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), b[8:], nil
}

// StageSquare writes a block's ODS before this validator votes for it.
func (s validatorStore) StageSquare(ctx context.Context, height uint64, ods []da.Share) (consensus.Staged, error) {
	st, err := s.n.store.StageSquare(ctx, height, ods)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// StagedODS reads back a square staged before a crash.
func (s validatorStore) StagedODS(ctx context.Context, height uint64, dataRoot [32]byte) ([]da.Share, error) {
	ods, err := s.n.store.StagedODS(ctx, height, dataRoot)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", consensus.ErrNoStagedSquare, err)
	}
	return ods, err
}

func (s validatorStore) Included(ctx context.Context, key [32]byte) (uint64, error) {
	b, err := s.n.store.Meta(ctx, txKeyPrefix+hex.EncodeToString(key[:]))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(b) != 8:
		return 0, fmt.Errorf("%w: inclusion record of %d bytes", store.ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// SaveBlock stores, in this order: the header (from CometBFT's block store
// and the block's tx[0] proof), the square, and then together the included
// submissions and the app state. A crash anywhere before the last step
// leaves the previous state, so CometBFT replays the block and every step
// is done again with the same bytes.
func (s validatorStore) SaveBlock(ctx context.Context, b *consensus.Block) error {
	n := s.n
	start := time.Now()
	h, err := b.Header()
	if err != nil {
		return err
	}
	if b.EDS != nil {
		sq, err := fromEDS(b.Height, b.EDS, b.DAH)
		if err != nil {
			return err
		}
		// Held until the square is written below (the cache may drop it
		// meanwhile, and its memory be reused).
		sq.hold()
		defer sq.release()
		if n.corruptsAt(b.Height) {
			// The store keeps the ODS, which re-extends to another
			// square: keep the one committed to (fraud.go faultySquare).
			n.pinFaulty(sq)
		}
		// Cache the square before the header becomes visible, so a peer
		// that syncs the header at once can already fetch the square.
		n.squares.Put(sq)
	}
	if err := n.chain.AddOwn(ctx, h); err != nil {
		return fmt.Errorf("storing header %d: %w", b.Height, err)
	}
	headerDone := time.Now()
	switch staged, ok := b.Staged.(*store.StagedSquare); {
	case ok:
		err = n.store.PutStagedSquare(ctx, staged, b.Data.DataRoot)
	case b.EDS != nil:
		err = n.store.PutSquareRows(ctx, b.Height, b.Data.DataRoot, b.EDS.ODSRows())
	default:
		// Neither voted for nor in the mempool: the square loop fetches
		// it from peers, as a full node's does.
		n.log.Info("block committed without its square here; fetching it from peers", "height", b.Height)
	}
	if err != nil {
		return fmt.Errorf("storing square %d: %w", b.Height, err)
	}
	squareDone := time.Now()
	// The inclusions and the app state go in one batch, with one sync:
	// a crash leaves all of them or none.
	recs := make([]store.MetaRecord, 0, len(b.TxKeys)+1)
	for _, k := range b.TxKeys {
		if old, err := s.Included(ctx, k); err != nil {
			return err
		} else if old != 0 && old != b.Height {
			continue // a dishonest proposer's duplicate: the first inclusion answers
		}
		recs = append(recs, store.MetaRecord{Key: txKeyPrefix + hex.EncodeToString(k[:]), Value: binary.BigEndian.AppendUint64(nil, b.Height)})
	}
	state := binary.BigEndian.AppendUint64(nil, b.Height)
	recs = append(recs, store.MetaRecord{Key: appStateKey, Value: append(state, b.AppHash...)})
	if err := n.store.PutMetas(ctx, recs); err != nil {
		return err
	}
	n.validator.committed.Store(b.Height)
	n.validator.release(b.Height, b.TxKeys)
	n.metrics.BlockBuildSeconds.ObserveDuration(time.Since(start))
	n.log.Info("block stored", "height", b.Height, "square_width", b.Data.SquareWidth, "submissions", len(b.TxKeys),
		"bytes", int(b.Data.SquareWidth)*int(b.Data.SquareWidth)*da.ShareSize, "staged", b.Staged != nil, "ms", time.Since(start).Milliseconds(),
		"header_ms", headerDone.Sub(start).Milliseconds(), "square_ms", squareDone.Sub(headerDone).Milliseconds())
	n.publishHeader(ctx, h)
	return nil
}

// fetchTxs asks the other validators over libp2p for the blob
// transactions with these keys, one after another until all are found,
// and returns those they sent with their keys (p2p checked each).
func (n *Node) fetchTxs(ctx context.Context, keys [][32]byte) (got [][]byte, gotKeys [][32]byte) {
	for _, p := range n.host.TxsPeers() {
		if len(keys) == 0 || ctx.Err() != nil {
			break
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		txs, txKeys, err := n.host.RequestTxs(rctx, p, keys[:min(len(keys), p2p.TxsMaxKeys)])
		cancel()
		if err != nil {
			n.log.Debug("transactions not fetched", "peer", p, "err", err)
			continue
		}
		keys = slices.DeleteFunc(keys, func(k [32]byte) bool { return slices.Contains(txKeys, k) })
		got, gotKeys = append(got, txs...), append(gotKeys, txKeys...)
	}
	return got, gotKeys
}

// txSource serves this validator's pending transactions to the others.
type txSource struct{ n *Node }

func (s txSource) Txs(keys [][32]byte) [][]byte {
	if v := s.n.validator; v != nil && v.app != nil {
		return v.app.PoolTxs(keys)
	}
	return nil
}

// publishHeader gossips a validator's new header, without its validator
// set when it did not change.
func (n *Node) publishHeader(ctx context.Context, h *da.Header) {
	if !n.host.Running() {
		// CometBFT's start-up handshake replays a block the store missed
		// (a kill between its commit and ours) inside New, before the
		// host runs: waiting to publish would hang the start for ever.
		// Peers get the header by sync instead.
		n.log.Debug("header not gossiped: the p2p host is not running yet", "height", h.Height)
		return
	}
	var prev *da.Header
	if h.Height > 1 {
		prev, _ = n.chain.Header(ctx, h.Height-1)
	}
	wire, err := n.chain.verify.Wire(h, prev)
	if err == nil {
		err = n.headers.Publish(ctx, wire)
	}
	if err != nil {
		n.log.Warn("header not gossiped", "height", h.Height, "err", err)
	}
}

// wait registers interest in a submission's inclusion.
func (v *validator) wait(key [32]byte) chan uint64 {
	ch := make(chan uint64, 1)
	v.mu.Lock()
	v.waiters[key] = append(v.waiters[key], ch)
	v.mu.Unlock()
	return ch
}

// forget drops a waiter that gave up.
func (v *validator) forget(key [32]byte, ch chan uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ws := v.waiters[key]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(v.waiters, key)
	} else {
		v.waiters[key] = ws
	}
}

// release answers the waiters of the submissions a stored block holds.
func (v *validator) release(height uint64, keys [][32]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range keys {
		for _, ch := range v.waiters[k] {
			ch <- height
		}
		delete(v.waiters, k)
	}
}

// submit puts blobs in the mempool and waits until the block holding them
// is stored here, so the height answered is final and readable at once.
// The same blobs submitted again, pending or included, get the same
// height: the transaction is keyed by its content.
func (n *Node) submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	v := n.validator
	tx := consensus.BlobTx(blobs)
	key := consensus.TxKey(tx)
	// Wait before looking, so an inclusion between the two is not missed.
	ch := v.wait(key)
	defer v.forget(key, ch)
	st := validatorStore{n}
	if h, err := st.Included(ctx, key); err != nil || h != 0 {
		return h, err
	}
	if err := v.engine.Submit(ctx, tx, key); err != nil {
		var refusal *consensus.TxRefusal
		switch {
		case errors.Is(err, consensus.ErrMempoolFull):
			return 0, fmt.Errorf("%w: %w", api.ErrPoolFull, err)
		case errors.As(err, &refusal) && refusal.Code == consensus.CodeIncluded:
			return st.Included(ctx, key)
		case errors.As(err, &refusal) && refusal.Code == consensus.CodeTooLarge:
			return 0, fmt.Errorf("%w: %s", da.ErrBlobTooLarge, refusal.Log)
		case errors.As(err, &refusal):
			return 0, fmt.Errorf("%w: %s", api.ErrBadRequest, refusal.Log)
		}
		return 0, err
	}
	// Waiting for the block is cheap: a forwarding peer's stream need
	// not keep one of the few slots of the submit protocol.
	p2p.ReleaseSlot(ctx)
	select {
	case h := <-ch:
		return h, nil
	case <-ctx.Done():
		// Included meanwhile? Then that is the answer.
		if h, err := st.Included(context.WithoutCancel(ctx), key); err == nil && h != 0 {
			return h, nil
		}
		return 0, ctx.Err()
	}
}

// mempoolStats are the pending submissions, for metrics.
func (n *Node) mempoolStats() (txs int, bytes int64) {
	return n.validator.engine.MempoolStats()
}

// withholds reports whether this validator withholds part of h's square
// (Options.Withhold): every block from that height on but the empty one,
// which has no data to withhold.
func (n *Node) withholds(h *da.Header) bool {
	return n.cfg.Role == RoleValidator && n.opts.Withhold > 0 && h.Height >= n.opts.Withhold && !isEmptyBlock(h)
}

// withheldAt is withholds for a height, false when it has no header.
func (n *Node) withheldAt(ctx context.Context, height uint64) bool {
	if n.cfg.Role != RoleValidator || n.opts.Withhold == 0 || height < n.opts.Withhold {
		return false
	}
	h, err := n.chain.Header(ctx, height)
	return err == nil && n.withholds(h)
}

// withheldCell reports whether a withholding validator keeps cell (row,
// col) of a square of width k: the (k+1)×(k+1) block of rows and columns
// k−1 to 2k−1. Each of its rows and columns then lacks k+1 of its 2k
// cells, more than the k parity can restore, and the other rows and
// columns do not cross the block: the square is unrecoverable with the
// fewest cells that make it so (DESIGN.md §7).
func withheldCell(k, row, col int) bool { return row >= k-1 && col >= k-1 }

// errWithheld is what a withholding validator answers instead, wrapping
// notFound (p2p's or api's ErrNotFound: not having data is no offence).
func (n *Node) errWithheld(notFound error, height uint64) error {
	return fmt.Errorf("%w: height %d is withheld (devnet fault withhold@%d)", notFound, height, n.opts.Withhold)
}
