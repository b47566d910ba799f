package da

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func testHeader(key ed25519.PrivateKey, height uint64, prev *Header) *Header {
	h := &Header{
		ChainID:     "devnet",
		Height:      height,
		Time:        time.Date(2026, 11, 23, 12, 0, int(height), 5, time.UTC),
		SquareWidth: 4,
		DataRoot:    [32]byte{byte(height), 1, 2, 3},
	}
	if prev != nil {
		h.PrevHash = prev.Hash()
	}
	h.Sign(key)
	return h
}

func TestHeaderSignAndRoundTrip(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	h1 := testHeader(key, 1, nil)
	h2 := testHeader(key, 2, h1)
	if err := h2.Verify(pub); err != nil {
		t.Fatal(err)
	}
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
	if got.Hash() != h2.Hash() || !got.Time.Equal(h2.Time) || !bytes.Equal(got.Signature, h2.Signature) {
		t.Fatalf("round trip changed the header: %+v vs %+v", got, *h2)
	}
	if err := got.Verify(pub); err != nil {
		t.Fatalf("decoded header does not verify: %v", err)
	}
	if err := h2.Verify(testKey(2).Public().(ed25519.PublicKey)); !errors.Is(err, ErrHeaderSignature) {
		t.Fatalf("header verified against another producer: %v", err)
	}
}

// Every bit of the encoding is covered by the signature or rejected by
// the decoder.
func TestHeaderTamperingIsCaught(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	h := testHeader(key, 7, testHeader(key, 6, nil))
	h.PrevHash = [32]byte{9} // height 6 built with no prev: only the link matters here
	h.Sign(key)
	b, _ := h.MarshalBinary()
	for i := range len(b) * 8 {
		bad := bytes.Clone(b)
		bad[i/8] ^= 1 << (i % 8)
		var got Header
		if err := got.UnmarshalBinary(bad); err != nil {
			continue
		}
		if err := got.Verify(pub); err == nil {
			t.Fatalf("flipping bit %d still verifies", i)
		}
	}
}

func TestHeaderSuccessorRules(t *testing.T) {
	key := testKey(3)
	h1 := testHeader(key, 1, nil)
	h2 := testHeader(key, 2, h1)
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
	key := testKey(4)
	cases := map[string]func(h *Header){
		"empty chain id":      func(h *Header) { h.ChainID = "" },
		"chain id with space": func(h *Header) { h.ChainID = "dev net" },
		"height zero":         func(h *Header) { h.Height = 0 },
		"width 3":             func(h *Header) { h.SquareWidth = 3 },
		"width 1024":          func(h *Header) { h.SquareWidth = 1024 },
		"short key":           func(h *Header) { h.Producer = h.Producer[:31] },
		"short signature":     func(h *Header) { h.Signature = h.Signature[:63] },
		"first with prev":     func(h *Header) { h.Height = 1; h.PrevHash[0] = 1 },
	}
	for name, mutate := range cases {
		h := testHeader(key, 5, nil)
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
	key := testKey(5)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 4 {
		h := testHeader(key, uint64(1+r.IntN(1000)), nil)
		if h.Height == 1 {
			h.PrevHash = [32]byte{}
		}
		h.ChainID = string(bytes.Repeat([]byte{'a' + byte(i)}, 1+i*20))
		h.Sign(key)
		b, _ := h.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 255})
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
