package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
)

func TestSquareRoundTrip(t *testing.T) {
	for _, k := range []int{1, 4, 64} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir, Config{})
			blocks := testChain(1, 3, k, [32]byte{})
			putBlocks(t, s, blocks)
			for _, b := range blocks {
				checkSquare(t, s, b)
				ok, err := s.HasSquare(ctx, b.header.Height)
				if err != nil || !ok {
					t.Fatalf("HasSquare(%d) = %v, %v", b.header.Height, ok, err)
				}
				// The file is the raw ODS, readable by `tartan square roots`.
				raw, err := os.ReadFile(filepath.Join(dir, squaresName, squareName(b.header.Height)))
				if err != nil {
					t.Fatal(err)
				}
				if len(raw) != k*k*da.ShareSize || !bytes.Equal(raw[:da.ShareSize], b.ods[0][:]) ||
					!bytes.Equal(raw[len(raw)-da.ShareSize:], b.ods[k*k-1][:]) {
					t.Fatalf("square file %d is not the raw ODS", b.header.Height)
				}
			}
			if ok, err := s.HasSquare(ctx, 4); err != nil || ok {
				t.Fatalf("HasSquare(4) = %v, %v; want false", ok, err)
			}
			if _, _, err := s.Square(ctx, 4); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Square(4) = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestPutSquareChecksItsHeader(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	b := testChain(1, 1, 4, [32]byte{})[0]
	if err := s.PutSquare(ctx, 1, b.header.DataRoot, b.ods); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutSquare before its header = %v, want ErrNotFound", err)
	}
	if err := s.PutHeader(ctx, b.header); err != nil {
		t.Fatal(err)
	}
	other := b.header.DataRoot
	other[0] ^= 1
	cases := []struct {
		name string
		root [32]byte
		ods  []da.Share
		want error
	}{
		{"wrong data root", other, b.ods, ErrConflict},
		{"wrong width", b.header.DataRoot, testODS(1, 8), ErrConflict},
		{"not a square", b.header.DataRoot, b.ods[:15], ErrNotSquare},
		{"no shares", b.header.DataRoot, nil, ErrNotSquare},
		{"1024 wide", b.header.DataRoot, make([]da.Share, 1024*1024), ErrNotSquare},
	}
	for _, c := range cases {
		if err := s.PutSquare(ctx, 1, c.root, c.ods); !errors.Is(err, c.want) {
			t.Errorf("%s: PutSquare = %v, want %v", c.name, err, c.want)
		}
	}
	if ok, _ := s.HasSquare(ctx, 1); ok {
		t.Fatal("a refused square was stored")
	}
	assertSquareDir(t, s, nil)
}

// assertSquareDir checks that the squares directory holds exactly the
// files of heights, and no temporary file.
func assertSquareDir(t *testing.T, s *Store, heights []uint64) {
	t.Helper()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names, want []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, h := range heights {
		want = append(want, squareName(h))
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("squares directory holds %v, want %v", names, want)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blocks := testChain(1, 6, 4, [32]byte{})
	s := openStore(t, dir, Config{})
	putBlocks(t, s, blocks)
	if err := s.PutMeta(ctx, "sampling/checkpoint", []byte("h=6")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Config{})
	for _, b := range blocks {
		checkSquare(t, s, b)
		got, err := s.HeaderByHash(ctx, b.header.Hash())
		if err != nil || got.Height != b.header.Height {
			t.Fatalf("HeaderByHash(%d) after restart = %v, %v", b.header.Height, got, err)
		}
	}
	if got := headHeight(t, s); got != 6 {
		t.Fatalf("head after restart %d, want 6", got)
	}
	if v, err := s.Meta(ctx, "sampling/checkpoint"); err != nil || string(v) != "h=6" {
		t.Fatalf("Meta after restart = %q, %v", v, err)
	}
	assertSquareDir(t, s, []uint64{1, 2, 3, 4, 5, 6})
}

// TestRecovery stages, on a closed store, each thing a crash or a disk can
// leave behind, then opens it again.
func TestRecovery(t *testing.T) {
	ctx := context.Background()
	const k = 4
	size := int64(k * k * da.ShareSize)
	blocks := testChain(1, 4, k, [32]byte{})
	cases := []struct {
		name string
		// stage damages the closed store in dir; sq is its squares dir.
		stage func(t *testing.T, s *Store, sq string)
		// kept are the heights whose square must still read back.
		kept []uint64
		// lost are the heights whose square must be gone (ErrNotFound).
		lost []uint64
		// corrupt are the heights whose square must read as ErrCorrupt.
		corrupt []uint64
	}{
		{
			name: "leftover temporary file",
			stage: func(t *testing.T, s *Store, sq string) {
				// A write of height 5 killed before its rename.
				writeFile(t, filepath.Join(sq, squareName(5)+tempMarker+"123456"), size/2)
			},
			kept: []uint64{1, 2, 3, 4}, lost: []uint64{5},
		},
		{
			name: "truncated square file",
			stage: func(t *testing.T, s *Store, sq string) {
				if err := os.Truncate(filepath.Join(sq, squareName(2)), size-1); err != nil {
					t.Fatal(err)
				}
			},
			kept: []uint64{1, 3, 4}, lost: []uint64{2},
		},
		{
			name: "square file grown",
			stage: func(t *testing.T, s *Store, sq string) {
				f, err := os.OpenFile(filepath.Join(sq, squareName(3)), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write(make([]byte, da.ShareSize))
				f.Close()
			},
			kept: []uint64{1, 2, 4}, lost: []uint64{3},
		},
		{
			name: "square file without an index record",
			stage: func(t *testing.T, s *Store, sq string) {
				// Renamed, then killed before the record was written.
				writeFile(t, filepath.Join(sq, squareName(9)), size)
			},
			kept: []uint64{1, 2, 3, 4}, lost: []uint64{9},
		},
		{
			name: "index record without a file",
			stage: func(t *testing.T, s *Store, sq string) {
				if err := os.Remove(filepath.Join(sq, squareName(1))); err != nil {
					t.Fatal(err)
				}
			},
			kept: []uint64{2, 3, 4}, lost: []uint64{1},
		},
		{
			name: "undecodable index record",
			stage: func(t *testing.T, s *Store, sq string) {
				if err := s.ds.Put(ctx, sqKey(4), []byte{1, 2, 3}); err != nil {
					t.Fatal(err)
				}
			},
			kept: []uint64{1, 2, 3}, lost: []uint64{4},
		},
		{
			name: "flipped byte",
			stage: func(t *testing.T, s *Store, sq string) {
				p := filepath.Join(sq, squareName(3))
				raw, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				raw[len(raw)/3] ^= 0x20
				if err := os.WriteFile(p, raw, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			kept: []uint64{1, 2, 4}, corrupt: []uint64{3},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Config{})
			putBlocks(t, s, blocks)
			// The leveldb is reopened (not just the files) to stage
			// record damage on the real datastore.
			s.Close()
			s = openStore(t, dir, Config{})
			c.stage(t, s, s.dir)
			s.Close()

			s = openStore(t, dir, Config{})
			for _, h := range c.kept {
				checkSquare(t, s, blocks[h-1])
			}
			for _, h := range c.lost {
				if ok, err := s.HasSquare(ctx, h); err != nil || ok {
					t.Fatalf("HasSquare(%d) = %v, %v after recovery; want false", h, ok, err)
				}
				if _, _, err := s.Square(ctx, h); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Square(%d) = %v after recovery, want ErrNotFound", h, err)
				}
				if _, _, err := s.SquareBytes(ctx, h); !errors.Is(err, ErrNotFound) {
					t.Fatalf("SquareBytes(%d) = %v after recovery, want ErrNotFound", h, err)
				}
			}
			for _, h := range c.corrupt {
				if _, _, err := s.Square(ctx, h); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Square(%d) = %v, want ErrCorrupt", h, err)
				}
				if _, _, err := s.SquareBytes(ctx, h); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("SquareBytes(%d) = %v, want ErrCorrupt", h, err)
				}
			}
			// Headers are never lost, and the directory holds exactly the
			// indexed squares: orphans and temporary files are gone.
			if got := headHeight(t, s); got != 4 {
				t.Fatalf("head %d after recovery, want 4", got)
			}
			assertSquareDir(t, s, append(slices.Clone(c.kept), c.corrupt...))

			// Writing a lost or corrupt square again restores it.
			for _, h := range append(slices.Clone(c.lost), c.corrupt...) {
				if h > 4 {
					continue
				}
				b := blocks[h-1]
				if err := s.PutSquare(ctx, h, b.header.DataRoot, b.ods); err != nil {
					t.Fatal(err)
				}
				checkSquare(t, s, b)
			}
		})
	}
}

func writeFile(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xAB}, int(n)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A flipped byte is caught on a live store too, without a restart.
func TestSquareCorruptionCaughtOnRead(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	b := testChain(1, 1, 8, [32]byte{})[0]
	putBlocks(t, s, []block{b})
	p := filepath.Join(s.dir, squareName(1))
	for _, off := range []int64{0, 511, 512, int64(64*da.ShareSize - 1)} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		one := []byte{0}
		f.ReadAt(one, off)
		f.WriteAt([]byte{one[0] ^ 1}, off)
		f.Close()
		if _, _, err := s.Square(ctx, 1); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: Square = %v, want ErrCorrupt", off, err)
		}
		if _, _, err := s.SquareBytes(ctx, 1); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: SquareBytes = %v, want ErrCorrupt", off, err)
		}
		if err := s.PutSquare(ctx, 1, b.header.DataRoot, b.ods); err != nil {
			t.Fatal(err)
		}
		checkSquare(t, s, b)
	}
}

// A crash in the middle of Prune (the record deleted, the file not yet)
// leaves an orphan file that the next Open deletes.
func TestPruneCrashLeavesOrphanForOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, Config{})
	blocks := testChain(1, 2, 2, [32]byte{})
	putBlocks(t, s, blocks)
	if err := s.ds.Delete(ctx, sqKey(1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir, Config{})
	assertSquareDir(t, s, []uint64{2})
	checkSquare(t, s, blocks[1])
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	blocks := testChain(1, 10, 2, [32]byte{})
	window := 3 * blockTime
	// now − window is exactly the time of height 7.
	now := blocks[6].header.Time.Add(window)
	for _, c := range []struct {
		name    string
		cfg     Config
		removed int
		kept    uint64 // lowest height whose square is kept
	}{
		{"window", Config{Window: window}, 6, 7},
		{"archival", Config{Window: window, Archival: true}, 0, 1},
		{"default window", Config{}, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, c.cfg)
			putBlocks(t, s, blocks)
			removed, err := s.Prune(ctx, now)
			if err != nil || removed != c.removed {
				t.Fatalf("Prune = %d, %v; want %d", removed, err, c.removed)
			}
			// Idempotent: nothing more to do at the same instant, nor a
			// nanosecond earlier.
			for _, at := range []time.Time{now, now.Add(-time.Nanosecond)} {
				if removed, err := s.Prune(ctx, at); err != nil || removed != 0 {
					t.Fatalf("Prune again = %d, %v; want 0", removed, err)
				}
			}
			s.Close()
			s = openStore(t, dir, c.cfg)
			for _, b := range blocks {
				h := b.header.Height
				if h >= c.kept {
					checkSquare(t, s, b)
				} else if _, _, err := s.Square(ctx, h); !errors.Is(err, ErrNotFound) {
					t.Fatalf("pruned Square(%d) = %v, want ErrNotFound", h, err)
				}
				// Headers are kept.
				if _, err := s.Header(ctx, h); err != nil {
					t.Fatalf("Header(%d) after pruning: %v", h, err)
				}
			}
			var want []uint64
			for h := c.kept; h <= 10; h++ {
				want = append(want, h)
			}
			assertSquareDir(t, s, want)
		})
	}
}

// Prune walks the index in batches; a window that covers all but the last
// few of many squares removes exactly the rest.
func TestPruneManyBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 squares")
	}
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{Window: 10 * blockTime})
	blocks := testChain(1, 300, 1, [32]byte{})
	putBlocks(t, s, blocks)
	now := blocks[299].header.Time // keeps 290..300
	removed, err := s.Prune(ctx, now)
	if err != nil || removed != 289 {
		t.Fatalf("Prune = %d, %v; want 289", removed, err)
	}
	for _, h := range []uint64{1, 256, 257, 289, 290, 300} {
		ok, _ := s.HasSquare(ctx, h)
		if ok != (h >= 290) {
			t.Fatalf("HasSquare(%d) = %v", h, ok)
		}
	}
}

func TestSquareRecordRejectsInconsistency(t *testing.T) {
	good := squareRecord{version: recordCRC32C, width: 4, time: genesisTime, size: 16 * da.ShareSize, sum: [32]byte{1, 2, 3, 4}}
	for _, v := range []byte{recordSHA256, recordCRC32C} {
		r := good
		r.version = v
		if got, err := unmarshalRecord(r.marshal()); err != nil || !got.same(&r) {
			t.Fatalf("version %d: %v (same %v)", v, err, got.same(&r))
		}
	}
	for name, mut := range map[string]func(*squareRecord){
		"width 3":     func(r *squareRecord) { r.width = 3 },
		"width 0":     func(r *squareRecord) { r.width = 0 },
		"width 1024":  func(r *squareRecord) { r.width = 1024; r.size = 1024 * 1024 * da.ShareSize },
		"wrong size":  func(r *squareRecord) { r.size-- },
		"size for 8":  func(r *squareRecord) { r.size = 64 * da.ShareSize },
		"huge size":   func(r *squareRecord) { r.size = 1 << 62 },
		"zero record": func(r *squareRecord) { *r = squareRecord{} },
	} {
		r := good
		mut(&r)
		if _, err := unmarshalRecord(r.marshal()); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: unmarshalRecord = %v, want ErrCorrupt", name, err)
		}
	}
	b := good.marshal()
	b[0] = 3
	if _, err := unmarshalRecord(b); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 3: %v", err)
	}
	b[0] = recordSHA256 // a SHA-256 record is longer
	if _, err := unmarshalRecord(b); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 1 of version 2's length: %v", err)
	}
	if _, err := unmarshalRecord(good.marshal()[:recordHead+3]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short record: %v", err)
	}
}

// A square indexed by a record of the first version, with the file's
// SHA-256, still reads back, and a changed byte is still caught.
func TestSquareRecordOfVersionOne(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	b := testChain(1, 1, 4, [32]byte{})[0]
	if err := s.PutHeader(ctx, b.header); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSquare(ctx, 1, b.header.DataRoot, b.ods); err != nil {
		t.Fatal(err)
	}
	rec, err := s.record(ctx, 1)
	if err != nil || rec.version != recordCRC32C {
		t.Fatalf("a new record: version %d, %v; want %d", rec.version, err, recordCRC32C)
	}
	path := filepath.Join(s.dir, squareName(1))
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec.version, rec.sum = recordSHA256, sha256.Sum256(file)
	if err := s.ds.Put(ctx, sqKey(1), rec.marshal()); err != nil {
		t.Fatal(err)
	}
	checkSquare(t, s, b)
	file[100] ^= 1
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Square(ctx, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a changed byte under a version 1 record: %v, want ErrCorrupt", err)
	}
}

func FuzzSquareRecord(f *testing.F) {
	good := squareRecord{version: recordCRC32C, width: 128, dataRoot: [32]byte{1}, time: genesisTime, size: 128 * 128 * da.ShareSize, sum: [32]byte{2}}
	f.Add(good.marshal())
	good.version, good.sum = recordSHA256, [32]byte{3: 1, 31: 2}
	f.Add(good.marshal())
	f.Add([]byte{})
	f.Add(make([]byte, recordHead+crc32.Size))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := unmarshalRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(r.marshal(), b) {
			t.Fatalf("record %x re-encodes as %x", b, r.marshal())
		}
	})
}

func TestHeightNames(t *testing.T) {
	for _, h := range []uint64{0, 1, 255, 1 << 40, ^uint64(0)} {
		got, ok := parseSquareName(squareName(h))
		if !ok || got != h {
			t.Fatalf("parseSquareName(%q) = %d, %v", squareName(h), got, ok)
		}
	}
	for _, bad := range []string{"", "1.ods", "000000000000000A.ods", "0000000000000001.ods.tmp-1", "0000000000000001", "000000000000000g.ods", "00000000000000001.ods"} {
		if _, ok := parseSquareName(bad); ok {
			t.Errorf("parseSquareName(%q) accepted", bad)
		}
	}
	// Names sort like heights, which Prune's early stop relies on.
	if !(squareName(255) < squareName(256) && heightName(1<<32) > heightName(1<<32-1)) {
		t.Fatal("height names do not sort numerically")
	}
}

// A square stored from row views reads back as the same square as one
// stored flat, and rows that are not k×k are refused.
func TestPutSquareRows(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	const k = 8
	blocks := testChain(1, 1, k, [32]byte{})
	b := blocks[0]
	if err := s.PutHeader(ctx, b.header); err != nil {
		t.Fatal(err)
	}
	rows := make([][]da.Share, k)
	for r := range rows {
		rows[r] = b.ods[r*k : (r+1)*k]
	}
	if err := s.PutSquareRows(ctx, 1, b.header.DataRoot, rows[:k-1]); !errors.Is(err, ErrNotSquare) {
		t.Fatalf("7 rows of 8: %v, want ErrNotSquare", err)
	}
	short := slices.Clone(rows)
	short[3] = short[3][:k-1]
	if err := s.PutSquareRows(ctx, 1, b.header.DataRoot, short); !errors.Is(err, ErrNotSquare) {
		t.Fatalf("a short row: %v, want ErrNotSquare", err)
	}
	if err := s.PutSquareRows(ctx, 1, b.header.DataRoot, rows); err != nil {
		t.Fatal(err)
	}
	checkSquare(t, s, b)
}

// A square staged before its header and its data root are known is put
// under its height by PutStagedSquare, once, if bound to the header's
// data root; a discarded one leaves no file; one left by a crash is kept
// for a replay if it was bound, and deleted when the store opens if not.
func TestStagedSquare(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, Config{})
	const k = 4
	blocks := testChain(1, 4, k, [32]byte{})
	temps := func() int {
		entries, err := os.ReadDir(filepath.Join(dir, squaresName))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if _, ok := parseStagedName(e.Name()); ok || isTempName(e.Name()) {
				n++
			}
		}
		return n
	}
	root := func(i int) [32]byte { return blocks[i].header.DataRoot }
	if _, err := s.StageSquare(ctx, 1, blocks[0].ods[:k*k-1]); !errors.Is(err, ErrNotSquare) {
		t.Fatalf("staging 15 shares: %v, want ErrNotSquare", err)
	}
	st, err := s.StageSquare(ctx, 1, blocks[0].ods)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HasSquare(ctx, 1); ok || temps() != 1 {
		t.Fatalf("a staged square is visible (%v) or has no temporary file (%d)", ok, temps())
	}
	if err := s.PutHeader(ctx, blocks[0].header); err != nil {
		t.Fatal(err)
	}
	if err := s.PutStagedSquare(ctx, st, root(0)); err == nil {
		t.Fatal("a staged square bound to no data root was put")
	}
	if err := st.Bind(root(0)); err != nil {
		t.Fatal(err)
	}
	if err := st.Bind(root(0)); err != nil {
		t.Fatalf("binding again to the same root: %v", err)
	}
	if err := st.Bind(root(1)); !errors.Is(err, ErrConflict) {
		t.Fatalf("binding to another root: %v, want ErrConflict", err)
	}
	if err := s.PutStagedSquare(ctx, st, root(1)); !errors.Is(err, ErrConflict) {
		t.Fatalf("put with another data root: %v, want ErrConflict", err)
	}
	if err := s.PutStagedSquare(ctx, st, root(0)); err != nil {
		t.Fatal(err)
	}
	st.Discard() // after the put: must not delete the stored square
	checkSquare(t, s, blocks[0])
	if err := s.PutStagedSquare(ctx, st, root(0)); err == nil {
		t.Fatal("a staged square was put twice")
	}
	if err := st.Bind(root(0)); err == nil {
		t.Fatal("a staged square was bound after its put")
	}
	if temps() != 0 {
		t.Fatalf("%d temporary files after the put", temps())
	}
	// The header of a staged square is checked at the put.
	st, err = s.StageSquare(ctx, 2, blocks[1].ods)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bind(root(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutStagedSquare(ctx, st, root(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("put before its header: %v, want ErrNotFound", err)
	}
	st.Discard()
	st.Discard()
	if temps() != 0 {
		t.Fatal("a discarded square left its file")
	}
	// Squares left bound by a crash survive it, for a replay of the
	// blocks they were staged for; putting a square at or above their
	// height deletes them. One not bound yet was never voted for: it
	// goes.
	for i := 1; i <= 3; i++ {
		st, err := s.StageSquare(ctx, uint64(i+1), blocks[i].ods)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			if err := st.Bind(root(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.StagedODS(ctx, 2, root(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a square staged by this store read as left over: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Config{})
	if temps() != 2 {
		t.Fatalf("%d staged squares after a crash, want 2", temps())
	}
	checkSquare(t, s, blocks[0])
	ods, err := s.StagedODS(ctx, 3, root(2))
	if err != nil || !slices.Equal(ods, blocks[2].ods) {
		t.Fatalf("staged square 3 read back: %v (equal %v)", err, slices.Equal(ods, blocks[2].ods))
	}
	for name, f := range map[string]func() error{
		"another data root": func() error { _, err := s.StagedODS(ctx, 3, root(1)); return err },
		"another height":    func() error { _, err := s.StagedODS(ctx, 4, root(2)); return err },
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := s.PutHeader(ctx, blocks[1].header); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSquare(ctx, 2, root(1), blocks[1].ods); err != nil {
		t.Fatal(err)
	}
	if temps() != 1 {
		t.Fatalf("%d staged squares after square 2 was put, want 1 (height 3's)", temps())
	}
	if _, err := s.StagedODS(ctx, 3, root(2)); err != nil {
		t.Fatalf("height 3's staged square went with height 2's: %v", err)
	}
}
