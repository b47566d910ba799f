package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

func TestMeta(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	val := []byte("verdict")
	if err := s.PutMeta(ctx, "sampling/verdict/00000000000000c8", val); err != nil {
		t.Fatal(err)
	}
	val[0] = 'X' // PutMeta copied it
	got, err := s.Meta(ctx, "sampling/verdict/00000000000000c8")
	if err != nil || string(got) != "verdict" {
		t.Fatalf("Meta = %q, %v", got, err)
	}
	if err := s.PutMeta(ctx, "sampling/verdict/00000000000000c8", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Meta(ctx, "sampling/verdict/00000000000000c8"); err != nil || len(got) != 0 {
		t.Fatalf("Meta after overwrite with empty = %q, %v", got, err)
	}
	if err := s.DeleteMeta(ctx, "sampling/verdict/00000000000000c8"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meta(ctx, "sampling/verdict/00000000000000c8"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Meta after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeleteMeta(ctx, "never/stored"); err != nil {
		t.Fatalf("DeleteMeta(missing) = %v", err)
	}
}

// PutMetas stores every record or, when one key is bad, none; the store
// reopened from disk still has them.
func TestPutMetas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, Config{})
	recs := []MetaRecord{{"consensus/tx/aa", []byte{1}}, {"consensus/tx/bb", []byte{2}}, {"consensus/app", []byte("state")}}
	if err := s.PutMetas(ctx, recs); err != nil {
		t.Fatal(err)
	}
	recs[0].Value[0] = 9 // PutMetas copied it
	bad := []MetaRecord{{"consensus/tx/cc", []byte{3}}, {"../escape", []byte{4}}}
	if err := s.PutMetas(ctx, bad); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("PutMetas with a bad key = %v, want ErrInvalidKey", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Config{})
	for key, want := range map[string]string{"consensus/tx/aa": "\x01", "consensus/tx/bb": "\x02", "consensus/app": "state"} {
		if got, err := s.Meta(ctx, key); err != nil || string(got) != want {
			t.Fatalf("%s after reopening = %q, %v; want %q", key, got, err, want)
		}
	}
	if _, err := s.Meta(ctx, "consensus/tx/cc"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a record of the refused batch was stored: %v", err)
	}
}

// Meta keys cannot reach the store's own records, however they are
// spelled.
func TestMetaKeysStayInTheirNamespace(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Config{})
	b := testChain(1, 1, 1, [32]byte{})[0]
	putBlocks(t, s, []block{b})
	for _, key := range []string{
		"", "/hdr/0000000000000001", "../hdr/0000000000000001", "a/../../head", "a//b", "a/", "./a",
		"a b", "a\x00", "ä", strings.Repeat("a", maxKeyLength+1),
	} {
		if err := s.PutMeta(ctx, key, []byte("x")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("PutMeta(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Meta(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Meta(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Namespace(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Namespace(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	for _, key := range []string{"a", "A-b_c.d:e/f", strings.Repeat("a", maxKeyLength)} {
		if err := s.PutMeta(ctx, key, []byte("x")); err != nil {
			t.Errorf("PutMeta(%q) = %v", key, err)
		}
	}
	if got, err := s.Header(ctx, 1); err != nil || got.Hash() != b.header.Hash() {
		t.Fatalf("header changed: %v, %v", got, err)
	}
}

func TestNamespace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, Config{})
	peers, err := s.Namespace("peerstore")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.Namespace("other")
	if err := peers.Put(ctx, ds.NewKey("/peer/a"), []byte("addr")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := other.Has(ctx, ds.NewKey("/peer/a")); ok {
		t.Fatal("namespaces share keys")
	}
	res, err := peers.Query(ctx, dsq.Query{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := res.Rest()
	if len(all) != 1 || all[0].Key != "/peer/a" {
		t.Fatalf("namespace holds %v, want only /peer/a", all)
	}
	// Closing a namespace leaves the store open.
	if err := peers.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta(ctx, "x", nil); err != nil {
		t.Fatalf("store unusable after a namespace was closed: %v", err)
	}
	s.Close()
	s = openStore(t, dir, Config{})
	peers, _ = s.Namespace("peerstore")
	if v, err := peers.Get(ctx, ds.NewKey("/peer/a")); err != nil || string(v) != "addr" {
		t.Fatalf("namespace after restart = %q, %v", v, err)
	}
}
