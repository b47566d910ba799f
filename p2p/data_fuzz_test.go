package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Decoders of the square and submission protocols: they never panic,
// refuse with ErrMalformed, accept only what is within bounds, and what
// they accept re-encodes to the input (the encodings are canonical).

func FuzzODSRequest(f *testing.F) {
	f.Add(encodeODSRequest(1))
	f.Add(encodeODSRequest(0))
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := decodeODSRequest(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if h == 0 || !bytes.Equal(encodeODSRequest(h), in) {
			t.Fatalf("accepted %x as height %d", in, h)
		}
	})
}

func FuzzSamplesRequest(f *testing.F) {
	f.Add(encodeSamplesRequest(1, []Cell{{0, 0}}))
	f.Add(encodeSamplesRequest(9, []Cell{{1023, 1023}, {3, 4}}))
	f.Add(encodeSamplesRequest(9, []Cell{{1024, 0}}))
	f.Add(encodeSamplesRequest(9, make([]Cell, MaxSamplesPerRequest+1)))
	f.Add(encodeSamplesRequest(0, []Cell{{0, 0}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, cells, err := decodeSamplesRequest(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if h == 0 || checkCells(cells) != nil {
			t.Fatalf("accepted out-of-bounds request height %d, %d cells", h, len(cells))
		}
		if !bytes.Equal(encodeSamplesRequest(h, cells), in) {
			t.Fatalf("%x is not canonical", in)
		}
	})
}

func FuzzNamespaceRequest(f *testing.F) {
	ns, _ := da.NewV0Namespace([]byte("fuzz"))
	f.Add(encodeNamespaceRequest(1, ns))
	f.Add(encodeNamespaceRequest(1, da.ParityNamespace))
	f.Add(encodeNamespaceRequest(1, da.TxNamespace))
	f.Add(encodeNamespaceRequest(0, ns))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, got, err := decodeNamespaceRequest(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if h == 0 || got.Validate() != nil || got == da.ParityNamespace {
			t.Fatalf("accepted height %d namespace %s", h, got)
		}
		if !bytes.Equal(encodeNamespaceRequest(h, got), in) {
			t.Fatalf("%x is not canonical", in)
		}
	})
}

func FuzzBlobProofRequest(f *testing.F) {
	f.Add(encodeBlobProofRequest(1, 0, 1))
	f.Add(encodeBlobProofRequest(1, 5, 5))
	f.Add(encodeBlobProofRequest(1, 0, erasure.MaxWidth*erasure.MaxWidth+1))
	f.Add(encodeBlobProofRequest(0, 0, 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, start, end, err := decodeBlobProofRequest(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if h == 0 || start < 0 || start >= end || end > erasure.MaxWidth*erasure.MaxWidth {
			t.Fatalf("accepted height %d range [%d,%d)", h, start, end)
		}
		if !bytes.Equal(encodeBlobProofRequest(h, start, end), in) {
			t.Fatalf("%x is not canonical", in)
		}
	})
}

func FuzzSamplesResponse(f *testing.F) {
	sq := buildSquare(f, 2, 1)
	cells := []Cell{{0, 1}, {3, 2}}
	var ss []*erasure.Sample
	for i, c := range cells {
		s, err := sq.prover.Sample(int(c.Row), int(c.Col), erasure.Axis(i%2))
		if err != nil {
			f.Fatal(err)
		}
		ss = append(ss, s)
	}
	good, err := encodeSamples(ss, cells)
	if err != nil {
		f.Fatal(err)
	}
	one, _ := encodeSamples(ss[:1], cells[:1])
	f.Add(good, uint8(2))
	f.Add(good, uint8(1))
	f.Add(one, uint8(1))
	f.Add(append(bytes.Clone(good), 0), uint8(2))
	f.Add([]byte{0, 1, 0xff, 0xff}, uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		ask := cells[:min(int(n), len(cells))]
		if len(ask) == 0 {
			return
		}
		got, err := decodeSamples(in, ask)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if len(got) != len(ask) {
			t.Fatalf("%d samples for %d cells", len(got), len(ask))
		}
		b, err := encodeSamples(got, ask)
		if err != nil || !bytes.Equal(b, in) {
			t.Fatalf("accepted a non-canonical answer (%v)", err)
		}
	})
}

func FuzzSubmission(f *testing.F) {
	good := encodeSubmission(testBlobs(f))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add([]byte{1, 0, 0})
	f.Add(binary.BigEndian.AppendUint32([]byte{1, 0, 1}, 1<<31))
	f.Fuzz(func(t *testing.T, in []byte) {
		blobs, err := decodeSubmission(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if err := checkSubmission(blobs); err != nil {
			t.Fatalf("accepted a submission the client would refuse: %v", err)
		}
		if !bytes.Equal(encodeSubmission(blobs), in) {
			t.Fatalf("%x is not canonical", in)
		}
	})
}

func FuzzSubmitResult(f *testing.F) {
	ok, _ := encodeSubmitResult(5, nil)
	full, _ := encodeSubmitResult(0, ErrPoolFull)
	f.Add(ok)
	f.Add(full)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := decodeSubmitResult(in)
		switch {
		case err == nil:
			if h == 0 || len(in) != 9 || in[0] != submitIncluded {
				t.Fatalf("accepted %x as height %d", in, h)
			}
		case errors.Is(err, ErrMalformed):
		case errors.Is(err, ErrPoolFull) && errors.Is(err, ErrBusy), errors.Is(err, ErrSubmitRejected), errors.Is(err, ErrTimeout):
			if len(in) > submitMaxResponse {
				t.Fatalf("accepted a verdict of %d bytes", len(in))
			}
		default:
			t.Fatalf("unnamed error %v", err)
		}
	})
}
