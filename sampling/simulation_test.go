package sampling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The deterministic simulation the design asks for: an adversary withholds
// exactly (k+1)² cells, a light node runs a full session per trial against
// a network that serves every other cell, and the fraction of sessions
// that wrongly conclude "available" must match the exact without-
// replacement probability C(4k²−(k+1)², s)/C(4k², s) and stay at or below
// the reported bound (1−f)^s, within 4 standard deviations.

const simTrials = 10000

type selector func(r *rand.Rand, k, s int) []Cell

func uniformSelector(r *rand.Rand, k, s int) []Cell {
	cells, err := SelectCells(r, k, s)
	if err != nil {
		panic(err)
	}
	return cells
}

// withholdShape builds the adversary's set of exactly (k+1)² cells.
func withholdShape(shape string, k int, r *rand.Rand) []bool {
	n := 2 * k
	w := make([]bool, n*n)
	switch shape {
	case "ods-corner": // a (k+1)×(k+1) block from the top-left corner
		for i := 0; i <= k; i++ {
			for j := 0; j <= k; j++ {
				w[i*n+j] = true
			}
		}
	case "parity-corner": // the same block in the bottom-right corner
		for i := n - k - 1; i < n; i++ {
			for j := n - k - 1; j < n; j++ {
				w[i*n+j] = true
			}
		}
	case "random":
		for _, x := range r.Perm(n * n)[:withheld(k)] {
			w[x] = true
		}
	default:
		panic(shape)
	}
	return w
}

// fooledRate runs trials sessions of s samples against the withholding
// adversary and returns the fraction that end available.
func fooledRate(t *testing.T, pick selector, k, s int, withheldCells []bool, seed uint64) float64 {
	t.Helper()
	r := seeded(seed)
	cfg := DefaultConfig()
	cfg.Samples, cfg.MaxAttempts, cfg.MaxInFlight = s, 2, 4
	now := time.Unix(1_700_000_000, 0)
	fooled := 0
	for trial := range simTrials {
		sess, err := NewSession(uint64(trial+1), k, pick(r, k, s), cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		for sess.Verdict() == StatusSampling {
			batch := sess.Next(3)
			if len(batch) == 0 {
				t.Fatalf("trial %d: sampling with nothing to ask", trial)
			}
			for _, c := range batch {
				if withheldCells[c.index(2*k)] {
					err = sess.Failed(c, FailureMissing)
				} else {
					err = sess.Verified(c)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if sess.Verdict() == StatusAvailable {
			fooled++
		}
	}
	return float64(fooled) / simTrials
}

// missProbability is C(N−w, s)/C(N, s), computed with log-gamma so that it
// does not lean on the package's own ExactConfidence.
func missProbability(k, s int) float64 {
	n, w := float64(4*k*k), float64((k+1)*(k+1))
	lchoose := func(a, b float64) float64 {
		x, _ := math.Lgamma(a + 1)
		y, _ := math.Lgamma(b + 1)
		z, _ := math.Lgamma(a - b + 1)
		return x - y - z
	}
	return math.Exp(lchoose(n-w, float64(s)) - lchoose(n, float64(s)))
}

// checkRate compares an observed rate with the exact probability p and
// the bound, within 4 standard deviations of simTrials Bernoulli trials.
func checkRate(observed float64, k, s int) error {
	p := missProbability(k, s)
	bound := math.Pow(1-FractionBound(k), float64(s))
	tol := 4 * math.Sqrt(p*(1-p)/simTrials)
	if math.Abs(observed-p) > tol {
		return fmt.Errorf("fooled %.4f of sessions, exact probability %.4f ± %.4f", observed, p, tol)
	}
	if observed > bound+tol {
		return fmt.Errorf("fooled %.4f of sessions, above the bound (1−f)^s = %.4f + %.4f", observed, bound, tol)
	}
	return nil
}

func TestSimulationWithholdingAdversary(t *testing.T) {
	for _, k := range []int{4, 16, 64} {
		for _, s := range []int{5, 10} {
			for _, shape := range []string{"ods-corner", "parity-corner", "random"} {
				name := fmt.Sprintf("k=%d/s=%d/%s", k, s, shape)
				t.Run(name, func(t *testing.T) {
					seed := uint64(k*1_000_000 + s*1000 + len(shape))
					w := withholdShape(shape, k, seeded(seed^0xadadad))
					got := fooledRate(t, uniformSelector, k, s, w, seed)
					t.Logf("fooled %.4f; exact %.4f; bound (1−f)^s %.4f", got, missProbability(k, s), math.Pow(1-FractionBound(k), float64(s)))
					if err := checkRate(got, k, s); err != nil {
						t.Error(err)
					}
					// The confidence the API would report for this s is
					// the complement of the bound.
					if c := Confidence(k, s); math.Abs(c-(1-math.Pow(1-FractionBound(k), float64(s)))) > 1e-12 {
						t.Errorf("Confidence(%d, %d) = %v", k, s, c)
					}
				})
			}
		}
	}
}

// The check above can fail: a selector that avoids the original quadrant
// never meets a corner-block adversary, and one that draws with
// replacement from a small square is fooled measurably more often than
// distinct sampling.
func TestSimulationDetectsBadSelectors(t *testing.T) {
	avoidODS := func(r *rand.Rand, k, s int) []Cell {
		cells := make([]Cell, 0, s)
		for len(cells) < s {
			c := Cell{Row: uint16(k + r.IntN(k)), Col: uint16(k + r.IntN(k))}
			if !containsCell(cells, c) {
				cells = append(cells, c)
			}
		}
		return cells
	}
	k, s := 16, 10
	got := fooledRate(t, avoidODS, k, s, withholdShape("ods-corner", k, nil), 7)
	if checkRate(got, k, s) == nil {
		t.Errorf("a selector avoiding the ODS passed the check (fooled %.4f)", got)
	}
	// Nor does a fixed set of cells (here the start of the last row).
	firstCells := func(r *rand.Rand, k, s int) []Cell {
		cells := make([]Cell, s)
		for i := range cells {
			cells[i] = Cell{Row: uint16(2*k - 1), Col: uint16(i)}
		}
		return cells
	}
	got = fooledRate(t, firstCells, k, s, withholdShape("ods-corner", k, nil), 8)
	if checkRate(got, k, s) == nil {
		t.Errorf("a fixed selector passed the check (fooled %.4f)", got)
	}
}

func containsCell(cells []Cell, c Cell) bool {
	for _, d := range cells {
		if d == c {
			return true
		}
	}
	return false
}
