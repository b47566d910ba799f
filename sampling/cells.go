package sampling

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Cell is one cell of the 2k×2k extended data square: row Row, column Col,
// both in [0, 2k). Cells order row-major.
type Cell struct {
	Row, Col uint16
}

// String formats c as "(row,col)".
func (c Cell) String() string { return fmt.Sprintf("(%d,%d)", c.Row, c.Col) }

// index is c's row-major position in a square of side n = 2k.
func (c Cell) index(n int) int { return int(c.Row)*n + int(c.Col) }

// compare orders cells row-major.
func (c Cell) compare(d Cell) int {
	if c.Row != d.Row {
		return int(c.Row) - int(d.Row)
	}
	return int(c.Col) - int(d.Col)
}

// SelectCells draws s distinct cells uniformly over the 2k×2k extended
// square from r, and returns them sorted row-major (the order carries no
// information; sorting makes the persisted form canonical). Every s-subset
// of the 4k² cells is equally likely. s is clamped to [0, 4k²]; s = 4k²
// returns every cell. The same seeded r gives the same cells. Production
// passes rand.New(CryptoSource()) so that no one can predict the cells.
func SelectCells(r *rand.Rand, k, s int) ([]Cell, error) {
	if k < 1 || k > MaxWidth {
		return nil, fmt.Errorf("%w: k = %d, want 1 to %d", ErrWidth, k, MaxWidth)
	}
	n := 2 * k
	total := cellCount(k)
	s = max(0, min(s, total))
	idx := make([]int, 0, s)
	if s <= total/2 {
		idx = floyd(r, idx, total, s)
	} else {
		// Draw the cells left out instead, so the work stays in the
		// smaller of s and 4k² − s.
		out := floyd(r, make([]int, 0, total-s), total, total-s)
		slices.Sort(out)
		for i, j := 0, 0; i < total; i++ {
			if j < len(out) && out[j] == i {
				j++
				continue
			}
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	cells := make([]Cell, len(idx))
	for i, x := range idx {
		cells[i] = Cell{Row: uint16(x / n), Col: uint16(x % n)}
	}
	return cells, nil
}

// floyd appends a uniform s-subset of [0, total) to dst with Floyd's
// algorithm: exactly s draws, no rejection. Membership is a linear scan
// while the set is small and a map beyond that.
func floyd(r *rand.Rand, dst []int, total, s int) []int {
	const scanMax = 64
	var seen map[int]struct{}
	if s > scanMax {
		seen = make(map[int]struct{}, s)
	}
	for j := total - s; j < total; j++ {
		t := r.IntN(j + 1)
		var dup bool
		if seen != nil {
			_, dup = seen[t]
		} else {
			dup = slices.Contains(dst, t)
		}
		if dup {
			t = j // j is new: every value drawn so far is below it
		}
		dst = append(dst, t)
		if seen != nil {
			seen[t] = struct{}{}
		}
	}
	return dst
}

// CryptoSource returns a rand.Source whose every value comes from
// crypto/rand, for production callers: rand.New(sampling.CryptoSource()).
// Nothing in this package calls it; tests pass seeded sources instead.
func CryptoSource() rand.Source { return cryptoSource{} }

type cryptoSource struct{}

func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	// crypto/rand.Read never fails; if the kernel's generator did, the
	// runtime stops the program rather than return weak bytes.
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
