package erasure

import (
	"errors"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// Square widths (SPEC §0, Tartan profile).
const (
	// MaxWidth is the hard cap on the ODS width k.
	MaxWidth = 512
)

// Errors for malformed squares; wrapped with details, test with errors.Is.
var (
	ErrWidth      = errors.New("erasure: square width must be a power of two in [1, 512]")
	ErrShareCount = errors.New("erasure: share count does not make a square")
)

// Axis names the direction of a row or column.
type Axis uint8

const (
	Row Axis = iota
	Col
)

func (a Axis) String() string {
	if a == Row {
		return "row"
	}
	return "col"
}

// EDS is an extended data square: 2k × 2k shares, row-major. Q0 (rows and
// columns < k) is the ODS; the other three quadrants are parity.
type EDS struct {
	k      int
	shares []da.Share // len (2k)², row-major
}

// ValidWidth reports whether k is an allowed ODS width.
func ValidWidth(k int) bool { return k >= 1 && k <= MaxWidth && k&(k-1) == 0 }

// WidthOf returns k for an ODS of n shares, or ErrShareCount.
func WidthOf(n int) (int, error) {
	k := 1
	for k*k < n {
		k *= 2
	}
	if k*k != n || !ValidWidth(k) {
		return 0, fmt.Errorf("%w: %d shares is not k² for a power of two k ≤ %d", ErrShareCount, n, MaxWidth)
	}
	return k, nil
}

// NewEDS wraps shares, (2k)² of them row-major, as an EDS without checking
// the encoding. The EDS takes ownership of the slice.
func NewEDS(k int, shares []da.Share) (*EDS, error) {
	if !ValidWidth(k) {
		return nil, fmt.Errorf("%w: got %d", ErrWidth, k)
	}
	if len(shares) != 4*k*k {
		return nil, fmt.Errorf("%w: %d shares for a %d×%d extended square", ErrShareCount, len(shares), 2*k, 2*k)
	}
	return &EDS{k: k, shares: shares}, nil
}

// Width is k, the width of the original square.
func (e *EDS) Width() int { return e.k }

// Shares is the whole square, row-major; callers must not modify it.
func (e *EDS) Shares() []da.Share { return e.shares }

// Cell is the share at (row, col), both in [0, 2k).
func (e *EDS) Cell(row, col int) *da.Share { return &e.shares[row*2*e.k+col] }

// Row is row r, 2k shares; it aliases the square.
func (e *EDS) Row(r int) []da.Share { return e.shares[r*2*e.k : (r+1)*2*e.k] }

// Col copies column c into dst (len ≥ 2k) and returns dst[:2k].
func (e *EDS) Col(c int, dst []da.Share) []da.Share {
	w := 2 * e.k
	dst = dst[:w]
	for r := range w {
		dst[r] = e.shares[r*w+c]
	}
	return dst
}

// Axis copies row or column i into dst and returns it.
func (e *EDS) Axis(a Axis, i int, dst []da.Share) []da.Share {
	if a == Row {
		return append(dst[:0], e.Row(i)...)
	}
	return e.Col(i, dst)
}

// ODS returns a copy of the original square, k² shares row-major.
func (e *EDS) ODS() []da.Share {
	out := make([]da.Share, 0, e.k*e.k)
	for r := range e.k {
		out = append(out, e.Row(r)[:e.k]...)
	}
	return out
}

// ODSRows returns the original square's k rows of k shares as views into
// the EDS, without copying: the caller must not modify them.
func (e *EDS) ODSRows() [][]da.Share {
	rows := make([][]da.Share, e.k)
	for r := range rows {
		rows[r] = e.Row(r)[:e.k:e.k]
	}
	return rows
}

// ODSBytes returns the original square's k² shares, row-major, as one
// byte slice: the form a square takes on the wire and on disk.
func (e *EDS) ODSBytes() []byte {
	out := make([]byte, 0, e.k*e.k*da.ShareSize)
	for r := range e.k {
		for _, s := range e.Row(r)[:e.k] {
			out = append(out, s[:]...)
		}
	}
	return out
}

// LeafNamespace is the namespace pushed in front of the cell at position
// pos of axis index idx in a square of width k (SPEC §6): the share's own
// namespace inside Q0, ParityNamespace elsewhere. The rule is symmetric, so
// a cell hashes to the same leaf in its row tree and its column tree.
func LeafNamespace(k, idx, pos int, s *da.Share) da.Namespace {
	if idx < k && pos < k {
		return s.Namespace()
	}
	return da.ParityNamespace
}
