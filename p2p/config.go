package p2p

import (
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tartan-da/tartan/da"
)

// DHTMode says whether a host answers DHT queries and advertises itself.
type DHTMode int

const (
	// DHTClient only queries the DHT and never advertises: light nodes.
	DHTClient DHTMode = iota + 1
	// DHTServer answers DHT queries and advertises the host as a server of
	// whole squares under the chain's key: full nodes and validators.
	DHTServer
)

func (m DHTMode) String() string {
	switch m {
	case DHTClient:
		return "client"
	case DHTServer:
		return "server"
	}
	return fmt.Sprintf("DHTMode(%d)", int(m))
}

// ResourceLimits are the resource manager's system-wide and per-peer
// limits. They are explicit so that a node's worst case is known from its
// configuration, not from the machine it happens to run on.
type ResourceLimits struct {
	Conns          int   // open connections, all peers
	ConnsPerPeer   int   // open connections to one peer
	Streams        int   // open streams, all peers
	StreamsPerPeer int   // open streams with one peer
	Memory         int64 // bytes reserved by transports and muxers, all peers
	FD             int   // file descriptors used by the transports
}

// Config is everything the host needs. The node fills it from its own
// configuration; DefaultConfig suits tests on loopback.
type Config struct {
	// ChainID names every topic and protocol (/tartan/<chain-id>/…), so
	// hosts of different chains never exchange data.
	ChainID string
	// ListenAddrs are multiaddrs such as /ip4/0.0.0.0/tcp/2121 and
	// /ip4/0.0.0.0/udp/2121/quic-v1.
	ListenAddrs []string
	// AnnounceAddrs, when set, are the addresses the host advertises to
	// peers (identify, the DHT, Addrs) instead of its listen addresses:
	// a node behind NAT or a port mapping names the public address peers
	// can dial, like /ip4/203.0.113.7/tcp/2121. No /p2p/ part; the host
	// adds its own peer id.
	AnnounceAddrs []string
	// BootstrapPeers are full multiaddrs ending in /p2p/<peer id>. Run
	// connects to them and keeps reconnecting while they are away.
	BootstrapPeers []string
	// KnownPeers are full multiaddrs of peers met before (the node keeps
	// them across restarts). Run dials them once at start, so a node
	// whose bootstrap peers are gone still finds the network. Entries that
	// do not parse are skipped: they are a hint, not configuration.
	KnownPeers []string
	// DHTMode is DHTServer for full nodes and validators, DHTClient for
	// light nodes.
	DHTMode DHTMode

	Resources ResourceLimits
	// ConnLow and ConnHigh are the connection manager's watermarks: above
	// ConnHigh it trims down to ConnLow, sparing connections younger than
	// ConnGrace. Below ConnLow, Run looks for more peers in the DHT.
	ConnLow, ConnHigh int
	ConnGrace         time.Duration

	// StreamTimeout is the deadline of every request/response stream, on
	// both sides, unless a protocol sets its own.
	StreamTimeout time.Duration
	// MaxConcurrentRequests bounds the streams one protocol serves at once;
	// beyond it a requester is told the host is busy.
	MaxConcurrentRequests int
	// MaxHeaderRange is how many headers the host returns for one
	// header-range request, at most HeaderRangeMaxCount.
	MaxHeaderRange int

	// BanThreshold is the penalty score at which a peer is disconnected and
	// refused for BanDuration. Penalties older than BanDuration are
	// forgotten.
	BanThreshold int
	BanDuration  time.Duration

	// Metrics, when set, gets the resource manager's metrics
	// (libp2p_rcmgr_*) of this host; nil exports none.
	Metrics prometheus.Registerer

	// DiscoveryInterval is how often Run reconnects to absent bootstrap
	// peers, advertises itself (DHT servers) and looks for peers when it
	// has fewer than ConnLow.
	DiscoveryInterval time.Duration
}

// DefaultConfig returns limits suitable for a node; its listen addresses
// are loopback with ephemeral ports (TCP and QUIC), which is what tests
// want. The node replaces ListenAddrs, BootstrapPeers and ChainID.
func DefaultConfig() Config {
	return Config{
		ChainID:        "tartan",
		ListenAddrs:    []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"},
		BootstrapPeers: nil,
		DHTMode:        DHTServer,
		Resources: ResourceLimits{
			Conns:          256,
			ConnsPerPeer:   8,
			Streams:        4096,
			StreamsPerPeer: 512,
			Memory:         512 << 20,
			FD:             512,
		},
		ConnLow:               32,
		ConnHigh:              128,
		ConnGrace:             time.Minute,
		StreamTimeout:         5 * time.Second,
		MaxConcurrentRequests: 64,
		MaxHeaderRange:        HeaderRangeMaxCount,
		BanThreshold:          100,
		BanDuration:           30 * time.Minute,
		DiscoveryInterval:     30 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if err := validateChainID(c.ChainID); err != nil {
		return err
	}
	if len(c.ListenAddrs) == 0 {
		return fmt.Errorf("%w: no listen addresses", ErrConfig)
	}
	if _, err := parseAddrs(c.ListenAddrs); err != nil {
		return err
	}
	if _, err := ParseAnnounceAddrs(c.AnnounceAddrs); err != nil {
		return fmt.Errorf("%w: announce address %w", ErrConfig, err)
	}
	if _, err := parseBootstrap(c.BootstrapPeers); err != nil {
		return err
	}
	r := c.Resources
	switch {
	case c.DHTMode != DHTClient && c.DHTMode != DHTServer:
		return fmt.Errorf("%w: DHT mode %v, want client or server", ErrConfig, c.DHTMode)
	case r.Conns <= 0 || r.ConnsPerPeer <= 0 || r.Streams <= 0 || r.StreamsPerPeer <= 0 || r.FD <= 0:
		return fmt.Errorf("%w: resource limits must be positive: %+v", ErrConfig, r)
	case r.Memory < 16<<20:
		return fmt.Errorf("%w: resource memory limit %d bytes, want at least 16 MiB", ErrConfig, r.Memory)
	case c.ConnLow <= 0 || c.ConnHigh <= c.ConnLow:
		return fmt.Errorf("%w: connection watermarks low %d, high %d: want 0 < low < high", ErrConfig, c.ConnLow, c.ConnHigh)
	case c.ConnHigh >= r.Conns:
		// The connection manager must trim before the resource manager
		// starts refusing connections; libp2p checks this too.
		return fmt.Errorf("%w: connection high watermark %d must be below the resource limit of %d connections", ErrConfig, c.ConnHigh, r.Conns)
	case c.ConnGrace < 0:
		return fmt.Errorf("%w: negative connection grace period", ErrConfig)
	case c.StreamTimeout <= 0:
		return fmt.Errorf("%w: stream timeout must be positive", ErrConfig)
	case c.MaxConcurrentRequests <= 0:
		return fmt.Errorf("%w: max concurrent requests must be positive", ErrConfig)
	case c.MaxHeaderRange <= 0 || c.MaxHeaderRange > HeaderRangeMaxCount:
		return fmt.Errorf("%w: max header range %d, want 1 to %d", ErrConfig, c.MaxHeaderRange, HeaderRangeMaxCount)
	case c.BanThreshold <= 0 || c.BanDuration <= 0:
		return fmt.Errorf("%w: ban threshold and duration must be positive", ErrConfig)
	case c.DiscoveryInterval <= 0:
		return fmt.Errorf("%w: discovery interval must be positive", ErrConfig)
	}
	return nil
}

// validateChainID accepts what da.Header accepts, minus '/', which would
// make /tartan/<chain-id>/… ambiguous.
func validateChainID(id string) error {
	if id == "" || len(id) > da.MaxChainIDLength {
		return fmt.Errorf("%w: chain id has %d bytes, want 1 to %d", ErrConfig, len(id), da.MaxChainIDLength)
	}
	for _, c := range []byte(id) {
		if c < 0x21 || c > 0x7e || c == '/' {
			return fmt.Errorf("%w: chain id %q must be printable ASCII without spaces or '/'", ErrConfig, id)
		}
	}
	return nil
}

func parseAddrs(ss []string) ([]ma.Multiaddr, error) {
	out := make([]ma.Multiaddr, 0, len(ss))
	for _, s := range ss {
		a, err := ma.NewMultiaddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %v", ErrConfig, s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseAnnounceAddrs checks addresses a host may advertise: multiaddrs
// without /p2p/ (the host adds its own peer id) and not 0.0.0.0 or ::,
// which only mean something to a listener. Errors start with the
// offending address, for the caller to say where it came from.
func ParseAnnounceAddrs(ss []string) ([]ma.Multiaddr, error) {
	out := make([]ma.Multiaddr, 0, len(ss))
	for _, s := range ss {
		a, err := ma.NewMultiaddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a multiaddr (like /ip4/203.0.113.7/tcp/2121): %v", s, err)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
			return nil, fmt.Errorf("%q: leave out /p2p/…, the host adds its own peer id", s)
		}
		if manet.IsIPUnspecified(a) {
			return nil, fmt.Errorf("%q: 0.0.0.0 and :: are for listening; announce an address peers can dial", s)
		}
		out = append(out, a)
	}
	return out, nil
}

// parseBootstrap merges addresses of the same peer.
func parseBootstrap(ss []string) ([]peer.AddrInfo, error) {
	addrs := make([]ma.Multiaddr, 0, len(ss))
	for _, s := range ss {
		a, err := ma.NewMultiaddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%w: bootstrap peer %q: %v", ErrConfig, s, err)
		}
		if _, err := peer.AddrInfoFromP2pAddr(a); err != nil {
			return nil, fmt.Errorf("%w: bootstrap peer %q must end in /p2p/<peer id>: %v", ErrConfig, s, err)
		}
		addrs = append(addrs, a)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(addrs...)
	if err != nil {
		return nil, fmt.Errorf("%w: bootstrap peers: %v", ErrConfig, err)
	}
	return infos, nil
}

// limiter turns the explicit limits into libp2p's resource manager
// limits. Scopes the limits do not name (services, protocols, transient)
// get libp2p's defaults scaled to the same memory and descriptors.
func (r ResourceLimits) limiter() rcmgr.Limiter {
	base := rcmgr.DefaultLimits.Scale(r.Memory, r.FD)
	all := rcmgr.ResourceLimits{
		Conns: rcmgr.LimitVal(r.Conns), ConnsInbound: rcmgr.LimitVal(r.Conns), ConnsOutbound: rcmgr.LimitVal(r.Conns),
		Streams: rcmgr.LimitVal(r.Streams), StreamsInbound: rcmgr.LimitVal(r.Streams), StreamsOutbound: rcmgr.LimitVal(r.Streams),
		Memory: rcmgr.LimitVal64(r.Memory), FD: rcmgr.LimitVal(r.FD),
	}
	perPeer := rcmgr.ResourceLimits{
		Conns: rcmgr.LimitVal(r.ConnsPerPeer), ConnsInbound: rcmgr.LimitVal(r.ConnsPerPeer), ConnsOutbound: rcmgr.LimitVal(r.ConnsPerPeer),
		Streams: rcmgr.LimitVal(r.StreamsPerPeer), StreamsInbound: rcmgr.LimitVal(r.StreamsPerPeer), StreamsOutbound: rcmgr.LimitVal(r.StreamsPerPeer),
		Memory: rcmgr.LimitVal64(min(max(r.Memory/16, 8<<20), r.Memory)), FD: rcmgr.LimitVal(r.FD),
	}
	limits := rcmgr.PartialLimitConfig{System: all, PeerDefault: perPeer}.Build(base)
	return rcmgr.NewFixedLimiter(limits)
}

// resourceManager builds the resource manager, and registers its
// collector with reg when reg is not nil; unregister takes the collector
// back out should the host not come up. libp2p's own metrics are always
// off: they live in package variables shared by every host of the
// process (metrics.go).
func (r ResourceLimits) resourceManager(reg prometheus.Registerer) (rm network.ResourceManager, unregister func(), err error) {
	limiter := r.limiter()
	opts := []rcmgr.Option{rcmgr.WithMetricsDisabled()}
	var rc *resourceCollector
	if reg != nil {
		rc = newResourceCollector(limiter)
		opts = append(opts, rcmgr.WithMetrics(blockCounter{rc.blocked}))
	}
	unregister = func() {}
	if rm, err = rcmgr.NewResourceManager(limiter, opts...); err != nil || rc == nil {
		return rm, unregister, err
	}
	state, ok := rm.(rcmgr.ResourceManagerState)
	if !ok {
		rm.Close()
		return nil, nil, fmt.Errorf("p2p: resource manager %T does not report its state", rm)
	}
	rc.state = state
	if err := reg.Register(rc); err != nil {
		rm.Close()
		return nil, nil, fmt.Errorf("p2p: registering the resource manager's metrics: %w", err)
	}
	return rm, func() { reg.Unregister(rc) }, nil
}
