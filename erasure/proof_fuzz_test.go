package erasure

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// fuzzSquare is a fixed k = 4 square the fuzz targets verify against.
func fuzzSquare(f *testing.F) (*EDS, *DAH, []testBlob, *Prover) {
	rng := rand.New(rand.NewPCG(2026, 11))
	eds, dah, blobs := randomSquare(f, rng, 4)
	p, err := NewProver(eds, dah)
	if err != nil {
		f.Fatal(err)
	}
	return eds, dah, blobs, p
}

func FuzzSampleUnmarshal(f *testing.F) {
	_, dah, _, p := fuzzSquare(f)
	dataRoot := dah.DataRoot()
	for _, c := range [][3]int{{0, 0, 0}, {3, 6, 1}, {7, 7, 0}, {5, 2, 1}} {
		s, err := p.Sample(c[0], c[1], Axis(c[2]))
		if err != nil {
			f.Fatal(err)
		}
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sample
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded sample does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("decoding is not canonical")
		}
		if s.Verify(dataRoot, 4) == nil {
			// Only the real cell can verify.
			want, err := p.Sample(s.Row, s.Col, s.Axis)
			if err != nil || want.Share != s.Share || want.Root != s.Root {
				t.Fatalf("forged sample accepted at (%d,%d)", s.Row, s.Col)
			}
		}
		_ = s.Verify(dataRoot, 1+int(b[len(b)-1])%MaxWidth)
	})
}

// FuzzNMTProofVerify feeds arbitrary proof shapes to every verifier against
// one fixed row root: nothing panics, and only the true position of the
// share can verify.
func FuzzNMTProofVerify(f *testing.F) {
	eds, dah, _, p := fuzzSquare(f)
	const k, row, pos = 4, 1, 2
	root := dah.RowRoots[row]
	share := *eds.Cell(row, pos)
	ns := share.Namespace()
	t, err := p.tree(Row, row)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range [][2]int{{pos, pos + 1}, {0, 1}, {0, 8}, {3, 6}} {
		proof, err := t.proveRange(r[0], r[1])
		if err != nil {
			f.Fatal(err)
		}
		enc, _ := proof.appendBinary(nil)
		f.Add(enc, uint16(2*k))
	}
	np, _ := t.proveNamespace(&ns)
	enc, _ := np.appendBinary(nil)
	f.Add(enc, uint16(2*k))
	f.Add([]byte{0, 2, 0, 3, 0, 0}, uint16(8))
	leaves := make([]da.NMTNode, t.n)
	for i := range leaves {
		leaves[i] = t.leaf(i)
	}
	f.Fuzz(func(tt *testing.T, b []byte, total uint16) {
		r := byteReader{b: b}
		proof := r.nmtProof()
		if r.err != nil {
			return
		}
		tot := int(total)
		// A proof can fit trees of several sizes when the last subtree is
		// a single node (leaves [0,4) with one right node fit 5 to 8
		// leaves), as in nmt: callers fix the size. Between powers of
		// two, which EDS axes are, it cannot.
		perfect := tot&(tot-1) == 0
		if proof.VerifyShares(&root, tot, ns, []da.Share{share}) == nil {
			if proof.Start != pos || proof.End != pos+1 || (perfect && tot != 2*k) {
				tt.Fatalf("share accepted at [%d,%d) of %d", proof.Start, proof.End, tot)
			}
		}
		if proof.Start >= 0 && proof.End <= len(leaves) && proof.Start < proof.End {
			if proof.VerifyLeaves(&root, tot, leaves[proof.Start:proof.End]) == nil && perfect && tot != 2*k {
				tt.Fatalf("leaves accepted in a tree of %d", tot)
			}
		}
		_ = proof.VerifyLeaves(&root, tot, nil)
		var shares []da.Share
		if proof.Start >= 0 && proof.End <= 2*k && proof.Start < proof.End {
			shares = eds.Row(row)[proof.Start:proof.End]
		}
		if proof.VerifyNamespace(&root, tot, ns, shares) == nil && !proof.IsEmpty() {
			if proof.Start != np.Start || proof.End != np.End {
				tt.Fatalf("namespace accepted over [%d,%d), true range [%d,%d)", proof.Start, proof.End, np.Start, np.End)
			}
		}
		_ = proof.VerifyNamespace(&root, tot, da.TailPaddingNamespace, nil)
	})
}

func FuzzBlobProofUnmarshal(f *testing.F) {
	_, dah, blobs, p := fuzzSquare(f)
	dataRoot := dah.DataRoot()
	for _, bl := range blobs[:min(3, len(blobs))] {
		bp, err := p.BlobProof(bl.start, bl.start+bl.len)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := bp.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var bp BlobProof
		if err := bp.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := bp.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded proof does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("decoding is not canonical")
		}
		if bp.Verify(dataRoot, 4) == nil {
			want, err := p.BlobProof(bp.Start, bp.End)
			if err != nil || !bytes.Equal(sharesBytes(want.Shares), sharesBytes(bp.Shares)) {
				t.Fatalf("forged blob proof accepted for [%d,%d)", bp.Start, bp.End)
			}
		}
	})
}

func sharesBytes(s []da.Share) []byte {
	var out []byte
	for i := range s {
		out = append(out, s[i][:]...)
	}
	return out
}

func FuzzNamespaceDataUnmarshal(f *testing.F) {
	eds, dah, _, p := fuzzSquare(f)
	dataRoot := dah.DataRoot()
	for i, ns := range queryNamespaces(eds) {
		if i%3 != 0 {
			continue
		}
		nd, err := p.NamespaceData(ns)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := nd.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var nd NamespaceData
		if err := nd.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := nd.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded data does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("decoding is not canonical")
		}
		if nd.Verify(dataRoot, 4) == nil {
			want := odsSharesOf(eds, nd.Namespace)
			if !bytes.Equal(sharesBytes(want), sharesBytes(nd.Shares())) {
				t.Fatalf("incomplete or forged namespace data accepted for %s", nd.Namespace)
			}
		}
	})
}

func FuzzSampleJSON(f *testing.F) {
	_, dah, _, p := fuzzSquare(f)
	dataRoot := dah.DataRoot()
	for _, c := range [][3]int{{0, 0, 0}, {3, 6, 1}} {
		s, _ := p.Sample(c[0], c[1], Axis(c[2]))
		b, err := SampleJSON{Height: 7, Sample: s}.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var j SampleJSON
		if err := j.UnmarshalJSON(b); err != nil {
			return
		}
		again, err := j.MarshalJSON()
		if err != nil {
			t.Fatalf("decoded sample does not encode: %v", err)
		}
		var k SampleJSON
		if err := k.UnmarshalJSON(again); err != nil {
			t.Fatalf("re-encoded sample does not decode: %v", err)
		}
		b1, err1 := j.Sample.MarshalBinary()
		b2, err2 := k.Sample.MarshalBinary()
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(b1, b2) || j.Height != k.Height {
			t.Fatal("JSON round trip changed the sample")
		}
		_ = j.Sample.Verify(dataRoot, 4)
	})
}
