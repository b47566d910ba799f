package da_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/da"
)

func FuzzParseNamespace(f *testing.F) {
	for _, s := range []string{
		"", "0102030405060708090a", "00000000000000000001",
		"00" + strings.Repeat("00", 18) + "0102030405060708090a",
		da.TailPaddingNamespace.String(), da.ParityNamespace.String(),
		"07" + strings.Repeat("00", 28), "zz", strings.Repeat("g", 58),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := da.ParseNamespace(s)
		if err != nil {
			return
		}
		if len(s) != 58 && len(s) != 20 {
			t.Fatalf("accepted %d characters", len(s))
		}
		if err := ns.Validate(); err != nil {
			t.Fatalf("parsed %s fails Validate: %v", ns, err)
		}
		// Round trip through the canonical 58-hex form.
		again, err := da.ParseNamespace(ns.String())
		if err != nil || again != ns {
			t.Fatalf("%s does not round-trip: %v", ns, err)
		}
		if len(s) == 58 && !strings.EqualFold(ns.String(), s) {
			t.Fatalf("%q parsed as %s", s, ns)
		}
	})
}

func FuzzNamespaceFromBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add(da.TxNamespace[:])
	f.Add(da.ParityNamespace[:])
	f.Add(append(make([]byte, 19), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
	f.Add(append([]byte{0, 1}, make([]byte, 27)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		ns, err := da.NamespaceFromBytes(b)
		if err != nil {
			if len(b) != da.NamespaceSize && !errors.Is(err, da.ErrNamespaceLength) {
				t.Fatalf("%d bytes: %v", len(b), err)
			}
			return
		}
		if !bytes.Equal(ns[:], b) || ns.Validate() != nil {
			t.Fatalf("bad namespace %s from %x", ns, b)
		}
		// ValidateForBlob implies not reserved and version 0.
		if ns.ValidateForBlob() == nil && (ns.IsReserved() || ns.Version() != 0) {
			t.Fatalf("%s accepted for blobs", ns)
		}
		if ns.IsPrimaryReserved() && ns.IsSecondaryReserved() {
			t.Fatalf("%s in both reserved ranges", ns)
		}
	})
}

func FuzzShareFromBytes(f *testing.F) {
	tail := da.TailPaddingShare()
	f.Add(tail[:])
	f.Add(make([]byte, da.ShareSize))
	f.Add(make([]byte, 100))
	b := da.Blob{Namespace: da.Namespace{19: 1}, Data: []byte("hello"), ShareVersion: 1, Signer: make([]byte, 20)}
	if s, err := b.Shares(); err == nil {
		f.Add(s[0][:])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := da.ShareFromBytes(raw)
		if err != nil {
			if len(raw) == da.ShareSize || !errors.Is(err, da.ErrShareLength) {
				t.Fatalf("%d bytes: %v", len(raw), err)
			}
			return
		}
		if !bytes.Equal(s[:], raw) {
			t.Fatal("share is not a copy of its bytes")
		}
		ns := s.Namespace()
		info, err := da.InfoByte(s.Version(), s.IsSequenceStart())
		if err != nil || info != s.InfoByte() {
			t.Fatalf("info byte %#x does not rebuild (%v)", s.InfoByte(), err)
		}
		_ = s.SequenceLen()
		_ = s.IsCompact()
		_ = s.IsPadding()
		if err := s.Validate(); err == nil {
			if ns.Validate() != nil || s.Version() > da.ShareVersionTwo {
				t.Fatalf("invalid share %x passed Validate", s[:30])
			}
		}
		// Any share parses as a one-share run without panicking.
		_, _ = da.BlobsFromShares([]da.Share{s})
	})
}

// splitFuzzShares cuts raw into whole 512-byte shares, dropping the rest.
func splitFuzzShares(raw []byte) []da.Share {
	shares := make([]da.Share, len(raw)/da.ShareSize)
	for i := range shares {
		copy(shares[i][:], raw[i*da.ShareSize:])
	}
	return shares
}

func FuzzBlobsFromShares(f *testing.F) {
	ns1 := da.Namespace{19: 1, 28: 1}
	ns2 := da.Namespace{19: 2, 28: 2}
	seed := func(blobs ...da.Blob) []byte {
		var out []byte
		for _, b := range blobs {
			s, err := b.Shares()
			if err != nil {
				f.Fatal(err)
			}
			for i := range s {
				out = append(out, s[i][:]...)
			}
		}
		return out
	}
	f.Add([]byte{})
	f.Add(seed(da.Blob{Namespace: ns1, Data: []byte("one")}))
	f.Add(seed(da.Blob{Namespace: ns1, Data: bytes.Repeat([]byte{7}, 1200)}, da.Blob{Namespace: ns2, Data: []byte{1}, ShareVersion: 1, Signer: make([]byte, 20)}))
	f.Add(seed(da.Blob{Namespace: ns1, Data: make([]byte, 36), ShareVersion: 2, Signer: bytes.Repeat([]byte{1}, 20)}))
	pad := da.PaddingShare(ns1, 0)
	tail := da.TailPaddingShare()
	f.Add(append(append(seed(da.Blob{Namespace: ns1, Data: []byte("x")}), pad[:]...), tail[:]...))
	var tx da.Share
	copy(tx[:], da.TxNamespace[:])
	tx[29] = 1
	f.Add(append(tx[:], seed(da.Blob{Namespace: ns2, Data: bytes.Repeat([]byte{9}, 500)})...))
	f.Fuzz(func(t *testing.T, raw []byte) {
		shares := splitFuzzShares(raw)
		blobs, err := da.BlobsFromShares(shares)
		if err != nil {
			return
		}
		covered := make([]bool, len(shares))
		next := 0
		for _, b := range blobs {
			if b.Start < next {
				t.Fatalf("blob at %d overlaps the previous one", b.Start)
			}
			re, err := b.Shares()
			if err != nil {
				t.Fatalf("parsed blob at %d does not re-split: %v", b.Start, err)
			}
			if b.Start+len(re) > len(shares) {
				t.Fatalf("blob at %d runs past the end", b.Start)
			}
			for j := range re {
				if re[j] != shares[b.Start+j] {
					t.Fatalf("blob at %d: share %d does not re-split identically", b.Start, b.Start+j)
				}
				covered[b.Start+j] = true
			}
			next = b.Start + len(re)
		}
		for i := range shares {
			if !covered[i] && !shares[i].IsPadding() && !shares[i].IsCompact() {
				t.Fatalf("share %d is in no blob and is neither padding nor compact", i)
			}
		}
	})
}

func FuzzUnmarshalBlobList(f *testing.F) {
	ns, _ := da.NewV0Namespace([]byte("fuzz-blobs"))
	signer := bytes.Repeat([]byte{7}, da.SignerSize)
	one, _ := da.NewBlob(ns, []byte("hello"), da.ShareVersionZero, nil)
	two, _ := da.NewBlob(ns, bytes.Repeat([]byte{1}, 600), da.ShareVersionOne, signer)
	f.Add(da.AppendBlobList(nil, []da.Blob{one}))
	f.Add(da.AppendBlobList(nil, []da.Blob{one, two}))
	f.Add([]byte{1, 0, 0})
	lim := da.BlobListLimits{MaxBlobs: 16, MaxDataSize: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		blobs, err := da.UnmarshalBlobList(b, lim)
		if err != nil {
			if !errors.Is(err, da.ErrBlobListMalformed) {
				t.Fatalf("error %v is not ErrBlobListMalformed", err)
			}
			return
		}
		total := 0
		for i := range blobs {
			if err := blobs[i].Validate(); err != nil {
				t.Fatalf("accepted blob %d fails Validate: %v", i, err)
			}
			total += len(blobs[i].Data)
		}
		if len(blobs) > lim.MaxBlobs || total > lim.MaxDataSize {
			t.Fatalf("accepted %d blobs of %d bytes past the limits", len(blobs), total)
		}
		// The encoding is canonical: what decodes re-encodes to itself.
		if again := da.AppendBlobList(nil, blobs); !bytes.Equal(again, b) || da.BlobListSize(blobs) != len(b) {
			t.Fatalf("%x re-encodes to %x", b, again)
		}
	})
}
