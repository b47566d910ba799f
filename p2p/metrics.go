package p2p

import (
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/prometheus/client_golang/prometheus"
)

// The resource manager's metrics, per host. libp2p's own reporter
// (rcmgr.MustRegisterWith) keeps its collectors in package variables that
// every resource manager of the process writes to, so two hosts in one
// process (tests, embedding) would report each other's use. This
// collector instead reads its own host's resource manager when scraped,
// under libp2p's metric names so libp2p's dashboards apply.

// resourceCollector exports one resource manager's use, limits and
// refusals.
type resourceCollector struct {
	state   rcmgr.ResourceManagerState // set once the manager exists
	limiter rcmgr.Limiter
	blocked *prometheus.CounterVec // resource, dir

	conns, streams, memory, fds, peers, limit *prometheus.Desc
}

func newResourceCollector(limiter rcmgr.Limiter) *resourceCollector {
	const ns = "libp2p_rcmgr_"
	c := &resourceCollector{
		limiter: limiter,
		blocked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "blocked_total",
			Help: "Resource reservations the resource manager refused, by resource (connection, stream, peer, protocol, service, memory) and direction."},
			[]string{"resource", "dir"}),
		conns: prometheus.NewDesc(ns+"connections", "Open connections, by direction and scope (system, transient).",
			[]string{"dir", "scope"}, nil),
		streams: prometheus.NewDesc(ns+"streams", "Open streams, by direction and scope (system, transient, protocol).",
			[]string{"dir", "scope", "protocol"}, nil),
		memory: prometheus.NewDesc(ns+"memory", "Memory reserved in bytes, by scope (system, transient, protocol).",
			[]string{"scope", "protocol"}, nil),
		fds: prometheus.NewDesc(ns+"fds", "File descriptors reserved, by scope (system, transient).",
			[]string{"scope"}, nil),
		peers: prometheus.NewDesc(ns+"peers", "Peers holding resources.", nil, nil),
		limit: prometheus.NewDesc(ns+"limit", "The resource manager's limits, by scope (system, transient) and resource.",
			[]string{"scope", "resource"}, nil),
	}
	// Every refusal blockCounter can count starts at zero, so rates work
	// before the first.
	for _, l := range [][2]string{{"connection", "inbound"}, {"connection", "outbound"}, {"stream", "inbound"},
		{"stream", "outbound"}, {"peer", ""}, {"protocol", ""}, {"service", ""}, {"memory", ""}} {
		c.blocked.WithLabelValues(l[0], l[1])
	}
	return c
}

func (c *resourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.streams, c.memory, c.fds, c.peers, c.limit} {
		ch <- d
	}
	c.blocked.Describe(ch)
}

func (c *resourceCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	st := c.state.Stat()
	for _, s := range []struct {
		scope string
		stat  network.ScopeStat
	}{{"system", st.System}, {"transient", st.Transient}} {
		gauge(c.conns, float64(s.stat.NumConnsInbound), "inbound", s.scope)
		gauge(c.conns, float64(s.stat.NumConnsOutbound), "outbound", s.scope)
		gauge(c.streams, float64(s.stat.NumStreamsInbound), "inbound", s.scope, "")
		gauge(c.streams, float64(s.stat.NumStreamsOutbound), "outbound", s.scope, "")
		gauge(c.memory, float64(s.stat.Memory), s.scope, "")
		gauge(c.fds, float64(s.stat.NumFD), s.scope)
	}
	for id, s := range st.Protocols {
		gauge(c.streams, float64(s.NumStreamsInbound), "inbound", "protocol", string(id))
		gauge(c.streams, float64(s.NumStreamsOutbound), "outbound", "protocol", string(id))
		gauge(c.memory, float64(s.Memory), "protocol", string(id))
	}
	gauge(c.peers, float64(len(st.Peers)))
	for _, l := range []struct {
		scope string
		limit rcmgr.Limit
	}{{"system", c.limiter.GetSystemLimits()}, {"transient", c.limiter.GetTransientLimits()}} {
		gauge(c.limit, float64(l.limit.GetMemoryLimit()), l.scope, "memory")
		gauge(c.limit, float64(l.limit.GetFDLimit()), l.scope, "fd")
		gauge(c.limit, float64(l.limit.GetConnTotalLimit()), l.scope, "conns")
		gauge(c.limit, float64(l.limit.GetConnLimit(network.DirInbound)), l.scope, "conns_inbound")
		gauge(c.limit, float64(l.limit.GetConnLimit(network.DirOutbound)), l.scope, "conns_outbound")
		gauge(c.limit, float64(l.limit.GetStreamTotalLimit()), l.scope, "streams")
		gauge(c.limit, float64(l.limit.GetStreamLimit(network.DirInbound)), l.scope, "streams_inbound")
		gauge(c.limit, float64(l.limit.GetStreamLimit(network.DirOutbound)), l.scope, "streams_outbound")
	}
	c.blocked.Collect(ch)
}

// blockCounter counts the resource manager's refusals (rcmgr.WithMetrics);
// what it allows is already in the scopes' stats.
type blockCounter struct{ blocked *prometheus.CounterVec }

func dirLabel(d network.Direction) string {
	switch d {
	case network.DirInbound:
		return "inbound"
	case network.DirOutbound:
		return "outbound"
	}
	return ""
}

func (b blockCounter) block(resource, dir string)                 { b.blocked.WithLabelValues(resource, dir).Inc() }
func (blockCounter) AllowConn(network.Direction, bool)            {}
func (b blockCounter) BlockConn(d network.Direction, _ bool)      { b.block("connection", dirLabel(d)) }
func (blockCounter) AllowStream(peer.ID, network.Direction)       {}
func (b blockCounter) BlockStream(_ peer.ID, d network.Direction) { b.block("stream", dirLabel(d)) }
func (blockCounter) AllowPeer(peer.ID)                            {}
func (b blockCounter) BlockPeer(peer.ID)                          { b.block("peer", "") }
func (blockCounter) AllowProtocol(protocol.ID)                    {}
func (b blockCounter) BlockProtocol(protocol.ID)                  { b.block("protocol", "") }
func (b blockCounter) BlockProtocolPeer(protocol.ID, peer.ID)     { b.block("protocol", "") }
func (blockCounter) AllowService(string)                          {}
func (b blockCounter) BlockService(string)                        { b.block("service", "") }
func (b blockCounter) BlockServicePeer(string, peer.ID)           { b.block("service", "") }
func (blockCounter) AllowMemory(int)                              {}
func (b blockCounter) BlockMemory(int)                            { b.block("memory", "") }
