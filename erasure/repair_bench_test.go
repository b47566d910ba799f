package erasure

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkRepair restores a square from one quadrant (the patterns of
// rsmt2d's benchmark, SPEC §12). Each iteration starts from a fresh copy
// of the partial square; copying it is outside the timer.
func BenchmarkRepair(b *testing.B) {
	for _, k := range []int{32, 64, 128} {
		rng := rand.New(rand.NewPCG(uint64(k), 99))
		e, d := rpSquare(b, rng, k)
		w := 2 * k
		gr, gc := rpPick(rng, w, k), rpPick(rng, w, k)
		patterns := []struct {
			name string
			keep func(r, c int) bool
		}{
			{"Q0", func(r, c int) bool { return r < k && c < k }},
			{"Q3", func(r, c int) bool { return r >= k && c >= k }},
			{"grid", func(r, c int) bool { return gr[r] && gc[c] }},
		}
		for _, pat := range patterns {
			b.Run(fmt.Sprintf("k=%d/from=%s", k, pat.name), func(b *testing.B) {
				src := rpPartial(b, e, pat.keep)
				p := rpPartial(b, e, pat.keep)
				b.ReportAllocs()
				b.SetBytes(int64(len(e.Shares())) * int64(len(e.Shares()[0])))
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					copy(p.have, src.have)
					p.missing = src.missing
					b.StartTimer()
					if err := p.Repair(d); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
