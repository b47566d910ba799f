package consensus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	sm "github.com/cometbft/cometbft/state"
	cmtstore "github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// EngineConfig is what a validator's CometBFT node is built from: the rest
// of CometBFT's configuration is fixed here, so an operator sets Tartan's
// config and never CometBFT's.
type EngineConfig struct {
	// Home holds the validator's CometBFT keys and databases.
	Home    string
	Moniker string
	Chain   *Chain
	// Listen is CometBFT's p2p address, host:port; External, when set,
	// is the one peers are told.
	Listen, External string
	// Peers are the other validators, "nodeid@host:port".
	Peers     []string
	BlockTime time.Duration
	// MaxTxBytes bounds one transaction (the largest blob the widest
	// square holds, with its framing).
	MaxTxBytes int
	// RPCListen and PrometheusListen turn on CometBFT's RPC and metrics
	// servers ("tcp://host:port"); empty leaves them off.
	RPCListen, PrometheusListen string
}

// Engine is a validator's embedded CometBFT node driving the App through
// a local ABCI client.
type Engine struct {
	node   *cmtnode.Node
	app    *App // nil when CometBFT drives another application
	state  sm.Store
	blocks *cmtstore.BlockStore
	log    *slog.Logger
	closed sync.Once
}

// Key files under a validator's CometBFT home.
const (
	ValidatorKeyFile   = "config/priv_validator_key.json"
	validatorStateFile = "data/priv_validator_state.json"
	NodeKeyFile        = "config/node_key.json"
)

// ValidatorIdentity is what a validator publishes for the genesis and for
// its peers.
type ValidatorIdentity struct {
	PubKey []byte // ed25519 consensus key
	NodeID string // CometBFT p2p node id
}

// InitKeys creates the validator's CometBFT consensus and p2p keys under
// home (mode 0600), or loads them, and returns the public parts.
func InitKeys(home string) (ValidatorIdentity, error) {
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return ValidatorIdentity{}, err
		}
	}
	pv, err := loadOrGenPV(home)
	if err != nil {
		return ValidatorIdentity{}, err
	}
	nk, err := p2p.LoadOrGenNodeKey(filepath.Join(home, NodeKeyFile))
	if err != nil {
		return ValidatorIdentity{}, fmt.Errorf("consensus: node key: %w", err)
	}
	return ValidatorIdentity{PubKey: pv.Key.PubKey.Bytes(), NodeID: string(nk.ID())}, nil
}

// loadOrGenPV wraps privval's panics on unreadable key files into errors.
func loadOrGenPV(home string) (pv *privval.FilePV, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("consensus: validator key in %s: %v", home, r)
		}
	}()
	return privval.LoadOrGenFilePV(filepath.Join(home, ValidatorKeyFile), filepath.Join(home, validatorStateFile)), nil
}

// blockStoreOptions tune the LSM tree under the block store's value log
// (valueLogDB), which holds only pointers and small records: nothing
// there compresses much, so snappy only costs CPU.
func blockStoreOptions() *opt.Options {
	return &opt.Options{Compression: opt.NoCompression}
}

// closedReads reads nothing from a closed database instead of failing.
// CometBFT's node closes its databases on Stop while goroutines of its
// consensus reactor that Stop does not await may still read the block
// store, and the store panics on any read error; a read after Close
// finds nothing, and the goroutine then sees the reactor stopped and
// returns.
type closedReads struct{ dbm.DB }

func (d closedReads) Get(key []byte) ([]byte, error) {
	v, err := d.DB.Get(key)
	if errors.Is(err, leveldb.ErrClosed) {
		return nil, nil
	}
	return v, err
}

func (d closedReads) Has(key []byte) (bool, error) {
	ok, err := d.DB.Has(key)
	if errors.Is(err, leveldb.ErrClosed) {
		return false, nil
	}
	return ok, err
}

// NewEngine builds the CometBFT node around app. It starts nothing.
func NewEngine(cfg EngineConfig, app abci.Application, log *slog.Logger) (*Engine, error) {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	c.Moniker = cfg.Moniker
	c.RPC.ListenAddress = cfg.RPCListen
	c.RPC.PprofListenAddress = ""
	c.Instrumentation.Prometheus = cfg.PrometheusListen != ""
	c.Instrumentation.PrometheusListenAddr = cfg.PrometheusListen
	c.P2P.ListenAddress = "tcp://" + cfg.Listen
	if cfg.External != "" {
		c.P2P.ExternalAddress = "tcp://" + cfg.External
	}
	c.P2P.PersistentPeers = strings.Join(cfg.Peers, ",")
	c.P2P.PexReactor = false
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	// The mempool relays whole blobs: CometBFT's 5 MB/s default per peer
	// would cap the chain below its blob throughput.
	c.P2P.SendRate, c.P2P.RecvRate = 1<<30, 1<<30
	c.P2P.MaxPacketMsgPayloadSize = 64 << 10
	// Blocks are a few kB of references, so a block's time is mostly its
	// messages' hops (proposal, two rounds of votes), each of which may
	// wait for a connection's flush: 2 ms instead of 10 shortened loaded
	// 4-validator blocks by about 5% (0.82 s against 0.87–0.91 s).
	c.P2P.FlushThrottleTimeout = 2 * time.Millisecond
	// The App keeps the mempool (pool.go); CometBFT only relays what
	// ReapTxs hands it, polling every ReapInterval.
	c.Mempool.Type = cmtcfg.MempoolTypeApp
	c.Mempool.ReapInterval = 5 * time.Millisecond
	c.Mempool.MaxTxBytes = cfg.MaxTxBytes
	// An idle chain makes a block every block time; a busy one proposes
	// as soon as the last block is committed, since building, checking
	// and gossiping a full square already takes most of a block time:
	// at once when every precommit is in, else a tenth of the block time
	// later, to gather late ones.
	c.Consensus.TimeoutCommit = max(cfg.BlockTime/10, 10*time.Millisecond)
	c.Consensus.SkipTimeoutCommit = true
	// A peer's gossip routines sleep this long when they have nothing to
	// send; CometBFT's 100 ms then delays a new proposal, and each round
	// of votes, by up to as much at every hop: a tenth of a block time
	// per step. Waking every 5 ms costs little next to a block's work.
	c.Consensus.PeerGossipSleepDuration = 5 * time.Millisecond
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = cfg.BlockTime
	c.TxIndex.Indexer = "null"
	c.Storage.DiscardABCIResponses = true
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("consensus: CometBFT config: %w", err)
	}
	pv, err := loadOrGenPV(cfg.Home)
	if err != nil {
		return nil, err
	}
	nk, err := p2p.LoadOrGenNodeKey(filepath.Join(cfg.Home, NodeKeyFile))
	if err != nil {
		return nil, fmt.Errorf("consensus: node key: %w", err)
	}
	e := &Engine{log: log}
	// Keep the block and state databases to read headers, commits and
	// validator sets. They are opened before the handshake, which may
	// replay the last block into App.Commit while NewNode runs, so the
	// header of a replayed block is readable then too (Block.Header).
	dbs := func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		var db dbm.DB
		var err error
		if ctx.ID == "blockstore" && dbm.BackendType(ctx.Config.DBBackend) == dbm.GoLevelDBBackend {
			db, err = dbm.NewGoLevelDBWithOpts(ctx.ID, ctx.Config.DBDir(), blockStoreOptions())
			if err == nil {
				var vdb dbm.DB
				if vdb, err = openValueLog(db, filepath.Join(ctx.Config.DBDir(), "blockstore.vlog")); err != nil {
					db.Close()
				}
				db = vdb
			}
		} else {
			db, err = cmtcfg.DefaultDBProvider(ctx)
		}
		if err == nil {
			db = closedReads{db}
		}
		if err == nil && ctx.ID == "state" {
			e.state = sm.NewStore(db, sm.StoreOptions{DiscardABCIResponses: true})
		}
		if err == nil && ctx.ID == "blockstore" {
			e.blocks = cmtstore.NewBlockStore(db)
		}
		return db, err
	}
	if a, ok := app.(*App); ok {
		a.engine, e.app = e, a
	}
	// One lock per ABCI connection: CheckTx need not wait while a
	// proposal's square is built (App guards its own state).
	n, err := cmtnode.NewNode(c, pv, nk, proxy.NewConnSyncLocalClientCreator(app),
		func() (*types.GenesisDoc, error) { return cfg.Chain.doc, nil },
		dbs, cmtnode.DefaultMetricsProvider(c.Instrumentation), slogAdapter{log})
	if err != nil {
		return nil, fmt.Errorf("consensus: starting CometBFT: %w", err)
	}
	e.node = n
	return e, nil
}

// Run runs CometBFT until ctx ends, then stops it.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.node.Start(); err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	<-ctx.Done()
	return e.Close()
}

// Close stops CometBFT and releases its databases.
func (e *Engine) Close() error {
	var err error
	e.closed.Do(func() {
		if e.node.IsRunning() {
			if err = e.node.Stop(); err == nil {
				e.node.Wait()
			}
		}
		// CometBFT's node does not stop its ABCI connections, whose
		// watcher goroutine would keep the App, and through its Store the
		// whole Tartan node, alive after Close.
		if pa := e.node.ProxyApp(); pa != nil && pa.IsRunning() {
			err = errors.Join(err, pa.Stop())
		}
		if e.app != nil {
			e.app.Close() // squares being staged
		}
	})
	return err
}

// NodeID is the validator's CometBFT p2p identity.
func (e *Engine) NodeID() string { return string(e.node.NodeInfo().ID()) }

// Errors of Submit; wrapped with details, test with errors.Is.
var (
	// ErrMempoolFull: the mempool takes no more transactions now; retry
	// later.
	ErrMempoolFull = errors.New("consensus: mempool is full")
	// ErrTxRefused: CheckTx refused the transaction; the wrapped message
	// says why, and TxRefusal carries the code.
	ErrTxRefused = errors.New("consensus: transaction refused")
)

// TxRefusal is CheckTx's verdict on a refused transaction.
type TxRefusal struct {
	Code uint32
	Log  string
}

func (r *TxRefusal) Error() string { return fmt.Sprintf("%v: %s", ErrTxRefused, r.Log) }
func (r *TxRefusal) Unwrap() error { return ErrTxRefused }

// Submit puts tx in the App's mempool, from which it is relayed once to
// the validator's peers. A transaction already in the mempool is not an
// error: it is on its way to a block.
//
// key is TxKey(tx), which the caller has computed already, so the
// transaction is not hashed again.
func (e *Engine) Submit(ctx context.Context, tx []byte, key [32]byte) error {
	if e.app == nil {
		return errors.New("consensus: Submit needs the engine to run Tartan's App")
	}
	e.app.keys.put(tx, key, false)
	code, log, err := e.app.admit(ctx, tx, true)
	switch {
	case err != nil:
		return err
	case code == CodePoolFull:
		return fmt.Errorf("%w: %s", ErrMempoolFull, log)
	case code != abci.CodeTypeOK:
		return &TxRefusal{Code: code, Log: log}
	}
	return nil
}

// MempoolStats are the transactions waiting in the mempool and their
// bytes.
func (e *Engine) MempoolStats() (txs int, bytes int64) {
	if e.app == nil {
		return 0, 0
	}
	return e.app.pool.stats()
}

// SignedHeader is height's CometBFT header with the commit that finalized
// it, and the validator set that signed it. It is there once the App has
// committed the height.
func (e *Engine) SignedHeader(height uint64) (*types.SignedHeader, *types.ValidatorSet, error) {
	bs := e.blocks
	meta := bs.LoadBlockMeta(int64(height))
	if meta == nil {
		return nil, nil, fmt.Errorf("consensus: no block at height %d", height)
	}
	commit := bs.LoadSeenCommit(int64(height))
	if commit == nil {
		commit = bs.LoadBlockCommit(int64(height))
	}
	if commit == nil {
		return nil, nil, fmt.Errorf("consensus: no commit for height %d", height)
	}
	vals, err := e.state.LoadValidators(int64(height))
	if err != nil {
		return nil, nil, fmt.Errorf("consensus: validators of height %d: %w", height, err)
	}
	return &types.SignedHeader{Header: &meta.Header, Commit: commit}, vals, nil
}

// slogAdapter writes CometBFT's log lines to the node's logger. CometBFT
// tells at info what an operator of Tartan needs only when debugging, and
// calls errors what a network routinely does (a peer gone): its info goes
// to debug and its errors to warn.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a slogAdapter) Warn(msg string, kv ...any)  { a.l.Warn(msg, kv...) }
func (a slogAdapter) Error(msg string, kv ...any) { a.l.Warn(msg, kv...) }
func (a slogAdapter) With(kv ...any) cmtlog.Logger {
	return slogAdapter{a.l.With(kv...)}
}
