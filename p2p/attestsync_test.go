package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

type memAttestations map[uint64][][]byte

func (m memAttestations) Attestations(_ context.Context, nonce uint64) ([][]byte, error) {
	ats, ok := m[nonce]
	if !ok {
		return nil, fmt.Errorf("%w: nonce %d", ErrNotFound, nonce)
	}
	return ats, nil
}

func TestAttestationSyncRoundTrip(t *testing.T) {
	const size = 121
	src := memAttestations{3: {bytes.Repeat([]byte{1}, size), bytes.Repeat([]byte{2}, size)}, 4: {}}
	server, client := newHost(t, testConfig()), newHost(t, testConfig())
	server.ServeAttestations(size, src)
	run(t, server)
	run(t, client)
	connect(t, client, server)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := client.RequestAttestations(ctx, server.ID(), 3, size)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], src[3][0]) || !bytes.Equal(got[1], src[3][1]) {
		t.Fatalf("nonce 3: %d attestations, %v", len(got), err)
	}
	if got, err := client.RequestAttestations(ctx, server.ID(), 4, size); err != nil || len(got) != 0 {
		t.Fatalf("nonce 4: %d attestations, %v", len(got), err)
	}
	if _, err := client.RequestAttestations(ctx, server.ID(), 5, size); !errors.Is(err, ErrNotFound) {
		t.Fatalf("nonce 5: %v, want ErrNotFound", err)
	}
	// A client expecting another size reads the answer as malformed.
	if _, err := client.RequestAttestations(ctx, server.ID(), 3, size+1); err == nil {
		t.Fatal("an answer of the wrong size decoded")
	}
}

func TestDecodeAttestations(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		size int
		n    int
	}{
		{[]byte{0}, 4, 0},
		{[]byte{1, 1, 2, 3, 4}, 4, 1},
		{[]byte{2, 1, 2, 3, 4, 5, 6, 7, 8}, 4, 2},
		{nil, 4, -1},
		{[]byte{1, 1, 2, 3}, 4, -1},
		{[]byte{1, 1, 2, 3, 4, 5}, 4, -1},
		{[]byte{0, 9}, 4, -1},
	} {
		got, err := DecodeAttestations(c.b, c.size)
		if c.n < 0 {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%x: %v, want ErrMalformed", c.b, err)
			}
			continue
		}
		if err != nil || len(got) != c.n {
			t.Errorf("%x: %d, %v; want %d", c.b, len(got), err, c.n)
		}
	}
}

func FuzzDecodeAttestations(f *testing.F) {
	f.Add([]byte{1, 1, 2, 3, 4}, 4)
	f.Add([]byte{0}, 121)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		if size <= 0 || size > 1<<12 {
			return
		}
		got, err := DecodeAttestations(b, size)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		out := []byte{byte(len(got))}
		for _, a := range got {
			if len(a) != size {
				t.Fatalf("an attestation of %d bytes, want %d", len(a), size)
			}
			out = append(out, a...)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("%x re-encodes as %x", b, out)
		}
	})
}
