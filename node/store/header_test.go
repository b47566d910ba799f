package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/tartan-da/tartan/da"
)

func TestHeaderRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	blocks := testChain(1, 5, 2, [32]byte{})
	for _, b := range blocks {
		if err := s.PutHeader(ctx, b.header); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range blocks {
		for name, get := range map[string]func() (*da.Header, error){
			"Header":       func() (*da.Header, error) { return s.Header(ctx, b.header.Height) },
			"HeaderByHash": func() (*da.Header, error) { return s.HeaderByHash(ctx, b.header.Hash()) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s(%d): %v", name, b.header.Height, err)
			}
			if !got.EqualFields(b.header) || !bytes.Equal(got.Certificate, b.header.Certificate) {
				t.Fatalf("%s(%d) = %+v, want %+v", name, b.header.Height, got, b.header)
			}
			if err := checkCertified(got); err != nil {
				t.Fatalf("%s(%d): %v", name, b.header.Height, err)
			}
		}
	}
	if _, err := s.Header(ctx, 6); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Header(6) = %v, want ErrNotFound", err)
	}
	if _, err := s.HeaderByHash(ctx, [32]byte{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("HeaderByHash(unknown) = %v, want ErrNotFound", err)
	}
	if ErrNotFound.Error() != "store: not found" {
		t.Fatalf("ErrNotFound says %q", ErrNotFound)
	}
}

func TestPutHeaderRefusesMalformed(t *testing.T) {
	s := openStore(t, t.TempDir(), Config{})
	h := testHeader(3, 4, [32]byte{7}, [32]byte{1})
	h.Certificate = nil
	if err := s.PutHeader(context.Background(), h); !errors.Is(err, da.ErrHeaderMalformed) {
		t.Fatalf("PutHeader(no certificate) = %v, want da.ErrHeaderMalformed", err)
	}
	if _, err := s.Header(context.Background(), 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused header was stored: %v", err)
	}
}

func TestPutHeaderConflict(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	a := testHeader(7, 4, [32]byte{1}, [32]byte{9})
	b := testHeader(7, 4, [32]byte{2}, [32]byte{9})
	if err := s.PutHeader(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutHeader(ctx, a); err != nil {
		t.Fatalf("storing the same header again: %v", err)
	}
	if err := s.PutHeader(ctx, b); !errors.Is(err, ErrConflict) {
		t.Fatalf("PutHeader(different header at 7) = %v, want ErrConflict", err)
	}
	got, err := s.Header(ctx, 7)
	if err != nil || got.Hash() != a.Hash() {
		t.Fatalf("after a refused conflict Header(7) = %v, %v; want the first header", got, err)
	}
	if _, err := s.HeaderByHash(ctx, b.Hash()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused header is indexed by hash: %v", err)
	}
}

func TestHeadTracksContiguousHeights(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	if _, err := s.Head(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Head of an empty store = %v, want ErrNotFound", err)
	}
	chain := testChain(1, 12, 1, [32]byte{})
	put := func(h uint64) {
		t.Helper()
		if err := s.PutHeader(ctx, chain[h-1].header); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		put  uint64
		head uint64
	}{
		{1, 1}, {2, 2}, {3, 3},
		{5, 3},  // gap at 4
		{6, 3},  // still
		{4, 6},  // the gap is filled: the head runs over 5 and 6
		{9, 6},  // another gap
		{8, 6},  //
		{7, 9},  // filled
		{3, 9},  // a repeat changes nothing
		{12, 9}, //
	}
	for _, st := range steps {
		put(st.put)
		if got := headHeight(t, s); got != st.head {
			t.Fatalf("after storing %d the head is %d, want %d", st.put, got, st.head)
		}
	}
}

func TestHeadStartsAtFirstStoredHeader(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	chain := testChain(1, 120, 1, [32]byte{})
	// A light node starting from a trusted checkpoint at 100.
	for _, h := range []uint64{100, 101, 50, 51, 99} {
		if err := s.PutHeader(ctx, chain[h-1].header); err != nil {
			t.Fatal(err)
		}
	}
	if got := headHeight(t, s); got != 101 {
		t.Fatalf("head %d, want 101 (backfilled headers below do not move it)", got)
	}
}

// A restart recomputes nothing it cannot trust: the head survives, and a
// head missing from the datastore (one filled by another program) is
// recomputed from the lowest header.
func TestHeadSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	chain := testChain(1, 10, 1, [32]byte{})
	s := openStore(t, dir, Config{})
	for _, h := range []uint64{1, 2, 3, 4, 6, 7} {
		if err := s.PutHeader(ctx, chain[h-1].header); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openStore(t, dir, Config{})
	if got := headHeight(t, s); got != 4 {
		t.Fatalf("head after restart %d, want 4", got)
	}
	if err := s.PutHeader(ctx, chain[4].header); err != nil {
		t.Fatal(err)
	}
	if got := headHeight(t, s); got != 7 {
		t.Fatalf("head %d, want 7", got)
	}
	// Lose the head record: Open finds it again.
	if err := s.ds.Delete(ctx, headKey); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir, Config{})
	if got := headHeight(t, s); got != 7 {
		t.Fatalf("head rebuilt at open %d, want 7", got)
	}
}

func TestHeaderCorruptRecord(t *testing.T) {
	ctx := context.Background()
	mem := dssync.MutexWrap(ds.NewMapDatastore())
	s := openStore(t, t.TempDir(), Config{Datastore: mem})
	h := testHeader(1, 1, [32]byte{3}, [32]byte{})
	if err := s.PutHeader(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := mem.Put(ctx, hdrKey(1), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Header(ctx, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Header(garbage) = %v, want ErrCorrupt", err)
	}
	if _, err := s.HeaderByHash(ctx, h.Hash()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("HeaderByHash(garbage) = %v, want ErrCorrupt", err)
	}
	// A valid header stored under another height's key.
	b, _ := testHeader(2, 1, [32]byte{3}, [32]byte{5}).MarshalBinary()
	if err := mem.Put(ctx, hdrKey(1), b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Header(ctx, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Header(misplaced) = %v, want ErrCorrupt", err)
	}
	// The caller's datastore stays open after the store closes.
	s.Close()
	if _, err := mem.Get(ctx, hdrKey(1)); err != nil {
		t.Fatalf("the injected datastore after Close: %v", err)
	}
}

func TestClosedStore(t *testing.T) {
	s := openStore(t, t.TempDir(), Config{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Head(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Head after Close = %v, want ErrClosed", err)
	}
	if err := s.PutHeader(ctx, testHeader(1, 1, [32]byte{}, [32]byte{})); !errors.Is(err, ErrClosed) {
		t.Fatalf("PutHeader after Close = %v, want ErrClosed", err)
	}
	if _, _, err := s.Square(ctx, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Square after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir(), Config{Window: -1}); err == nil {
		t.Fatal("Open accepted a negative window")
	}
	if c := DefaultConfig(); c.Window != DefaultWindow || c.Archival || c.Validate() != nil {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
}
