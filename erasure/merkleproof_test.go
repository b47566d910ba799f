package erasure

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/tartan-da/tartan/da"
)

func TestMerkleProofProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 70; n++ {
		leaves := make([][]byte, n)
		hashes := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = make([]byte, 1+rng.IntN(120))
			for j := range leaves[i] {
				leaves[i][j] = byte(rng.Uint32())
			}
			hashes[i] = da.MerkleLeafHash(leaves[i])
			if merkleLeafHash(leaves[i]) != hashes[i] {
				t.Fatalf("leaf hash of %d bytes differs", len(leaves[i]))
			}
		}
		root := da.MerkleRoot(leaves)
		for i := range n {
			p, err := ProveMerkle(hashes, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(root, leaves[i]); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if err := p.VerifyHash(root, hashes[i]); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			// Another leaf, any flipped aunt bit, another index.
			if n > 1 {
				if err := p.Verify(root, leaves[(i+1)%n]); !errors.Is(err, ErrProofRoot) {
					t.Fatalf("n=%d i=%d: other leaf: %v", n, i, err)
				}
				j := rng.IntN(len(p.Aunts))
				bad := MerkleProof{Index: p.Index, Total: p.Total, Aunts: append([][32]byte{}, p.Aunts...)}
				bad.Aunts[j][rng.IntN(32)] ^= 1 << rng.IntN(8)
				if err := bad.Verify(root, leaves[i]); !errors.Is(err, ErrProofRoot) {
					t.Fatalf("n=%d i=%d: flipped aunt %d: %v", n, i, j, err)
				}
				moved := p
				moved.Index = (i + 1 + rng.IntN(n-1)) % n
				if err := moved.Verify(root, leaves[i]); err == nil {
					t.Fatalf("n=%d i=%d: index %d accepted", n, i, moved.Index)
				}
				short := p
				short.Aunts = p.Aunts[1:]
				if err := short.Verify(root, leaves[i]); !errors.Is(err, ErrProofShape) {
					t.Fatalf("n=%d i=%d: missing aunt: %v", n, i, err)
				}
			}
			if n&(n-1) == 0 {
				// In a perfect tree any other total changes the depth.
				for _, tot := range []int{n / 2, n * 2, n + 1} {
					q := p
					q.Total = tot
					if err := q.Verify(root, leaves[i]); err == nil && tot != n {
						t.Fatalf("n=%d i=%d: total %d accepted", n, i, tot)
					}
				}
			}
			var flipped [32]byte = root
			flipped[rng.IntN(32)] ^= 1
			if err := p.Verify(flipped, leaves[i]); !errors.Is(err, ErrProofRoot) {
				t.Fatalf("n=%d i=%d: other root: %v", n, i, err)
			}
		}
	}
	for _, p := range []MerkleProof{{Index: 0, Total: 0}, {Index: -1, Total: 4}, {Index: 4, Total: 4}, {Index: 0, Total: MaxMerkleLeaves + 1}} {
		if err := p.Verify([32]byte{}, nil); !errors.Is(err, ErrProofShape) {
			t.Fatalf("%+v: %v", p, err)
		}
	}
	if _, err := ProveMerkle(nil, 0); !errors.Is(err, ErrProofShape) {
		t.Fatalf("empty tree: %v", err)
	}
}
