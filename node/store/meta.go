package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"
)

// maxKeyLength bounds meta keys and namespace names.
const maxKeyLength = 256

// checkKey accepts a relative path of segments of letters, digits and
// "_-.:", at most maxKeyLength bytes, with no empty, "." or ".." segment:
// datastore keys are cleaned as paths, so anything else could alias
// another key or climb out of its prefix.
func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLength {
		return fmt.Errorf("%w: %q must have 1 to %d bytes", ErrInvalidKey, key, maxKeyLength)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrInvalidKey, key)
		}
		for _, c := range []byte(seg) {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '_' || c == '-' || c == '.' || c == ':'
			if !ok {
				return fmt.Errorf("%w: %q holds %q (allowed: letters, digits, _-.: and / between segments)", ErrInvalidKey, key, c)
			}
		}
	}
	return nil
}

func metaKey(key string) ds.Key { return ds.RawKey(metaPrefix + "/" + key) }

// PutMeta stores a small record of another subsystem (a sampling verdict,
// a checkpoint) under key, replacing any value there, durably. Keys are
// relative paths such as "sampling/checkpoint" (see ErrInvalidKey); use a
// prefix per subsystem. value is copied.
func (s *Store) PutMeta(ctx context.Context, key string, value []byte) error {
	return s.PutMetas(ctx, []MetaRecord{{Key: key, Value: value}})
}

// MetaRecord is one key and value of PutMetas.
type MetaRecord struct {
	Key   string
	Value []byte
}

// PutMetas stores several records as PutMeta does, all or none, with one
// sync of the disk instead of one per record.
func (s *Store) PutMetas(ctx context.Context, recs []MetaRecord) error {
	for _, r := range recs {
		if err := checkKey(r.Key); err != nil {
			return err
		}
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("store: meta batch: %w", err)
	}
	for _, r := range recs {
		if err := b.Put(ctx, metaKey(r.Key), append([]byte(nil), r.Value...)); err != nil {
			return fmt.Errorf("store: meta %q: %w", r.Key, err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("store: meta batch of %d records: %w", len(recs), err)
	}
	return nil
}

// Meta returns the value stored under key, or ErrNotFound.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	v, err := s.ds.Get(ctx, metaKey(key))
	if errors.Is(err, ds.ErrNotFound) {
		return nil, fmt.Errorf("%w: meta %q", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("store: meta %q: %w", key, err)
	}
	return v, nil
}

// DeleteMeta deletes key; deleting a missing key is not an error.
func (s *Store) DeleteMeta(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	if err := s.ds.Delete(ctx, metaKey(key)); err != nil {
		return fmt.Errorf("store: meta %q: %w", key, err)
	}
	return nil
}

// Namespace returns a datastore whose keys all live under /ns/<name> of
// the store's, for a subsystem that needs the whole go-datastore interface
// (the libp2p peerstore). Its Close does nothing: the store owns the
// datastore, and it must not be used after the store is closed.
func (s *Store) Namespace(name string) (ds.Batching, error) {
	if err := checkKey(name); err != nil {
		return nil, err
	}
	return unclosable{namespace.Wrap(s.ds, ds.NewKey(nsPrefix+"/"+name))}, nil
}

// unclosable keeps a namespace's user from closing the store's datastore.
type unclosable struct{ ds.Batching }

func (unclosable) Close() error { return nil }
