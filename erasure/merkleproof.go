package erasure

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/tartan-da/tartan/da"
)

// RFC-6962 inclusion proofs (SPEC §11.2), as CometBFT's crypto/merkle
// Proof: used from a row or column root to the data root.

// MaxMerkleLeaves bounds the tree size a MerkleProof may claim. The data
// root has 4·MaxWidth leaves; blob commitments have far fewer.
const MaxMerkleLeaves = 1 << 20

// MerkleProof proves one leaf of an RFC-6962 tree of Total leaves. Aunts
// are bottom-up: the leaf's sibling first, the root's child last.
type MerkleProof struct {
	Index, Total int
	Aunts        [][32]byte
}

// merkleDepth is the number of aunts of leaf index in a tree of total
// leaves (left-full splits, SPEC §1), and the directions from the top:
// bit d of right is set when the leaf lies in the right subtree at depth d.
func merkleDepth(index, total int) (depth int, right uint64) {
	for total > 1 {
		s := da.SplitPoint(total)
		if index >= s {
			right |= 1 << depth
			index -= s
			total -= s
		} else {
			total = s
		}
		depth++
	}
	return depth, right
}

// merkleTree caches the roots of all aligned perfect subtrees, like nmtTree.
type merkleTree struct {
	levels [][][32]byte
	n      int
}

func newMerkleTree(leafHashes [][32]byte) *merkleTree {
	n := len(leafHashes)
	t := &merkleTree{n: n, levels: [][][32]byte{leafHashes}}
	store := make([][32]byte, n)
	for cur := leafHashes; len(cur) >= 2; {
		next := store[: len(cur)/2 : len(cur)/2]
		store = store[len(cur)/2:]
		for i := range next {
			next[i] = da.MerkleInnerHash(cur[2*i], cur[2*i+1])
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

func (t *merkleTree) root(lo, hi int) [32]byte {
	size := hi - lo
	if size&(size-1) == 0 && lo%size == 0 {
		l := bits.TrailingZeros(uint(size))
		return t.levels[l][lo>>l]
	}
	s := da.SplitPoint(size)
	return da.MerkleInnerHash(t.root(lo, lo+s), t.root(lo+s, hi))
}

func (t *merkleTree) prove(index int) (MerkleProof, error) {
	if t.n < 1 || t.n > MaxMerkleLeaves || index < 0 || index >= t.n {
		return MerkleProof{}, fmt.Errorf("%w: leaf %d of a tree of %d leaves", ErrProofShape, index, t.n)
	}
	depth, _ := merkleDepth(index, t.n)
	aunts := make([][32]byte, depth)
	lo, hi := 0, t.n
	for d := 0; hi-lo > 1; d++ {
		s := lo + da.SplitPoint(hi-lo)
		// Top-down walk, aunts stored bottom-up.
		if index >= s {
			aunts[depth-1-d] = t.root(lo, s)
			lo = s
		} else {
			aunts[depth-1-d] = t.root(s, hi)
			hi = s
		}
	}
	return MerkleProof{Index: index, Total: t.n, Aunts: aunts}, nil
}

// ProveMerkle proves leaf index of the RFC-6962 tree over leafHashes
// (already hashed as SHA256(0x00 ‖ leaf)).
func ProveMerkle(leafHashes [][32]byte, index int) (MerkleProof, error) {
	if len(leafHashes) < 1 || len(leafHashes) > MaxMerkleLeaves {
		return MerkleProof{}, fmt.Errorf("%w: tree of %d leaves", ErrProofShape, len(leafHashes))
	}
	return newMerkleTree(leafHashes).prove(index)
}

// ProveRoot proves row or column root i of d to d's data root: index
// RootIndex(k, a, i), total 4k (SPEC §11.2). To prove many roots of one
// DAH, use a Prover.
func ProveRoot(d *DAH, a Axis, i int) (MerkleProof, error) {
	k := d.Width()
	if i < 0 || i >= 2*k || len(d.ColRoots) != 2*k {
		return MerkleProof{}, fmt.Errorf("%w: %s %d of a square of width %d", ErrProofShape, a, i, k)
	}
	return ProveMerkle(d.LeafHashes(), RootIndex(k, a, i))
}

// merkleLeafHash is SHA256(0x00 ‖ leaf), on the stack for leaves up to an
// NMT node's size.
func merkleLeafHash(leaf []byte) [32]byte {
	if len(leaf) > da.NMTNodeSize {
		return da.MerkleLeafHash(leaf)
	}
	var buf [1 + da.NMTNodeSize]byte
	n := copy(buf[1:], leaf)
	return sha256.Sum256(buf[:1+n])
}

// Verify checks that leaf (raw leaf data, such as a 90-byte row root,
// hashed as SHA256(0x00 ‖ leaf)) is leaf Index of the tree of Total leaves
// whose root is root. It does not allocate on success.
func (p *MerkleProof) Verify(root [32]byte, leaf []byte) error {
	if err := p.checkShape(); err != nil {
		return err
	}
	return p.verifyHash(root, merkleLeafHash(leaf))
}

// VerifyHash is Verify for a leaf already hashed.
func (p *MerkleProof) VerifyHash(root, leafHash [32]byte) error {
	if err := p.checkShape(); err != nil {
		return err
	}
	return p.verifyHash(root, leafHash)
}

// checkShape requires Total and Index in range and exactly as many aunts as
// the leaf's depth in a tree of Total leaves.
func (p *MerkleProof) checkShape() error {
	if p.Total < 1 || p.Total > MaxMerkleLeaves || p.Index < 0 || p.Index >= p.Total {
		return fmt.Errorf("%w: leaf %d of a tree of %d leaves", ErrProofShape, p.Index, p.Total)
	}
	if depth, _ := merkleDepth(p.Index, p.Total); len(p.Aunts) != depth {
		return fmt.Errorf("%w: %d aunts, want %d for leaf %d of %d", ErrProofShape, len(p.Aunts), depth, p.Index, p.Total)
	}
	return nil
}

func (p *MerkleProof) verifyHash(root, h [32]byte) error {
	depth, right := merkleDepth(p.Index, p.Total)
	for j, aunt := range p.Aunts {
		// Aunt j sits at depth depth-1-j from the top.
		if right&(1<<(depth-1-j)) != 0 {
			h = da.MerkleInnerHash(aunt, h)
		} else {
			h = da.MerkleInnerHash(h, aunt)
		}
	}
	if h != root {
		return fmt.Errorf("%w: leaf %d of %d", ErrProofRoot, p.Index, p.Total)
	}
	return nil
}

// maxEncodedAunts is the depth of a tree of 2^16 leaves: indexes and
// totals are encoded on 16 bits.
const maxEncodedAunts = 16

func (p *MerkleProof) appendBinary(b []byte) ([]byte, error) {
	if p.Index < 0 || p.Index > 0xFFFF || p.Total < 0 || p.Total > 0xFFFF || len(p.Aunts) > maxEncodedAunts {
		return nil, fmt.Errorf("%w: root proof for leaf %d of %d with %d aunts", ErrProofEncoding, p.Index, p.Total, len(p.Aunts))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(p.Index))
	b = binary.BigEndian.AppendUint16(b, uint16(p.Total))
	b = append(b, byte(len(p.Aunts)))
	for i := range p.Aunts {
		b = append(b, p.Aunts[i][:]...)
	}
	return b, nil
}

func (r *byteReader) merkleProof() MerkleProof {
	var p MerkleProof
	p.Index = r.u16("root proof index")
	p.Total = r.u16("root proof total")
	m := r.u8("aunt count")
	if m > maxEncodedAunts {
		r.fail("%d aunts, at most %d", m, maxEncodedAunts)
	}
	b := r.take(32*m, "aunts")
	if b == nil || m == 0 {
		return p
	}
	p.Aunts = decodeAunts(b, m)
	return p
}
