package erasure

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

var benchWidths = []int{32, 64, 128, 256, 512}

// xtCPUTime is the CPU time this process has used, user and system.
func xtCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// xtReportCPU adds the CPU time per operation since start, in
// milliseconds. The machine is shared, so wall time varies with the other
// load; the CPU time it took, compared with the floor's, varies much less.
func xtReportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(xtCPUTime(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// xtODS caches the ods-v1 squares: building the k = 512 one takes longer
// than extending it.
var xtODS = map[int][]da.Share{}

func xtBenchODS(k int) []da.Share {
	if ods, ok := xtODS[k]; ok {
		return ods
	}
	ods := vectors.ODS(vectors.Seed, k)
	xtODS[k] = ods
	return ods
}

// BenchmarkExtendAndCommit goes from an ODS of ready shares to the EDS, its
// 4k roots and the data root, with the Extender a producer keeps.
func BenchmarkExtendAndCommit(b *testing.B) {
	for _, k := range benchWidths {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			ods := xtBenchODS(k)
			x := NewExtender(0)
			if _, _, err := x.ExtendAndCommit(ods); err != nil { // warm codec and buffers
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(ods) * da.ShareSize))
			b.ResetTimer()
			cpu := xtCPUTime(b)
			for b.Loop() {
				_, d, err := x.ExtendAndCommit(ods)
				if err != nil {
					b.Fatal(err)
				}
				_ = d.DataRoot()
			}
			xtReportCPU(b, cpu)
		})
	}
}

// BenchmarkExtendAndCommitRecycled is BenchmarkExtendAndCommit for a
// producer that hands each square back (Extender.Recycle) once it has
// stored it, so the EDS memory is not paged in afresh for every block.
func BenchmarkExtendAndCommitRecycled(b *testing.B) {
	for _, k := range benchWidths {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			ods := xtBenchODS(k)
			x := NewExtender(0)
			e, _, err := x.ExtendAndCommit(ods)
			if err != nil {
				b.Fatal(err)
			}
			x.Recycle(e)
			b.ReportAllocs()
			b.SetBytes(int64(len(ods) * da.ShareSize))
			b.ResetTimer()
			cpu := xtCPUTime(b)
			for b.Loop() {
				e, d, err := x.ExtendAndCommit(ods)
				if err != nil {
					b.Fatal(err)
				}
				_ = d.DataRoot()
				x.Recycle(e)
			}
			xtReportCPU(b, cpu)
		})
	}
}

// BenchmarkCommit commits to a square received whole (a full node's check).
func BenchmarkCommit(b *testing.B) {
	for _, k := range benchWidths {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			e, err := Extend(xtBenchODS(k))
			if err != nil {
				b.Fatal(err)
			}
			x := NewExtender(0)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := xtCPUTime(b)
			for b.Loop() {
				d, err := x.Commit(e)
				if err != nil {
					b.Fatal(err)
				}
				_ = d.DataRoot()
			}
			xtReportCPU(b, cpu)
		})
	}
}

// BenchmarkExtend is the coding alone.
func BenchmarkExtend(b *testing.B) {
	for _, k := range benchWidths {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			ods := xtBenchODS(k)
			x := NewExtender(0)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := xtCPUTime(b)
			for b.Loop() {
				if _, err := x.Extend(ods); err != nil {
					b.Fatal(err)
				}
			}
			xtReportCPU(b, cpu)
		})
	}
}

// BenchmarkSHA256Floor is the hashing any commitment to a 2k × 2k square
// must do, spread over GOMAXPROCS goroutines and nothing else: 4k² leaf
// hashes of 542 bytes (0x00 ‖ ns ‖ share) and 4k(2k−1) inner hashes of 181
// bytes (0x01 ‖ node ‖ node). ExtendAndCommit's time over this one is its
// overhead.
func BenchmarkSHA256Floor(b *testing.B) {
	for _, k := range benchWidths {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			leaves, inners := 4*k*k, 4*k*(2*k-1)
			workers := runtime.GOMAXPROCS(0)
			b.ReportAllocs()
			cpu := xtCPUTime(b)
			for b.Loop() {
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var leaf [extLeafLen]byte
						var inner [1 + 2*extNodeLen]byte
						inner[0] = 1
						for range (w+1)*leaves/workers - w*leaves/workers {
							d := sha256.Sum256(leaf[:])
							copy(leaf[1+extNS:], d[:])
						}
						for range (w+1)*inners/workers - w*inners/workers {
							d := sha256.Sum256(inner[:])
							copy(inner[1+2*extNS:], d[:])
						}
					}()
				}
				wg.Wait()
			}
			xtReportCPU(b, cpu)
		})
	}
}

// xtHeapSampler records the largest heap (bytes in objects, live or not
// yet swept) seen while it runs.
type xtHeapSampler struct {
	stop chan struct{}
	done chan uint64
}

func xtSampleHeap() *xtHeapSampler {
	s := &xtHeapSampler{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-s.stop:
				metrics.Read(sample)
				s.done <- max(peak, sample[0].Value.Uint64())
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *xtHeapSampler) peak() uint64 {
	close(s.stop)
	return <-s.done
}

// Extending and committing the largest square holds at most 1.5× the EDS
// in memory at peak, counting the ODS it starts from, the square, and
// everything the call allocates: the Extender's scratch and, when this is
// the process's first GF(2^16) codec, leopard's tables (74 MiB, shared by
// every later codec). Run alone, the log line is the whole heap.
func TestExtendAndCommitPeakMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("k = 512 square skipped in -short mode")
	}
	const k = MaxWidth
	const mib = 1 << 20
	edsBytes := uint64(4 * k * k * da.ShareSize)
	ods := xtBenchODS(k)
	odsBytes := uint64(len(ods) * da.ShareSize)
	x := NewExtender(0)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	s := xtSampleHeap()
	e, d, err := x.ExtendAndCommit(ods)
	peak := s.peak()
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(e)
	runtime.KeepAlive(d)
	allocated := after.TotalAlloc - before.TotalAlloc
	held := odsBytes
	if peak > before.HeapAlloc {
		held += peak - before.HeapAlloc
	}
	bound := odsBytes + allocated
	t.Logf("k=%d: heap before %d MiB (ODS %d MiB), sampled peak %d MiB, call allocated %d MiB; "+
		"ODS + peak growth %d MiB (bound %d MiB) = %.2f× the %d MiB EDS",
		k, before.HeapAlloc/mib, odsBytes/mib, peak/mib, allocated/mib, held/mib, bound/mib, float64(held)/float64(edsBytes), edsBytes/mib)
	if limit := edsBytes * 3 / 2; held > limit || bound > limit {
		t.Fatalf("held %d MiB (bound %d MiB), above 1.5× the EDS (%d MiB)", held/mib, bound/mib, limit/mib)
	}
}
