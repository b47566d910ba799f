package da

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// testHeader builds a header whose block hash and certificate stand in for
// the consensus engine's (package consensus tests the real ones).
func testHeader(height uint64, prev *Header) *Header {
	h := &Header{
		ChainID:     "devnet",
		Height:      height,
		Time:        time.Date(2026, 11, 23, 12, 0, int(height), 5, time.UTC),
		SquareWidth: 4,
		DataRoot:    [32]byte{byte(height), 1, 2, 3},
		Certificate: []byte("certificate"),
	}
	if prev != nil {
		h.PrevHash = prev.Hash()
	}
	h.BlockHash = sha256.Sum256(append(h.PrevHash[:], byte(height)))
	return h
}

func TestHeaderRoundTrip(t *testing.T) {
	h1 := testHeader(1, nil)
	h2 := testHeader(2, h1)
	if err := h2.VerifySuccessor(h1); err != nil {
		t.Fatal(err)
	}
	b, err := h2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Header
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !got.EqualFields(h2) || !bytes.Equal(got.Certificate, h2.Certificate) || got.Hash() != h2.BlockHash {
		t.Fatalf("round trip changed the header: %+v vs %+v", got, *h2)
	}
	// Every byte counts: a flipped bit is refused or changes the header.
	for i := range len(b) * 8 {
		bad := bytes.Clone(b)
		bad[i/8] ^= 1 << (i % 8)
		var g Header
		if err := g.UnmarshalBinary(bad); err != nil {
			continue
		}
		if g.EqualFields(h2) && bytes.Equal(g.Certificate, h2.Certificate) {
			t.Fatalf("flipping bit %d decodes to the same header", i)
		}
	}
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-1],
		"trailing":  append(bytes.Clone(b), 0),
		"version 1": append([]byte{1}, b[1:]...),
		"empty":     nil,
	} {
		var g Header
		if err := g.UnmarshalBinary(bad); !errors.Is(err, ErrHeaderMalformed) {
			t.Errorf("%s: got %v, want ErrHeaderMalformed", name, err)
		}
	}
}

func TestHeaderSuccessorRules(t *testing.T) {
	h1 := testHeader(1, nil)
	h2 := testHeader(2, h1)
	cases := map[string]func(h *Header){
		"skipped height": func(h *Header) { h.Height = 3 },
		"wrong chain":    func(h *Header) { h.ChainID = "other" },
		"broken link":    func(h *Header) { h.PrevHash[0] ^= 1 },
		"time backwards": func(h *Header) { h.Time = h1.Time.Add(-time.Nanosecond) },
	}
	for name, mutate := range cases {
		bad := *h2
		mutate(&bad)
		if err := bad.VerifySuccessor(h1); !errors.Is(err, ErrHeaderSequence) {
			t.Errorf("%s: got %v, want ErrHeaderSequence", name, err)
		}
	}
}

func TestHeaderValidate(t *testing.T) {
	cases := map[string]func(h *Header){
		"empty chain id":      func(h *Header) { h.ChainID = "" },
		"chain id with space": func(h *Header) { h.ChainID = "dev net" },
		"long chain id":       func(h *Header) { h.ChainID = string(bytes.Repeat([]byte{'a'}, MaxChainIDLength+1)) },
		"height zero":         func(h *Header) { h.Height = 0 },
		"width 3":             func(h *Header) { h.SquareWidth = 3 },
		"width 1024":          func(h *Header) { h.SquareWidth = 1024 },
		"no certificate":      func(h *Header) { h.Certificate = nil },
		"huge certificate":    func(h *Header) { h.Certificate = make([]byte, MaxCertificateSize+1) },
		"first with prev":     func(h *Header) { h.Height = 1; h.PrevHash[0] = 1 },
	}
	for name, mutate := range cases {
		h := testHeader(5, nil)
		mutate(h)
		if err := h.Validate(); !errors.Is(err, ErrHeaderMalformed) {
			t.Errorf("%s: got %v, want ErrHeaderMalformed", name, err)
		}
		if _, err := h.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded an invalid header", name)
		}
	}
}

func FuzzHeaderUnmarshal(f *testing.F) {
	// Seeds are valid headers: the first and a successor, then chain ids
	// of 1 to MaxChainIDLength bytes and certificates of various sizes.
	r := rand.New(rand.NewPCG(1, 2))
	h1 := testHeader(1, nil)
	seeds := []*Header{h1, testHeader(2, h1)}
	for i := range 5 {
		h := testHeader(uint64(2+r.IntN(1000)), nil)
		h.ChainID = string(bytes.Repeat([]byte{'a' + byte(i)}, min(1+i*13, MaxChainIDLength)))
		h.Certificate = bytes.Repeat([]byte{byte(i)}, 1+i*100)
		seeds = append(seeds, h)
	}
	for _, h := range seeds {
		b, err := h.MarshalBinary()
		if err != nil {
			f.Fatalf("seed height %d: %v", h.Height, err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{2, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := h.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := h.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded header does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decode/encode is not the identity:\n%x\n%x", b, again)
		}
	})
}
