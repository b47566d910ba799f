package sampling

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7a17a9)) }

func checkCells(t *testing.T, cells []Cell, k, s int) {
	t.Helper()
	if len(cells) != s {
		t.Fatalf("k=%d: %d cells, want %d", k, len(cells), s)
	}
	for i, c := range cells {
		if int(c.Row) >= 2*k || int(c.Col) >= 2*k {
			t.Fatalf("k=%d: cell %v outside the square", k, c)
		}
		if i > 0 && cells[i-1].compare(c) >= 0 {
			t.Fatalf("k=%d: cells not strictly increasing at %d: %v then %v", k, i, cells[i-1], c)
		}
	}
}

func TestSelectCellsShape(t *testing.T) {
	r := seeded(1)
	for _, k := range []int{1, 2, 4, 16, 128} {
		for _, s := range []int{0, 1, 5, 32, 64, 65, 100, cellCount(k) / 2, cellCount(k)/2 + 1, cellCount(k) - 1, cellCount(k)} {
			if s > cellCount(k) {
				continue
			}
			cells, err := SelectCells(r, k, s)
			if err != nil {
				t.Fatal(err)
			}
			checkCells(t, cells, k, s)
		}
		// Every cell, in order, and more than every cell clamps to it.
		for _, s := range []int{cellCount(k), cellCount(k) + 1, 10 * cellCount(k)} {
			cells, err := SelectCells(r, k, s)
			if err != nil {
				t.Fatal(err)
			}
			checkCells(t, cells, k, cellCount(k))
			for i, c := range cells {
				if c.index(2*k) != i {
					t.Fatalf("k=%d s=%d: cell %d is %v", k, s, i, c)
				}
			}
		}
		if cells, err := SelectCells(r, k, -3); err != nil || len(cells) != 0 {
			t.Errorf("k=%d s=-3: %v, %v; want no cells", k, cells, err)
		}
	}
	for _, k := range []int{0, -1, MaxWidth + 1} {
		if _, err := SelectCells(r, k, 1); !errors.Is(err, ErrWidth) {
			t.Errorf("k=%d: err = %v, want ErrWidth", k, err)
		}
	}
}

func TestSelectCellsDeterministic(t *testing.T) {
	a, _ := SelectCells(seeded(42), 128, 32)
	b, _ := SelectCells(seeded(42), 128, 32)
	c, _ := SelectCells(seeded(43), 128, 32)
	if !slices.Equal(a, b) {
		t.Error("same seed, different cells")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same cells")
	}
}

// chiSquareOK reports whether counts, expected to be equal, pass a
// chi-square test at about 6 standard deviations (dof = len−1, variance
// 2·dof): loose enough never to flake, tight enough to catch a bias.
func chiSquareOK(t *testing.T, name string, counts []int) {
	t.Helper()
	var total int
	for _, c := range counts {
		total += c
	}
	e := float64(total) / float64(len(counts))
	var chi float64
	for _, c := range counts {
		d := float64(c) - e
		chi += d * d / e
	}
	dof := float64(len(counts) - 1)
	if limit := dof + 6*math.Sqrt(2*dof); chi > limit {
		t.Errorf("%s: chi-square %.1f over %d bins exceeds %.1f", name, chi, len(counts), limit)
	}
}

// Each cell equally likely, over the three ways SelectCells draws (scan,
// map, complement).
func TestSelectCellsUniformCells(t *testing.T) {
	for _, tt := range []struct{ k, s, trials int }{
		{8, 16, 20000},  // small set, linear scan
		{8, 100, 3000},  // map
		{8, 200, 3000},  // complement of 56
		{64, 32, 20000}, // the production shape, per row and column
	} {
		r := seeded(uint64(tt.k*1000 + tt.s))
		n := 2 * tt.k
		cellHits := make([]int, n*n)
		rows, cols := make([]int, n), make([]int, n)
		for range tt.trials {
			cells, _ := SelectCells(r, tt.k, tt.s)
			for _, c := range cells {
				cellHits[c.index(n)]++
				rows[c.Row]++
				cols[c.Col]++
			}
		}
		if tt.k <= 8 {
			chiSquareOK(t, "cells", cellHits)
		}
		chiSquareOK(t, "rows", rows)
		chiSquareOK(t, "cols", cols)
	}
}

// Every s-subset equally likely, not just every cell: count whole subsets
// of small squares.
func TestSelectCellsUniformSubsets(t *testing.T) {
	for _, tt := range []struct{ k, s, trials int }{
		{1, 2, 60000},  // 6 subsets
		{1, 3, 40000},  // 4 subsets, complement path
		{2, 3, 56000},  // 560 subsets
		{2, 13, 56000}, // 560 subsets, complement of 3
	} {
		r := seeded(uint64(tt.k*100 + tt.s))
		counts := map[uint64]int{}
		for range tt.trials {
			cells, _ := SelectCells(r, tt.k, tt.s)
			var key uint64
			for _, c := range cells {
				key |= 1 << c.index(2*tt.k)
			}
			counts[key]++
		}
		want := binomial(cellCount(tt.k), tt.s)
		if len(counts) != want {
			t.Errorf("k=%d s=%d: %d distinct subsets seen, want %d", tt.k, tt.s, len(counts), want)
			continue
		}
		bins := make([]int, 0, len(counts))
		for _, c := range counts {
			bins = append(bins, c)
		}
		chiSquareOK(t, "subsets", bins)
	}
}

func binomial(n, k int) int {
	r := 1
	for i := 1; i <= k; i++ {
		r = r * (n - k + i) / i
	}
	return r
}

func TestCryptoSource(t *testing.T) {
	r := rand.New(CryptoSource())
	a, _ := SelectCells(r, 128, 32)
	b, _ := SelectCells(r, 128, 32)
	checkCells(t, a, 128, 32)
	if slices.Equal(a, b) {
		t.Error("two crypto draws gave the same 32 cells")
	}
}
