package p2p

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	ma "github.com/multiformats/go-multiaddr"
)

func TestAddrsAreDialable(t *testing.T) {
	cfg := testConfig()
	cfg.ListenAddrs = DefaultConfig().ListenAddrs // TCP and QUIC
	h := newHost(t, cfg)
	var tcp, quic bool
	for _, a := range h.Addrs() {
		s := a.String()
		if !strings.HasSuffix(s, "/p2p/"+h.ID().String()) {
			t.Errorf("address %s does not end in /p2p/<id>", s)
		}
		tcp = tcp || strings.Contains(s, "/tcp/")
		quic = quic || strings.Contains(s, "/quic-v1/")
	}
	if !tcp || !quic {
		t.Fatalf("addresses %v: want TCP and QUIC", h.Addrs())
	}
}

// Two hosts listening on QUIC only exchange headers.
func TestQUIC(t *testing.T) {
	quicOnly := func(c *Config) { c.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1"} }
	hs := chain(t, testChain, validatorSet(1), 3)
	cfg := testConfig()
	quicOnly(&cfg)
	server := newHost(t, cfg)
	server.ServeHeaders(memSource{hs})
	client := newHost(t, cfg)
	run(t, server)
	run(t, client)
	connect(t, client, server)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := client.RequestHeaders(ctx, server.ID(), 1, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("%d headers, %v", len(got), err)
	}
	if c := client.host.Network().ConnsToPeer(server.ID()); len(c) == 0 || !strings.Contains(c[0].RemoteMultiaddr().String(), "quic-v1") {
		t.Fatalf("not connected over QUIC: %v", c)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	h := newHost(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	ready, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	if err := h.waitReady(ready); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseStopsRun(t *testing.T) {
	h := newHost(t, testConfig())
	done := make(chan error, 1)
	go func() { done <- h.Run(context.Background()) }()
	ready, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	if err := h.waitReady(ready); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	default:
		t.Fatal("Close returned before Run")
	}
}

// A light node that knows only a full node finds the producer through the
// DHT, where the producer advertises itself, and connects to it.
func TestDHTDiscovery(t *testing.T) {
	full := newHost(t, testConfig())
	run(t, full)
	pcfg := testConfig()
	pcfg.BootstrapPeers = bootstrapTo(full)
	producer := newHost(t, pcfg)
	run(t, producer)
	eventually(t, "the producer reaches its bootstrap peer", func() bool { return connected(producer, full.ID()) })

	lcfg := testConfig()
	lcfg.DHTMode = DHTClient
	lcfg.BootstrapPeers = bootstrapTo(full)
	light := newHost(t, lcfg)
	run(t, light)
	eventually(t, "the light node finds the producer", func() bool { return connected(light, producer.ID()) })
	if !slices.Contains(light.Peers(), full.ID()) {
		t.Fatal("the light node lost its bootstrap peer")
	}
	// The connection came from the advertisement, not only from the
	// DHT's own routing: the producer's record is there under the chain's
	// key, and the light node (a DHT client, advertising nothing) is not.
	light.mu.Lock()
	kad := light.kad
	light.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var found []peer.ID
	eventually(t, "the producer's advertisement is found", func() bool {
		ch, err := drouting.NewRoutingDiscovery(kad).FindPeers(ctx, light.discoveryNamespace())
		if err != nil {
			t.Fatal(err)
		}
		found = found[:0]
		for info := range ch {
			found = append(found, info.ID)
		}
		return slices.Contains(found, producer.ID())
	})
	if slices.Contains(found, light.ID()) {
		t.Fatal("a DHT client advertised itself")
	}
}

// A host with AnnounceAddrs advertises them instead of its listen
// addresses: in Addrs, and to a peer through identify.
func TestAnnounceAddrs(t *testing.T) {
	// Loopback, but a port nothing listens on: what a port mapping in
	// front of the node would forward.
	const announced = "/ip4/127.0.0.1/tcp/40404"
	cfg := testConfig()
	cfg.AnnounceAddrs = []string{announced}
	natted := newHost(t, cfg)
	other := newHost(t, testConfig())
	run(t, natted)
	run(t, other)
	want := announced + "/p2p/" + natted.ID().String()
	if got := natted.Addrs(); len(got) != 1 || got[0].String() != want {
		t.Fatalf("Addrs %v, want [%s]", got, want)
	}
	// Dial its real listen address, as a port mapping would.
	listen := natted.host.Network().ListenAddresses()
	if len(listen) == 0 || listen[0].String() == announced {
		t.Fatalf("listen addresses %v", listen)
	}
	dial, err := ma.NewMultiaddr(listen[0].String() + "/p2p/" + natted.ID().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := other.Connect(ctx, dial); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the peer learns the announced address through identify", func() bool {
		return slices.ContainsFunc(other.host.Peerstore().Addrs(natted.ID()), func(a ma.Multiaddr) bool { return a.String() == announced })
	})
}

func TestAnnounceAddrsValidate(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:2121", "announce address"},
		{"/ip4/127.0.0.1/tcp/2121/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA", "/p2p/"},
		{"/ip4/0.0.0.0/tcp/2121", "0.0.0.0"},
	} {
		cfg := testConfig()
		cfg.AnnounceAddrs = []string{tc.addr}
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("announce %q: %v, want ErrConfig naming %q", tc.addr, err, tc.want)
		}
	}
	cfg := testConfig()
	cfg.AnnounceAddrs = []string{"/dns4/node.example.org/tcp/2121", "/ip4/127.0.0.1/udp/2121/quic-v1"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
