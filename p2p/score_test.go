package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestScorer(t *testing.T) {
	const ban = time.Hour
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := peer.ID("a"), peer.ID("b")
	s := newScorer(100, ban)

	if s.penalize(a, OffenceMalformed, t0) {
		t.Fatal("banned after one malformed message")
	}
	if got := s.score(a, t0); got != 50 {
		t.Fatalf("score %d, want 50", got)
	}
	if s.blocked(a, t0) || s.score(b, t0) != 0 {
		t.Fatal("penalty leaked")
	}
	if !s.penalize(a, OffenceMalformed, t0.Add(time.Minute)) {
		t.Fatal("not banned at the threshold")
	}
	if !s.blocked(a, t0.Add(time.Minute)) || !s.blocked(a, t0.Add(time.Minute+ban-time.Nanosecond)) {
		t.Fatal("ban does not last BanDuration")
	}
	// A further offence while banned does not report a new ban.
	if s.penalize(a, OffenceInvalid, t0.Add(2*time.Minute)) {
		t.Fatal("re-banned while banned")
	}
	end := t0.Add(2*time.Minute + ban)
	if s.blocked(a, end) || s.score(a, end) != 0 {
		t.Fatalf("still blocked %v / score %d after the ban and penalties expired", s.blocked(a, end), s.score(a, end))
	}

	// Penalties older than BanDuration are forgotten.
	if s.penalize(b, OffenceMalformed, t0) || s.penalize(b, OffenceMalformed, t0.Add(ban)) {
		t.Fatal("an old penalty counted toward a ban")
	}
	// An invalid proof bans at once.
	if !s.penalize(peer.ID("c"), OffenceInvalid, t0) {
		t.Fatal("an invalid proof did not ban")
	}
}

func TestScorerBoundsItsMemory(t *testing.T) {
	s := newScorer(100, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		s.penalize(peer.ID(rune(i)), OffenceMalformed, t0.Add(time.Duration(i)*time.Second))
	}
	if n := len(s.peers); n > 4096 {
		t.Fatalf("%d peers remembered", n)
	}
}

// Penalize is a no-op for this host itself and for the empty id.
func TestPenalizeSelf(t *testing.T) {
	h := newHost(t, testConfig())
	h.Penalize(h.ID(), OffenceInvalid, nil)
	h.Penalize("", OffenceInvalid, nil)
	if h.Score(h.ID()) != 0 || h.Blocked(h.ID()) {
		t.Fatal("a host penalised itself")
	}
}
