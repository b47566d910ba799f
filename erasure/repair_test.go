package erasure

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// rpODS is a random ODS of width k with sorted version-0 namespaces, so
// that it commits.
func rpODS(rng *rand.Rand, k int) []da.Share {
	ods := make([]da.Share, k*k)
	nss := make([]da.Namespace, k*k)
	for i := range nss {
		for j := da.NamespaceSize - da.NamespaceV0UserSize; j < da.NamespaceSize; j++ {
			nss[i][j] = byte(rng.IntN(4)) // few values: equal namespaces too
		}
	}
	slices.SortFunc(nss, func(a, b da.Namespace) int { return slices.Compare(a[:], b[:]) })
	for i := range ods {
		for j := range ods[i] {
			ods[i][j] = byte(rng.Uint32())
		}
		copy(ods[i][:], nss[i][:])
	}
	return ods
}

// rpSquare extends and commits a random ODS.
func rpSquare(t testing.TB, rng *rand.Rand, k int) (*EDS, *DAH) {
	t.Helper()
	e, err := Extend(rpODS(rng, k))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Commit(e)
	if err != nil {
		t.Fatal(err)
	}
	return e, d
}

// rpPartial keeps the cells of e for which keep says so.
func rpPartial(t testing.TB, e *EDS, keep func(r, c int) bool) *PartialEDS {
	t.Helper()
	k := e.Width()
	p, err := NewPartialEDS(k)
	if err != nil {
		t.Fatal(err)
	}
	for r := range 2 * k {
		for c := range 2 * k {
			if keep(r, c) {
				if err := p.Set(r, c, e.Cell(r, c)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return p
}

// rpPick is a set of n distinct indices in [0, w).
func rpPick(rng *rand.Rand, w, n int) map[int]bool {
	out := map[int]bool{}
	for _, i := range rng.Perm(w)[:n] {
		out[i] = true
	}
	return out
}

// rpPatterns are the recoverable loss patterns of SPEC §12.
func rpPatterns(rng *rand.Rand, k int) map[string]func(r, c int) bool {
	w := 2 * k
	rows, cols := rpPick(rng, w, k), rpPick(rng, w, k)
	gr, gc := rpPick(rng, w, k), rpPick(rng, w, k)
	extra := rpPick(rng, w*w, w*w/8)
	return map[string]func(r, c int) bool{
		"k-rows":      func(r, c int) bool { return rows[r] },
		"k-cols":      func(r, c int) bool { return cols[c] },
		"k×k-grid":    func(r, c int) bool { return gr[r] && gc[c] },
		"grid+extra":  func(r, c int) bool { return gr[r] && gc[c] || extra[r*w+c] },
		"Q0":          func(r, c int) bool { return r < k && c < k },
		"Q3":          func(r, c int) bool { return r >= k && c >= k },
		"Q1":          func(r, c int) bool { return r < k && c >= k },
		"all":         func(r, c int) bool { return true },
		"all-but-one": func(r, c int) bool { return r != 0 || c != w-1 },
	}
}

// rpCheckRestored requires p to hold exactly the cells of e.
func rpCheckRestored(t *testing.T, p *PartialEDS, e *EDS) {
	t.Helper()
	if p.Missing() != 0 {
		t.Fatalf("%d cells still missing", p.Missing())
	}
	got := p.EDS()
	if got == nil {
		t.Fatal("EDS() is nil on a complete square")
	}
	w := 2 * e.Width()
	for r := range w {
		for c := range w {
			if *got.Cell(r, c) != *e.Cell(r, c) {
				t.Fatalf("cell (%d,%d) differs from the original", r, c)
			}
		}
	}
}

func TestRepairRestores(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ks := []int{1, 2, 4, 8, 16, 32}
	if !testing.Short() {
		ks = append(ks, 128, 256) // 256: the GF(2^16) code
	}
	for _, k := range ks {
		e, d := rpSquare(t, rng, k)
		pats := rpPatterns(rng, k)
		names := make([]string, 0, len(pats))
		for n := range pats {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, name := range names {
			if k == 128 && name != "Q0" && name != "Q3" && name != "k×k-grid" || k == 256 && name != "Q3" {
				continue
			}
			t.Run(fmt.Sprintf("k=%d/%s", k, name), func(t *testing.T) {
				p := rpPartial(t, e, pats[name])
				if err := p.Repair(d); err != nil {
					t.Fatalf("Repair: %v", err)
				}
				rpCheckRestored(t, p, e)
			})
		}
	}
}

// rpCheckOnlyTrueCells requires every present cell of p to be e's, and the
// cells that were present before to still be.
func rpCheckOnlyTrueCells(t *testing.T, p *PartialEDS, e *EDS, before func(r, c int) bool) int {
	t.Helper()
	w := 2 * e.Width()
	n := 0
	for r := range w {
		for c := range w {
			switch {
			case before(r, c) && !p.Has(r, c):
				t.Fatalf("cell (%d,%d) was present and is gone", r, c)
			case p.Has(r, c) && *p.Cell(r, c) != *e.Cell(r, c):
				t.Fatalf("cell (%d,%d) is present with the wrong content", r, c)
			case p.Has(r, c) && !before(r, c):
				n++
			}
		}
	}
	return n
}

func TestRepairUnrepairable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 4, 8, 16, 32} {
		e, d := rpSquare(t, rng, k)
		w := 2 * k
		br, bc := rpPick(rng, w, k+1), rpPick(rng, w, k+1)
		rows, cols := rpPick(rng, w, k-1), rpPick(rng, w, k-1)
		// Outside the withheld block, drop a few more cells: repair must
		// restore them even though the whole square cannot be.
		extra := rpPick(rng, w*w, w)
		holes := 0 // extra cells in complete rows and columns
		for c := range extra {
			if !br[c/w] && !bc[c%w] {
				holes++
			}
		}
		cases := map[string]struct {
			keep     func(r, c int) bool
			restored bool // some cells must come back
		}{
			"(k+1)²-block":       {func(r, c int) bool { return !(br[r] && bc[c]) }, false},
			"(k+1)²-block+holes": {func(r, c int) bool { return !(br[r] && bc[c]) && (!extra[r*w+c] || br[r] || bc[c]) }, holes > 0},
			"k-1 rows+k-1 cols":  {func(r, c int) bool { return rows[r] || cols[c] }, false},
			"nothing":            {func(r, c int) bool { return false }, false},
		}
		for name, tc := range cases {
			t.Run(fmt.Sprintf("k=%d/%s", k, name), func(t *testing.T) {
				p := rpPartial(t, e, tc.keep)
				missing := p.Missing()
				err := p.Repair(d)
				if !errors.Is(err, ErrUnrepairable) {
					t.Fatalf("Repair = %v, want ErrUnrepairable", err)
				}
				var be *ByzantineError
				if errors.As(err, &be) {
					t.Fatalf("honest square reported byzantine: %v", be)
				}
				n := rpCheckOnlyTrueCells(t, p, e, tc.keep)
				if p.Missing() != missing-n {
					t.Fatalf("Missing() = %d, want %d", p.Missing(), missing-n)
				}
				if tc.restored && n == 0 {
					t.Fatal("no cell restored outside the withheld block")
				}
				if p.EDS() != nil {
					t.Fatal("EDS() of an incomplete square is not nil")
				}
			})
		}
	}
}

func TestRepairRejectsWrongDAH(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	e, d := rpSquare(t, rng, 4)
	_, other := rpSquare(t, rng, 8)
	p := PartialFromEDS(e)
	if err := p.Repair(other); !errors.Is(err, ErrWidth) {
		t.Fatalf("DAH of another width: %v, want ErrWidth", err)
	}
	_, d2 := rpSquare(t, rng, 4)
	err := p.Repair(d2)
	var be *ByzantineError
	if !errors.As(err, &be) || !errors.Is(err, ErrByzantineData) {
		t.Fatalf("DAH of another square: %v, want *ByzantineError", err)
	}
	if be.Axis != Row || be.Index != 0 || len(be.Shares) != 8 {
		t.Fatalf("first bad axis %s %d with %d shares, want row 0 with 8", be.Axis, be.Index, len(be.Shares))
	}
	if err := PartialFromEDS(e).Repair(d); err != nil {
		t.Fatalf("complete honest square: %v", err)
	}
}

func TestPartialEDSCells(t *testing.T) {
	p, err := NewPartialEDS(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPartialEDS(3); !errors.Is(err, ErrWidth) {
		t.Fatalf("width 3: %v", err)
	}
	var s da.Share
	s[7] = 9
	for _, rc := range [][2]int{{-1, 0}, {0, -1}, {4, 0}, {0, 4}} {
		if err := p.Set(rc[0], rc[1], &s); !errors.Is(err, ErrCellIndex) {
			t.Fatalf("Set%v = %v, want ErrCellIndex", rc, err)
		}
		if p.Has(rc[0], rc[1]) || p.Cell(rc[0], rc[1]) != nil {
			t.Fatalf("cell %v outside the square reported present", rc)
		}
	}
	if p.Missing() != 16 || p.Has(1, 2) || p.Cell(1, 2) != nil {
		t.Fatal("new square not empty")
	}
	if err := p.Set(1, 2, &s); err != nil {
		t.Fatal(err)
	}
	s[7] = 10 // Set copied
	if !p.Has(1, 2) || p.Cell(1, 2)[7] != 9 || p.Missing() != 15 {
		t.Fatal("Set did not store a copy")
	}
	if err := p.Set(1, 2, &s); err != nil || p.Missing() != 15 || p.Cell(1, 2)[7] != 10 {
		t.Fatal("overwriting a cell changed the count or kept the old value")
	}
}

// rpCorrupt returns a copy of e with cell (r, c) changed after the data
// (past the namespace and info byte, so Q0 namespaces stay sorted) and the
// DAH committing to that bad square.
func rpCorrupt(t testing.TB, e *EDS, r, c int) (*EDS, *DAH) {
	t.Helper()
	bad, err := NewEDS(e.Width(), slices.Clone(e.Shares()))
	if err != nil {
		t.Fatal(err)
	}
	bad.Cell(r, c)[100] ^= 0x5a
	d, err := Commit(bad)
	if err != nil {
		t.Fatal(err)
	}
	return bad, d
}

// rpCorruptCells picks one cell in each quadrant.
func rpCorruptCells(rng *rand.Rand, k int) map[string][2]int {
	return map[string][2]int{
		"Q0": {rng.IntN(k), rng.IntN(k)},
		"Q1": {rng.IntN(k), k + rng.IntN(k)},
		"Q2": {k + rng.IntN(k), rng.IntN(k)},
		"Q3": {k + rng.IntN(k), k + rng.IntN(k)},
	}
}

func TestRepairFindsBadEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 2, 4, 8, 16, 32} {
		e, _ := rpSquare(t, rng, k)
		w := 2 * k
		for quad, rc := range rpCorruptCells(rng, k) {
			r0, c0 := rc[0], rc[1]
			bad, d := rpCorrupt(t, e, r0, c0)
			others := slices.DeleteFunc(rng.Perm(w), func(c int) bool { return c == c0 })
			// Withhold the bad cell and up to k-1 more of its row: the row
			// phase decodes row r0 first, from honest cells only.
			rowHoles := map[int]bool{c0: true}
			for _, c := range others[:rng.IntN(k)] {
				rowHoles[c] = true
			}
			// Withhold k+1 cells of row r0 including the bad one: row r0
			// cannot be decoded, column c0 is decoded first.
			colFirst := map[int]bool{c0: true}
			for _, c := range others[:k] {
				colFirst[c] = true
			}
			cases := []struct {
				name  string
				keep  func(r, c int) bool
				axis  Axis
				index int
			}{
				{"row", func(r, c int) bool { return r != r0 || !rowHoles[c] }, Row, r0},
				{"col", func(r, c int) bool { return r != r0 || !colFirst[c] }, Col, c0},
			}
			for _, tc := range cases {
				t.Run(fmt.Sprintf("k=%d/%s/%s", k, quad, tc.name), func(t *testing.T) {
					p := rpPartial(t, bad, tc.keep)
					err := p.Repair(d)
					var be *ByzantineError
					if !errors.As(err, &be) {
						t.Fatalf("Repair = %v, want *ByzantineError", err)
					}
					if be.Axis != tc.axis || be.Index != tc.index {
						t.Fatalf("bad axis %s %d, want %s %d", be.Axis, be.Index, tc.axis, tc.index)
					}
					if len(be.Shares) != w {
						t.Fatalf("%d shares, want %d", len(be.Shares), w)
					}
					// Shares are the cells held before decoding.
					for j, s := range be.Shares {
						row, col := be.Index, j
						if be.Axis == Col {
							row, col = j, be.Index
						}
						if tc.keep(row, col) != (s != nil) {
							t.Fatalf("position %d: share present %v, cell held %v", j, s != nil, tc.keep(row, col))
						}
						if s != nil && *s != *bad.Cell(row, col) {
							t.Fatalf("position %d: share differs from the cell", j)
						}
					}
					// Nothing unverified was marked present: every cell held
					// is the committed (bad) square's.
					rpCheckOnlyTrueCells(t, p, bad, tc.keep)
					if p.Has(r0, c0) {
						t.Fatal("the withheld bad cell was restored")
					}
				})
			}
		}
	}
}

// A complete square whose DAH commits to a badly encoded axis: the roots
// all match, only the codeword check can catch it.
func TestRepairFindsBadEncodingInCompleteSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 2, 4, 8, 16} {
		e, _ := rpSquare(t, rng, k)
		for quad, rc := range rpCorruptCells(rng, k) {
			t.Run(fmt.Sprintf("k=%d/%s", k, quad), func(t *testing.T) {
				bad, d := rpCorrupt(t, e, rc[0], rc[1])
				err := PartialFromEDS(bad).Repair(d)
				var be *ByzantineError
				if !errors.As(err, &be) {
					t.Fatalf("Repair = %v, want *ByzantineError", err)
				}
				if !(be.Axis == Row && be.Index == rc[0]) && !(be.Axis == Col && be.Index == rc[1]) {
					t.Fatalf("bad axis %s %d, want row %d or column %d", be.Axis, be.Index, rc[0], rc[1])
				}
				for j, s := range be.Shares {
					if s == nil {
						t.Fatalf("position %d nil for a complete axis", j)
					}
				}
			})
		}
	}
}

// Squares whose every row is a codeword but not every column, and the
// reverse: only the codeword checks on the other direction catch them.
func TestRepairFindsHalfEncodedSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range []int{2, 4, 8} {
		e, _ := rpSquare(t, rng, k)
		w := 2 * k
		for _, a := range []Axis{Row, Col} {
			t.Run(fmt.Sprintf("k=%d/%s", k, a), func(t *testing.T) {
				// Replace parity axis i ≥ k by another codeword.
				i := k + rng.IntN(k)
				bad, err := NewEDS(k, slices.Clone(e.Shares()))
				if err != nil {
					t.Fatal(err)
				}
				vec := make([]da.Share, w)
				shards := make([][]byte, w)
				for j := range vec {
					for b := range vec[j] {
						vec[j][b] = byte(rng.Uint32())
					}
					shards[j] = vec[j][:]
				}
				enc, err := reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
				if err != nil {
					t.Fatal(err)
				}
				if err := enc.Encode(shards); err != nil {
					t.Fatal(err)
				}
				for j := range w {
					if a == Row {
						*bad.Cell(i, j) = vec[j]
					} else {
						*bad.Cell(j, i) = vec[j]
					}
				}
				d, err := Commit(bad)
				if err != nil {
					t.Fatal(err)
				}
				err = PartialFromEDS(bad).Repair(d)
				var be *ByzantineError
				if !errors.As(err, &be) {
					t.Fatalf("Repair = %v, want *ByzantineError", err)
				}
				if be.Axis == a {
					t.Fatalf("bad axis %s %d: every %s is a codeword", be.Axis, be.Index, a)
				}
			})
		}
	}
}

// Unsorted Q0 namespaces in a decoded row are byzantine.
func TestRepairUnsortedNamespaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	k := 4
	e, d := rpSquare(t, rng, k)
	// A peer's cell in Q0 with a namespace above its right neighbour's.
	p := rpPartial(t, e, func(r, c int) bool { return r == 0 || c < k })
	var s da.Share = *e.Cell(1, 0)
	for i := range da.NamespaceSize - 1 {
		s[i] = 0xFF
	}
	if err := p.Set(1, 0, &s); err != nil {
		t.Fatal(err)
	}
	err := p.Repair(d)
	var be *ByzantineError
	if !errors.As(err, &be) || be.Axis != Row || be.Index != 1 {
		t.Fatalf("Repair = %v, want byzantine row 1", err)
	}
}

// A row decoded from more than k cells that are not consistent can still
// hash to its root, if the producer committed to exactly what the decoder
// outputs. Such a row is not a codeword and must not count as one. Here
// (k = 2) row 0 is a codeword, row 3 is [a0 a1 a2 v] with v what leopard
// decodes from a0 a1 a2, every column is the codeword through rows 0 and
// 3, so rows 1 and 2 are not codewords either. Cells share a zero
// namespace so that every order check passes.
func TestRepairDecodedFromMoreThanK(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const k, w = 2, 4
	enc, err := reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
	if err != nil {
		t.Fatal(err)
	}
	random := func() da.Share {
		var s da.Share
		for i := da.NamespaceSize; i < len(s); i++ {
			s[i] = byte(rng.Uint32())
		}
		return s
	}
	shardsOf := func(v []da.Share) [][]byte {
		out := make([][]byte, len(v))
		for i := range v {
			out[i] = v[i][:]
		}
		return out
	}
	row0 := []da.Share{random(), random(), {}, {}}
	if err := enc.Encode(shardsOf(row0)); err != nil {
		t.Fatal(err)
	}
	row3 := []da.Share{random(), random(), random(), {}}
	sh := shardsOf(row3)
	sh[3] = sh[3][:0]
	if err := enc.Reconstruct(sh); err != nil {
		t.Fatal(err)
	}
	shares := make([]da.Share, w*w)
	for c := range w {
		col := []da.Share{row0[c], {}, {}, row3[c]}
		sh := shardsOf(col)
		sh[1], sh[2] = sh[1][:0], sh[2][:0]
		if err := enc.Reconstruct(sh); err != nil {
			t.Fatal(err)
		}
		for r := range w {
			shares[r*w+c] = col[r]
		}
	}
	bad, err := NewEDS(k, shares)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Commit(bad)
	if err != nil {
		t.Fatal(err)
	}
	p := rpPartial(t, bad, func(r, c int) bool { return r == 0 || r == 3 && c < 3 })
	err = p.Repair(d)
	var be *ByzantineError
	if !errors.As(err, &be) {
		t.Fatalf("Repair = %v, want *ByzantineError", err)
	}
	if be.Axis != Row || be.Index == 0 {
		t.Fatalf("bad axis %s %d, want a row other than 0", be.Axis, be.Index)
	}
	if p.Missing() != 0 {
		t.Fatalf("%d cells missing: every axis hashes to its root, all should be restored", p.Missing())
	}
}
