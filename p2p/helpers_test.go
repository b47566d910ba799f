package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/tartan-da/tartan/da"
)

const testChain = "test-chain"

// testConfig is DefaultConfig with short intervals, on TCP only unless
// quic is set: QUIC is exercised by its own test, TCP keeps the rest fast
// on a loaded 2-core machine.
func testConfig() Config {
	c := DefaultConfig()
	c.ChainID = testChain
	c.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	c.StreamTimeout = 3 * time.Second
	c.DiscoveryInterval = 100 * time.Millisecond
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newHost builds a host closed at the end of the test.
func newHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(cfg, key, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// run runs h until the end of the test and checks that Run returns nil
// promptly once stopped.
func run(t *testing.T, h *Host) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return 10s after its context ended")
		}
	})
	ready, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	if err := h.waitReady(ready); err != nil {
		t.Fatalf("host did not start: %v", err)
	}
}

func bootstrapTo(hs ...*Host) []string {
	var out []string
	for _, h := range hs {
		for _, a := range h.Addrs() {
			out = append(out, a.String())
		}
	}
	return out
}

func connect(t *testing.T, a, b *Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every 10ms for up to 10s: for state that other
// goroutines reach with no event to wait on (connections, scores, meshes).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func connected(h *Host, p peer.ID) bool {
	for _, q := range h.Peers() {
		if q == p {
			return true
		}
	}
	return false
}

// validatorSet names a stand-in for a chain's validators in these tests:
// the headers it certifies carry its marker in their Certificate, and
// certifiedBy plays the node's certificate verification (package
// consensus tests the real certificates).
type validatorSet byte

// testBlockHash stands in for the consensus engine's block hash: SHA-256
// over the compact fields and the validator set, so two sets never
// produce the same block.
func testBlockHash(h *da.Header, vs validatorSet) [32]byte {
	s := sha256.New()
	fmt.Fprintf(s, "%s|%d|%d|%x|%d|%x|%d", h.ChainID, h.Height, h.Time.UnixNano(), h.PrevHash, h.SquareWidth, h.DataRoot, vs)
	var out [32]byte
	s.Sum(out[:0])
	return out
}

// testCertificate stands in for consensus evidence: vs's marker, then the
// block hash it certifies.
func testCertificate(vs validatorSet, blockHash [32]byte) []byte {
	return append([]byte{'v', 's', byte(vs)}, blockHash[:]...)
}

// certifiedBy accepts a header of chain id only if vs certified exactly
// its fields, and rejects every other: the verdict a node's certificate
// check gives.
func certifiedBy(id string, vs validatorSet) HeaderValidator {
	return func(_ context.Context, _ peer.ID, h *da.Header) ValidationResult {
		if h.ChainID != id || h.BlockHash != testBlockHash(h, vs) || !bytes.Equal(h.Certificate, testCertificate(vs, h.BlockHash)) {
			return Reject
		}
		return Accept
	}
}

// chain builds n headers of chain id from height 1, certified by vs and
// linked by PrevHash.
func chain(t testing.TB, id string, vs validatorSet, n int) []*da.Header {
	t.Helper()
	out := make([]*da.Header, n)
	var prev [32]byte
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		h := &da.Header{
			ChainID: id, Height: uint64(i + 1), Time: start.Add(time.Duration(i) * time.Second),
			PrevHash: prev, SquareWidth: 4,
		}
		h.DataRoot[0], h.DataRoot[1] = byte(i), byte(i>>8)
		h.BlockHash = testBlockHash(h, vs)
		h.Certificate = testCertificate(vs, h.BlockHash)
		if err := h.Validate(); err != nil {
			t.Fatal(err)
		}
		prev = h.Hash()
		out[i] = h
	}
	return out
}

func mustAddr(t *testing.T, s string) ma.Multiaddr {
	t.Helper()
	a, err := ma.NewMultiaddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func isErr(err, target error) bool { return errors.Is(err, target) }
