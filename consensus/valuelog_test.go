package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

func openTestValueLog(t *testing.T, dir string, segSize int64) (*valueLogDB, dbm.DB) {
	t.Helper()
	ldb, err := dbm.NewGoLevelDBWithOpts("blockstore", dir, blockStoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	db, err := openValueLog(ldb, filepath.Join(dir, "blockstore.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := db.(*valueLogDB)
	if !ok {
		t.Fatalf("openValueLog on an empty database returned %T, want the value log", db)
	}
	v.maxSize = segSize
	return v, db
}

// randValue straddles largeValue, so both inline values and pointers are
// exercised, with empty values among them.
func randValue(rng *rand.Rand) []byte {
	var n int
	switch rng.IntN(4) {
	case 0:
		n = rng.IntN(8)
	case 1:
		n = largeValue - 2 + rng.IntN(4)
	default:
		n = rng.IntN(3 * largeValue)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// sameContents compares every key and value of got with want, through
// Get, Has and both iterators over random ranges.
func sameContents(t *testing.T, rng *rand.Rand, got, want dbm.DB, keys [][]byte) {
	t.Helper()
	for _, k := range keys {
		g, err := got.Get(k)
		if err != nil {
			t.Fatalf("Get(%q): %v", k, err)
		}
		w, _ := want.Get(k)
		if !bytes.Equal(g, w) || (g == nil) != (w == nil) {
			t.Fatalf("Get(%q) = %d bytes (nil %v), want %d bytes (nil %v)", k, len(g), g == nil, len(w), w == nil)
		}
		gh, err := got.Has(k)
		if err != nil {
			t.Fatal(err)
		}
		if wh, _ := want.Has(k); gh != wh {
			t.Fatalf("Has(%q) = %v, want %v", k, gh, wh)
		}
	}
	for range 20 {
		a, b := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
		if bytes.Compare(a, b) > 0 {
			a, b = b, a
		}
		for _, reverse := range []bool{false, true} {
			list := func(db dbm.DB) []string {
				var it dbm.Iterator
				var err error
				if reverse {
					it, err = db.ReverseIterator(a, b)
				} else {
					it, err = db.Iterator(a, b)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer it.Close()
				var out []string
				for ; it.Valid(); it.Next() {
					out = append(out, fmt.Sprintf("%x=%x", it.Key(), it.Value()))
				}
				if err := it.Error(); err != nil {
					t.Fatal(err)
				}
				return out
			}
			g, w := list(got), list(want)
			if strings.Join(g, ",") != strings.Join(w, ",") {
				t.Fatalf("iterator [%q, %q) reverse=%v: %d entries differ from the reference's %d", a, b, reverse, len(g), len(w))
			}
		}
	}
}

// TestValueLogMatchesMemDB applies the same random writes to the value log
// and to CometBFT's in-memory database and compares what they hold, also
// after a reopen, across many small segments.
func TestValueLogMatchesMemDB(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	_, db := openTestValueLog(t, dir, 8*largeValue)
	ref := dbm.NewMemDB()
	keys := make([][]byte, 40)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("P:%d:%d", rng.IntN(300), i))
	}
	apply := func(op int, k, val []byte, batch [2]dbm.Batch) error {
		switch op {
		case 0:
			return errors.Join(db.Set(k, val), ref.Set(k, val))
		case 1:
			return errors.Join(db.SetSync(k, val), ref.SetSync(k, val))
		case 2:
			return errors.Join(db.Delete(k), ref.Delete(k))
		case 3:
			return errors.Join(db.DeleteSync(k), ref.DeleteSync(k))
		case 4:
			return errors.Join(batch[0].Set(k, val), batch[1].Set(k, val))
		default:
			return errors.Join(batch[0].Delete(k), batch[1].Delete(k))
		}
	}
	for round := range 30 {
		batch := [2]dbm.Batch{db.NewBatch(), ref.NewBatch()}
		for range 40 {
			k := keys[rng.IntN(len(keys))]
			if err := apply(rng.IntN(6), k, randValue(rng), batch); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if round%2 == 0 {
			err = errors.Join(batch[0].Write(), batch[1].Write())
		} else {
			err = errors.Join(batch[0].WriteSync(), batch[1].WriteSync())
		}
		if err := errors.Join(err, batch[0].Close(), batch[1].Close()); err != nil {
			t.Fatal(err)
		}
		sameContents(t, rng, db, ref, keys)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "blockstore.vlog", "*.seg"))
	if len(segs) < 3 {
		t.Fatalf("%d segments, want the appends spread over several", len(segs))
	}
	_, db = openTestValueLog(t, dir, 8*largeValue)
	defer db.Close()
	sameContents(t, rng, db, ref, keys)
	// Appends after the reopen go on from the last segment's end.
	for _, k := range keys[:10] {
		val := randValue(rng)
		if err := errors.Join(db.Set(k, val), ref.Set(k, val)); err != nil {
			t.Fatal(err)
		}
	}
	sameContents(t, rng, db, ref, keys)
}

// TestValueLogLegacyDatabase: a block store written before the value log
// is used as it is, its values read back unchanged.
func TestValueLogLegacyDatabase(t *testing.T) {
	dir := t.TempDir()
	ldb, err := dbm.NewGoLevelDBWithOpts("blockstore", dir, blockStoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{7}, 3*largeValue)
	if err := ldb.Set([]byte("P:1:0"), big); err != nil {
		t.Fatal(err)
	}
	db, err := openValueLog(ldb, filepath.Join(dir, "blockstore.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok := db.(*valueLogDB); ok {
		t.Fatal("a database with data and no marker was wrapped in the value log")
	}
	if got, err := db.Get([]byte("P:1:0")); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("legacy value: %d bytes, %v", len(got), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blockstore.vlog")); !os.IsNotExist(err) {
		t.Fatalf("a value log directory was made for a legacy database: %v", err)
	}
}

// TestValueLogCorruption: a damaged segment or pointer is an error naming
// what is wrong, never other bytes.
func TestValueLogCorruption(t *testing.T) {
	dir := t.TempDir()
	_, db := openTestValueLog(t, dir, segmentSize)
	val := bytes.Repeat([]byte("tartan"), largeValue)
	if err := db.SetSync([]byte("P:5:0"), val); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "blockstore.vlog", "00000001.seg")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, db = openTestValueLog(t, dir, segmentSize)
	if _, err := db.Get([]byte("P:5:0")); !errors.Is(err, errValueLog) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Get of a damaged value: %v, want a checksum error", err)
	}
	// A truncated segment (a crash before the page cache reached the
	// disk, had the segment not been synced) reads as an error too.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(seg, int64(len(b)/2)); err != nil {
		t.Fatal(err)
	}
	_, db = openTestValueLog(t, dir, segmentSize)
	defer db.Close()
	if _, err := db.Get([]byte("P:5:0")); !errors.Is(err, errValueLog) {
		t.Fatalf("Get past a segment's end: %v, want an error", err)
	}
}

// FuzzDecodeStored: any stored bytes decode to a value, a pointer that
// re-encodes to them, or an error; never a panic.
func FuzzDecodeStored(f *testing.F) {
	f.Add([]byte{tagInline, 1, 2})
	f.Add(append([]byte{tagPointer}, make([]byte, pointerSize-1)...))
	f.Add([]byte{tagPointer, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 2, 3, 4})
	f.Add([]byte{9})
	f.Fuzz(func(t *testing.T, b []byte) {
		inline, p, isPointer, err := decodeStored(b)
		switch {
		case err != nil:
			if !errors.Is(err, errValueLog) {
				t.Fatalf("error %v does not wrap errValueLog", err)
			}
		case isPointer:
			if len(b) != pointerSize || p.length < largeValue || p.off < 0 {
				t.Fatalf("accepted pointer %+v from %x", p, b)
			}
		default:
			if !bytes.Equal(append([]byte{tagInline}, inline...), b) {
				t.Fatalf("inline value %x from %x", inline, b)
			}
		}
	})
}

// TestValueLogConcurrent: writers and readers at once (CometBFT saves a
// block while its reactors read parts of earlier ones) never see a value
// other than the one set; run it with -race.
func TestValueLogConcurrent(t *testing.T) {
	_, db := openTestValueLog(t, t.TempDir(), 64*largeValue)
	defer db.Close()
	value := func(w, i int) []byte {
		return bytes.Repeat([]byte{byte(w), byte(i)}, largeValue+i)
	}
	const writers, perWriter = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				k := fmt.Appendf(nil, "P:%d:%d", w, i)
				var err error
				if i%5 == 0 {
					b := db.NewBatch()
					err = errors.Join(b.Set(k, value(w, i)), b.WriteSync(), b.Close())
				} else {
					err = db.Set(k, value(w, i))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range 3 * perWriter {
				i := rand.IntN(perWriter)
				got, err := db.Get(fmt.Appendf(nil, "P:%d:%d", w, i))
				if err != nil {
					errs <- err
					return
				}
				if got != nil && !bytes.Equal(got, value(w, i)) {
					errs <- fmt.Errorf("P:%d:%d read %d other bytes", w, i, len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range perWriter {
			if got, err := db.Get(fmt.Appendf(nil, "P:%d:%d", w, i)); err != nil || !bytes.Equal(got, value(w, i)) {
				t.Fatalf("P:%d:%d after the writers: %d bytes, %v", w, i, len(got), err)
			}
		}
	}
}
