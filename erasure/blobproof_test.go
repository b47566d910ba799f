package erasure

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

func cloneBlobProof(b *BlobProof) *BlobProof {
	enc, err := b.MarshalBinary()
	if err != nil {
		panic(err)
	}
	var c BlobProof
	if err := c.UnmarshalBinary(enc); err != nil {
		panic(err)
	}
	return &c
}

func TestBlobProofProperties(t *testing.T) {
	ks := []int{1, 2, 4, 8, 16, 32}
	if testing.Short() {
		ks = ks[:5]
	}
	for _, k := range ks {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 91))
			eds, dah, blobs := randomSquare(t, rng, k)
			if len(blobs) == 0 {
				t.Fatal("no blobs in the square")
			}
			dataRoot := dah.DataRoot()
			p, err := NewProver(eds, dah)
			if err != nil {
				t.Fatal(err)
			}
			multiRow := 0
			for bi, bl := range blobs {
				bp, err := p.BlobProof(bl.start, bl.start+bl.len)
				if err != nil {
					t.Fatal(err)
				}
				if err := bp.Verify(dataRoot, k); err != nil {
					t.Fatalf("blob %d: %v", bi, err)
				}
				if bp.Namespace != bl.ns || !slices.Equal(bp.Shares, vectors.SplitV0(bl.ns, bl.data)) {
					t.Fatalf("blob %d: proof carries other shares", bi)
				}
				if len(bp.Rows) > 1 {
					multiRow++
					for _, row := range bp.Rows[:len(bp.Rows)-1] {
						if row.Proof.End != k {
							t.Fatalf("blob %d: intermediate row %d range ends at %d, want k", bi, row.Row, row.Proof.End)
						}
					}
				}
				enc, err := bp.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				var dec BlobProof
				if err := dec.UnmarshalBinary(enc); err != nil {
					t.Fatalf("blob %d: decode: %v", bi, err)
				}
				if err := dec.Verify(dataRoot, k); err != nil {
					t.Fatalf("blob %d: decoded: %v", bi, err)
				}
				if enc2, _ := dec.MarshalBinary(); !bytes.Equal(enc, enc2) {
					t.Fatal("encoding does not round-trip")
				}
				for name, bad := range blobMutations(rng, bp, k) {
					if err := bad.Verify(dataRoot, k); err == nil {
						t.Fatalf("blob %d: %s accepted", bi, name)
					}
				}
			}
			if k >= 8 && multiRow == 0 {
				t.Error("no blob spans rows: the square does not exercise multi-row proofs")
			}
		})
	}
}

func blobMutations(rng *rand.Rand, bp *BlobProof, k int) map[string]*BlobProof {
	out := map[string]*BlobProof{}
	m := func(name string, f func(c *BlobProof) bool) {
		c := cloneBlobProof(bp)
		if f(c) {
			out[name] = c
		}
	}
	m("share bit", func(c *BlobProof) bool {
		s := &c.Shares[rng.IntN(len(c.Shares))]
		i := da.NamespaceSize + rng.IntN(da.ShareSize-da.NamespaceSize)
		s[i] ^= 1 << rng.IntN(8)
		return true
	})
	m("drop last share", func(c *BlobProof) bool {
		c.Shares = c.Shares[:len(c.Shares)-1]
		c.End--
		return c.End > c.Start
	})
	m("drop first share", func(c *BlobProof) bool {
		c.Shares = c.Shares[1:]
		c.Start++
		return c.End > c.Start
	})
	m("shift", func(c *BlobProof) bool {
		c.Start++
		c.End++
		return c.End <= k*k
	})
	m("drop row", func(c *BlobProof) bool {
		c.Rows = c.Rows[1:]
		return true
	})
	m("node bit", func(c *BlobProof) bool {
		row := &c.Rows[rng.IntN(len(c.Rows))]
		if len(row.Proof.Nodes) == 0 {
			return false
		}
		row.Proof.Nodes[rng.IntN(len(row.Proof.Nodes))][rng.IntN(da.NMTNodeSize)] ^= 1 << rng.IntN(8)
		return true
	})
	m("root bit", func(c *BlobProof) bool {
		c.Rows[0].Root[rng.IntN(da.NMTNodeSize)] ^= 1 << rng.IntN(8)
		return true
	})
	m("aunt bit", func(c *BlobProof) bool {
		a := c.Rows[0].RootProof.Aunts
		a[rng.IntN(len(a))][rng.IntN(32)] ^= 1 << rng.IntN(8)
		return true
	})
	m("root index", func(c *BlobProof) bool {
		c.Rows[0].RootProof.Index++
		return true
	})
	m("namespace", func(c *BlobProof) bool {
		c.Namespace[da.NamespaceSize-1] ^= 1
		return true
	})
	m("row swapped", func(c *BlobProof) bool {
		if len(c.Rows) < 2 {
			return false
		}
		c.Rows[0], c.Rows[1] = c.Rows[1], c.Rows[0]
		return true
	})
	return out
}

func TestBlobProofRejectsMixedNamespaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(101, 102))
	eds, dah, blobs := randomSquare(t, rng, 8)
	p, _ := NewProver(eds, dah)
	for i := 1; i < len(blobs); i++ {
		if blobs[i].ns != blobs[i-1].ns {
			if _, err := p.BlobProof(blobs[i-1].start, blobs[i].start+1); !errors.Is(err, ErrProofShape) {
				t.Fatalf("range over two namespaces: %v", err)
			}
			return
		}
	}
	t.Fatal("no two neighbouring blobs with different namespaces")
}

func TestBlobProofDecodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(111, 112))
	eds, dah, blobs := randomSquare(t, rng, 4)
	bp, err := NewBlobProof(eds, dah, blobs[0].start, blobs[0].start+blobs[0].len)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bp.MarshalBinary()
	huge := slices.Clone(b[:38])
	huge[34], huge[35], huge[36], huge[37] = 0x7F, 0xFF, 0xFF, 0xFF // end far beyond any square
	for name, c := range map[string][]byte{
		"empty":    nil,
		"version":  append([]byte{9}, b[1:]...),
		"short":    b[:len(b)-1],
		"trailing": append(slices.Clone(b), 0),
		"huge end": huge,
	} {
		var d BlobProof
		if err := d.UnmarshalBinary(c); !errors.Is(err, ErrProofEncoding) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
