package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"

	"github.com/tartan-da/tartan/da"
)

// PutHeader stores h under its height and its hash. Storing the same header
// again does nothing; a different header at a stored height is refused
// with ErrConflict and changes nothing. The header must be well formed
// (da.Header.Validate); its signature and its link to the previous header
// are the caller's to check.
func (s *Store) PutHeader(ctx context.Context, h *da.Header) error {
	b, err := h.MarshalBinary()
	if err != nil {
		return fmt.Errorf("store: header: %w", err)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	s.hdrMu.Lock()
	defer s.hdrMu.Unlock()

	old, err := s.ds.Get(ctx, hdrKey(h.Height))
	switch {
	case err == nil && bytes.Equal(old, b):
		return nil
	case err == nil:
		var o da.Header
		if derr := o.UnmarshalBinary(old); derr != nil {
			return fmt.Errorf("%w: height %d already holds an undecodable header (%v); not replaced", ErrConflict, h.Height, derr)
		}
		return fmt.Errorf("%w: height %d already holds header %x, refusing %x", ErrConflict, h.Height, o.Hash(), h.Hash())
	case !errors.Is(err, ds.ErrNotFound):
		return fmt.Errorf("store: reading header %d: %w", h.Height, err)
	}

	// The head moves only when h extends it (or is the first header); it
	// then runs on over headers stored earlier above a gap that h fills.
	head := s.head
	if head == 0 || h.Height == head+1 {
		head = h.Height
		for {
			ok, err := s.ds.Has(ctx, hdrKey(head+1))
			if err != nil {
				return fmt.Errorf("store: reading header %d: %w", head+1, err)
			}
			if !ok {
				break
			}
			head++
		}
	}

	batch, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	hash := h.Hash()
	var hb [8]byte
	binary.BigEndian.PutUint64(hb[:], h.Height)
	if err := batch.Put(ctx, hdrKey(h.Height), b); err != nil {
		return fmt.Errorf("store: writing header %d: %w", h.Height, err)
	}
	if err := batch.Put(ctx, hashKey(hash), hb[:]); err != nil {
		return fmt.Errorf("store: writing header %d: %w", h.Height, err)
	}
	if head != s.head {
		binary.BigEndian.PutUint64(hb[:], head)
		if err := batch.Put(ctx, headKey, bytes.Clone(hb[:])); err != nil {
			return fmt.Errorf("store: writing head: %w", err)
		}
	}
	if err := batch.Commit(ctx); err != nil {
		return fmt.Errorf("store: writing header %d: %w", h.Height, err)
	}
	s.head = head
	return nil
}

// Header returns the header at height, or ErrNotFound.
func (s *Store) Header(ctx context.Context, height uint64) (*da.Header, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	return s.header(ctx, height)
}

func (s *Store) header(ctx context.Context, height uint64) (*da.Header, error) {
	b, err := s.ds.Get(ctx, hdrKey(height))
	if errors.Is(err, ds.ErrNotFound) {
		return nil, fmt.Errorf("%w: no header at height %d", ErrNotFound, height)
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading header %d: %w", height, err)
	}
	h := new(da.Header)
	if err := h.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: header %d: %v", ErrCorrupt, height, err)
	}
	if h.Height != height {
		return nil, fmt.Errorf("%w: the header stored at height %d says height %d", ErrCorrupt, height, h.Height)
	}
	return h, nil
}

// HeaderByHash returns the header whose Hash is hash, or ErrNotFound.
func (s *Store) HeaderByHash(ctx context.Context, hash [32]byte) (*da.Header, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	b, err := s.ds.Get(ctx, hashKey(hash))
	if errors.Is(err, ds.ErrNotFound) {
		return nil, fmt.Errorf("%w: no header with hash %x", ErrNotFound, hash)
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading the hash index: %w", err)
	}
	height, err := getUint64(b)
	if err != nil {
		return nil, fmt.Errorf("hash %x: %w", hash, err)
	}
	h, err := s.header(ctx, height)
	if err != nil {
		return nil, err
	}
	if h.Hash() != hash {
		return nil, fmt.Errorf("%w: hash %x indexes height %d, whose header hashes to %x", ErrCorrupt, hash, height, h.Hash())
	}
	return h, nil
}

// Head returns the stored head: the highest header reachable from the
// first header ever stored through consecutive heights. A syncing node
// resumes from Head().Height+1. Headers stored below it (a backfill) do not
// move it; headers above a gap move it once the gap is filled. ErrNotFound
// if no header is stored.
func (s *Store) Head(ctx context.Context) (*da.Header, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	s.hdrMu.Lock()
	head := s.head
	s.hdrMu.Unlock()
	if head == 0 {
		return nil, fmt.Errorf("%w: no header stored", ErrNotFound)
	}
	return s.header(ctx, head)
}

// loadHead reads the persisted head at Open. A missing or dangling head
// (a datastore from elsewhere) restarts from the lowest stored header; then
// the head runs on over consecutive headers, which repairs nothing in a
// store written by this package but costs one lookup.
func (s *Store) loadHead(ctx context.Context) error {
	var head uint64
	b, err := s.ds.Get(ctx, headKey)
	switch {
	case err == nil:
		if head, err = getUint64(b); err != nil {
			return fmt.Errorf("store: head: %w", err)
		}
		ok, err := s.ds.Has(ctx, hdrKey(head))
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !ok {
			s.log.Warn("store: the stored head names a missing header; rescanning", "head", head)
			head = 0
		}
	case !errors.Is(err, ds.ErrNotFound):
		return fmt.Errorf("store: reading head: %w", err)
	}
	if head == 0 {
		if head, err = s.lowestHeader(ctx); err != nil {
			return err
		}
	}
	if head == 0 {
		return nil
	}
	start := head
	for {
		ok, err := s.ds.Has(ctx, hdrKey(head+1))
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !ok {
			break
		}
		head++
	}
	if head != start || !bytes.Equal(b, binary.BigEndian.AppendUint64(nil, head)) {
		if err := s.ds.Put(ctx, headKey, binary.BigEndian.AppendUint64(nil, head)); err != nil {
			return fmt.Errorf("store: writing head: %w", err)
		}
	}
	s.head = head
	return nil
}

// lowestHeader is the lowest stored header height, 0 if none.
func (s *Store) lowestHeader(ctx context.Context) (uint64, error) {
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: hdrPrefix, KeysOnly: true, Orders: []dsq.Order{dsq.OrderByKey{}}, Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	defer res.Close()
	r, ok := res.NextSync()
	if !ok {
		return 0, nil
	}
	if r.Error != nil {
		return 0, fmt.Errorf("store: %w", r.Error)
	}
	h, ok := parseHeightName(ds.RawKey(r.Key).BaseNamespace())
	if !ok {
		return 0, fmt.Errorf("%w: header key %q", ErrCorrupt, r.Key)
	}
	return h, nil
}
