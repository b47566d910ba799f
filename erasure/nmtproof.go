package erasure

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/tartan-da/tartan/da"
)

// NMT range, inclusion and namespace proofs (SPEC §11.1), in the shape of
// celestiaorg/nmt's Proof: the nodes are the roots of the maximal subtrees
// lying wholly outside [Start, End), left to right by tree position.

// MaxProofLeaves bounds the size of a tree an NMT proof may claim: the
// widest axis of the largest square. Every tree Tartan proves against is a
// row or column of an EDS.
const MaxProofLeaves = 2 * MaxWidth

// Errors from building and checking proofs; wrapped with details, test with
// errors.Is. A peer that sends a proof failing with any of them sent a bad
// proof: discard the answer and penalise the peer.
var (
	// ErrProofShape: the proof's range, tree size or node count cannot
	// belong to a proof of that kind, or a node is malformed (min > max,
	// children out of namespace order).
	ErrProofShape = errors.New("erasure: proof of the wrong shape")
	// ErrProofRoot: the proof is well formed but does not hash to the root.
	ErrProofRoot = errors.New("erasure: proof does not match the root")
	// ErrNamespaceIncomplete: a namespace proof leaves room for shares of
	// the namespace outside the proven range.
	ErrNamespaceIncomplete = errors.New("erasure: namespace proof is not complete")
	// ErrProofEncoding: bytes that do not decode to a proof or sample.
	ErrProofEncoding = errors.New("erasure: malformed proof encoding")
)

// NMTProof proves the leaves [Start, End) of a namespaced Merkle tree.
// Nodes are the roots of the maximal subtrees outside the range, left to
// right by position (not bottom-up). LeafHash is set only on absence proofs:
// the leaf node of the first leaf whose namespace is above the one queried.
// An empty proof (Start = End = 0, no nodes) says a namespace lies outside
// the root's range.
type NMTProof struct {
	Start, End int
	Nodes      []da.NMTNode
	LeafHash   *da.NMTNode
}

// IsEmpty reports whether p is the empty namespace proof.
func (p *NMTProof) IsEmpty() bool {
	return p.Start == 0 && p.End == 0 && len(p.Nodes) == 0 && p.LeafHash == nil
}

// maxRangeNodes is the largest number of nodes a range proof in a tree of n
// leaves can hold: at most one per level on each side of the range.
func maxRangeNodes(n int) int {
	if n <= 1 {
		return 0
	}
	return 2 * bits.Len(uint(n-1))
}

// nmtTree caches the roots of the aligned perfect subtrees of a tree, so
// that many proofs over one axis cost little hashing after the first.
// levels[l][i] is the root of leaves [i·2^l, (i+1)·2^l). A tree kept by a
// Prover drops the levels below base and rehashes those few nodes from the
// EDS on demand, which cuts its memory to a quarter.
type nmtTree struct {
	levels [][]da.NMTNode // nil below base
	n      int
	base   int
	// Where leaves come from when base > 0: cells of one axis of an EDS.
	eds  *EDS
	axis Axis
	idx  int
}

func (t *nmtTree) cell(i int) *da.Share {
	if t.axis == Row {
		return t.eds.Cell(t.idx, i)
	}
	return t.eds.Cell(i, t.idx)
}

// leaf is leaf node i.
func (t *nmtTree) leaf(i int) da.NMTNode {
	if t.base == 0 {
		return t.levels[0][i]
	}
	var out da.NMTNode
	c := t.cell(i)
	ns := LeafNamespace(t.eds.k, t.idx, i, c)
	hashShareLeaf(&out, &ns, c)
	return out
}

// leafNS is the namespace of leaf i.
func (t *nmtTree) leafNS(i int) da.Namespace {
	if t.base == 0 {
		return da.Namespace(t.levels[0][i][:da.NamespaceSize])
	}
	return LeafNamespace(t.eds.k, t.idx, i, t.cell(i))
}

// dropLow keeps only the levels from base up, in one new allocation, and
// takes leaves from axis idx of e from then on.
func (t *nmtTree) dropLow(base int, e *EDS, a Axis, idx int) {
	base = min(base, len(t.levels)-1)
	if base <= 0 {
		return
	}
	size := 0
	for _, l := range t.levels[base:] {
		size += len(l)
	}
	store := make([]da.NMTNode, size)
	for l := range t.levels {
		if l < base {
			t.levels[l] = nil
			continue
		}
		n := copy(store, t.levels[l])
		t.levels[l] = store[:n:n]
		store = store[n:]
	}
	t.base, t.eds, t.axis, t.idx = base, e, a, idx
}

// newNMTTree checks that leaves are well formed and sorted (each leaf's
// min ≥ the previous leaf's max, so every inner node is valid) and hashes
// all perfect subtrees. It keeps leaves without copying.
func newNMTTree(h *da.NMTHasher, leaves []da.NMTNode) (*nmtTree, error) {
	n := len(leaves)
	if n == 0 || n > MaxProofLeaves {
		return nil, fmt.Errorf("%w: tree of %d leaves (want 1..%d)", ErrProofShape, n, MaxProofLeaves)
	}
	for i := range leaves {
		if err := leaves[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: leaf %d: %w", ErrProofShape, i, err)
		}
		if i > 0 && bytes.Compare(leaves[i][:da.NamespaceSize], leaves[i-1][da.NamespaceSize:2*da.NamespaceSize]) < 0 {
			return nil, fmt.Errorf("%w: leaf %d: %w", ErrProofShape, i, da.ErrUnsortedNamespace)
		}
	}
	t := &nmtTree{n: n, levels: [][]da.NMTNode{leaves}}
	// One allocation for all inner levels.
	store := make([]da.NMTNode, n)
	for cur := leaves; len(cur) >= 2; {
		next := store[: len(cur)/2 : len(cur)/2]
		store = store[len(cur)/2:]
		for i := range next {
			h.InnerInto(&next[i], &cur[2*i], &cur[2*i+1])
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t, nil
}

// root is the root of the subtree over [lo, hi), which must be a subtree of
// the tree's shape (left-full splits, SPEC §1). It reads the cache only,
// hashing on the stack for the few subtrees that are not perfect, so a
// built tree serves proofs to many goroutines at once.
func (t *nmtTree) root(lo, hi int) da.NMTNode {
	size := hi - lo
	if size == 1 {
		return t.leaf(lo)
	}
	if size&(size-1) == 0 && lo%size == 0 {
		if l := bits.TrailingZeros(uint(size)); l >= t.base {
			return t.levels[l][lo>>l]
		}
	}
	s := da.SplitPoint(size)
	l := t.root(lo, lo+s)
	r := t.root(lo+s, hi)
	var out da.NMTNode
	// Children from sorted leaves are always in order.
	_ = checkedInner(&out, &l, &r)
	return out
}

// prove appends the nodes of the range proof for [start, end) in the
// subtree [lo, hi), in traversal order.
func (t *nmtTree) prove(dst []da.NMTNode, lo, hi, start, end int) []da.NMTNode {
	if hi <= start || lo >= end {
		return append(dst, t.root(lo, hi))
	}
	if lo >= start && hi <= end {
		return dst
	}
	s := da.SplitPoint(hi - lo)
	dst = t.prove(dst, lo, lo+s, start, end)
	return t.prove(dst, lo+s, hi, start, end)
}

func (t *nmtTree) proveRange(start, end int) (NMTProof, error) {
	if start < 0 || end > t.n || start >= end {
		return NMTProof{}, fmt.Errorf("%w: range [%d,%d) in a tree of %d leaves", ErrProofShape, start, end, t.n)
	}
	nodes := t.prove(make([]da.NMTNode, 0, maxRangeNodes(t.n)), 0, t.n, start, end)
	return NMTProof{Start: start, End: end, Nodes: nodes}, nil
}

// proveNamespace builds the namespace proof for ns (SPEC §11.1): the range
// of leaves with namespace ns; else, when ns lies inside the root's range,
// an absence proof on the first leaf above ns; else the empty proof.
func (t *nmtTree) proveNamespace(ns *da.Namespace) (NMTProof, error) {
	if *ns == da.ParityNamespace {
		return NMTProof{}, fmt.Errorf("%w: cannot prove the parity namespace", ErrProofShape)
	}
	root := t.root(0, t.n)
	if bytes.Compare(ns[:], root[:da.NamespaceSize]) < 0 || bytes.Compare(ns[:], root[da.NamespaceSize:2*da.NamespaceSize]) > 0 {
		return NMTProof{}, nil
	}
	// Leaves are sorted by namespace: find the first at or above ns.
	lo, hi := 0, t.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if mns := t.leafNS(m); bytes.Compare(mns[:], ns[:]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	start := lo
	end := start
	for end < t.n && t.leafNS(end) == *ns {
		end++
	}
	if end > start {
		return t.proveRange(start, end)
	}
	// ns ≤ root max (the largest non-parity namespace), so a leaf above ns
	// exists.
	p, err := t.proveRange(start, start+1)
	if err != nil {
		return p, err
	}
	leaf := t.leaf(start)
	p.LeafHash = &leaf
	return p, nil
}

// ProveRange proves leaves [start, end) of the tree whose hashed leaves are
// given (for an EDS axis, AxisLeaves). The leaves must be sorted by
// namespace; the proof does not alias them.
func ProveRange(h *da.NMTHasher, leaves []da.NMTNode, start, end int) (NMTProof, error) {
	t, err := newNMTTree(h, leaves)
	if err != nil {
		return NMTProof{}, err
	}
	return t.proveRange(start, end)
}

// ProveNamespace proves which leaves of the tree carry namespace ns, in a
// form whose verification (VerifyNamespace) shows that no other leaf does:
// a presence proof over the whole run of ns, an absence proof when ns falls
// inside the root's range but has no leaf, or the empty proof when ns lies
// outside the root's range.
func ProveNamespace(h *da.NMTHasher, leaves []da.NMTNode, ns da.Namespace) (NMTProof, error) {
	t, err := newNMTTree(h, leaves)
	if err != nil {
		return NMTProof{}, err
	}
	return t.proveNamespace(&ns)
}

// nmtVerifier rebuilds a root from a proof, consuming the proof's nodes in
// traversal order. The leaves in range come from leaves, or are hashed from
// shares under leafNS. With complete set, every node left of the range must
// have max < ns and every node right of it min > ns; checking this on the
// node's actual position, found by the walk itself, is what rejects proofs
// whose left nodes run out before start (GHSA-r9fq-g486-v8pg).
type nmtVerifier struct {
	nodes      []da.NMTNode
	next       int
	start, end int
	leaves     []da.NMTNode
	shares     []da.Share
	one        *da.Share // the single share of a sample, without a slice
	leafNS     *da.Namespace
	complete   bool
	ns         *da.Namespace
}

func (v *nmtVerifier) leaf(i int) da.NMTNode {
	if v.leaves != nil {
		return v.leaves[i]
	}
	s := v.one
	if s == nil {
		s = &v.shares[i]
	}
	// Hashed on the stack, not through v.h: a hash.Hash interface call
	// would move the share and its sample to the heap.
	var out da.NMTNode
	hashShareLeaf(&out, v.leafNS, s)
	return out
}

func (v *nmtVerifier) walk(lo, hi int) (da.NMTNode, error) {
	if hi <= v.start || lo >= v.end {
		if v.next >= len(v.nodes) {
			return da.NMTNode{}, fmt.Errorf("%w: proof nodes run out at leaves [%d,%d)", ErrProofShape, lo, hi)
		}
		n := &v.nodes[v.next]
		v.next++
		if v.complete {
			if hi <= v.start && bytes.Compare(n[da.NamespaceSize:2*da.NamespaceSize], v.ns[:]) >= 0 {
				return da.NMTNode{}, fmt.Errorf("%w: node for leaves [%d,%d) left of the range has max namespace %x ≥ %x", ErrNamespaceIncomplete, lo, hi, n.Max(), *v.ns)
			}
			if lo >= v.end && bytes.Compare(n[:da.NamespaceSize], v.ns[:]) <= 0 {
				return da.NMTNode{}, fmt.Errorf("%w: node for leaves [%d,%d) right of the range has min namespace %x ≤ %x", ErrNamespaceIncomplete, lo, hi, n.Min(), *v.ns)
			}
		}
		return *n, nil
	}
	if hi-lo == 1 {
		return v.leaf(lo - v.start), nil
	}
	s := da.SplitPoint(hi - lo)
	l, err := v.walk(lo, lo+s)
	if err != nil {
		return l, err
	}
	r, err := v.walk(lo+s, hi)
	if err != nil {
		return r, err
	}
	var out da.NMTNode
	if err := checkedInner(&out, &l, &r); err != nil {
		return out, fmt.Errorf("%w: leaves [%d,%d): %w", ErrProofShape, lo, hi, err)
	}
	return out, nil
}

// checkedInner hashes two untrusted children (SPEC §5.3) on the stack,
// after the checks of da.NMTHasher.Inner: each child min ≤ max, and
// r.min ≥ l.max.
func checkedInner(out, l, r *da.NMTNode) error {
	const ns = da.NamespaceSize
	if bytes.Compare(l[:ns], l[ns:2*ns]) > 0 || bytes.Compare(r[:ns], r[ns:2*ns]) > 0 {
		return fmt.Errorf("%w: child min namespace above max", da.ErrNMTNode)
	}
	if bytes.Compare(r[:ns], l[ns:2*ns]) < 0 {
		// Copies, so that l and r stay on the caller's stack.
		return fmt.Errorf("%w: right child min %x below left child max %x", da.ErrNMTNode, r.Min(), l.Max())
	}
	var buf [1 + 2*da.NMTNodeSize]byte
	buf[0] = 0x01
	copy(buf[1:], l[:])
	copy(buf[1+da.NMTNodeSize:], r[:])
	sum := sha256.Sum256(buf[:])
	copy(out[:ns], l[:ns])
	if da.Namespace(r[:ns]) == da.ParityNamespace {
		copy(out[ns:2*ns], l[ns:2*ns])
	} else {
		copy(out[ns:2*ns], r[ns:2*ns])
	}
	copy(out[2*ns:], sum[:])
	return nil
}

// validNode is da.NMTNode.Validate without letting n escape (the error
// holds copies), so that verifying a sample on the stack allocates nothing.
func validNode(n *da.NMTNode) error {
	if bytes.Compare(n[:da.NamespaceSize], n[da.NamespaceSize:2*da.NamespaceSize]) > 0 {
		return fmt.Errorf("%w: min namespace %x above max %x", da.ErrNMTNode, n.Min(), n.Max())
	}
	return nil
}

// hashShareLeaf is da.NMTHasher.Leaf for a share, without a hasher:
// ns ‖ ns ‖ SHA256(0x00 ‖ ns ‖ share) (SPEC §5.2).
func hashShareLeaf(out *da.NMTNode, ns *da.Namespace, s *da.Share) {
	var buf [1 + da.NamespaceSize + da.ShareSize]byte
	copy(buf[1:], ns[:])
	copy(buf[1+da.NamespaceSize:], s[:])
	sum := sha256.Sum256(buf[:])
	copy(out[:da.NamespaceSize], ns[:])
	copy(out[da.NamespaceSize:], ns[:])
	copy(out[2*da.NamespaceSize:], sum[:])
}

// checkShape validates everything that can be checked before hashing: the
// tree size, the range, the node count and every node's format.
func (p *NMTProof) checkShape(root *da.NMTNode, total, nLeaves int) error {
	if total < 1 || total > MaxProofLeaves {
		return fmt.Errorf("%w: tree of %d leaves (want 1..%d)", ErrProofShape, total, MaxProofLeaves)
	}
	if p.Start < 0 || p.End > total || p.Start >= p.End {
		return fmt.Errorf("%w: range [%d,%d) in a tree of %d leaves", ErrProofShape, p.Start, p.End, total)
	}
	if nLeaves != p.End-p.Start {
		return fmt.Errorf("%w: %d leaves for range [%d,%d)", ErrProofShape, nLeaves, p.Start, p.End)
	}
	if len(p.Nodes) > maxRangeNodes(total) {
		return fmt.Errorf("%w: %d nodes, at most %d in a tree of %d leaves", ErrProofShape, len(p.Nodes), maxRangeNodes(total), total)
	}
	if err := validNode(root); err != nil {
		return fmt.Errorf("%w: root: %w", ErrProofShape, err)
	}
	for i := range p.Nodes {
		if err := p.Nodes[i].Validate(); err != nil {
			return fmt.Errorf("%w: node %d: %w", ErrProofShape, i, err)
		}
	}
	return nil
}

func (p *NMTProof) run(v *nmtVerifier, root *da.NMTNode, total int) error {
	v.nodes, v.start, v.end = p.Nodes, p.Start, p.End
	got, err := v.walk(0, total)
	if err != nil {
		return err
	}
	if v.next != len(v.nodes) {
		return fmt.Errorf("%w: %d proof nodes, %d used", ErrProofShape, len(v.nodes), v.next)
	}
	if got != *root {
		return fmt.Errorf("%w: range [%d,%d) of %d leaves", ErrProofRoot, p.Start, p.End, total)
	}
	return nil
}

// VerifyLeaves checks that leaves, already hashed, are the leaves
// [Start, End) of the tree of total leaves with the given root. It is an
// inclusion check only (no namespace completeness); an absence proof is
// rejected.
//
// Verifiers hash on the stack rather than through a da.NMTHasher: through
// a hash.Hash the shares would escape to the heap.
func (p *NMTProof) VerifyLeaves(root *da.NMTNode, total int, leaves []da.NMTNode) error {
	if p.LeafHash != nil {
		return fmt.Errorf("%w: absence proof used as an inclusion proof", ErrProofShape)
	}
	if err := p.checkShape(root, total, len(leaves)); err != nil {
		return err
	}
	for i := range leaves {
		if err := leaves[i].Validate(); err != nil {
			return fmt.Errorf("%w: leaf %d: %w", ErrProofShape, i, err)
		}
	}
	v := nmtVerifier{leaves: leaves}
	return p.run(&v, root, total)
}

// VerifyShares checks that shares, each pushed as ns ‖ share (SPEC §6: the
// share's own namespace in Q0, ParityNamespace elsewhere), are the leaves
// [Start, End) of the tree of total leaves with the given root. Inclusion
// only. It allocates nothing on success.
func (p *NMTProof) VerifyShares(root *da.NMTNode, total int, ns da.Namespace, shares []da.Share) error {
	if p.LeafHash != nil {
		return fmt.Errorf("%w: absence proof used as an inclusion proof", ErrProofShape)
	}
	if err := p.checkShape(root, total, len(shares)); err != nil {
		return err
	}
	v := nmtVerifier{shares: shares, leafNS: &ns}
	return p.run(&v, root, total)
}

// VerifyNamespace checks a namespace proof (SPEC §11.1) against a row root
// of a tree of total leaves: that shares are exactly all the leaves with
// namespace ns. For a presence proof, shares are the shares of ns in order
// (each must start with ns); for an absence or empty proof, shares must be
// empty. Beyond nmt's checks it requires every node and the root to be well
// formed, bounds the node count before hashing, takes completeness from
// the nodes' real positions (GHSA-r9fq-g486-v8pg) and requires an absence
// proof's leaf to be a leaf node (min = max).
func (p *NMTProof) VerifyNamespace(root *da.NMTNode, total int, ns da.Namespace, shares []da.Share) error {
	if err := root.Validate(); err != nil {
		return fmt.Errorf("%w: root: %w", ErrProofShape, err)
	}
	if ns == da.ParityNamespace {
		return fmt.Errorf("%w: namespace proofs of the parity namespace", ErrProofShape)
	}
	if p.IsEmpty() {
		if len(shares) != 0 {
			return fmt.Errorf("%w: empty proof with %d shares", ErrProofShape, len(shares))
		}
		if *root == da.EmptyNMTRoot() || bytes.Compare(ns[:], root[:da.NamespaceSize]) < 0 || bytes.Compare(ns[:], root[da.NamespaceSize:2*da.NamespaceSize]) > 0 {
			return nil
		}
		return fmt.Errorf("%w: empty proof but namespace %x lies inside the root's range", ErrNamespaceIncomplete, ns[:])
	}
	v := nmtVerifier{complete: true, ns: &ns}
	if p.LeafHash != nil {
		if len(shares) != 0 {
			return fmt.Errorf("%w: absence proof with %d shares", ErrProofShape, len(shares))
		}
		lh := p.LeafHash
		if err := lh.Validate(); err != nil {
			return fmt.Errorf("%w: absence leaf: %w", ErrProofShape, err)
		}
		if lh.Min() != lh.Max() {
			return fmt.Errorf("%w: absence leaf is not a leaf node (min ≠ max)", ErrProofShape)
		}
		if bytes.Compare(lh[:da.NamespaceSize], ns[:]) <= 0 {
			return fmt.Errorf("%w: absence leaf namespace %x not above %x", ErrNamespaceIncomplete, lh[:da.NamespaceSize], ns[:])
		}
		if err := p.checkShape(root, total, 1); err != nil {
			return err
		}
		v.leaves = []da.NMTNode{*lh}
		return p.run(&v, root, total)
	}
	if err := p.checkShape(root, total, len(shares)); err != nil {
		return err
	}
	for i := range shares {
		if da.Namespace(shares[i][:da.NamespaceSize]) != ns {
			return fmt.Errorf("%w: share %d has namespace %x, want %x", ErrProofShape, i, shares[i][:da.NamespaceSize], ns[:])
		}
	}
	v.shares, v.leafNS = shares, &ns
	return p.run(&v, root, total)
}

// Binary form of proofs inside the versioned containers of this package
// (namespace data, blob proofs). Integers are big-endian:
//
//	NMTProof:    start(2) ‖ end(2) ‖ hasLeafHash(1) ‖ [leafHash(90)] ‖ count(1) ‖ nodes(90·count)
//	MerkleProof: index(2) ‖ total(2) ‖ count(1) ‖ aunts(32·count)
const maxEncodedNodes = 2 * 10 // maxRangeNodes(MaxProofLeaves)

func (p *NMTProof) appendBinary(b []byte) ([]byte, error) {
	if p.Start < 0 || p.Start > MaxProofLeaves || p.End < 0 || p.End > MaxProofLeaves || len(p.Nodes) > maxEncodedNodes {
		return nil, fmt.Errorf("%w: proof [%d,%d) with %d nodes", ErrProofEncoding, p.Start, p.End, len(p.Nodes))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(p.Start))
	b = binary.BigEndian.AppendUint16(b, uint16(p.End))
	if p.LeafHash != nil {
		b = append(b, 1)
		b = append(b, p.LeafHash[:]...)
	} else {
		b = append(b, 0)
	}
	b = append(b, byte(len(p.Nodes)))
	for i := range p.Nodes {
		b = append(b, p.Nodes[i][:]...)
	}
	return b, nil
}

// byteReader reads a container, remembering the first error so decoders
// can read a whole record and check once. Every length is checked against
// what is left before anything is allocated.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: %s needs %d bytes, %d left", ErrProofEncoding, what, n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) u8(what string) int {
	if b := r.take(1, what); b != nil {
		return int(b[0])
	}
	return 0
}

func (r *byteReader) u16(what string) int {
	if b := r.take(2, what); b != nil {
		return int(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *byteReader) u32(what string) int {
	if b := r.take(4, what); b != nil {
		return int(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (r *byteReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrProofEncoding}, args...)...)
	}
}

func (r *byteReader) node(what string) da.NMTNode {
	var n da.NMTNode
	if b := r.take(da.NMTNodeSize, what); b != nil {
		copy(n[:], b)
		if err := validNode(&n); err != nil {
			r.fail("%s: %w", what, err)
		}
	}
	return n
}

// done fails when bytes remain.
func (r *byteReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrProofEncoding, len(r.b))
	}
	return r.err
}

func (r *byteReader) nmtProof() NMTProof {
	var p NMTProof
	p.Start = r.u16("proof start")
	p.End = r.u16("proof end")
	if p.Start > MaxProofLeaves || p.End > MaxProofLeaves {
		r.fail("proof range [%d,%d) beyond %d leaves", p.Start, p.End, MaxProofLeaves)
	}
	switch r.u8("leaf hash flag") {
	case 0:
	case 1:
		lh := r.node("absence leaf")
		p.LeafHash = &lh
	default:
		r.fail("leaf hash flag not 0 or 1")
	}
	n := r.u8("node count")
	if n > maxEncodedNodes {
		r.fail("%d proof nodes, at most %d", n, maxEncodedNodes)
	}
	if r.err != nil || n*da.NMTNodeSize > len(r.b) {
		r.take(n*da.NMTNodeSize, "proof nodes")
		return p
	}
	if n > 0 {
		p.Nodes = make([]da.NMTNode, n)
		for i := range p.Nodes {
			p.Nodes[i] = r.node("proof node")
		}
	}
	return p
}
