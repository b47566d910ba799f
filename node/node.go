package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// Options are what a node takes from its caller rather than its files.
type Options struct {
	Logger  *slog.Logger
	Version string
	// SquareCacheBytes bounds the verified squares kept in memory for
	// serving; zero means DefaultSquareCacheBytes of the chain.
	SquareCacheBytes int
	// Archival keeps every square whatever config.json says (tartan start
	// --archival).
	Archival bool
	// APIAuth, when set, replaces config.json's api_auth for this run
	// (tartan start --api.auth).
	APIAuth string
	// Announce, when set, replaces config.json's announce_addrs for this
	// run (tartan start --announce).
	Announce []string
	// Withhold is a devnet-only fault (tartan devnet --fault withhold@H),
	// zero when off. From this height on a validator keeps from every
	// peer and REST client an unrecoverable part of each non-empty square
	// (withheldCell) while serving the rest. Other roles ignore it.
	Withhold uint64
	// BadEncoding is a devnet-only fault (tartan devnet --fault
	// bad-encoding@H), zero when off: at this height a validator proposes
	// and accepts a badly encoded square (consensus.CorruptEDS), commits
	// to it and serves it as such. Every validator of the devnet runs with
	// it: a dishonest supermajority. Other roles ignore it.
	BadEncoding uint64
	// TrustedHeight and TrustedHash, when either is set, replace the
	// config's checkpoint for this run (tartan start --trusted-height,
	// --trusted-hash). A checkpoint applies only to an empty chain.
	TrustedHeight uint64
	TrustedHash   string
	// SamplingConfidence or SamplingSamples, when set, replace the
	// config's choice of how many cells a light node samples per height
	// (tartan start --sampling.confidence / --sampling.samples).
	SamplingConfidence float64
	SamplingSamples    int

	// For tests: shorter sampling rounds and backoffs, and counting the
	// sessions and requests a light node makes per height.
	tuneSampling  func(*sampling.Config)
	countSampling bool
}

// Node is one Tartan node of any role. New prepares it; Run runs it.
type Node struct {
	dir     string
	cfg     *Config
	genesis *Genesis
	opts    Options
	log     *slog.Logger
	// started is when New ran: the uptime /v1/node reports counts from it.
	started time.Time

	store   *store.Store
	chain   *chain
	squares *squares
	host    *p2p.Host
	headers *p2p.HeaderTopic
	api     *api.Server
	apiLn   net.Listener
	rpcLn   net.Listener // nil when the JSON-RPC is off
	metrics *api.Metrics

	// validator only (validator.go)
	validator *validator

	// forwards queues the submissions this node forwards to validators
	// (forward.go).
	forwards chan struct{}
	// nsFetches coalesces identical namespace fetches from peers.
	nsFetches singleflight.Group

	// syncKick wakes the header sync loop early.
	syncKick chan struct{}

	// availability (availability.go): sampler on light nodes, tracker on
	// the others; events on every role.
	sampler *sampler
	tracker *fullTracker
	events  *eventLog
	// fraud holds the bad-encoding proofs and the fraud topic (fraud.go).
	fraud *fraudState
	// attest holds the attestations to Ethereum (attest.go); nil when the
	// genesis has no settlement parameters.
	attest *attestState
	// repairs spaces out the square loop's repairs from held samples
	// (repair.go); only that loop touches it.
	repairs repairBackoff

	// checkpoint is the trusted header to start from, nil when the chain
	// was not empty or none is configured.
	checkpoint *checkpoint

	closeOnce sync.Once
}

// New loads the node in dir (written by Init): config, genesis, keys and
// store. It binds the p2p and REST listeners but starts no goroutine of
// its own.
func New(ctx context.Context, dir string, o Options) (*Node, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	cfg.Archival = cfg.Archival || o.Archival
	if o.APIAuth != "" {
		cfg.APIAuth = o.APIAuth
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	if len(o.Announce) > 0 {
		cfg.Announce = o.Announce
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	if o.SamplingConfidence != 0 || o.SamplingSamples != 0 {
		cfg.Confidence, cfg.Samples = o.SamplingConfidence, o.SamplingSamples
		if cfg.Confidence == 0 {
			cfg.Confidence = sampling.DefaultConfig().Confidence
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	if o.TrustedHeight != 0 || o.TrustedHash != "" {
		cfg.TrustedHeight, cfg.TrustedHash = o.TrustedHeight, o.TrustedHash
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	g, err := LoadGenesis(filepath.Join(dir, GenesisFile))
	if err != nil {
		return nil, err
	}
	n := &Node{dir: dir, cfg: cfg, genesis: g, opts: o, started: time.Now(), syncKick: make(chan struct{}, 1),
		forwards: make(chan struct{}, maxForwards),
		log:      o.Logger.With("role", string(cfg.Role))}
	scfg := store.DefaultConfig()
	scfg.Window, scfg.Archival, scfg.Logger = cfg.Window.D(), cfg.Archival, n.log
	if n.store, err = store.Open(ctx, filepath.Join(dir, StoreDir), scfg); err != nil {
		return nil, err
	}
	fail := func(err error) (*Node, error) {
		n.Close()
		return nil, err
	}
	if n.chain, err = newChain(ctx, g, cfg.Trusting(), n.store, n.log); err != nil {
		return fail(err)
	}
	if o.SquareCacheBytes == 0 {
		o.SquareCacheBytes = DefaultSquareCacheBytes(g.MaxSquareWidth)
	}
	n.squares = newSquares(n.store, o.SquareCacheBytes)
	n.metrics = api.NewMetrics()
	nodeKey, err := LoadOrCreateNodeKey(filepath.Join(dir, NodeKeyFile))
	if err != nil {
		return fail(err)
	}
	pcfg := p2p.DefaultConfig()
	pcfg.ChainID, pcfg.ListenAddrs, pcfg.BootstrapPeers = g.ChainID, cfg.Listen, cfg.Bootstrap
	pcfg.AnnounceAddrs = cfg.Announce
	if pcfg.KnownPeers, err = loadPeers(ctx, n.store); err != nil {
		return fail(err)
	}
	if cfg.Role == RoleLight {
		pcfg.DHTMode = p2p.DHTClient
	}
	pcfg.Metrics = n.metrics.Registerer()
	if n.host, err = p2p.New(pcfg, nodeKey, n.log); err != nil {
		return fail(err)
	}
	if n.headers, err = n.host.JoinHeaders(n.validateHeader, n.receiveHeader); err != nil {
		return fail(err)
	}
	if err := n.initFraud(ctx); err != nil {
		return fail(err)
	}
	if err := n.initAttest(ctx); err != nil {
		return fail(err)
	}
	n.host.ServeHeaders(headerSource{n.store, n.chain.verify})
	n.serveProtocols()
	if err := n.initAvailability(); err != nil {
		return fail(err)
	}
	if err := n.initCheckpoint(); err != nil {
		return fail(err)
	}
	acfg := api.DefaultConfig()
	acfg.Addr, acfg.RPCAddr = cfg.API, cfg.RPCListen
	n.initAuth(&acfg)
	acfg.AltDANamespace = cfg.AltDA()
	acfg.CORSOrigins = cfg.APICORSOrigins
	acfg.MaxConns, acfg.MaxConnsPerClient = cfg.APIConnLimits()
	acfg.UI = cfg.UIEnabled()
	if n.api, err = api.New(acfg, n.services(), n.log); err != nil {
		return fail(err)
	}
	if n.apiLn, err = net.Listen("tcp", cfg.API); err != nil {
		return fail(fmt.Errorf("node: REST API: %w", err))
	}
	if cfg.RPCListen != "" {
		if n.rpcLn, err = net.Listen("tcp", cfg.RPCListen); err != nil {
			return fail(fmt.Errorf("node: JSON-RPC (rpc_listen): %w", err))
		}
	}
	if cfg.Role == RoleValidator {
		// Last: CometBFT may replay blocks into the store on start, which
		// needs everything above.
		if err := n.initValidator(ctx); err != nil {
			return fail(err)
		}
	}
	return n, nil
}

// Run runs the node until ctx ends, then stops everything it started and
// closes the node. It returns the first error that stopped it early.
func (n *Node) Run(ctx context.Context) error {
	defer n.Close()
	ln := n.apiLn
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errOnce.Do(func() { firstErr = fmt.Errorf("%s: %w", name, err) })
				cancel()
			}
		})
	}
	run("p2p", n.host.Run)
	run("api", func(ctx context.Context) error { return n.api.Serve(ctx, ln) })
	if rpcLn := n.rpcLn; rpcLn != nil {
		run("rpc", func(ctx context.Context) error { return n.api.ServeRPC(ctx, rpcLn) })
	}
	run("prune", n.pruneLoop)
	run("peers", n.peersLoop)
	run("metrics", n.metricsLoop)
	run("fraud sync", n.fraudSyncLoop)
	run("attest", n.attestLoop)
	run("attest sync", n.attestSyncLoop)
	roles := func() {
		run("availability", n.availLoop)
		switch n.cfg.Role {
		case RoleValidator:
			run("consensus", n.validator.engine.Run)
			run("square sync", n.squareLoop)
		case RoleFull:
			run("header sync", n.syncLoop)
			run("square sync", n.squareLoop)
		case RoleLight:
			run("header sync", n.syncLoop)
			run("sampling", n.lightLoop)
		}
	}
	if cp := n.checkpoint; cp != nil {
		// The chain loops start from the checkpoint once it is stored.
		run("checkpoint", func(ctx context.Context) error {
			if err := n.startFromCheckpoint(ctx, *cp); err != nil || ctx.Err() != nil {
				return err
			}
			roles()
			return nil
		})
	} else {
		roles()
	}
	n.log.Info("node running", n.summary(ln.Addr().String())...)
	wg.Wait()
	local, _ := n.chain.Heights()
	if firstErr != nil {
		n.log.Error("node stopped", "err", firstErr, "height", local)
	} else {
		n.log.Info("node stopped", "height", local)
	}
	return firstErr
}

// summary is the start-up line's config: what an operator checks first
// when a node does not do what they expect. It holds no secret.
func (n *Node) summary(apiAddr string) []any {
	c := n.cfg
	local, _ := n.chain.Heights()
	args := []any{"chain", n.genesis.ChainID, "version", n.opts.Version, "api", apiAddr, "rpc", n.RPCAddr(), "api_auth", c.AuthMode(),
		"peer", n.host.ID().String(), "listen", strings.Join(n.P2PAddrs(), ","), "bootstrap", len(c.Bootstrap),
		"validators", len(n.genesis.Validators), "block_time", n.genesis.BlockTime.D().String(),
		"max_square_width", n.genesis.MaxSquareWidth, "height", local}
	if c.Archival || n.opts.Archival {
		args = append(args, "storage", "archival")
	} else {
		args = append(args, "storage_window", c.Window.D().String())
	}
	switch c.Role {
	case RoleValidator:
		args = append(args, "consensus_listen", c.ConsensusListen, "consensus_peers", len(c.ConsensusPeers), "mempool_bytes", c.PoolBytes)
	case RoleLight:
		if c.Samples > 0 {
			args = append(args, "samples", c.Samples)
		} else {
			args = append(args, "confidence", c.Confidence)
		}
	}
	if c.TrustedHeight > 0 || n.opts.TrustedHeight > 0 {
		args = append(args, "trusted_height", max(c.TrustedHeight, n.opts.TrustedHeight))
	}
	return args
}

// Close releases the host and the store; Run calls it on return.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		if n.apiLn != nil {
			n.apiLn.Close() // already closed when Run served on it
		}
		if n.rpcLn != nil {
			n.rpcLn.Close()
		}
		if n.validator != nil {
			err = n.validator.engine.Close()
		}
		if n.host != nil {
			err = errors.Join(err, n.host.Close())
		}
		if n.store != nil {
			err = errors.Join(err, n.store.Close())
		}
	})
	return err
}

// pruneLoop deletes squares that left the storage window, hourly.
func (n *Node) pruneLoop(ctx context.Context) error {
	// Hourly, or more often for a short window so a square never outlives
	// it by much.
	t := time.NewTicker(min(time.Hour, max(time.Second, n.cfg.Window.D()/4)))
	defer t.Stop()
	for {
		if removed, err := n.store.Prune(ctx, time.Now()); err != nil {
			n.log.Warn("pruning failed", "err", err)
		} else if removed > 0 {
			n.log.Info("pruned squares", "count", removed)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// APIAddr is the REST API's bound address, host:port.
func (n *Node) APIAddr() string { return n.apiLn.Addr().String() }

// RPCAddr is the JSON-RPC's bound address, host:port, or "" when it is
// off.
func (n *Node) RPCAddr() string {
	if n.rpcLn == nil {
		return ""
	}
	return n.rpcLn.Addr().String()
}

// PeerID is the node's libp2p identity.
func (n *Node) PeerID() string { return n.host.ID().String() }

// P2PAddrs are the node's full libp2p multiaddrs (…/p2p/<id>).
func (n *Node) P2PAddrs() []string {
	var out []string
	for _, a := range n.host.Addrs() {
		out = append(out, a.String())
	}
	return out
}
