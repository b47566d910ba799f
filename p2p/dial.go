package p2p

import (
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// preferTCP ranks a peer's addresses for dialling: its plain TCP ones if it
// has any (as libp2p would rank them), else the rest (QUIC, mostly).
//
// libp2p's own ranking prefers QUIC, but a node's traffic is bulk: whole
// squares and 1 MiB blobs. On loopback, moving 32 MiB over quic-go costs
// 2.5 to 3 times the CPU of TCP with Noise and yamux (BenchmarkTransport,
// both ends), because QUIC seals and sends each 1.2 kB packet on its own,
// where TCP hands the kernel 64 kB at a time.
//
// QUIC is not kept as a delayed fallback: libp2p dials the next addresses
// as soon as the first ones fail, and a QUIC dial to a peer that is not
// up yet keeps retrying its handshake instead of failing, so every peer
// that starts a moment after its dialler (a devnet, a restart) would end
// up on QUIC. A peer that is down is dialled again by the reconnect loop.
func preferTCP(addrs []ma.Multiaddr) []network.AddrDelay {
	var tcp []ma.Multiaddr
	for _, a := range addrs {
		if isPlainTCP(a) {
			tcp = append(tcp, a)
		}
	}
	if len(tcp) == 0 {
		tcp = addrs
	}
	return swarm.DefaultDialRanker(tcp)
}

// isPlainTCP says whether a is an IP or DNS address followed by a TCP
// port and nothing else but a peer ID (not WebSocket, not a relay).
func isPlainTCP(a ma.Multiaddr) bool {
	ps := a.Protocols()
	if len(ps) < 2 || ps[1].Code != ma.P_TCP {
		return false
	}
	switch ps[0].Code {
	case ma.P_IP4, ma.P_IP6, ma.P_DNS, ma.P_DNS4, ma.P_DNS6:
	default:
		return false
	}
	return len(ps) == 2 || (len(ps) == 3 && ps[2].Code == ma.P_P2P)
}
