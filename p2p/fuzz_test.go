package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// Decoders of untrusted bytes never panic, return a named error for
// everything they refuse, and accept exactly what the encoders produce.

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0}, 16)
	f.Add([]byte{3, 'a', 'b', 'c'}, 16)
	f.Add(binary.AppendUvarint(nil, 1<<40), 16)
	f.Add([]byte{0x80, 0x00}, 16)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 16)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit = int(uint(limit) % 4096)
		got, err := readFrame(bytes.NewReader(in), limit)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && err != io.EOF {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("frame of %d bytes over the limit %d", len(got), limit)
		}
		// What it accepted is a canonical frame: re-encoding gives the
		// prefix of the input it consumed.
		if enc := appendFrame(nil, got); !bytes.HasPrefix(in, enc) {
			t.Fatalf("accepted %x as %q, which encodes as %x", in, got, enc)
		}
	})
}

func FuzzHeaderRangeRequest(f *testing.F) {
	for _, r := range []HeaderRangeRequest{{1, 1}, {1 << 40, HeaderRangeMaxCount}, {0, 1}, {1, 0}, {^uint64(0), 2}} {
		b, _ := r.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		var r HeaderRangeRequest
		if err := r.UnmarshalBinary(in); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if r.From == 0 || r.Count == 0 || r.Count > HeaderRangeMaxCount {
			t.Fatalf("accepted out-of-bounds request %+v", r)
		}
		if b, _ := r.MarshalBinary(); !bytes.Equal(b, in) {
			t.Fatalf("%x decodes to %+v which encodes to %x", in, r, b)
		}
	})
}

func FuzzHeaderRangeResponse(f *testing.F) {
	hs := chain(f, testChain, validatorSet(1), 4)
	good, err := encodeHeaders(hs)
	if err != nil {
		f.Fatal(err)
	}
	one, _ := encodeHeaders(hs[1:2])
	f.Add(good, uint64(1), uint32(4))
	f.Add(good, uint64(1), uint32(3))
	f.Add(one, uint64(2), uint32(1))
	f.Add([]byte{0}, uint64(1), uint32(1))
	f.Add([]byte{1, 0xff, 0xff, 0x03}, uint64(1), uint32(1))
	f.Fuzz(func(t *testing.T, in []byte, from uint64, count uint32) {
		req := HeaderRangeRequest{From: from, Count: count}
		if req.check() != nil {
			return
		}
		got, err := decodeHeaders(in, req, testChain)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if len(got) == 0 || len(got) > int(count) {
			t.Fatalf("accepted %d headers for a request of %d", len(got), count)
		}
		for i, h := range got {
			if h.Height != from+uint64(i) || h.ChainID != testChain {
				t.Fatalf("header %d is height %d of %q", i, h.Height, h.ChainID)
			}
		}
		if b, err := encodeHeaders(got); err != nil || !bytes.Equal(b, in) {
			t.Fatalf("accepted a non-canonical answer (%v)", err)
		}
	})
}
