package p2p

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Offence is what a peer did wrong. Each costs penalty points; a peer
// whose points reach Config.BanThreshold is disconnected and refused for
// Config.BanDuration (DESIGN.md §5, §8). A peer that lacks data, is busy or
// times out commits no offence.
type Offence int

const (
	// OffenceMalformed: bytes that do not decode, a message over its limit,
	// an answer that does not match the question. Costs half the default
	// threshold, since a version mismatch looks the same as malice.
	OffenceMalformed Offence = iota + 1
	// OffenceInvalid: well-formed but provably wrong data: an invalid
	// proof, a header with a bad signature or from another chain. Costs the
	// whole default threshold: honest peers check before they forward.
	OffenceInvalid
)

func (o Offence) String() string {
	switch o {
	case OffenceMalformed:
		return "malformed"
	case OffenceInvalid:
		return "invalid"
	}
	return fmt.Sprintf("Offence(%d)", int(o))
}

func (o Offence) points() int {
	switch o {
	case OffenceMalformed:
		return 50
	case OffenceInvalid:
		return 100
	}
	return 0
}

// scorer keeps penalty points per peer. It is a plain state machine with
// the clock passed in, so its rules are tested without waiting.
type scorer struct {
	threshold int
	banFor    time.Duration

	mu    sync.Mutex // guards peers
	peers map[peer.ID]*standing
}

type standing struct {
	points      int
	last        time.Time // of the latest penalty
	bannedUntil time.Time
}

func newScorer(threshold int, banFor time.Duration) *scorer {
	return &scorer{threshold: threshold, banFor: banFor, peers: map[peer.ID]*standing{}}
}

// get returns p's standing at now, forgetting it once both its last penalty
// and its ban are older than banFor. Callers hold mu.
func (s *scorer) get(p peer.ID, now time.Time) *standing {
	st := s.peers[p]
	if st != nil && now.Sub(st.last) >= s.banFor && !now.Before(st.bannedUntil) {
		delete(s.peers, p)
		st = nil
	}
	return st
}

// penalize adds o's points to p and reports whether that bans p now.
func (s *scorer) penalize(p peer.ID, o Offence, now time.Time) (banned bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(p, now)
	if st == nil {
		if len(s.peers) >= 4096 {
			s.sweep(now) // bounds the map under a flood of peer ids
		}
		st = &standing{}
		s.peers[p] = st
	}
	st.points += o.points()
	st.last = now
	if st.points >= s.threshold && !now.Before(st.bannedUntil) {
		st.bannedUntil = now.Add(s.banFor)
		return true
	}
	return false
}

func (s *scorer) sweep(now time.Time) {
	for p := range s.peers {
		s.get(p, now)
	}
}

func (s *scorer) score(p peer.ID, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.get(p, now); st != nil {
		return st.points
	}
	return 0
}

func (s *scorer) blocked(p peer.ID, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(p, now)
	return st != nil && now.Before(st.bannedUntil)
}

// gater refuses connections to and from banned peers.
type gater struct{ s *scorer }

func (g gater) InterceptPeerDial(p peer.ID) bool                 { return !g.s.blocked(p, time.Now()) }
func (g gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.s.blocked(p, time.Now()) }
func (g gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.s.blocked(p, time.Now())
}
func (g gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

// Penalize records that p committed o; reason is logged. At the ban
// threshold p is disconnected and refused until its ban expires. Consumers
// call it for what only they can judge, such as an invalid proof; p2p calls
// it itself for malformed or oversized messages and rejected gossip.
func (h *Host) Penalize(p peer.ID, o Offence, reason error) {
	if p == "" || p == h.host.ID() {
		return
	}
	if h.scores.penalize(p, o, time.Now()) {
		h.log.Warn("banning peer", "peer", p, "offence", o, "reason", reason, "for", h.cfg.BanDuration)
		_ = h.host.Network().ClosePeer(p)
		return
	}
	h.log.Debug("penalised peer", "peer", p, "offence", o, "reason", reason)
}

// Score is p's penalty points: 0 for a peer in good standing.
func (h *Host) Score(p peer.ID) int { return h.scores.score(p, time.Now()) }

// Blocked reports whether p is banned.
func (h *Host) Blocked(p peer.ID) bool { return h.scores.blocked(p, time.Now()) }
