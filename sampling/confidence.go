package sampling

import "math"

// Bound names the adversary model behind Confidence, as the API reports it
// next to the number (API.md "Availability").
const Bound = "(k+1)^2 of 4k^2 withheld"

// BoundEmpty is what the API reports for an empty block: its data root is
// fixed, so there is nothing to withhold and nothing is sampled.
const BoundEmpty = "empty square: nothing to withhold"

// MaxWidth is the largest original square width k this package accepts:
// cell coordinates run over [0, 2k) and fit 16 bits, and the 4k² cells
// fit an int even on 32-bit platforms. Chains use far less
// (da.MaxSquareWidthCap); headers are checked against that first.
const MaxWidth = 1 << 14

// cellCount is the 4k² cells of the extended square.
func cellCount(k int) int { return 4 * k * k }

// withheld is the (k+1)² shares an adversary must withhold at least to
// make a 2k×2k square unrecoverable.
func withheld(k int) int { return (k + 1) * (k + 1) }

// certain is the smallest number of distinct samples that must land on a
// withheld share: with 4k² − (k+1)² + 1 cells sampled, the available cells
// alone cannot account for all of them. It equals 3k² − 2k.
func certain(k int) int { return cellCount(k) - withheld(k) + 1 }

// FractionBound is f = (k+1)²/(4k²), the least fraction of the extended
// square an adversary must withhold to make it unrecoverable (DESIGN.md
// §7). It is 0 for k outside [1, MaxWidth].
func FractionBound(k int) float64 {
	if k < 1 || k > MaxWidth {
		return 0
	}
	return float64(withheld(k)) / float64(cellCount(k))
}

// Confidence is the confidence reported for s distinct samples of a 2k×2k
// square: 1 − (1 − f)^s with f = FractionBound(k) (DESIGN.md §7), the
// chance that at least one of s independent uniform samples lands on a
// withheld share. Distinct samples do at least as well (see
// ExactConfidence), and from 3k² − 2k samples on a hit is certain (the
// available cells cannot account for them all), so there it is 1. It is 0
// for s ≤ 0 or k out of range.
func Confidence(k, s int) float64 {
	if s <= 0 || k < 1 || k > MaxWidth {
		return 0
	}
	if s >= certain(k) {
		return 1
	}
	// −expm1(s·log1p(−f)) keeps the digits that 1 − (1−f)^s loses when
	// the miss probability is tiny.
	return -math.Expm1(float64(s) * math.Log1p(-FractionBound(k)))
}

// ExactConfidence is the probability that s distinct cells drawn uniformly
// from the 4k² land on at least one of exactly (k+1)² withheld cells:
// 1 − C(4k²−(k+1)², s)/C(4k², s), the hypergeometric value. It is never
// below Confidence(k, s).
func ExactConfidence(k, s int) float64 {
	if s <= 0 || k < 1 || k > MaxWidth {
		return 0
	}
	if s >= certain(k) {
		return 1
	}
	n, good := float64(cellCount(k)), float64(cellCount(k)-withheld(k))
	var logMiss float64
	for i := range s {
		logMiss += math.Log((good - float64(i)) / (n - float64(i)))
	}
	return -math.Expm1(logMiss)
}

// SampleCount is the number of distinct cells to sample per height of
// width k: cfg.Samples clamped to 4k² when it is set, otherwise the least
// s with Confidence(k, s) ≥ cfg.Confidence. It never exceeds 4k², and is 0
// for k outside [1, MaxWidth] or a confidence outside (0, 1).
func SampleCount(k int, cfg Config) int {
	if k < 1 || k > MaxWidth {
		return 0
	}
	if cfg.Samples > 0 {
		return min(cfg.Samples, cellCount(k))
	}
	c := cfg.Confidence
	if math.IsNaN(c) || c <= 0 || c >= 1 {
		return 0
	}
	top := certain(k)
	s := top
	if est := math.Ceil(math.Log1p(-c) / math.Log1p(-FractionBound(k))); est >= 1 && est < float64(top) {
		s = int(est)
	}
	// The estimate may be one off either way in floating point; settle on
	// the least s that Confidence itself accepts.
	for s > 1 && Confidence(k, s-1) >= c {
		s--
	}
	for s < top && Confidence(k, s) < c {
		s++
	}
	return s
}

// Assurance is what the API reports about one height's sampling: the
// square width, the number of samples, the adversary model and the
// confidence — never a bare number.
type Assurance struct {
	Width      int     // k, the original square width
	Samples    int     // s, distinct cells sampled
	Bound      string  // Bound, or BoundEmpty
	Confidence float64 // Confidence(k, s), or 1 for an empty block
}

// AssuranceFor is the Assurance of s samples of a square of width k.
func AssuranceFor(k, s int) Assurance {
	return Assurance{Width: k, Samples: s, Bound: Bound, Confidence: Confidence(k, s)}
}
