package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"
)

// memFraud serves proofs (any bytes: p2p does not verify them) by height.
type memFraud map[uint64][]byte

func (m memFraud) FraudHeights(_ context.Context, from uint64, max int) ([]uint64, error) {
	var out []uint64
	for h := range m {
		if h >= from {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

func (m memFraud) FraudProof(_ context.Context, height uint64) ([]byte, error) {
	b, ok := m[height]
	if !ok {
		return nil, fmt.Errorf("%w: no proof at %d", ErrNotFound, height)
	}
	return b, nil
}

func TestFraudSyncRoundTrip(t *testing.T) {
	src := memFraud{}
	for h := uint64(3); h < 3+MaxFraudHeights+10; h += 1 {
		src[h] = bytes.Repeat([]byte{byte(h)}, int(h))
	}
	server, client := newHost(t, testConfig()), newHost(t, testConfig())
	server.ServeFraud(src)
	run(t, server)
	run(t, client)
	connect(t, client, server)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs, err := client.RequestFraudHeights(ctx, server.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != MaxFraudHeights || hs[0] != 3 || hs[len(hs)-1] != 3+MaxFraudHeights-1 {
		t.Fatalf("%d heights from %v to %v", len(hs), hs[0], hs[len(hs)-1])
	}
	hs, err = client.RequestFraudHeights(ctx, server.ID(), 3+MaxFraudHeights)
	if err != nil || len(hs) != 10 || hs[0] != 3+MaxFraudHeights {
		t.Fatalf("the rest: %v %v", hs, err)
	}
	for _, h := range []uint64{3, 100} {
		b, err := client.RequestFraudProof(ctx, server.ID(), h)
		if err != nil || !bytes.Equal(b, src[h]) {
			t.Fatalf("proof %d: %d bytes, %v", h, len(b), err)
		}
	}
	if _, err := client.RequestFraudProof(ctx, server.ID(), 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing proof: %v", err)
	}
	if _, err := client.RequestFraudProof(ctx, server.ID(), 0); err == nil {
		t.Fatal("height 0 asked")
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("penalised for not having a proof or a local refusal")
	}
}

func TestFraudHeightsBadAnswers(t *testing.T) {
	hs := func(v ...uint64) []byte { return encodeFraudHeights(v) }
	cases := []struct {
		name   string
		answer []byte
		want   error
	}{
		{"below from", okFrame(hs(4, 5)), ErrMalformed},
		{"unsorted", okFrame(hs(6, 5)), ErrMalformed},
		{"repeated", okFrame(hs(6, 6)), ErrMalformed},
		{"count over the bytes", okFrame(append(hs(5), 0, 0, 0)), ErrMalformed},
		{"no count", okFrame([]byte{1}), ErrMalformed},
		{"over the limit", binary.AppendUvarint(nil, 1<<20), ErrTooLarge},
	}
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := rawServer(t, func(h *Host) protocol.ID { return h.fraudHeightsProtocol().ID }, fraudRequestSize, func([]byte) []byte { return c.answer })
			connect(t, client, server)
			got, err := client.RequestFraudHeights(ctx, server.ID(), 5)
			if !errors.Is(err, c.want) || got != nil {
				t.Fatalf("%v, error %v; want %v", got, err, c.want)
			}
			if s := client.Score(server.ID()); s != OffenceMalformed.points() {
				t.Fatalf("server score %d, want %d", s, OffenceMalformed.points())
			}
		})
	}
}

func FuzzDecodeFraudHeights(f *testing.F) {
	f.Add(encodeFraudHeights([]uint64{1, 2, 9}), uint64(0))
	f.Add(encodeFraudHeights([]uint64{5, 4}), uint64(1))
	f.Add([]byte{0xff, 0xff}, uint64(7))
	f.Fuzz(func(t *testing.T, in []byte, from uint64) {
		got, err := DecodeFraudHeights(in, from)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if len(got) > MaxFraudHeights || !slices.IsSorted(got) || (len(got) > 0 && (got[0] < from || got[0] == 0)) {
			t.Fatalf("accepted %v from %d", got, from)
		}
		if !bytes.Equal(encodeFraudHeights(got), in) {
			t.Fatalf("%x decodes to %v which encodes differently", in, got)
		}
	})
}
