package da

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
)

// NMT node format and hashing (SPEC §5). Trees over squares, proofs and
// their verification live in package erasure; the hashing rules live here
// because blob commitments (this package) hash NMT subtrees too.

// NMTNodeSize is the size of every NMT node: minNs ‖ maxNs ‖ digest.
const NMTNodeSize = 2*NamespaceSize + sha256.Size // 90

const (
	nmtLeafPrefix = 0x00
	nmtNodePrefix = 0x01
)

// ErrNMTNode reports a malformed NMT node: min > max, or children whose
// namespace ranges overlap in the wrong order.
var ErrNMTNode = errors.New("da: malformed NMT node")

// NMTNode is a leaf or inner node of a namespaced Merkle tree; row roots,
// column roots and blob subtree roots are NMTNodes.
type NMTNode [NMTNodeSize]byte

// NMTNodeFromBytes copies b into a node after checking its length and that
// min ≤ max.
func NMTNodeFromBytes(b []byte) (NMTNode, error) {
	var n NMTNode
	if len(b) != NMTNodeSize {
		return n, fmt.Errorf("%w: %d bytes, want %d", ErrNMTNode, len(b), NMTNodeSize)
	}
	copy(n[:], b)
	return n, n.Validate()
}

// Min is the smallest namespace under the node.
func (n *NMTNode) Min() Namespace { return Namespace(n[:NamespaceSize]) }

// Max is the largest namespace under the node, ignoring parity (§5.3).
func (n *NMTNode) Max() Namespace { return Namespace(n[NamespaceSize : 2*NamespaceSize]) }

// Digest is the node's SHA-256 digest.
func (n *NMTNode) Digest() [32]byte { return [32]byte(n[2*NamespaceSize:]) }

// Validate checks min ≤ max.
func (n *NMTNode) Validate() error {
	if bytes.Compare(n[:NamespaceSize], n[NamespaceSize:2*NamespaceSize]) > 0 {
		return fmt.Errorf("%w: min namespace %x above max %x", ErrNMTNode, n[:NamespaceSize], n[NamespaceSize:2*NamespaceSize])
	}
	return nil
}

// EmptyNMTRoot is the root of a tree with no leaves: zero namespaces and
// SHA256("").
func EmptyNMTRoot() NMTNode {
	var n NMTNode
	d := sha256.Sum256(nil)
	copy(n[2*NamespaceSize:], d[:])
	return n
}

// NMTHasher hashes NMT leaves and inner nodes with Celestia's settings
// (namespace size 29, IgnoreMaxNamespace on). It keeps its SHA-256 state
// between calls, so hashing allocates nothing; it is not safe for
// concurrent use: give each goroutine its own.
type NMTHasher struct {
	h   hash.Hash
	buf [1 + 2*NMTNodeSize]byte
	sum [sha256.Size]byte
}

// NewNMTHasher returns a hasher ready to use.
func NewNMTHasher() *NMTHasher { return &NMTHasher{h: sha256.New()} }

// Leaf hashes the leaf whose data is ns ‖ data: the node is
// ns ‖ ns ‖ SHA256(0x00 ‖ ns ‖ data). For a square's cell, data is the
// 512-byte share and ns is its namespace (Q0) or ParityNamespace (SPEC §6).
func (h *NMTHasher) Leaf(ns *Namespace, data []byte) NMTNode {
	var n NMTNode
	h.LeafInto(&n, ns, data)
	return n
}

// LeafInto is Leaf writing into out.
func (h *NMTHasher) LeafInto(out *NMTNode, ns *Namespace, data []byte) {
	h.buf[0] = nmtLeafPrefix
	copy(h.buf[1:], ns[:])
	h.h.Reset()
	h.h.Write(h.buf[:1+NamespaceSize])
	h.h.Write(data)
	h.h.Sum(h.sum[:0])
	copy(out[:NamespaceSize], ns[:])
	copy(out[NamespaceSize:], ns[:])
	copy(out[2*NamespaceSize:], h.sum[:])
}

// Inner hashes two children after checking they are well formed and in
// namespace order (r.min ≥ l.max). Use it on nodes from untrusted proofs.
func (h *NMTHasher) Inner(l, r *NMTNode) (NMTNode, error) {
	var n NMTNode
	if err := l.Validate(); err != nil {
		return n, err
	}
	if err := r.Validate(); err != nil {
		return n, err
	}
	if bytes.Compare(r[:NamespaceSize], l[NamespaceSize:2*NamespaceSize]) < 0 {
		return n, fmt.Errorf("%w: right child min %x below left child max %x", ErrNMTNode, r[:NamespaceSize], l[NamespaceSize:2*NamespaceSize])
	}
	h.InnerInto(&n, l, r)
	return n, nil
}

// InnerInto hashes two children known to be well formed (built locally
// from sorted leaves) into out: digest = SHA256(0x01 ‖ l ‖ r), min = l.min,
// max = r.max unless r.min is the parity namespace, then l.max (§5.3).
func (h *NMTHasher) InnerInto(out, l, r *NMTNode) {
	h.buf[0] = nmtNodePrefix
	copy(h.buf[1:], l[:])
	copy(h.buf[1+NMTNodeSize:], r[:])
	sum := sha256.Sum256(h.buf[:])
	copy(out[:NamespaceSize], l[:NamespaceSize])
	if Namespace(r[:NamespaceSize]) == ParityNamespace {
		copy(out[NamespaceSize:2*NamespaceSize], l[NamespaceSize:2*NamespaceSize])
	} else {
		copy(out[NamespaceSize:2*NamespaceSize], r[NamespaceSize:2*NamespaceSize])
	}
	copy(out[2*NamespaceSize:], sum[:])
}

// NMTRoot computes the root over leaf nodes already hashed, splitting as
// SPEC §1 says (largest power of two strictly below n). It checks namespace
// order, so it also serves untrusted leaves. Zero leaves give EmptyNMTRoot.
func (h *NMTHasher) NMTRoot(leaves []NMTNode) (NMTNode, error) {
	switch len(leaves) {
	case 0:
		return EmptyNMTRoot(), nil
	case 1:
		return leaves[0], leaves[0].Validate()
	}
	s := SplitPoint(len(leaves))
	l, err := h.NMTRoot(leaves[:s])
	if err != nil {
		return l, err
	}
	r, err := h.NMTRoot(leaves[s:])
	if err != nil {
		return r, err
	}
	return h.Inner(&l, &r)
}

// SplitPoint is the size of the left subtree of a tree over n ≥ 2 leaves:
// the largest power of two strictly less than n (SPEC §1).
func SplitPoint(n int) int {
	if n < 2 {
		return 0
	}
	p := 1
	for p*2 < n {
		p *= 2
	}
	return p
}
