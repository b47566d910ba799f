package consensus

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// writeBytes is what this process has sent to the storage layer
// (/proc/self/io), its background compactions included.
func writeBytes(b *testing.B) int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		b.Skipf("no /proc/self/io: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Skip("no write_bytes in /proc/self/io")
	return 0
}

// BenchmarkBlockStoreWrites saves blocks the way CometBFT's block store
// does (a k = 128 square of 1 MiB blobs: 112 parts of 64 KiB set one by
// one, then the meta, hash and commit records in a synced batch), into
// plain leveldb as the block store had it before (no compression, 32 MiB
// write buffer, 8 MiB tables) and into the value log over leveldb. One op
// is one block; disk-MiB/op is what reached the storage layer per block,
// compactions included.
func BenchmarkBlockStoreWrites(b *testing.B) {
	part := make([]byte, 64<<10)
	rand.Read(part)
	small := make([]byte, 300)
	rand.Read(small)
	const parts = 112
	for _, name := range []string{"leveldb", "value-log"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var db dbm.DB
			var err error
			if name == "leveldb" {
				db, err = dbm.NewGoLevelDBWithOpts("blockstore", dir, &opt.Options{
					Compression: opt.NoCompression, WriteBuffer: 32 << 20, CompactionTableSize: 8 << 20})
			} else {
				var ldb dbm.DB
				if ldb, err = dbm.NewGoLevelDBWithOpts("blockstore", dir, blockStoreOptions()); err == nil {
					db, err = openValueLog(ldb, filepath.Join(dir, "blockstore.vlog"))
				}
			}
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.SetBytes(parts * int64(len(part)))
			start := writeBytes(b)
			height := 0
			for b.Loop() {
				height++
				for p := range parts {
					if err := db.Set(fmt.Appendf(nil, "P:%d:%d", height, p), part); err != nil {
						b.Fatal(err)
					}
				}
				batch := db.NewBatch()
				for _, k := range []string{"H:%d", "BH:%x", "C:%d", "SC:%d"} {
					if err := batch.Set(fmt.Appendf(nil, k, height), small); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.WriteSync(); err != nil {
					b.Fatal(err)
				}
				batch.Close()
			}
			b.ReportMetric(float64(writeBytes(b)-start)/float64(b.N)/(1<<20), "disk-MiB/op")
		})
	}
}
