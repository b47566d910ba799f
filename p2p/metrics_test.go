package p2p

import (
	"crypto/rand"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gauge reads the sample of family name with exactly labels from reg.
func gauge(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			default:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// Each host reports its own resource manager to its own registry: hosts
// in one process do not see each other's connections (libp2p's reporter
// would sum them), and nothing reaches the global registry.
func TestResourceManagerMetricsPerHost(t *testing.T) {
	regs := make([]*prometheus.Registry, 3)
	hosts := make([]*Host, 3)
	for i := range hosts {
		regs[i] = prometheus.NewRegistry()
		cfg := testConfig()
		cfg.Metrics = regs[i]
		hosts[i] = newHost(t, cfg)
	}
	connect(t, hosts[0], hosts[1])
	sys := func(i int, dir string) float64 {
		v, ok := gauge(t, regs[i], "libp2p_rcmgr_connections", map[string]string{"dir": dir, "scope": "system"})
		if !ok {
			t.Fatalf("host %d exports no libp2p_rcmgr_connections{dir=%q,scope=system}", i, dir)
		}
		return v
	}
	eventually(t, "the connection in the metrics", func() bool {
		return sys(0, "outbound") >= 1 && sys(1, "inbound") >= 1
	})
	if in, out := sys(2, "inbound"), sys(2, "outbound"); in != 0 || out != 0 {
		t.Fatalf("an unconnected host reports %v inbound and %v outbound connections", in, out)
	}
	want := float64(testConfig().Resources.Conns)
	if v, ok := gauge(t, regs[0], "libp2p_rcmgr_limit", map[string]string{"scope": "system", "resource": "conns"}); !ok || v != want {
		t.Fatalf("system connection limit %v, %v; want %v", v, ok, want)
	}
	for _, name := range []string{"libp2p_rcmgr_memory", "libp2p_rcmgr_fds", "libp2p_rcmgr_streams", "libp2p_rcmgr_peers"} {
		fams, _ := regs[0].Gather()
		found := false
		for _, f := range fams {
			found = found || f.GetName() == name
		}
		if !found {
			t.Errorf("%s is not exported", name)
		}
	}
	global, _ := prometheus.DefaultGatherer.Gather()
	for _, f := range global {
		if f.GetName() == "libp2p_rcmgr_connections" {
			t.Fatal("the resource manager reports to the global registry")
		}
	}
}

// A refused reservation is counted.
func TestResourceManagerCountsBlocks(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.Metrics = reg
	h := newHost(t, cfg)
	c, err := h.host.Network().ResourceManager().OpenConnection(network.DirInbound, true, ma.StringCast("/ip4/127.0.0.1/tcp/1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Done()
	if err := c.ReserveMemory(1<<40, network.ReservationPriorityAlways); err == nil {
		t.Fatal("a terabyte was reserved")
	}
	if v, _ := gauge(t, reg, "libp2p_rcmgr_blocked_total", map[string]string{"resource": "memory", "dir": ""}); v != 1 {
		t.Fatalf("blocked memory reservations %v, want 1", v)
	}
	if v, _ := gauge(t, reg, "libp2p_rcmgr_connections", map[string]string{"dir": "inbound", "scope": "system"}); v != 1 {
		t.Fatalf("system inbound connections %v, want the 1 opened", v)
	}
}

// Two hosts cannot share one registry: the second is refused, not mixed
// in.
func TestResourceManagerMetricsRegistryTaken(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.Metrics = reg
	newHost(t, cfg)
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := New(cfg, key, nil); err == nil {
		h.Close()
		t.Fatal("a second host registered into the same registry")
	}
}
