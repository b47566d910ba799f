package erasure

import (
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// DAH is the data availability header: the 2k row roots and 2k column roots
// of an EDS. Its hash is the data root.
type DAH struct {
	RowRoots []da.NMTNode
	ColRoots []da.NMTNode
}

// Width is k, the ODS width the DAH describes.
func (d *DAH) Width() int { return len(d.RowRoots) / 2 }

// Validate checks that the DAH has 2k row roots and 2k column roots for an
// allowed k and that every root is well formed.
func (d *DAH) Validate() error {
	n := len(d.RowRoots)
	if n != len(d.ColRoots) || n%2 != 0 || !ValidWidth(n/2) {
		return fmt.Errorf("%w: %d row roots and %d column roots", ErrWidth, len(d.RowRoots), len(d.ColRoots))
	}
	for i := range d.RowRoots {
		if err := d.RowRoots[i].Validate(); err != nil {
			return fmt.Errorf("row root %d: %w", i, err)
		}
		if err := d.ColRoots[i].Validate(); err != nil {
			return fmt.Errorf("column root %d: %w", i, err)
		}
	}
	return nil
}

// Root is the root of row or column i.
func (d *DAH) Root(a Axis, i int) *da.NMTNode {
	if a == Row {
		return &d.RowRoots[i]
	}
	return &d.ColRoots[i]
}

// RootIndex is the position of an axis root among the data root's 4k
// leaves: rows first, then columns (SPEC §8, §11.2).
func RootIndex(k int, a Axis, i int) int {
	if a == Row {
		return i
	}
	return 2*k + i
}

// LeafHashes are the RFC-6962 leaf hashes of the 4k roots, in data-root
// order.
func (d *DAH) LeafHashes() [][32]byte {
	out := make([][32]byte, 0, len(d.RowRoots)+len(d.ColRoots))
	for i := range d.RowRoots {
		out = append(out, da.MerkleLeafHash(d.RowRoots[i][:]))
	}
	for i := range d.ColRoots {
		out = append(out, da.MerkleLeafHash(d.ColRoots[i][:]))
	}
	return out
}

// DataRoot is the RFC-6962 root over row roots then column roots.
func (d *DAH) DataRoot() [32]byte { return da.MerkleRootOfHashes(d.LeafHashes()) }

// AxisRoot computes the NMT root of one row or column of a square of width
// k from its 2k cells. It fails, naming the axis and index, if Q0
// namespaces are out of order (da.ErrUnsortedNamespace, SPEC §5.4).
func AxisRoot(h *da.NMTHasher, k int, a Axis, idx int, cells []da.Share) (da.NMTNode, error) {
	leaves := AxisLeaves(h, k, idx, cells, nil)
	if err := checkLeafOrder(leaves); err != nil {
		return da.NMTNode{}, fmt.Errorf("erasure: %s %d: %w", a, idx, err)
	}
	n := len(leaves)
	if n == 0 || n&(n-1) != 0 {
		// Not an EDS axis: the general (unbalanced) tree.
		root, err := h.NMTRoot(leaves)
		if err != nil {
			return root, fmt.Errorf("erasure: %s %d: %w", a, idx, err)
		}
		return root, nil
	}
	// Sorted leaves make every inner node well formed: reduce the perfect
	// tree in place without re-checking each pair.
	for ; n > 1; n /= 2 {
		for i := range n / 2 {
			h.InnerInto(&leaves[i], &leaves[2*i], &leaves[2*i+1])
		}
	}
	return leaves[0], nil
}

// AxisLeaves hashes the 2k cells of axis index idx into NMT leaf nodes,
// appending to dst.
func AxisLeaves(h *da.NMTHasher, k, idx int, cells []da.Share, dst []da.NMTNode) []da.NMTNode {
	for pos := range cells {
		ns := LeafNamespace(k, idx, pos, &cells[pos])
		dst = append(dst, h.Leaf(&ns, cells[pos][:]))
	}
	return dst
}

// Commit computes the DAH of an EDS, hashing each cell once and spreading
// the work over the CPU cores. It fails, naming the axis and index, if a Q0
// row or column has namespaces out of order (da.ErrUnsortedNamespace). A
// caller committing many squares should keep an Extender instead.
func Commit(e *EDS) (*DAH, error) {
	return NewExtender(0).Commit(e)
}
