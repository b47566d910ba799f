package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// BenchmarkPutSquare writes a new height each time: temp file, fsync,
// rename, directory fsync and a synchronous index write. Storing the header
// first is not timed.
func BenchmarkPutSquare(b *testing.B) {
	for _, k := range []int{32, 128} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, b.TempDir(), Config{})
			ods := testODS(1, k)
			root := testRoot(ods)
			b.SetBytes(int64(k * k * da.ShareSize))
			b.ReportAllocs()
			for i := range b.N {
				h := uint64(i + 1)
				b.StopTimer()
				if err := s.PutHeader(ctx, testHeader(h, k, root, [32]byte{1})); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.PutSquare(ctx, h, root, ods); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSquare(b *testing.B) {
	for _, k := range []int{32, 128} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, b.TempDir(), Config{})
			blk := testChain(1, 1, k, [32]byte{})[0]
			putBlocks(b, s, []block{blk})
			b.SetBytes(int64(k * k * da.ShareSize))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Square(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
