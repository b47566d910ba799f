package erasure

import (
	"fmt"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// newCodec returns the leopard code Celestia uses for width k: GF(2^8) when
// 2k ≤ 256, GF(2^16) above (SPEC §7.1).
func newCodec(k int) (reedsolomon.Encoder, error) {
	return reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
}

// Extend computes the EDS of an ODS given as k² shares, row-major. The
// input is copied.
func Extend(ods []da.Share) (*EDS, error) {
	k, err := WidthOf(len(ods))
	if err != nil {
		return nil, err
	}
	enc, err := newCodec(k)
	if err != nil {
		return nil, fmt.Errorf("erasure: codec for k=%d: %w", k, err)
	}
	w := 2 * k
	e := &EDS{k: k, shares: make([]da.Share, w*w)}
	for r := range k {
		copy(e.Row(r)[:k], ods[r*k:(r+1)*k])
	}
	vec := make([][]byte, w)
	encode := func(cell func(i int) *da.Share) error {
		for i := range w {
			vec[i] = cell(i)[:]
		}
		return enc.Encode(vec)
	}
	// Rows of Q0 give Q1, columns of Q0 give Q2, rows of Q2 give Q3.
	for r := range k {
		if err := encode(func(i int) *da.Share { return e.Cell(r, i) }); err != nil {
			return nil, fmt.Errorf("erasure: encoding row %d: %w", r, err)
		}
	}
	for c := range k {
		if err := encode(func(i int) *da.Share { return e.Cell(i, c) }); err != nil {
			return nil, fmt.Errorf("erasure: encoding column %d: %w", c, err)
		}
	}
	for r := k; r < w; r++ {
		if err := encode(func(i int) *da.Share { return e.Cell(r, i) }); err != nil {
			return nil, fmt.Errorf("erasure: encoding row %d: %w", r, err)
		}
	}
	return e, nil
}
