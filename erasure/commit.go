package erasure

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// Hashing of a square's row and column trees (SPEC §5, §6) for the
// Extender's phases (extender.go); AxisRoot shares the order check. Every tree
// over an EDS axis has 2k leaves, a power of two, so trees are perfect and
// are reduced level by level in place. An axis with index ≥ k, and the
// right half of any axis, holds only parity leaves: all their nodes carry
// the parity namespace on both sides (§5.3), so those subtrees are hashed
// from bare digests.

const (
	extNS      = da.NamespaceSize
	extLeafLen = 1 + extNS + da.ShareSize // 0x00 ‖ ns ‖ share
	extNodeLen = da.NMTNodeSize
)

// extWorker is one worker's scratch, reused across calls. Hashing goes
// straight to sha256.Sum256 on these buffers: no interface call, no
// allocation per hash.
type extWorker struct {
	q0Leaf  [extLeafLen]byte       // 0x00 ‖ ns ‖ share, ns rewritten per cell
	pLeaf   [extLeafLen]byte       // 0x00 ‖ parity ns ‖ share
	inner   [1 + 2*extNodeLen]byte // 0x01 ‖ left ‖ right
	pInner  [1 + 2*extNodeLen]byte // 0x01 ‖ P ‖ P ‖ left ‖ P ‖ P ‖ right
	vec     [2 * MaxWidth][]byte   // shard views for the codec
	sub     [2 * MaxWidth][]byte   // slices of vec coded at once
	nodes   [MaxWidth]da.NMTNode   // the Q0 half of an axis
	dig     [2 * MaxWidth][32]byte // one column's leaf digests
	scratch [MaxWidth][32]byte     // parity subtree levels
	colBuf  []byte                 // phase B codewords, see extJob.q0Columns
}

func newExtWorker() *extWorker {
	w := &extWorker{}
	w.pLeaf[0] = 0x00
	copy(w.pLeaf[1:], da.ParityNamespace[:])
	w.inner[0] = 0x01
	w.pInner[0] = 0x01
	for _, off := range []int{1, 1 + extNS, 1 + extNodeLen, 1 + extNodeLen + extNS} {
		copy(w.pInner[off:], da.ParityNamespace[:])
	}
	return w
}

// leafQ0 is the leaf digest of a Q0 cell: SHA256(0x00 ‖ ns ‖ share) with
// the share's own namespace (SPEC §5.2, §6).
func (w *extWorker) leafQ0(s *da.Share) [32]byte {
	copy(w.q0Leaf[1:], s[:extNS])
	copy(w.q0Leaf[1+extNS:], s[:])
	return sha256.Sum256(w.q0Leaf[:])
}

// leafParity is the leaf digest of a cell outside Q0: its namespace is the
// parity namespace.
func (w *extWorker) leafParity(s []byte) [32]byte {
	copy(w.pLeaf[1+extNS:], s)
	return sha256.Sum256(w.pLeaf[:])
}

// setLeafNode writes the leaf node ns ‖ ns ‖ digest.
func setLeafNode(n *da.NMTNode, ns []byte, d *[32]byte) {
	copy(n[:extNS], ns)
	copy(n[extNS:2*extNS], ns)
	copy(n[2*extNS:], d[:])
}

// setParityNode writes the node of a parity-only subtree: P ‖ P ‖ digest.
func setParityNode(n *da.NMTNode, d [32]byte) {
	copy(n[:extNS], da.ParityNamespace[:])
	copy(n[extNS:2*extNS], da.ParityNamespace[:])
	copy(n[2*extNS:], d[:])
}

// innerInto hashes two well-formed children (SPEC §5.3): min = l.min, max =
// r.max unless r.min is the parity namespace, then l.max. out may alias l
// or r.
func (w *extWorker) innerInto(out, l, r *da.NMTNode) {
	b := &w.inner
	copy(b[1:], l[:])
	copy(b[1+extNodeLen:], r[:])
	sum := sha256.Sum256(b[:])
	copy(out[:extNS], b[1:])
	if da.Namespace(b[1+extNodeLen:1+extNodeLen+extNS]) == da.ParityNamespace {
		copy(out[extNS:2*extNS], b[1+extNS:])
	} else {
		copy(out[extNS:2*extNS], b[1+extNodeLen+extNS:])
	}
	copy(out[2*extNS:], sum[:])
}

// parityRoot is the digest of the perfect tree over parity leaves with the
// given digests (a power of two of them). It does not modify leaves.
func (w *extWorker) parityRoot(leaves [][32]byte) [32]byte {
	n := len(leaves)
	if n == 1 {
		return leaves[0]
	}
	b := &w.pInner
	const l, r = 1 + 2*extNS, 1 + extNodeLen + 2*extNS
	lv := w.scratch[:n/2]
	for i := range lv {
		copy(b[l:], leaves[2*i][:])
		copy(b[r:], leaves[2*i+1][:])
		lv[i] = sha256.Sum256(b[:])
	}
	for n = len(lv); n > 1; n /= 2 {
		for i := range n / 2 {
			copy(b[l:], lv[2*i][:])
			copy(b[r:], lv[2*i+1][:])
			lv[i] = sha256.Sum256(b[:])
		}
	}
	return lv[0]
}

// q0Root computes into root the NMT root of an axis with index < k: nodes
// are the leaf nodes of its k Q0 cells (overwritten), parity the leaf
// digests of its k parity cells. The Q0 namespaces must not decrease
// (SPEC §5.4: nmt refuses such a push); the parity leaves sort last.
func (w *extWorker) q0Root(root *da.NMTNode, nodes []da.NMTNode, parity [][32]byte) error {
	if err := checkLeafOrder(nodes); err != nil {
		return err
	}
	for n := len(nodes); n > 1; n /= 2 {
		for i := range n / 2 {
			w.innerInto(&nodes[i], &nodes[2*i], &nodes[2*i+1])
		}
	}
	var right da.NMTNode
	setParityNode(&right, w.parityRoot(parity))
	w.innerInto(root, &nodes[0], &right)
	return nil
}

// checkLeafOrder reports the first leaf whose namespace is below the one
// before it, as nmt's push does (ErrInvalidPushOrder there). The error
// wraps da.ErrUnsortedNamespace and, as the reference tree builder's did,
// da.ErrNMTNode.
func checkLeafOrder(leaves []da.NMTNode) error {
	for i := 1; i < len(leaves); i++ {
		if bytes.Compare(leaves[i][:extNS], leaves[i-1][:extNS]) < 0 {
			return fmt.Errorf("%w (%w): cell %d namespace %x below cell %d namespace %x",
				da.ErrUnsortedNamespace, da.ErrNMTNode, i, leaves[i][:extNS], i-1, leaves[i-1][:extNS])
		}
	}
	return nil
}
