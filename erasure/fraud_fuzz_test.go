package erasure

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// FuzzBadEncodingProofUnmarshal: decoding untrusted bytes never panics,
// fails only with ErrProofEncoding, and what decodes re-encodes to the same
// bytes and verifies (or not) without panicking. Seeds are real proofs.
func FuzzBadEncodingProofUnmarshal(f *testing.F) {
	rng := rand.New(rand.NewPCG(41, 42))
	var roots [][32]byte
	for _, c := range bfCases(f, rng, []int{1, 2, 4}) {
		b, err := c.proof.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		roots = append(roots, c.dah.DataRoot())
	}
	f.Add([]byte{})
	f.Add(make([]byte, befpFixedSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p BadEncodingProof
		if err := p.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("decode error %v does not wrap ErrProofEncoding", err)
			}
			return
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded proof does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("decoding then encoding changed the bytes")
		}
		k := len(p.Shares) / 2
		for _, root := range roots {
			if err := p.Verify(root, k); err != nil && !errors.Is(err, ErrFraudProofInvalid) {
				t.Fatalf("Verify error %v does not wrap ErrFraudProofInvalid", err)
			}
		}
		_ = p.Verify([32]byte{}, k+1)
	})
}
