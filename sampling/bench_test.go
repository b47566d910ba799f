package sampling

import (
	"fmt"
	"testing"
)

func BenchmarkSelectCells(b *testing.B) {
	for _, k := range []int{16, 128, 512} {
		s := SampleCount(k, DefaultConfig())
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			r := seeded(1)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SelectCells(r, k, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSession is one height's whole life at the default confidence:
// draw the cells, persist the snapshot, hand out every cell in batches,
// verify them, persist again.
func BenchmarkSession(b *testing.B) {
	for _, k := range []int{16, 128} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			r := seeded(1)
			cfg := DefaultConfig()
			cfg.MaxInFlight = 8
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				s, err := StartSession(r, 1, k, cfg, t0)
				if err != nil {
					b.Fatal(err)
				}
				buf, _ = s.AppendBinary(buf[:0])
				for s.Verdict() == StatusSampling {
					for _, c := range s.Next(8) {
						if err := s.Verified(c); err != nil {
							b.Fatal(err)
						}
					}
				}
				buf, _ = s.AppendBinary(buf[:0])
			}
		})
	}
}

func BenchmarkSchedulerNext(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("heights=%d", n), func(b *testing.B) {
			s, _ := NewScheduler(1, DefaultConfig())
			s.SetHead(uint64(n))
			b.ReportAllocs()
			for b.Loop() {
				hs := s.Next(t0)
				for _, h := range hs {
					_ = s.Done(h, StatusAvailable, t0)
				}
				if len(hs) == 0 {
					s.SetHead(s.Head() + 8)
				}
			}
		})
	}
}
