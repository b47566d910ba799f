package erasure

import (
	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// newCodec returns the leopard code Celestia uses for width k: GF(2^8) when
// 2k ≤ 256, GF(2^16) above (SPEC §7.1).
func newCodec(k int) (reedsolomon.Encoder, error) {
	return reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
}

// Extend computes the EDS of an ODS given as k² shares, row-major (SPEC
// §7.2). The input is copied. It spreads the coding over the CPU cores; a
// caller extending many squares should keep an Extender instead.
func Extend(ods []da.Share) (*EDS, error) {
	return NewExtender(0).Extend(ods)
}
