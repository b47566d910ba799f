package p2p

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func TestPreferTCPDialsTCPOnly(t *testing.T) {
	quic := []ma.Multiaddr{
		ma.StringCast("/ip4/127.0.0.1/udp/4001/quic-v1"),
		ma.StringCast("/ip4/203.0.113.7/udp/4001/quic-v1"),
		ma.StringCast("/ip4/203.0.113.7/tcp/4001/ws"),
	}
	tcp := []ma.Multiaddr{
		ma.StringCast("/ip4/127.0.0.1/tcp/4001"),
		ma.StringCast("/dns4/node.example/tcp/4001"),
	}
	ranked := preferTCP(append(slices.Clone(quic), tcp...))
	var got []string
	for _, d := range ranked {
		got = append(got, d.Addr.String())
	}
	slices.Sort(got)
	want := []string{tcp[1].String(), tcp[0].String()}
	if !slices.Equal(got, want) {
		t.Fatalf("dialled %v, want the TCP addresses %v", got, want)
	}
	// A peer with no TCP address is dialled over what it has.
	if ranked := preferTCP(quic); len(ranked) != len(quic) || ranked[0].Delay != 0 {
		t.Fatalf("QUIC-only peer ranked %v, want all of %v, the first at once", ranked, quic)
	}
}

func TestIsPlainTCP(t *testing.T) {
	for s, want := range map[string]bool{
		"/ip4/127.0.0.1/tcp/1":                                  true,
		"/ip6/::1/tcp/1":                                        true,
		"/dns/a.example/tcp/1":                                  true,
		"/ip4/127.0.0.1/tcp/1/p2p/" + testPeer:                  true,
		"/ip4/127.0.0.1/tcp/1/ws":                               false,
		"/ip4/127.0.0.1/udp/1/quic-v1":                          false,
		"/ip4/127.0.0.1/tcp/1/p2p/" + testPeer + "/p2p-circuit": false,
	} {
		if got := isPlainTCP(ma.StringCast(s)); got != want {
			t.Errorf("isPlainTCP(%s) = %v, want %v", s, got, want)
		}
	}
}

const testPeer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"

// Two hosts that both listen on TCP and QUIC, given each other's every
// address, connect over TCP.
func TestDialPrefersTCP(t *testing.T) {
	cfg := testConfig()
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"}
	server, client := newHost(t, cfg), newHost(t, cfg)
	info := peer.AddrInfo{ID: server.ID(), Addrs: server.host.Addrs()}
	if len(info.Addrs) < 2 {
		t.Fatalf("server listens on %v: want TCP and QUIC", info.Addrs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.host.Connect(ctx, info); err != nil {
		t.Fatal(err)
	}
	conns := client.host.Network().ConnsToPeer(server.ID())
	if len(conns) != 1 || !strings.Contains(conns[0].RemoteMultiaddr().String(), "/tcp/") {
		t.Fatalf("connections %v: want one, over TCP", conns)
	}
}

// A bootstrap peer that is not listening yet when the host starts is
// connected to soon after it comes up, not a DiscoveryInterval later.
func TestBootstrapPeerComingUpLate(t *testing.T) {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // free, and nothing listens there until the peer starts
	lateAddr := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port)

	cfg := testConfig()
	cfg.DiscoveryInterval = time.Minute
	cfg.BootstrapPeers = []string{lateAddr + "/p2p/" + id.String()}
	h := newHost(t, cfg)
	run(t, h)
	time.Sleep(1500 * time.Millisecond) // first dials refused

	lateCfg := testConfig()
	lateCfg.ListenAddrs = []string{lateAddr}
	late, err := New(lateCfg, key, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { late.Close() })
	// DiscoveryInterval is a minute, eventually's patience 10 s.
	eventually(t, "connected to the late bootstrap peer", func() bool { return connected(h, id) })
}
