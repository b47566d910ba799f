package consensus

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tartan-da/tartan/da"
)

func TestDataCommitmentRoundTrip(t *testing.T) {
	c := DataCommitment{SquareWidth: 64, DataRoot: [32]byte{1, 2, 3}}
	b := c.Marshal()
	if len(b) != DataTxSize {
		t.Fatalf("%d bytes, want %d", len(b), DataTxSize)
	}
	got, err := ParseDataCommitment(b)
	if err != nil || got != c {
		t.Fatalf("round trip gave %+v, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"short":      b[:DataTxSize-1],
		"long":       append(bytes.Clone(b), 0),
		"magic":      append([]byte("TBLB"), b[4:]...),
		"version":    append(append(bytes.Clone(b[:4]), 2), b[5:]...),
		"width 3":    DataCommitment{SquareWidth: 3}.Marshal(),
		"width 0":    DataCommitment{}.Marshal(),
		"width 1024": DataCommitment{SquareWidth: 1024}.Marshal(),
	} {
		if _, err := ParseDataCommitment(bad); !errors.Is(err, ErrDataCommitment) {
			t.Errorf("%s: err %v, want ErrDataCommitment", name, err)
		}
	}
}

func TestBlobTx(t *testing.T) {
	ns, _ := da.NewV0Namespace([]byte("tx-test"))
	b1, _ := da.NewBlob(ns, []byte("one"), da.ShareVersionZero, nil)
	b2, _ := da.NewBlob(ns, bytes.Repeat([]byte{9}, 1000), da.ShareVersionZero, nil)
	tx := BlobTx([]da.Blob{b1, b2})
	got, err := ParseBlobTx(tx, 1<<20)
	if err != nil || len(got) != 2 || !bytes.Equal(got[1].Data, b2.Data) || got[0].Namespace != ns {
		t.Fatalf("round trip gave %d blobs, %v", len(got), err)
	}
	if TxKey(tx) != TxKey(BlobTx([]da.Blob{b1, b2})) || TxKey(tx) == TxKey(BlobTx([]da.Blob{b2, b1})) {
		t.Fatal("the key is not a function of the content and order")
	}
	if _, err := ParseBlobTx(tx, 1000); !errors.Is(err, ErrBlobTx) {
		t.Fatalf("1003 bytes of data under a 1000-byte limit: %v", err)
	}
	if _, err := ParseBlobTx(DataCommitment{SquareWidth: 1}.Marshal(), 1<<20); !errors.Is(err, ErrBlobTx) {
		t.Fatalf("tx[0] read as a blob tx: %v", err)
	}
}

func FuzzParseDataCommitment(f *testing.F) {
	f.Add(DataCommitment{SquareWidth: 4, DataRoot: [32]byte{7}}.Marshal())
	f.Add([]byte("TDAC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseDataCommitment(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Marshal(), b) {
			t.Fatalf("%x re-encodes to %x", b, c.Marshal())
		}
	})
}

func TestRefTx(t *testing.T) {
	key := TxKey([]byte("some blob transaction"))
	ref := RefTx(key)
	if got, ok := ParseRefTx(ref); !ok || got != key || len(ref) != RefTxSize {
		t.Fatalf("round trip gave %x %v (%d bytes)", got, ok, len(ref))
	}
	tx0 := DataCommitment{SquareWidth: 1}.Marshal()
	for name, bad := range map[string][]byte{
		"short":   ref[:RefTxSize-1],
		"long":    append(bytes.Clone(ref), 0),
		"magic":   append([]byte("TBLB"), ref[4:]...),
		"tx[0]":   tx0,
		"blob tx": BlobTx(nil),
	} {
		if _, ok := ParseRefTx(bad); ok {
			t.Errorf("%s: read as a reference", name)
		}
	}
	if _, err := ParseBlobTx(ref, 1<<20); !errors.Is(err, ErrBlobTx) {
		t.Fatalf("a reference read as a blob tx: %v", err)
	}
	if _, err := ParseDataCommitment(ref); !errors.Is(err, ErrDataCommitment) {
		t.Fatalf("a reference read as tx[0]: %v", err)
	}
}

func FuzzParseRefTx(f *testing.F) {
	f.Add(RefTx([32]byte{1}))
	f.Add([]byte("TREF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, ok := ParseRefTx(b)
		if ok != bytes.Equal(RefTx(key), b) {
			t.Fatalf("%x: ok %v, but it re-encodes to %x", b, ok, RefTx(key))
		}
	})
}
