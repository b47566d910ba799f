package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	"golang.org/x/sync/singleflight"
)

// Host is a node's libp2p host: transports, peer scoring, the gossip
// topics and the request/response protocols of one chain.
//
// Lifecycle: New builds the libp2p host, which listens at once (libp2p
// runs its listeners, identify and the connection and resource managers
// from construction; that is the only thing running before Run). Register
// topics (JoinHeaders, JoinTopic) and protocol handlers (Handle,
// ServeHeaders) before Run. Run starts gossipsub, the DHT and discovery and
// returns once its context ends and everything it started has stopped.
// Close stops Run, waits for in-flight handlers and closes the host.
type Host struct {
	cfg       Config
	log       *slog.Logger
	host      host.Host
	scores    *scorer
	mesh      *meshTracer
	bootstrap []peer.AddrInfo
	known     []peer.AddrInfo // dialled once when Run starts

	// life is cancelled by Close; handlers' contexts derive from it.
	life       context.Context
	cancelLife context.CancelFunc

	ready   chan struct{} // closed once Run has joined every topic
	stopped chan struct{} // closed when Run returns or Close is called
	stop    sync.Once

	mu        sync.Mutex // guards the fields below
	running   bool       // Run was called
	closed    bool
	topics    []*Topic
	cancelRun context.CancelFunc
	runDone   chan struct{} // closed when Run returns; nil before Run
	kad       *dht.IpfsDHT  // set while Run runs
	handlers  sync.WaitGroup

	// nsAnswers coalesces identical namespace-data requests served at
	// once: one encoding of the answer for all of them (squares.go).
	nsAnswers singleflight.Group
}

// New builds the host from cfg with identity key. It returns an error
// naming the setting if cfg does not validate or the listen addresses
// cannot be bound.
func New(cfg Config, key crypto.PrivKey, logger *slog.Logger) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no identity key", ErrConfig)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	listen, _ := parseAddrs(cfg.ListenAddrs)
	announce, _ := ParseAnnounceAddrs(cfg.AnnounceAddrs)
	boot, _ := parseBootstrap(cfg.BootstrapPeers)
	var known []peer.AddrInfo
	for _, a := range cfg.KnownPeers {
		if infos, err := parseBootstrap([]string{a}); err == nil {
			known = append(known, infos...)
		}
	}
	rm, unregister, err := cfg.Resources.resourceManager(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh, connmgr.WithGracePeriod(cfg.ConnGrace))
	if err != nil {
		unregister()
		rm.Close()
		return nil, fmt.Errorf("p2p: connection manager: %w", err)
	}
	scores := newScorer(cfg.BanThreshold, cfg.BanDuration)
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrs(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.SwarmOpts(swarm.WithDialRanker(preferTCP)),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(gater{scores}),
		libp2p.UserAgent("tartan"),
		libp2p.DisableRelay(),
		// libp2p's metrics live in package variables shared by every
		// host of the process; the resource manager's are exported per
		// host instead (metrics.go).
		libp2p.DisableMetrics(),
	}
	if len(announce) > 0 {
		// Peers learn these (identify, DHT records) instead of the
		// listen addresses, which behind NAT they could not dial.
		opts = append(opts, libp2p.AddrsFactory(func([]ma.Multiaddr) []ma.Multiaddr { return slices.Clone(announce) }))
	}
	lh, err := libp2p.New(opts...)
	if err != nil {
		unregister()
		return nil, fmt.Errorf("p2p: libp2p host: %w", err)
	}
	h := &Host{
		cfg:       cfg,
		log:       logger.With("peer", lh.ID().String()),
		host:      lh,
		scores:    scores,
		mesh:      newMeshTracer(),
		bootstrap: boot,
		known:     known,
		ready:     make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	h.life, h.cancelLife = context.WithCancel(context.Background())
	return h, nil
}

// ID is the host's peer id.
func (h *Host) ID() peer.ID { return h.host.ID() }

// Addrs are the host's listen addresses with /p2p/<id> appended, ready to
// be given to other hosts as bootstrap peers.
func (h *Host) Addrs() []ma.Multiaddr {
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.host.ID(), Addrs: h.host.Addrs()})
	if err != nil {
		return nil // only for an empty peer id, which a host never has
	}
	return addrs
}

// Peers are the peers the host is connected to now.
func (h *Host) Peers() []peer.ID { return h.host.Network().Peers() }

// PeerAddrs are full multiaddrs (…/p2p/<id>) of the peers connected now,
// at the addresses the peerstore knows for them: what a node remembers to
// find the network again after a restart.
func (h *Host) PeerAddrs() []string {
	var out []string
	for _, p := range h.Peers() {
		info := h.host.Peerstore().PeerInfo(p)
		addrs, err := peer.AddrInfoToP2pAddrs(&info)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			out = append(out, a.String())
		}
	}
	return out
}

// Connect dials the peer at addr (a multiaddr ending in /p2p/<id>).
func (h *Host) Connect(ctx context.Context, addr ma.Multiaddr) error {
	info, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		return fmt.Errorf("p2p: connect to %s: %w", addr, err)
	}
	if h.Blocked(info.ID) {
		return fmt.Errorf("%w: %s", ErrBlocked, info.ID)
	}
	if err := h.host.Connect(ctx, *info); err != nil {
		return fmt.Errorf("p2p: connect to %s: %w", addr, err)
	}
	return nil
}

// ProtocolID is /tartan/<chain-id>/<name>/<version>.
func (h *Host) ProtocolID(name, version string) protocol.ID {
	return protocol.ID("/tartan/" + h.cfg.ChainID + "/" + name + "/" + version)
}

// Run starts gossipsub on the topics joined so far, the DHT and discovery,
// connects to the bootstrap peers, and keeps reconnecting and discovering
// until ctx ends or Close is called. It returns nil then, after every
// goroutine it started has exited; an error only if it could not start.
// Gossipsub's own goroutines stop with ctx but cannot be waited for.
func (h *Host) Run(ctx context.Context) error {
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return ErrClosed
	case h.running:
		h.mu.Unlock()
		return ErrRunning
	}
	h.running = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.cancelRun = cancel
	h.runDone = make(chan struct{})
	done := h.runDone
	topics := h.topics
	h.mu.Unlock()
	defer close(done)
	defer h.stop.Do(func() { close(h.stopped) })

	ps, err := pubsub.NewGossipSub(ctx, h.host,
		// Headers and fraud proofs carry their own signatures and proofs;
		// identical payloads from different forwarders are one message.
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID),
		// A publisher sends to every subscribed peer, not just its mesh:
		// headers are few and latency matters, and a fresh mesh is empty
		// until the first heartbeat.
		pubsub.WithFloodPublish(true),
		pubsub.WithPeerExchange(h.cfg.DHTMode == DHTServer),
		pubsub.WithLogger(h.log),
		pubsub.WithRawTracer(h.mesh),
	)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	// Teardown in reverse order of setup, after every goroutine of Run has
	// returned.
	var wg sync.WaitGroup
	var teardown []func()
	defer func() {
		cancel()
		wg.Wait()
		for i := len(teardown) - 1; i >= 0; i-- {
			teardown[i]()
		}
	}()
	for _, t := range topics {
		if err := t.join(ps); err != nil {
			return err
		}
		teardown = append(teardown, func() { t.leave(ps) })
		wg.Go(func() { t.deliver(ctx) })
	}

	mode := dht.ModeClient
	if h.cfg.DHTMode == DHTServer {
		mode = dht.ModeServer
	}
	kad, err := dht.New(h.host,
		dht.Mode(mode),
		dht.ProtocolPrefix(protocol.ID("/tartan/"+h.cfg.ChainID)),
		dht.BootstrapPeers(h.bootstrap...),
		dht.DisableValues(), // only provider records: who serves this chain
	)
	if err != nil {
		return fmt.Errorf("p2p: DHT: %w", err)
	}
	h.mu.Lock()
	h.kad = kad
	h.mu.Unlock()
	teardown = append(teardown, func() {
		h.mu.Lock()
		h.kad = nil
		h.mu.Unlock()
		_ = kad.Close()
	})
	close(h.ready)

	sub, err := h.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return fmt.Errorf("p2p: watching peers: %w", err)
	}
	teardown = append(teardown, func() { _ = sub.Close() })
	wg.Go(func() { h.logPeers(ctx, sub) })
	wg.Go(func() { h.discover(ctx, kad) })
	<-ctx.Done()
	return nil
}

// logPeers logs each peer that joins or leaves, with the count after.
func (h *Host) logPeers(ctx context.Context, sub event.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev := e.(event.EvtPeerConnectednessChanged)
			switch ev.Connectedness {
			case network.Connected:
				h.log.Info("peer joined", "peer", ev.Peer.String(), "peers", len(h.Peers()))
			case network.NotConnected:
				h.log.Info("peer left", "peer", ev.Peer.String(), "peers", len(h.Peers()))
			}
		}
	}
}

// Close stops Run (if running), waits for it and for in-flight handlers,
// and closes the libp2p host. It is safe to call more than once.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	cancel, done := h.cancelRun, h.runDone
	h.mu.Unlock()
	h.stop.Do(func() { close(h.stopped) })
	if cancel != nil {
		cancel()
		<-done
	}
	h.cancelLife()
	err := h.host.Close() // resets open streams, so handlers return
	h.handlers.Wait()
	return err
}

// enter registers an in-flight handler; false once the host is closed.
func (h *Host) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.handlers.Add(1)
	return true
}

// discoveryNamespace is the DHT key under which full nodes and the
// validators of a chain advertise that they serve whole squares.
func (h *Host) discoveryNamespace() string { return "/tartan/" + h.cfg.ChainID + "/full/v1" }

// discover keeps the host connected: bootstrap peers, then (DHT servers)
// advertising, then looking for servers while the host has few peers.
// A bootstrap peer that could not be reached is tried again after a
// second, then after twice as long each time, up to DiscoveryInterval:
// peers that start together (a devnet, a data centre after a power cut)
// are not all listening at the first dial, and a node should not wait a
// whole interval for the one that came up a moment late.
func (h *Host) discover(ctx context.Context, kad *dht.IpfsDHT) {
	disc := drouting.NewRoutingDiscovery(kad)
	h.connectAll(ctx, h.known)
	var advertiseAt time.Time
	firstRetry := min(time.Second, h.cfg.DiscoveryInterval)
	retry := firstRetry
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := h.cfg.DiscoveryInterval
		if unreached := h.connectAll(ctx, h.bootstrap); unreached > 0 {
			wait, retry = retry, min(2*retry, h.cfg.DiscoveryInterval)
		} else {
			retry = firstRetry
		}
		if kad.RoutingTable().Size() > 0 {
			if h.cfg.DHTMode == DHTServer && !time.Now().Before(advertiseAt) {
				ttl, err := disc.Advertise(ctx, h.discoveryNamespace())
				if err != nil {
					h.log.Debug("advertise failed", "err", err)
				} else {
					advertiseAt = time.Now().Add(ttl / 2)
				}
			}
			if len(h.Peers()) < h.cfg.ConnLow {
				h.findPeers(ctx, disc)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// connectAll dials, in parallel, the peers of infos not yet connected,
// and returns how many of them it could not reach.
func (h *Host) connectAll(ctx context.Context, infos []peer.AddrInfo) (unreached int) {
	var (
		wg     sync.WaitGroup
		failed atomic.Int32
	)
	for _, info := range infos {
		if info.ID == h.ID() || h.host.Network().Connectedness(info.ID) == network.Connected || h.Blocked(info.ID) {
			continue
		}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, h.cfg.StreamTimeout)
			defer cancel()
			// A redial must not wait out libp2p's backoff from the
			// last failure: the retry schedule is ours.
			if sw, ok := h.host.Network().(*swarm.Swarm); ok {
				sw.Backoff().Clear(info.ID)
			}
			if err := h.host.Connect(cctx, info); err != nil {
				failed.Add(1)
				h.log.Debug("peer unreachable", "target", info.ID, "err", err)
			}
		})
	}
	wg.Wait()
	return int(failed.Load())
}

func (h *Host) findPeers(ctx context.Context, disc *drouting.RoutingDiscovery) {
	fctx, cancel := context.WithTimeout(ctx, h.cfg.StreamTimeout)
	defer cancel()
	found, err := disc.FindPeers(fctx, h.discoveryNamespace())
	if err != nil {
		h.log.Debug("find peers failed", "err", err)
		return
	}
	for info := range found {
		if info.ID == h.ID() || len(info.Addrs) == 0 || h.Blocked(info.ID) ||
			h.host.Network().Connectedness(info.ID) == network.Connected {
			continue
		}
		if err := h.host.Connect(fctx, info); err != nil {
			h.log.Debug("discovered peer unreachable", "found", info.ID, "err", err)
		}
		if len(h.Peers()) >= h.cfg.ConnLow {
			return
		}
	}
}

// Running reports whether Run has joined the topics and the host is not
// stopped: a publish now goes out at once rather than waiting for Run.
func (h *Host) Running() bool {
	select {
	case <-h.stopped:
		return false
	case <-h.ready:
		return true
	default:
		return false
	}
}

// waitReady blocks until Run has joined the topics.
func (h *Host) waitReady(ctx context.Context) error {
	select {
	case <-h.ready:
	case <-h.stopped:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-h.stopped:
		return ErrClosed
	default:
		return nil
	}
}
