package consensus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/syndtr/goleveldb/leveldb"
)

// valueLogDB keeps the large values of a CometBFT database (the block
// store's 64 KiB block parts) in append-only segment files and only a
// pointer to each in the LSM tree under it. Each block's bytes are then
// written once more than the WAL, instead of four times: leveldb writes
// a value to its journal, again when it flushes the memtable, and again
// at each compaction, and the block store's keys (decimal heights, block
// hashes) make every compaction rewrite the whole first level. On a loaded
// chain that was most of a validator's disk writes and a tenth of its CPU.
//
// Segment space is never reclaimed: CometBFT deletes block parts only
// when the application asks it to prune, which Tartan does not.
//
// A database written without the value log (by an earlier version) is
// used as it is: openValueLog then returns it unwrapped.
type valueLogDB struct {
	dbm.DB // the pointers and the small values

	dir string

	mu      sync.RWMutex // writers hold it to append, readers to read; Close takes it whole
	segs    map[uint32]*os.File
	cur     uint32 // the segment appended to
	size    int64  // its size
	dirty   bool   // appended to since its last fsync
	closed  bool
	maxSize int64 // a segment is closed for appending past this size
}

// Stored values start with a tag byte.
const (
	tagInline  byte = 0 // the value follows
	tagPointer byte = 1 // segment(4) ‖ offset(8) ‖ length(4) ‖ CRC-32C(4)

	pointerSize = 1 + 4 + 8 + 4 + 4
	// largeValue: values this long or longer go to the segments.
	largeValue = 1 << 10
	// segmentSize: a segment takes appends until it is this large.
	segmentSize = 256 << 20
)

// valueLogMarker is set in a database that uses the value log, so that a
// database from before it is recognised and left as it is.
var valueLogMarker = []byte("\x00tartan/value-log/v1")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errValueLog wraps what is wrong with a stored value or a segment.
var errValueLog = errors.New("consensus: block store value log")

// openValueLog wraps db with the value log in dir. A database that holds
// data but no marker predates the value log and is returned as it is.
func openValueLog(db dbm.DB, dir string) (dbm.DB, error) {
	marked, err := db.Has(valueLogMarker)
	if err != nil {
		return nil, err
	}
	if !marked {
		it, err := db.Iterator(nil, nil)
		if err != nil {
			return nil, err
		}
		empty := !it.Valid()
		if err := it.Close(); err != nil {
			return nil, err
		}
		if !empty {
			return db, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	v := &valueLogDB{DB: db, dir: dir, segs: map[uint32]*os.File{}, maxSize: segmentSize}
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		var n uint32
		if _, err := fmt.Sscanf(filepath.Base(name), "%08d.seg", &n); err != nil {
			return nil, fmt.Errorf("%w: unexpected file %s", errValueLog, name)
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0o600)
		if err != nil {
			v.closeSegments()
			return nil, err
		}
		v.segs[n] = f
		v.cur = max(v.cur, n)
	}
	if len(v.segs) == 0 {
		v.cur = 1
		if err := v.openSegment(1); err != nil {
			return nil, err
		}
	} else {
		st, err := v.segs[v.cur].Stat()
		if err != nil {
			v.closeSegments()
			return nil, err
		}
		v.size = st.Size()
	}
	if !marked {
		if err := db.SetSync(valueLogMarker, []byte{tagInline}); err != nil {
			v.closeSegments()
			return nil, err
		}
	}
	return v, nil
}

func (v *valueLogDB) openSegment(n uint32) error {
	f, err := os.OpenFile(filepath.Join(v.dir, fmt.Sprintf("%08d.seg", n)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// The new file's name must survive a crash before any pointer into
	// it does.
	if d, err := os.Open(v.dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			f.Close()
			return err
		}
	}
	v.segs[n], v.cur, v.size = f, n, 0
	return nil
}

// encode returns what the LSM tree stores for value, appending a large
// value to the segment first. Called with mu held for writing.
func (v *valueLogDB) encode(value []byte) ([]byte, error) {
	if len(value) < largeValue {
		return append([]byte{tagInline}, value...), nil
	}
	if v.closed {
		return nil, leveldb.ErrClosed
	}
	if v.size+int64(len(value)) > v.maxSize && v.size > 0 {
		if err := v.syncSegment(); err != nil {
			return nil, err
		}
		if err := v.openSegment(v.cur + 1); err != nil {
			return nil, err
		}
	}
	f := v.segs[v.cur]
	if _, err := f.WriteAt(value, v.size); err != nil {
		return nil, fmt.Errorf("%w: appending to segment %d: %w", errValueLog, v.cur, err)
	}
	p := make([]byte, pointerSize)
	p[0] = tagPointer
	binary.BigEndian.PutUint32(p[1:], v.cur)
	binary.BigEndian.PutUint64(p[5:], uint64(v.size))
	binary.BigEndian.PutUint32(p[13:], uint32(len(value)))
	binary.BigEndian.PutUint32(p[17:], crc32.Checksum(value, castagnoli))
	v.size += int64(len(value))
	v.dirty = true
	return p, nil
}

// syncSegment makes the appended values durable; done before any write
// that makes pointers durable. Called with mu held for writing.
func (v *valueLogDB) syncSegment() error {
	if !v.dirty {
		return nil
	}
	if err := v.segs[v.cur].Sync(); err != nil {
		return fmt.Errorf("%w: syncing segment %d: %w", errValueLog, v.cur, err)
	}
	v.dirty = false
	return nil
}

// pointer is a decoded tagPointer value.
type pointer struct {
	seg    uint32
	off    int64
	length int
	crc    uint32
}

// decodeStored splits a stored value into an inline value or a pointer.
func decodeStored(b []byte) (inline []byte, p pointer, isPointer bool, err error) {
	switch {
	case len(b) == 0:
		return nil, p, false, fmt.Errorf("%w: empty stored value", errValueLog)
	case b[0] == tagInline:
		return b[1:], p, false, nil
	case b[0] == tagPointer && len(b) == pointerSize:
		p = pointer{seg: binary.BigEndian.Uint32(b[1:]), off: int64(binary.BigEndian.Uint64(b[5:])),
			length: int(binary.BigEndian.Uint32(b[13:])), crc: binary.BigEndian.Uint32(b[17:])}
		if p.off < 0 || p.length < largeValue {
			return nil, p, false, fmt.Errorf("%w: pointer to %d bytes at offset %d", errValueLog, p.length, p.off)
		}
		return nil, p, true, nil
	case b[0] == tagPointer:
		return nil, p, false, fmt.Errorf("%w: pointer of %d bytes, want %d", errValueLog, len(b), pointerSize)
	default:
		return nil, p, false, fmt.Errorf("%w: unknown tag %d", errValueLog, b[0])
	}
}

// decode returns the value a stored one stands for. Called with mu held
// for reading.
func (v *valueLogDB) decode(stored []byte) ([]byte, error) {
	inline, p, isPointer, err := decodeStored(stored)
	if err != nil || !isPointer {
		return inline, err
	}
	if v.closed {
		return nil, leveldb.ErrClosed
	}
	f, ok := v.segs[p.seg]
	if !ok {
		return nil, fmt.Errorf("%w: pointer into missing segment %d", errValueLog, p.seg)
	}
	out := make([]byte, p.length)
	if _, err := f.ReadAt(out, p.off); err != nil {
		return nil, fmt.Errorf("%w: reading %d bytes at %d of segment %d: %w", errValueLog, p.length, p.off, p.seg, err)
	}
	if crc32.Checksum(out, castagnoli) != p.crc {
		return nil, fmt.Errorf("%w: checksum mismatch for %d bytes at %d of segment %d", errValueLog, p.length, p.off, p.seg)
	}
	return out, nil
}

func (v *valueLogDB) Get(key []byte) ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	stored, err := v.DB.Get(key)
	if err != nil || stored == nil {
		return nil, err
	}
	return v.decode(stored)
}

func (v *valueLogDB) Set(key, value []byte) error     { return v.set(key, value, false) }
func (v *valueLogDB) SetSync(key, value []byte) error { return v.set(key, value, true) }

func (v *valueLogDB) set(key, value []byte, sync bool) error {
	if err := checkSet(key, value); err != nil {
		return err
	}
	v.mu.Lock()
	stored, err := v.encode(value)
	if err == nil && sync {
		err = v.syncSegment()
	}
	v.mu.Unlock()
	if err != nil {
		return err
	}
	if !sync {
		return v.DB.Set(key, stored)
	}
	return v.DB.SetSync(key, stored)
}

// checkSet refuses what CometBFT's databases refuse, before anything is
// appended for it.
func checkSet(key, value []byte) error {
	if len(key) == 0 {
		return errors.New("consensus: block store: empty key")
	}
	if value == nil {
		return errors.New("consensus: block store: nil value")
	}
	return nil
}

// sync makes the values appended so far durable, before a synced write
// makes pointers to them durable (its own, and earlier unsynced ones).
func (v *valueLogDB) sync() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.syncSegment()
}

func (v *valueLogDB) DeleteSync(key []byte) error {
	if err := v.sync(); err != nil {
		return err
	}
	return v.DB.DeleteSync(key)
}

func (v *valueLogDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	it, err := v.DB.Iterator(start, end)
	if err != nil {
		return nil, err
	}
	return &valueLogIterator{Iterator: it, v: v}, nil
}

func (v *valueLogDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	it, err := v.DB.ReverseIterator(start, end)
	if err != nil {
		return nil, err
	}
	return &valueLogIterator{Iterator: it, v: v}, nil
}

func (v *valueLogDB) NewBatch() dbm.Batch {
	return &valueLogBatch{v: v, b: v.DB.NewBatch()}
}

func (v *valueLogDB) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	err := v.syncSegment()
	v.closed = true
	return errors.Join(err, v.closeSegments(), v.DB.Close())
}

func (v *valueLogDB) closeSegments() error {
	var err error
	for _, f := range v.segs {
		err = errors.Join(err, f.Close())
	}
	return err
}

// valueLogIterator reads the values its keys point to. Iterators are not
// safe for concurrent use, nor is the database's Close during one.
type valueLogIterator struct {
	dbm.Iterator
	v   *valueLogDB
	err error
}

func (it *valueLogIterator) Value() []byte {
	it.v.mu.RLock()
	defer it.v.mu.RUnlock()
	val, err := it.v.decode(it.Iterator.Value())
	if err != nil {
		// dbm.Iterator.Value cannot fail: Error tells.
		it.err = err
		return nil
	}
	return val
}

func (it *valueLogIterator) Error() error {
	if it.err != nil {
		return it.err
	}
	return it.Iterator.Error()
}

// valueLogBatch appends a batch's large values when they are set, and
// syncs the segment before a synced write of the batch.
type valueLogBatch struct {
	v *valueLogDB
	b dbm.Batch
}

func (b *valueLogBatch) Set(key, value []byte) error {
	if err := checkSet(key, value); err != nil {
		return err
	}
	b.v.mu.Lock()
	stored, err := b.v.encode(value)
	b.v.mu.Unlock()
	if err != nil {
		return err
	}
	return b.b.Set(key, stored)
}

func (b *valueLogBatch) Delete(key []byte) error { return b.b.Delete(key) }
func (b *valueLogBatch) Write() error            { return b.b.Write() }
func (b *valueLogBatch) Close() error            { return b.b.Close() }

func (b *valueLogBatch) WriteSync() error {
	if err := b.v.sync(); err != nil {
		return err
	}
	return b.b.WriteSync()
}
