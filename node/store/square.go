package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"

	"github.com/tartan-da/tartan/da"
)

const (
	squareExt = ".ods"
	// tempMarker is in the name of every file being written, and in no
	// final name; Open deletes such files.
	tempMarker = ".tmp-"
	// stagedMarker is in the name of a staged square's file (StageSquare),
	// which Open keeps for StagedODS.
	stagedMarker = ".staged-"
	// ioBuffer is the buffer between share slices and a square file.
	ioBuffer = 256 << 10
)

func squareName(h uint64) string { return heightName(h) + squareExt }

func parseSquareName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, squareExt)
	if !ok {
		return 0, false
	}
	return parseHeightName(base)
}

func isTempName(name string) bool { return strings.Contains(name, tempMarker) }

// stagedPrefix starts the file name of every square staged for height with
// this data root.
func stagedPrefix(h uint64, dataRoot [32]byte) string {
	return fmt.Sprintf("%s-%x%s", heightName(h), dataRoot, stagedMarker)
}

// parseStagedName reads the height in a staged square's file name.
func parseStagedName(name string) (uint64, bool) {
	base, _, ok := strings.Cut(name, stagedMarker)
	if !ok || len(base) != 16+1+64 {
		return 0, false
	}
	return parseHeightName(base[:16])
}

// squareRecord is the index record of a stored square, written only once
// its file is complete under its final name.
type squareRecord struct {
	version  byte // how sum was taken: recordSHA256 or recordCRC32C
	width    uint16
	dataRoot [32]byte
	time     time.Time // of the square's header: what Prune measures
	size     uint64    // file length, k² · 512
	sum      [32]byte  // the file's checksum, in its first sumSize(version) bytes
}

// same reports whether r and o describe the same file of the same square.
func (r *squareRecord) same(o *squareRecord) bool {
	return r.version == o.version && r.width == o.width && r.dataRoot == o.dataRoot && r.time.Equal(o.time) &&
		r.size == o.size && r.sum == o.sum
}

// The checksum only has to catch a torn write or a rotten sector: what
// vouches for a square's content is its data root, which the node checks
// before it stores the square. Stores first summed files with SHA-256,
// which took 25–35 ms of each k = 256 square's write and again of its
// read; CRC-32C, in hardware, takes a few. Records of both versions are
// read; new ones are written with CRC-32C.
const (
	recordSHA256 = 1 // sum is the file's SHA-256
	recordCRC32C = 2 // sum is the file's CRC-32C (Castagnoli), big-endian
	recordHead   = 1 + 2 + 32 + 8 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sumSize is the length of a record's checksum.
func sumSize(version byte) int {
	if version == recordSHA256 {
		return sha256.Size
	}
	return crc32.Size
}

// newFileSum returns the checksum of square files for records of version.
func newFileSum(version byte) hash.Hash {
	if version == recordSHA256 {
		return sha256.New()
	}
	return crc32.New(castagnoli)
}

func (r *squareRecord) marshal() []byte {
	b := make([]byte, 0, recordHead+sumSize(r.version))
	b = append(b, r.version)
	b = binary.BigEndian.AppendUint16(b, r.width)
	b = append(b, r.dataRoot[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.time.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, r.size)
	return append(b, r.sum[:sumSize(r.version)]...)
}

// unmarshalRecord decodes an index record read back from the datastore,
// failing with ErrCorrupt on any inconsistency.
func unmarshalRecord(b []byte) (squareRecord, error) {
	var r squareRecord
	if len(b) == 0 || (b[0] != recordSHA256 && b[0] != recordCRC32C) {
		return r, fmt.Errorf("%w: square record of %d bytes is of no known version", ErrCorrupt, len(b))
	}
	r.version = b[0]
	if want := recordHead + sumSize(r.version); len(b) != want {
		return r, fmt.Errorf("%w: square record of version %d has %d bytes, want %d", ErrCorrupt, r.version, len(b), want)
	}
	r.width = binary.BigEndian.Uint16(b[1:])
	copy(r.dataRoot[:], b[3:])
	r.time = time.Unix(0, int64(binary.BigEndian.Uint64(b[35:]))).UTC()
	r.size = binary.BigEndian.Uint64(b[43:])
	copy(r.sum[:], b[recordHead:])
	if !validWidth(int(r.width)) {
		return r, fmt.Errorf("%w: square record width %d", ErrCorrupt, r.width)
	}
	if want := uint64(r.width) * uint64(r.width) * da.ShareSize; r.size != want {
		return r, fmt.Errorf("%w: square record of width %d says %d bytes, want %d", ErrCorrupt, r.width, r.size, want)
	}
	return r, nil
}

func validWidth(k int) bool { return k >= 1 && k <= da.MaxSquareWidthCap && k&(k-1) == 0 }

// widthOf is k for an ODS of n shares.
func widthOf(n int) (int, error) {
	for k := 1; k <= da.MaxSquareWidthCap; k *= 2 {
		if k*k == n {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: %d shares is not k² for a power of two k ≤ %d", ErrNotSquare, n, da.MaxSquareWidthCap)
}

// PutSquare stores the original data square of height: ods holds its k²
// shares, row-major, and is not retained. The header at height must be
// stored already (ErrNotFound otherwise) with width k and data root
// dataRoot (ErrConflict otherwise); that ods really has that data root is
// the caller's to check (erasure.Commit). Storing a square again replaces
// it, which also repairs one that reads as ErrCorrupt.
//
// When PutSquare returns nil the square is on disk and survives a crash.
func (s *Store) PutSquare(ctx context.Context, height uint64, dataRoot [32]byte, ods []da.Share) error {
	rows, err := odsRows(height, ods)
	if err != nil {
		return err
	}
	return s.PutSquareRows(ctx, height, dataRoot, rows)
}

// odsRows views an ODS of k² shares as its k rows.
func odsRows(height uint64, ods []da.Share) ([][]da.Share, error) {
	k, err := widthOf(len(ods))
	if err != nil {
		return nil, fmt.Errorf("square %d: %w", height, err)
	}
	rows := make([][]da.Share, k)
	for r := range rows {
		rows[r] = ods[r*k : (r+1)*k]
	}
	return rows, nil
}

// PutSquareRows is PutSquare with the square given as its k rows of k
// shares each (such as views into an extended square, which spares a
// copy of the square).
func (s *Store) PutSquareRows(ctx context.Context, height uint64, dataRoot [32]byte, rows [][]da.Share) error {
	// A temporary name: a crash before the put leaves nothing to keep.
	st, err := s.stage(ctx, height, squareName(height)+tempMarker, rows, false)
	if err != nil {
		return err
	}
	st.bound, st.root = true, dataRoot // under a temporary name: a crash leaves nothing to keep
	defer st.Discard()
	return s.PutStagedSquare(ctx, st, dataRoot)
}

// StagedSquare is a square's file written and synced ahead of its header
// (StageSquare): a validator writes the square of a block while it
// extends it, names it by its data root (Bind) before it votes for the
// block, and PutStagedSquare then only names and indexes it. Once bound
// the file has a staged name, under which it outlives a crash: the
// validator may have voted for the block, which may then have been
// committed without it, and StagedODS reads it back.
type StagedSquare struct {
	height uint64
	k      int
	mu     sync.Mutex
	path   string // "" once put or discarded
	random string // the file name's random suffix, which Bind keeps
	bound  bool   // the file is the square of root
	root   [32]byte
	sum    [32]byte
	// synced is closed once the file is synced to disk, with syncErr set.
	synced  chan struct{}
	syncErr error
}

// StageSquare writes the original data square of height, its k² shares
// row-major, to a file of its own and starts syncing it. It needs neither
// the header nor the data root: a validator writes a square while it
// extends it. Until Bind the file has a temporary name, which Open
// deletes. The caller must Bind and PutStagedSquare the result, or
// Discard it.
func (s *Store) StageSquare(ctx context.Context, height uint64, ods []da.Share) (*StagedSquare, error) {
	rows, err := odsRows(height, ods)
	if err != nil {
		return nil, err
	}
	return s.stage(ctx, height, heightName(height)+".staging"+tempMarker, rows, true)
}

// Bind names a staged square's file as the square with this data root,
// which the caller found it to have. Once Bind returns the file outlives
// the process, and StagedODS finds it after a restart (one torn by a
// crash of the machine is caught by StagedODS's caller, which checks the
// data root). Binding again to the same root does nothing.
func (st *StagedSquare) Bind(dataRoot [32]byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.path == "":
		return fmt.Errorf("store: square %d: the staged square was already put or discarded", st.height)
	case st.bound && st.root == dataRoot:
		return nil
	case st.bound:
		return fmt.Errorf("%w: staged square %d is bound to data root %x, not %x", ErrConflict, st.height, st.root, dataRoot)
	}
	path := filepath.Join(filepath.Dir(st.path), stagedPrefix(st.height, dataRoot)+st.random)
	if err := os.Rename(st.path, path); err != nil {
		return fmt.Errorf("store: staged square %d: %w", st.height, err)
	}
	st.path, st.bound, st.root = path, true, dataRoot
	return nil
}

// stage writes a square's file named prefix and a random suffix. With
// syncLater the file is synced in the background, and PutStagedSquare
// waits for it: once written, the file survives the process, and the
// sync, which is most of a write's time, overlaps what the caller does
// until the put (a validator's vote).
func (s *Store) stage(ctx context.Context, height uint64, prefix string, rows [][]da.Share, syncLater bool) (*StagedSquare, error) {
	if _, err := widthOf(len(rows) * len(rows)); err != nil {
		return nil, fmt.Errorf("square %d: %w", height, err)
	}
	for r := range rows {
		if len(rows[r]) != len(rows) {
			return nil, fmt.Errorf("square %d: %w: row %d has %d shares, want %d", height, ErrNotSquare, r, len(rows[r]), len(rows))
		}
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	st := &StagedSquare{height: height, k: len(rows), synced: make(chan struct{})}
	if !syncLater {
		path, sum, err := s.writeTemp(ctx, height, prefix, rows)
		if err != nil {
			return nil, err
		}
		st.path, st.sum = path, sum
		close(st.synced)
		return st, nil
	}
	f, sum, err := s.writeFile(ctx, height, prefix, rows)
	if err != nil {
		return nil, err
	}
	st.path, st.sum = f.Name(), sum
	st.random = strings.TrimPrefix(filepath.Base(f.Name()), prefix)
	s.syncs.Go(func() {
		defer close(st.synced)
		err := f.Sync()
		st.syncErr = errors.Join(err, f.Close())
	})
	return st, nil
}

// Discard deletes a staged square's file unless PutStagedSquare took it.
// It may be called more than once, and on nil.
func (st *StagedSquare) Discard() {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.path != "" {
		os.Remove(st.path)
		st.path = ""
	}
}

// PutStagedSquare stores a staged square as PutSquareRows would have: the
// header at its height must be stored, with the staged width and this data
// root. It takes the staged file, so it can be put once.
func (s *Store) PutStagedSquare(ctx context.Context, st *StagedSquare, dataRoot [32]byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	height, k := st.height, st.k
	switch {
	case st.path == "":
		return fmt.Errorf("store: square %d: the staged square was already put or discarded", height)
	case !st.bound:
		return fmt.Errorf("store: square %d: the staged square is bound to no data root (Bind)", height)
	case st.root != dataRoot:
		return fmt.Errorf("%w: staged square %d is bound to data root %x, not %x", ErrConflict, height, st.root, dataRoot)
	}
	<-st.synced
	if st.syncErr != nil {
		return fmt.Errorf("store: syncing square %d: %w", height, st.syncErr)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	h, err := s.header(ctx, height)
	if err != nil {
		return fmt.Errorf("square %d: %w (store the header before its square)", height, err)
	}
	if h.DataRoot != dataRoot || int(h.SquareWidth) != k {
		return fmt.Errorf("%w: square %d is %d wide with data root %x, its header says %d wide with data root %x",
			ErrConflict, height, k, dataRoot, h.SquareWidth, h.DataRoot)
	}
	rec := squareRecord{version: recordCRC32C, width: uint16(k), dataRoot: dataRoot, time: h.Time, size: uint64(k*k) * da.ShareSize, sum: st.sum}

	s.sqMu.Lock()
	defer s.sqMu.Unlock()
	// A record must never describe a file other than the one under its
	// name. Rewriting the same bytes keeps the record: through the rename
	// the file holds the old bytes or the new, and both match it (or the
	// old ones were corrupt, which reads still catch). Different bytes for
	// the same data root mean one of the two writes was never verified:
	// forget the old square before its file is replaced, so a crash before
	// the new record leaves an unindexed file that Open deletes.
	old, err := s.record(ctx, height)
	keep := err == nil && old.same(&rec)
	if err == nil && !keep {
		err = s.ds.Delete(ctx, sqKey(height))
	} else if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("store: square %d: %w", height, err)
	}
	if err := os.Rename(st.path, filepath.Join(s.dir, squareName(height))); err != nil {
		return fmt.Errorf("store: square %d: %w", height, err)
	}
	st.path = ""
	s.dropLeftovers(height)
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("square %d: %w", height, err)
	}
	if keep {
		return nil
	}
	if err := s.ds.Put(ctx, sqKey(height), rec.marshal()); err != nil {
		return fmt.Errorf("store: indexing square %d: %w", height, err)
	}
	return nil
}

// writeTemp writes ods to a new file in the squares directory, named
// prefix and a random suffix, and syncs it, returning its path and
// SHA-256. On error it leaves no file.
func (s *Store) writeTemp(ctx context.Context, height uint64, prefix string, rows [][]da.Share) (path string, sum [32]byte, err error) {
	f, sum, err := s.writeFile(ctx, height, prefix, rows)
	if err != nil {
		return "", sum, err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := f.Sync(); err != nil {
		f.Close()
		return "", sum, fmt.Errorf("store: syncing square %d: %w", height, err)
	}
	if err := f.Close(); err != nil {
		return "", sum, fmt.Errorf("store: writing square %d: %w", height, err)
	}
	return f.Name(), sum, nil
}

// writeFile writes ods to a new file in the squares directory, named
// prefix and a random suffix, and returns it open and unsynced with its
// SHA-256. On error it leaves no file.
func (s *Store) writeFile(ctx context.Context, height uint64, prefix string, rows [][]da.Share) (f *os.File, sum [32]byte, err error) {
	file, err := os.CreateTemp(s.dir, prefix+"*")
	if err != nil {
		return nil, sum, fmt.Errorf("store: square %d: %w", height, err)
	}
	defer func() {
		if err != nil {
			file.Close()
			os.Remove(file.Name())
		}
	}()
	check := newFileSum(recordCRC32C)
	w := bufio.NewWriterSize(io.MultiWriter(file, check), ioBuffer)
	for _, row := range rows {
		if err = ctx.Err(); err != nil {
			return nil, sum, err
		}
		for i := range row {
			if _, err = w.Write(row[i][:]); err != nil {
				return nil, sum, fmt.Errorf("store: writing square %d: %w", height, err)
			}
		}
	}
	if err = w.Flush(); err != nil {
		return nil, sum, fmt.Errorf("store: writing square %d: %w", height, err)
	}
	check.Sum(sum[:0])
	return file, sum, nil
}

// StagedODS reads back the original data square staged for height with
// this data root before the store was last opened, the k² shares
// row-major: a validator replays a block it voted for from it. A file of
// the wrong length is passed over; the caller checks the data root. It
// is ErrNotFound when there is none.
func (s *Store) StagedODS(ctx context.Context, height uint64, dataRoot [32]byte) ([]da.Share, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	s.leftMu.Lock()
	paths := slices.Clone(s.leftovers[height])
	s.leftMu.Unlock()
	prefix := stagedPrefix(height, dataRoot)
	for _, p := range paths {
		if !strings.HasPrefix(filepath.Base(p), prefix) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("store: staged square %d: %w", height, err)
		}
		if len(b)%da.ShareSize != 0 {
			continue
		}
		if _, err := widthOf(len(b) / da.ShareSize); err != nil {
			continue
		}
		return sharesOf(b), nil
	}
	return nil, fmt.Errorf("%w: no square staged for height %d with data root %x", ErrNotFound, height, dataRoot)
}

// dropLeftovers deletes the squares staged before the store was opened at
// heights up to height, which has its square now.
func (s *Store) dropLeftovers(height uint64) {
	s.leftMu.Lock()
	defer s.leftMu.Unlock()
	for h, paths := range s.leftovers {
		if h > height {
			continue
		}
		for _, p := range paths {
			os.Remove(p)
		}
		delete(s.leftovers, h)
	}
}

// Square reads back the original data square of height and the data root
// it was stored with. The file must have the length and checksum recorded
// when it was written: any other bytes are ErrCorrupt, never returned.
// ErrNotFound if the square was never stored or has been pruned.
func (s *Store) Square(ctx context.Context, height uint64) (ods []da.Share, dataRoot [32]byte, err error) {
	b, dataRoot, err := s.SquareBytes(ctx, height)
	if err != nil {
		return nil, dataRoot, err
	}
	return sharesOf(b), dataRoot, nil
}

// sharesOf copies b, a whole number of shares, into shares.
func sharesOf(b []byte) []da.Share {
	shares := make([]da.Share, len(b)/da.ShareSize)
	for i := range shares {
		copy(shares[i][:], b[i*da.ShareSize:])
	}
	return shares
}

// SquareBytes is Square with the square as its file holds it: k² shares
// of 512 bytes, row-major, in one slice. It is what a peer asking for the
// square is sent, without the shares being decoded and encoded again.
func (s *Store) SquareBytes(ctx context.Context, height uint64) (ods []byte, dataRoot [32]byte, err error) {
	if err := s.enter(); err != nil {
		return nil, dataRoot, err
	}
	defer s.life.RUnlock()
	f, rec, err := s.openSquare(ctx, height)
	if err != nil {
		return nil, dataRoot, err
	}
	defer f.Close()
	ods = make([]byte, rec.size)
	if _, err := io.ReadFull(f, ods); err != nil {
		return nil, dataRoot, fmt.Errorf("%w: square %d: %v", ErrCorrupt, height, err)
	}
	check := newFileSum(rec.version)
	check.Write(ods)
	if err := rec.checkSum(height, check); err != nil {
		return nil, dataRoot, err
	}
	return ods, rec.dataRoot, nil
}

// openSquare opens the file of a stored square and checks its length
// against its record. Called between enter and RUnlock.
func (s *Store) openSquare(ctx context.Context, height uint64) (*os.File, squareRecord, error) {
	rec, err := s.record(ctx, height)
	if err != nil {
		return nil, rec, err
	}
	f, err := os.Open(filepath.Join(s.dir, squareName(height)))
	if errors.Is(err, os.ErrNotExist) {
		// Pruned between reading the record and opening the file.
		return nil, rec, fmt.Errorf("%w: square %d", ErrNotFound, height)
	}
	if err != nil {
		return nil, rec, fmt.Errorf("store: square %d: %w", height, err)
	}
	info, err := f.Stat()
	if err == nil && uint64(info.Size()) != rec.size {
		err = fmt.Errorf("%w: square %d file has %d bytes, %d were written", ErrCorrupt, height, info.Size(), rec.size)
	} else if err != nil {
		err = fmt.Errorf("store: square %d: %w", height, err)
	}
	if err != nil {
		f.Close()
		return nil, rec, err
	}
	return f, rec, nil
}

// checkSum compares a square file's checksum, taken as it was read, with
// the one recorded.
func (r *squareRecord) checkSum(height uint64, check hash.Hash) error {
	if sum, want := check.Sum(nil), r.sum[:sumSize(r.version)]; !bytes.Equal(sum, want) {
		return fmt.Errorf("%w: square %d file sums to %x, %x was written", ErrCorrupt, height, sum, want)
	}
	return nil
}

// HasSquare reports whether the square of height is stored (its checksum
// is checked only when it is read).
func (s *Store) HasSquare(ctx context.Context, height uint64) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.life.RUnlock()
	ok, err := s.ds.Has(ctx, sqKey(height))
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return ok, nil
}

// DeleteSquare deletes the square of height, if stored. The header stays.
func (s *Store) DeleteSquare(ctx context.Context, height uint64) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	s.sqMu.Lock()
	defer s.sqMu.Unlock()
	if err := s.deleteSquare(ctx, height); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// deleteSquare removes the record, then the file, so a crash in between
// leaves an orphan file for Open to delete, never a record without a file.
// The caller holds sqMu.
func (s *Store) deleteSquare(ctx context.Context, height uint64) error {
	if err := s.ds.Delete(ctx, sqKey(height)); err != nil {
		return fmt.Errorf("store: deleting square %d: %w", height, err)
	}
	if err := os.Remove(filepath.Join(s.dir, squareName(height))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: deleting square %d: %w", height, err)
	}
	return nil
}

func (s *Store) record(ctx context.Context, height uint64) (squareRecord, error) {
	b, err := s.ds.Get(ctx, sqKey(height))
	if errors.Is(err, ds.ErrNotFound) {
		return squareRecord{}, fmt.Errorf("%w: square %d", ErrNotFound, height)
	}
	if err != nil {
		return squareRecord{}, fmt.Errorf("store: square %d: %w", height, err)
	}
	rec, err := unmarshalRecord(b)
	if err != nil {
		return rec, fmt.Errorf("square %d: %w", height, err)
	}
	return rec, nil
}

// Prune deletes the squares whose header time is strictly before
// now − Window and returns how many it deleted. Squares at or after that
// instant are never touched; with Archival it deletes nothing. Headers are
// kept. It is idempotent, and a crash in the middle loses nothing that
// should have been kept.
//
// Squares are visited in height order and the visit stops at the first
// square inside the window: header times never decrease along a chain
// (da.Header.VerifySuccessor), and if a caller stored ones that do, the
// early stop only keeps a square longer.
func (s *Store) Prune(ctx context.Context, now time.Time) (removed int, err error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.life.RUnlock()
	if s.archive {
		return 0, nil
	}
	cutoff := now.Add(-s.window)
	defer func() {
		if removed > 0 {
			if serr := syncDir(s.dir); serr != nil && err == nil {
				err = serr
			}
			s.log.Info("store: pruned squares", "removed", removed, "before", cutoff)
		}
	}()
	const batch = 256
	for {
		recs, scanned, err := s.squareRecords(ctx, batch)
		if err != nil {
			return removed, err
		}
		done := scanned < batch
		n := 0
		for _, r := range recs {
			if !r.rec.time.Before(cutoff) {
				done = true
				break
			}
			recs[n] = r
			n++
		}
		s.sqMu.Lock()
		for _, r := range recs[:n] {
			if err = ctx.Err(); err == nil {
				err = s.deleteSquare(ctx, r.height)
			}
			if err != nil {
				break
			}
			removed++
		}
		s.sqMu.Unlock()
		if err != nil || done {
			return removed, err
		}
	}
}

type heightRecord struct {
	height uint64
	rec    squareRecord
}

// squareRecords returns the first limit index records in height order (all
// if limit is 0) and how many it scanned, dropped ones included. A record that does not decode is dropped and logged: it
// is treated as the crash leftover it must be, and its file, now unindexed,
// is deleted by the next Open.
func (s *Store) squareRecords(ctx context.Context, limit int) ([]heightRecord, int, error) {
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: sqPrefix, Orders: []dsq.Order{dsq.OrderByKey{}}, Limit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	entries, err := res.Rest()
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	out := make([]heightRecord, 0, len(entries))
	for _, e := range entries {
		key := ds.RawKey(e.Key)
		h, ok := parseHeightName(key.BaseNamespace())
		rec, rerr := unmarshalRecord(e.Value)
		if ok && rerr == nil {
			out = append(out, heightRecord{h, rec})
			continue
		}
		s.log.Warn("store: dropping an undecodable square record", "key", e.Key, "err", rerr)
		if err := s.ds.Delete(ctx, key); err != nil {
			return nil, 0, fmt.Errorf("store: %w", err)
		}
	}
	return out, len(entries), nil
}

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: syncing %s: %w", dir, err)
	}
	return nil
}
