package erasure

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/tartan-da/tartan/da"
)

// A batch of samples on the wire (the p2p samples answer), version 2.
// Most of a sample's bytes after its share are proof nodes, and much of
// those is redundant, within a node or across a batch:
//
//   - Outside the original quadrant every NMT node is min = max = the
//     parity namespace, and in the original quadrant a subtree inside one
//     blob has min = max. A node is written as a 2-bit tag and only the
//     namespaces it needs.
//   - Samples of one height share the upper levels of the data-root tree,
//     so root-proof aunts are written once in a table and referenced by
//     index (one byte while the table has at most 256 entries, else two).
//   - A sample's proof shape follows from its cell and the width k, so
//     ranges, indexes and counts are not written: the batch only holds
//     samples of that canonical shape, the only ones Sample.Verify takes.
//
// Integers are big-endian; n = log2(2k) proof nodes and m = log2(4k)
// aunts a sample:
//
//	batch  = version(1)=2 ‖ k(2) ‖ count(2) ‖ tableLen(2) ‖ table(32·tableLen) ‖ count × sample
//	sample = axis(1) ‖ row(2) ‖ col(2) ‖ share(512) ‖ tags(⌈(1+n)/4⌉) ‖
//	         body(root) ‖ n × body(node) ‖ m × aunt reference
//	tags   = 2 bits a node, root first, from the high bits; unused bits 0
//	body   = min(29) ‖ max(29) ‖ hash(32)   tag 0
//	       | ns(29) ‖ hash(32)              tag 1: min = max = ns
//	       | hash(32)                       tag 2: min = max = parity
//
// With PreferredAxis choosing the cheaper proof, a k = 128 sample takes
// about two thirds of its version-1 size.
const (
	sampleBatchVersion = 2
	nodeFull           = 0
	nodeSameNS         = 1
	nodeParity         = 2

	batchHeaderSize = 1 + 2 + 2 + 2
	// batchSampleMin is the smallest sample: a k = 1 square's, every
	// node parity, one-byte references.
	batchSampleMin = 1 + 2 + 2 + da.ShareSize + 1 + 2*32 + 2
)

// MaxSampleBatchSize bounds the encoding of n samples of squares up to
// MaxWidth, for size limits checked before reading.
func MaxSampleBatchSize(n int) int {
	perSample := 1 + 2 + 2 + da.ShareSize + (2+maxSampleNodes)/4 + 1 +
		(1+maxSampleNodes)*da.NMTNodeSize + maxSampleAunts*(2+32)
	return batchHeaderSize + n*perSample
}

// PreferredAxis is the axis whose proof of cell (row, col) in a square
// of width k is smallest on the wire: a cell of the upper-right quadrant
// is proved against its column, whose tree holds only parity, and every
// other cell against its row.
func PreferredAxis(k, row, col int) Axis {
	if row < k && col >= k {
		return Col
	}
	return Row
}

func nodeTag(n *da.NMTNode) byte {
	lo, hi := n[:da.NamespaceSize], n[da.NamespaceSize:2*da.NamespaceSize]
	switch {
	case string(lo) != string(hi):
		return nodeFull
	case string(lo) == string(da.ParityNamespace[:]):
		return nodeParity
	default:
		return nodeSameNS
	}
}

func appendNodeBody(b []byte, n *da.NMTNode, tag byte) []byte {
	switch tag {
	case nodeFull:
		return append(b, n[:]...)
	case nodeSameNS:
		b = append(b, n[:da.NamespaceSize]...)
		return append(b, n[2*da.NamespaceSize:]...)
	default:
		return append(b, n[2*da.NamespaceSize:]...)
	}
}

// nodeName names node i of a sample's proof in errors; -1 is its root.
func nodeName(i int) string {
	if i < 0 {
		return "root"
	}
	return fmt.Sprintf("proof node %d", i)
}

// readNodeBody reads the body of node i (nodeName) with the given tag off
// r and checks the node is well formed.
func readNodeBody(r []byte, tag byte, i int) (da.NMTNode, []byte, error) {
	var n da.NMTNode
	const ns = da.NamespaceSize
	var size int
	switch tag {
	case nodeFull:
		size = da.NMTNodeSize
	case nodeSameNS:
		size = ns + 32
	case nodeParity:
		size = 32
	default:
		return n, nil, fmt.Errorf("%w: %s: node tag %d", ErrProofEncoding, nodeName(i), tag)
	}
	if len(r) < size {
		return n, nil, fmt.Errorf("%w: %s: %d bytes left for a %d-byte node", ErrProofEncoding, nodeName(i), len(r), size)
	}
	switch tag {
	case nodeFull:
		copy(n[:], r)
	case nodeSameNS:
		copy(n[:ns], r)
		copy(n[ns:2*ns], r)
		copy(n[2*ns:], r[ns:ns+32])
	case nodeParity:
		copy(n[:ns], da.ParityNamespace[:])
		copy(n[ns:2*ns], da.ParityNamespace[:])
		copy(n[2*ns:], r[:32])
	}
	if err := n.Validate(); err != nil {
		return n, nil, fmt.Errorf("%w: %s: %w", ErrProofEncoding, nodeName(i), err)
	}
	return n, r[size:], nil
}

// batchShape is the proof shape of a width: nodes and aunts a sample.
func batchShape(k int) (nodes, aunts int) {
	d := bits.Len(uint(k)) - 1 // log2 k
	return d + 1, d + 2
}

// AppendSampleBatch appends the version-2 encoding of ss to b. Every
// sample must be of one square (its root proof says of which width) and
// of the canonical shape Sample.Verify takes; anything else is refused.
func AppendSampleBatch(b []byte, ss []*Sample) ([]byte, error) {
	const lim = 1 << 16
	if len(ss) >= lim {
		return nil, fmt.Errorf("%w: %d samples in a batch, at most %d", ErrProofEncoding, len(ss), lim-1)
	}
	k := 1
	if len(ss) > 0 && ss[0] != nil {
		k = ss[0].RootProof.Total / 4
	}
	if !ValidWidth(k) {
		return nil, fmt.Errorf("%w: root proof over %d roots, not 4k for a valid width", ErrProofEncoding, 4*k)
	}
	nodes, aunts := batchShape(k)
	// The aunt table, in order of first use.
	index := map[[32]byte]int{}
	var table [][32]byte
	for i, s := range ss {
		if s == nil {
			return nil, fmt.Errorf("%w: sample %d is nil", ErrProofEncoding, i)
		}
		if err := s.checkCanonical(k, nodes, aunts); err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		for _, a := range s.RootProof.Aunts {
			if _, ok := index[a]; !ok {
				index[a] = len(table)
				table = append(table, a)
			}
		}
	}
	if len(table) >= lim {
		return nil, fmt.Errorf("%w: %d distinct aunts", ErrProofEncoding, len(table))
	}
	b = append(b, sampleBatchVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(k))
	b = binary.BigEndian.AppendUint16(b, uint16(len(ss)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(table)))
	for i := range table {
		b = append(b, table[i][:]...)
	}
	wide := len(table) > 256
	tags := make([]byte, 1+nodes)
	packed := make([]byte, (len(tags)+3)/4)
	for _, s := range ss {
		b = append(b, byte(s.Axis))
		b = binary.BigEndian.AppendUint16(b, uint16(s.Row))
		b = binary.BigEndian.AppendUint16(b, uint16(s.Col))
		b = append(b, s.Share[:]...)
		tags[0] = nodeTag(&s.Root)
		for i := range s.Proof.Nodes {
			tags[1+i] = nodeTag(&s.Proof.Nodes[i])
		}
		clear(packed)
		for i, t := range tags {
			packed[i/4] |= t << (6 - 2*(i%4))
		}
		b = append(b, packed...)
		b = appendNodeBody(b, &s.Root, tags[0])
		for i := range s.Proof.Nodes {
			b = appendNodeBody(b, &s.Proof.Nodes[i], tags[1+i])
		}
		for _, a := range s.RootProof.Aunts {
			if wide {
				b = binary.BigEndian.AppendUint16(b, uint16(index[a]))
			} else {
				b = append(b, byte(index[a]))
			}
		}
	}
	return b, nil
}

// checkCanonical accepts a sample of a width-k square whose proofs have
// the one shape Verify takes, so the batch can leave the shape out.
func (s *Sample) checkCanonical(k, nodes, aunts int) error {
	w := 2 * k
	if s.Axis > Col || s.Row < 0 || s.Row >= w || s.Col < 0 || s.Col >= w {
		return fmt.Errorf("%w: cell (%d,%d) on axis %d of a %d×%d square", ErrProofEncoding, s.Row, s.Col, s.Axis, w, w)
	}
	idx, pos := s.Row, s.Col
	if s.Axis == Col {
		idx, pos = s.Col, s.Row
	}
	if s.Proof.Start != pos || s.Proof.End != pos+1 || s.Proof.LeafHash != nil || len(s.Proof.Nodes) != nodes ||
		s.RootProof.Index != RootIndex(k, s.Axis, idx) || s.RootProof.Total != 4*k || len(s.RootProof.Aunts) != aunts {
		return fmt.Errorf("%w: not the canonical proof shape of its cell in a width-%d square", ErrProofEncoding, k)
	}
	return nil
}

// checkEncodable rejects what the version-1 form cannot hold.
func (s *Sample) checkEncodable() error {
	const lim = 1 << 16
	switch {
	case s.Axis > Col:
		return fmt.Errorf("%w: axis %d", ErrProofEncoding, s.Axis)
	case s.Row < 0 || s.Row >= lim || s.Col < 0 || s.Col >= lim || s.Proof.Start < 0 || s.Proof.Start >= lim ||
		s.Proof.End < 0 || s.Proof.End >= lim || s.RootProof.Index < 0 || s.RootProof.Index >= lim ||
		s.RootProof.Total < 0 || s.RootProof.Total >= lim:
		return fmt.Errorf("%w: coordinate out of range", ErrProofEncoding)
	case len(s.Proof.Nodes) > maxSampleNodes || len(s.RootProof.Aunts) > maxSampleAunts:
		return fmt.Errorf("%w: %d nodes, %d aunts", ErrProofEncoding, len(s.Proof.Nodes), len(s.RootProof.Aunts))
	case s.Proof.LeafHash != nil:
		return fmt.Errorf("%w: a sample's proof is never an absence proof", ErrProofEncoding)
	}
	return nil
}

// DecodeSampleBatch decodes a version-2 batch of exactly want samples
// from untrusted bytes. It checks the version, the width, the counts
// (before allocating), every tag, node and aunt reference, and that no
// bytes trail; it does not verify the proofs (Sample.Verify does).
func DecodeSampleBatch(b []byte, want int) ([]*Sample, error) {
	return decodeSampleBatch(b, func(count int) error {
		if count != want {
			return fmt.Errorf("%w: batch of %d samples, want %d", ErrProofEncoding, count, want)
		}
		return nil
	})
}

// DecodeSampleBatchUpTo is DecodeSampleBatch for a batch whose count is
// not known in advance: it takes the count from the header and refuses
// more than max samples, before allocating.
func DecodeSampleBatchUpTo(b []byte, max int) ([]*Sample, error) {
	return decodeSampleBatch(b, func(count int) error {
		if count > max {
			return fmt.Errorf("%w: batch of %d samples, at most %d", ErrProofEncoding, count, max)
		}
		return nil
	})
}

// decodeSampleBatch decodes a batch whose count checkCount accepts.
func decodeSampleBatch(b []byte, checkCount func(count int) error) ([]*Sample, error) {
	if len(b) < batchHeaderSize {
		return nil, fmt.Errorf("%w: sample batch of %d bytes, at least %d", ErrProofEncoding, len(b), batchHeaderSize)
	}
	if b[0] != sampleBatchVersion {
		return nil, fmt.Errorf("%w: sample batch version %d, want %d", ErrProofEncoding, b[0], sampleBatchVersion)
	}
	k := int(binary.BigEndian.Uint16(b[1:]))
	count, tlen := int(binary.BigEndian.Uint16(b[3:])), int(binary.BigEndian.Uint16(b[5:]))
	if !ValidWidth(k) {
		return nil, fmt.Errorf("%w: sample batch of width %d", ErrProofEncoding, k)
	}
	if err := checkCount(count); err != nil {
		return nil, err
	}
	nodes, aunts := batchShape(k)
	if tlen > count*aunts {
		return nil, fmt.Errorf("%w: %d aunts in the table of %d samples (%d each)", ErrProofEncoding, tlen, count, aunts)
	}
	r := b[batchHeaderSize:]
	if len(r) < tlen*32+count*batchSampleMin {
		return nil, fmt.Errorf("%w: %d bytes cannot hold %d aunts and %d samples", ErrProofEncoding, len(r), tlen, count)
	}
	d := batchDecoder{k: k, nodes: nodes, aunts: aunts, table: r[:tlen*32], tlen: tlen, wide: tlen > 256}
	r = r[tlen*32:]
	out := make([]*Sample, count)
	for i := range out {
		s, rest, err := d.sample(r)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		out[i], r = s, rest
	}
	if len(r) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last sample", ErrProofEncoding, len(r))
	}
	return out, nil
}

type batchDecoder struct {
	k, nodes, aunts int
	table           []byte
	tlen            int
	wide            bool
}

func (d *batchDecoder) sample(r []byte) (*Sample, []byte, error) {
	ntags := 1 + d.nodes
	packed := (ntags + 3) / 4
	if len(r) < 5+da.ShareSize+packed {
		return nil, nil, fmt.Errorf("%w: %d bytes left for a sample", ErrProofEncoding, len(r))
	}
	s := new(Sample)
	if r[0] > byte(Col) {
		return nil, nil, fmt.Errorf("%w: axis %d", ErrProofEncoding, r[0])
	}
	s.Axis = Axis(r[0])
	s.Row = int(binary.BigEndian.Uint16(r[1:]))
	s.Col = int(binary.BigEndian.Uint16(r[3:]))
	if w := 2 * d.k; s.Row >= w || s.Col >= w {
		return nil, nil, fmt.Errorf("%w: cell (%d,%d) outside a %d×%d square", ErrProofEncoding, s.Row, s.Col, w, w)
	}
	copy(s.Share[:], r[5:])
	r = r[5+da.ShareSize:]
	tags := r[:packed]
	tag := func(i int) byte { return tags[i/4] >> (6 - 2*(i%4)) & 3 } // the root is 0
	if rest := tags[packed-1] & (1<<(2*(4*packed-ntags)) - 1); rest != 0 {
		return nil, nil, fmt.Errorf("%w: unused tag bits set", ErrProofEncoding)
	}
	r = r[packed:]
	var err error
	if s.Root, r, err = readNodeBody(r, tag(0), -1); err != nil {
		return nil, nil, err
	}
	s.Proof.Nodes = make([]da.NMTNode, d.nodes)
	for i := range s.Proof.Nodes {
		if s.Proof.Nodes[i], r, err = readNodeBody(r, tag(1+i), i); err != nil {
			return nil, nil, err
		}
	}
	ref := 1
	if d.wide {
		ref = 2
	}
	if len(r) < ref*d.aunts {
		return nil, nil, fmt.Errorf("%w: %d bytes left for %d aunt references", ErrProofEncoding, len(r), d.aunts)
	}
	s.RootProof.Aunts = make([][32]byte, d.aunts)
	for i := range s.RootProof.Aunts {
		j := int(r[i])
		if d.wide {
			j = int(binary.BigEndian.Uint16(r[2*i:]))
		}
		if j >= d.tlen {
			return nil, nil, fmt.Errorf("%w: aunt %d refers to entry %d of a %d-entry table", ErrProofEncoding, i, j, d.tlen)
		}
		copy(s.RootProof.Aunts[i][:], d.table[32*j:])
	}
	r = r[ref*d.aunts:]
	idx, pos := s.Row, s.Col
	if s.Axis == Col {
		idx, pos = s.Col, s.Row
	}
	s.Proof.Start, s.Proof.End = pos, pos+1
	s.RootProof.Index, s.RootProof.Total = RootIndex(d.k, s.Axis, idx), 4*d.k
	return s, r, nil
}
