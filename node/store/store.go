package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	ds "github.com/ipfs/go-datastore"
	leveldb "github.com/ipfs/go-ds-leveldb"
)

// DefaultWindow is how long squares are kept unless configured otherwise.
const DefaultWindow = 7 * 24 * time.Hour

// Errors of the store; wrapped with details, test with errors.Is.
var (
	// ErrNotFound: nothing is stored under that height, hash or key (or the
	// square was pruned). Fetch it from a peer, or answer "not found".
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the write disagrees with what is stored (a different
	// header at the same height, a square that does not match its header).
	// Nothing was written. It means a fork, equivocating validators or a
	// bug in the caller; the stored data is unchanged.
	ErrConflict = errors.New("store: conflicts with stored data")
	// ErrCorrupt: stored bytes fail their checksum or do not decode. The
	// record is not trusted; re-fetch the data and write it again (PutSquare
	// replaces a corrupt square), or delete it.
	ErrCorrupt = errors.New("store: stored data is corrupt")
	// ErrNotSquare: PutSquare was given a share count that is not k² for
	// a power of two k up to da.MaxSquareWidthCap. A caller bug.
	ErrNotSquare = errors.New("store: shares do not make a square")
	// ErrInvalidKey: a meta key or namespace name that is not a plain
	// relative path (see PutMeta).
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

// Config configures a Store. The zero value is usable: it means the default
// window, a leveldb datastore in the data directory, and no logging.
type Config struct {
	// Window is how long squares are kept, measured from their header's
	// time. Zero means DefaultWindow.
	Window time.Duration
	// Archival keeps every square; Prune deletes nothing.
	Archival bool
	// Datastore, if set, holds the metadata instead of a leveldb in the
	// data directory (tests pass an in-memory one: go-datastore's
	// sync.MutexWrap(ds.NewMapDatastore())). The caller keeps ownership:
	// Close does not close it.
	Datastore ds.Batching
	// Logger receives recovery and pruning reports. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig is the configuration of a non-archival node.
func DefaultConfig() Config { return Config{Window: DefaultWindow} }

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Window < 0 {
		return fmt.Errorf("store: storage window %s is negative", c.Window)
	}
	return nil
}

// Store is a node's persistent storage; see the package documentation.
type Store struct {
	dir     string // the squares directory
	ds      ds.Batching
	ownDS   bool // ds was opened by Open and is closed by Close
	window  time.Duration
	archive bool
	log     *slog.Logger

	// life guards closed: every operation holds it shared, Close
	// exclusively, so Close waits for operations in flight.
	life   sync.RWMutex
	closed bool

	// hdrMu serialises header writes and guards head (0: no header).
	hdrMu sync.Mutex
	head  uint64

	// sqMu serialises the steps of square writes and deletions that touch
	// both a file name and its index record, so two writers of one height,
	// or a writer and Prune, cannot interleave them.
	sqMu sync.Mutex

	// leftovers are the files of squares staged before a crash, by height
	// (StagedODS); putting a square deletes those at or below its height.
	leftMu    sync.Mutex
	leftovers map[uint64][]string

	// syncs are the background syncs of staged squares; Close awaits them.
	syncs sync.WaitGroup
}

// Datastore keys; see the package documentation.
var (
	headKey     = ds.NewKey("/head")
	hdrPrefix   = "/hdr"
	hashPrefix  = "/hash"
	sqPrefix    = "/sq"
	metaPrefix  = "/meta"
	nsPrefix    = "/ns"
	squaresName = "squares"
	metaName    = "meta"
)

// heightName is a height as 16 hex digits, so keys and file names sort in
// height order.
func heightName(h uint64) string { return fmt.Sprintf("%016x", h) }

func hdrKey(h uint64) ds.Key { return ds.RawKey(hdrPrefix + "/" + heightName(h)) }
func sqKey(h uint64) ds.Key  { return ds.RawKey(sqPrefix + "/" + heightName(h)) }
func hashKey(hash [32]byte) ds.Key {
	return ds.RawKey(fmt.Sprintf("%s/%x", hashPrefix, hash))
}

// parseHeightName is the inverse of heightName; ok is false for any other
// string.
func parseHeightName(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var h uint64
	for i := range len(s) {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		h = h<<4 | uint64(d)
	}
	return h, true
}

// Open opens (creating if needed) the store in dir, then recovers from
// whatever a crash left behind (see the package documentation), logging
// what it repaired. ctx bounds the recovery scan.
func Open(ctx context.Context, dir string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		dir:     filepath.Join(dir, squaresName),
		ds:      cfg.Datastore,
		window:  cfg.Window,
		archive: cfg.Archival,
		log:     cfg.Logger,
	}
	if s.window == 0 {
		s.window = DefaultWindow
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if s.ds == nil {
		db, err := leveldb.NewDatastore(filepath.Join(dir, metaName), nil)
		if err != nil {
			return nil, fmt.Errorf("store: opening leveldb in %s: %w", dir, err)
		}
		s.ds, s.ownDS = db, true
	}
	if err := s.recover(ctx); err != nil {
		s.closeDS()
		return nil, err
	}
	return s, nil
}

// Close closes the store, waiting for operations in flight. Later calls
// return ErrClosed.
func (s *Store) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.syncs.Wait()
	return s.closeDS()
}

func (s *Store) closeDS() error {
	if !s.ownDS {
		return nil
	}
	if err := s.ds.Close(); err != nil {
		return fmt.Errorf("store: closing leveldb: %w", err)
	}
	return nil
}

// enter marks an operation in flight; the caller must call s.life.RUnlock
// when it returns nil.
func (s *Store) enter() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	return nil
}

// recover brings the squares directory and the index back in line after a
// crash, then loads the head.
func (s *Store) recover(ctx context.Context) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// files maps the height of each square file to its length.
	files := make(map[uint64]int64, len(entries))
	removed := 0
	for _, e := range entries {
		name := e.Name()
		if isTempName(name) {
			// A write that never reached its rename: never acknowledged.
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("store: removing temporary file: %w", err)
			}
			s.log.Info("store: removed an unfinished square write", "file", name)
			removed++
			continue
		}
		if h, ok := parseStagedName(name); ok {
			// Staged by a validator that may have voted for its block:
			// kept for a replay (StagedODS).
			if s.leftovers == nil {
				s.leftovers = map[uint64][]string{}
			}
			s.leftovers[h] = append(s.leftovers[h], filepath.Join(s.dir, name))
			continue
		}
		h, ok := parseSquareName(name)
		if !ok || !e.Type().IsRegular() {
			s.log.Warn("store: ignoring an unknown entry in the squares directory", "name", name)
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		files[h] = info.Size()
	}

	recs, _, err := s.squareRecords(ctx, 0)
	if err != nil {
		return err
	}
	indexed := make(map[uint64]bool, len(recs))
	for _, r := range recs {
		size, ok := files[r.height]
		if ok && size == int64(r.rec.size) {
			indexed[r.height] = true
			continue
		}
		// Cannot happen after a crash (the record follows the rename);
		// it means the file was truncated, deleted or replaced behind our
		// back. Forget it so the node fetches the square again.
		if err := s.ds.Delete(ctx, sqKey(r.height)); err != nil {
			return fmt.Errorf("store: dropping the index of square %d: %w", r.height, err)
		}
		s.log.Warn("store: dropped a square whose file is missing or has the wrong length",
			"height", r.height, "want_bytes", r.rec.size, "have_bytes", size, "file_exists", ok)
	}
	for h := range files {
		if indexed[h] {
			continue
		}
		// Renamed but never indexed (a crash before the index write, or
		// during Prune), or just dropped above.
		if err := os.Remove(filepath.Join(s.dir, squareName(h))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: removing unindexed square %d: %w", h, err)
		}
		s.log.Info("store: removed a square file without an index record", "height", h)
		removed++
	}
	if removed > 0 {
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	return s.loadHead(ctx)
}

func getUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %d bytes where a height of 8 was stored", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}
