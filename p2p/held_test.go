package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/erasure"
)

// memHeld serves fixed samples by height.
type memHeld map[uint64][]*erasure.Sample

func (m memHeld) Held(_ context.Context, height uint64) ([]*erasure.Sample, error) {
	ss, ok := m[height]
	if !ok {
		return nil, fmt.Errorf("%w: height %d", ErrNotFound, height)
	}
	return ss, nil
}

// heldOf proves n distinct random cells of sq on their preferred axes.
func heldOf(t testing.TB, rng *rand.Rand, sq *testSquare, n int) []*erasure.Sample {
	t.Helper()
	w := 2 * sq.k
	out := make([]*erasure.Sample, 0, n)
	for _, i := range rng.Perm(w * w)[:n] {
		r, c := i/w, i%w
		s, err := sq.prover.Sample(r, c, erasure.PreferredAxis(sq.k, r, c))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func heldPair(t *testing.T, src HeldSource) (server, client *Host) {
	t.Helper()
	server, client = newHost(t, testConfig()), newHost(t, testConfig())
	server.ServeHeld(src)
	run(t, server)
	run(t, client)
	connect(t, client, server)
	return server, client
}

// Every held sample comes back, verifying against the data root; more
// than a request carries are cut to MaxSamplesPerRequest; a height with
// nothing held is not found.
func TestHeldRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	small, big := buildSquare(t, 4, 31), buildSquare(t, 16, 32)
	src := memHeld{
		1: heldOf(t, rng, small, 40),
		2: heldOf(t, rng, big, MaxSamplesPerRequest+50),
		3: nil,
	}
	server, client := heldPair(t, src)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for height, sq := range map[uint64]*testSquare{1: small, 2: big} {
		got, err := client.RequestHeld(ctx, server.ID(), height)
		if err != nil {
			t.Fatalf("height %d: %v", height, err)
		}
		want := src[height][:min(len(src[height]), MaxSamplesPerRequest)]
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("height %d: %d samples back, not the %d held", height, len(got), len(want))
		}
		for _, s := range got {
			if err := s.Verify(sq.dataRoot, sq.k); err != nil {
				t.Fatalf("height %d: sample (%d,%d): %v", height, s.Row, s.Col, err)
			}
		}
	}
	for _, height := range []uint64{3, 4} {
		if _, err := client.RequestHeld(ctx, server.ID(), height); !errors.Is(err, ErrNotFound) {
			t.Fatalf("height %d: %v, want ErrNotFound", height, err)
		}
	}
	if _, err := client.RequestHeld(ctx, server.ID(), 0); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("height 0: %v, want a refusal before sending", err)
	}
	if s := client.Score(server.ID()); s != 0 {
		t.Fatalf("honest server scored %d", s)
	}
}

// Answers that do not decode, repeat a cell, or carry more samples than a
// request may are malformed and cost the server score; a malformed
// request costs the requester.
func TestHeldMalformed(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	sq := buildSquare(t, 16, 33)
	ss := heldOf(t, rng, sq, MaxSamplesPerRequest+1)
	good, err := erasure.AppendSampleBatch(nil, ss[:3])
	if err != nil {
		t.Fatal(err)
	}
	twice, err := erasure.AppendSampleBatch(nil, []*erasure.Sample{ss[0], ss[1], ss[0]})
	if err != nil {
		t.Fatal(err)
	}
	tooMany, err := erasure.AppendSampleBatch(nil, ss)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[uint64][]byte{1: good[:len(good)-1], 2: twice, 3: tooMany, 4: append(bytes.Clone(good), 0)}
	server := newHost(t, testConfig())
	server.Handle(server.heldProtocol(), func(_ context.Context, _ peer.ID, b []byte) ([]byte, error) {
		return answers[binary.BigEndian.Uint64(b)], nil
	})
	run(t, server)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for height := range uint64(4) {
		height++
		// A fresh client each time: two offences ban the server.
		client := newHost(t, testConfig())
		run(t, client)
		connect(t, client, server)
		if _, err := client.RequestHeld(ctx, server.ID(), height); !errors.Is(err, ErrMalformed) {
			t.Fatalf("answer %d: %v, want ErrMalformed", height, err)
		}
		if got := client.Score(server.ID()); got != OffenceMalformed.points() {
			t.Fatalf("answer %d: server's penalty %d, want %d", height, got, OffenceMalformed.points())
		}
	}

	// A request of the wrong size, sent raw.
	server2, client2 := heldPair(t, memHeld{})
	if _, err := client2.Request(ctx, server2.ID(), client2.heldProtocol(), []byte{0, 0, 1}); !errors.Is(err, ErrRejected) && !errors.Is(err, ErrPeerFailed) {
		t.Fatalf("short request: %v, want a refusal", err)
	}
	eventually(t, "the requester penalised", func() bool { return server2.Score(client2.ID()) == OffenceMalformed.points() })
}

func FuzzHeldRequest(f *testing.F) {
	f.Add(binary.BigEndian.AppendUint64(nil, 7))
	f.Add(make([]byte, 8))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		height, err := decodeHeldRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if height == 0 || !bytes.Equal(binary.BigEndian.AppendUint64(nil, height), b) {
			t.Fatalf("accepted %x as height %d", b, height)
		}
	})
}

func FuzzHeldResponse(f *testing.F) {
	rng := rand.New(rand.NewPCG(35, 36))
	sq := buildSquare(f, 2, 35)
	ss := heldOf(f, rng, sq, 5)
	good, err := encodeHeld(ss)
	if err != nil {
		f.Fatal(err)
	}
	twice, err := erasure.AppendSampleBatch(nil, []*erasure.Sample{ss[0], ss[0]})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(twice)
	f.Add(good[:len(good)/2])
	f.Add([]byte{2, 0, 2, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := decodeHeld(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if len(got) > MaxSamplesPerRequest || distinctCells(got) != nil {
			t.Fatalf("accepted %d samples, or a repeated cell", len(got))
		}
		b, err := encodeHeld(got)
		if err != nil {
			t.Fatalf("accepted an answer that does not re-encode: %v", err)
		}
		back, err := decodeHeld(b)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("re-encoding changed the answer: %v", err)
		}
	})
}
