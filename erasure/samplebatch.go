package erasure

import (
	"encoding/binary"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// A batch of samples on the wire (the p2p samples answer), version 2.
// Most of a sample's bytes after its share are proof nodes, and most of
// those are redundant across a batch or within a node:
//
//   - Outside the original quadrant every NMT node is min = max = the
//     parity namespace, and in the original quadrant a subtree inside one
//     blob has min = max. A node is written as a tag and only the
//     namespaces it needs.
//   - Samples of one height share the upper levels of the data-root tree,
//     so root-proof aunts are written once in a table and referenced by
//     index.
//
// Integers are big-endian:
//
//	batch  = version(1)=2 ‖ count(2) ‖ tableLen(2) ‖ table(32·tableLen) ‖ count × sample
//	sample = axis(1) ‖ row(2) ‖ col(2) ‖ share(512) ‖ node(root) ‖
//	         start(2) ‖ end(2) ‖ n(1) ‖ n × node ‖ index(2) ‖ total(2) ‖ m(1) ‖ m × aunt(2)
//	node   = 0 ‖ min(29) ‖ max(29) ‖ hash(32)
//	       | 1 ‖ ns(29) ‖ hash(32)            (min = max = ns)
//	       | 2 ‖ hash(32)                     (min = max = parity)
//
// With PreferredAxis choosing the cheaper proof, a k = 128 sample takes
// about two thirds of its version-1 size.
const (
	sampleBatchVersion = 2
	nodeFull           = 0
	nodeSameNS         = 1
	nodeParity         = 2

	batchHeaderSize = 1 + 2 + 2
	// batchSampleFixed is a sample's size without its nodes and aunts.
	batchSampleFixed = 1 + 2 + 2 + da.ShareSize + 2 + 2 + 1 + 2 + 2 + 1
	compactNodeMax   = 1 + da.NMTNodeSize
	compactNodeMin   = 1 + 32
)

// MaxSampleBatchSize bounds the encoding of n samples of squares up to
// MaxWidth, for size limits checked before reading.
func MaxSampleBatchSize(n int) int {
	perSample := batchSampleFixed + (1+maxSampleNodes)*compactNodeMax + maxSampleAunts*(2+32)
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

func appendCompactNode(b []byte, n *da.NMTNode) []byte {
	lo, hi := n[:da.NamespaceSize], n[da.NamespaceSize:2*da.NamespaceSize]
	hash := n[2*da.NamespaceSize:]
	switch {
	case string(lo) != string(hi):
		b = append(b, nodeFull)
		return append(b, n[:]...)
	case string(lo) == string(da.ParityNamespace[:]):
		b = append(b, nodeParity)
		return append(b, hash...)
	default:
		b = append(b, nodeSameNS)
		b = append(b, lo...)
		return append(b, hash...)
	}
}

// readCompactNode reads one node off r and checks it is well formed.
func readCompactNode(r []byte, what string) (da.NMTNode, []byte, error) {
	var n da.NMTNode
	if len(r) < compactNodeMin {
		return n, nil, fmt.Errorf("%w: %s: %d bytes left, a node takes at least %d", ErrProofEncoding, what, len(r), compactNodeMin)
	}
	tag, r := r[0], r[1:]
	const ns = da.NamespaceSize
	switch tag {
	case nodeFull:
		if len(r) < da.NMTNodeSize {
			return n, nil, fmt.Errorf("%w: %s: %d bytes left for a %d-byte node", ErrProofEncoding, what, len(r), da.NMTNodeSize)
		}
		copy(n[:], r)
		r = r[da.NMTNodeSize:]
	case nodeSameNS:
		if len(r) < ns+32 {
			return n, nil, fmt.Errorf("%w: %s: %d bytes left for a %d-byte node", ErrProofEncoding, what, len(r), ns+32)
		}
		copy(n[:ns], r)
		copy(n[ns:2*ns], r)
		copy(n[2*ns:], r[ns:ns+32])
		r = r[ns+32:]
	case nodeParity:
		copy(n[:ns], da.ParityNamespace[:])
		copy(n[ns:2*ns], da.ParityNamespace[:])
		copy(n[2*ns:], r[:32])
		r = r[32:]
	default:
		return n, nil, fmt.Errorf("%w: %s: node tag %d", ErrProofEncoding, what, tag)
	}
	if err := n.Validate(); err != nil {
		return n, nil, fmt.Errorf("%w: %s: %w", ErrProofEncoding, what, err)
	}
	return n, r, nil
}

// AppendSampleBatch appends the version-2 encoding of ss to b. It fails
// on a sample the format cannot hold, as AppendBinary does.
func AppendSampleBatch(b []byte, ss []*Sample) ([]byte, error) {
	const lim = 1 << 16
	if len(ss) >= lim {
		return nil, fmt.Errorf("%w: %d samples in a batch, at most %d", ErrProofEncoding, len(ss), lim-1)
	}
	// The aunt table, in order of first use.
	index := map[[32]byte]int{}
	var table [][32]byte
	for i, s := range ss {
		if s == nil {
			return nil, fmt.Errorf("%w: sample %d is nil", ErrProofEncoding, i)
		}
		if err := s.checkEncodable(); err != nil {
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
	b = binary.BigEndian.AppendUint16(b, uint16(len(ss)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(table)))
	for i := range table {
		b = append(b, table[i][:]...)
	}
	for _, s := range ss {
		b = append(b, byte(s.Axis))
		b = binary.BigEndian.AppendUint16(b, uint16(s.Row))
		b = binary.BigEndian.AppendUint16(b, uint16(s.Col))
		b = append(b, s.Share[:]...)
		b = appendCompactNode(b, &s.Root)
		b = binary.BigEndian.AppendUint16(b, uint16(s.Proof.Start))
		b = binary.BigEndian.AppendUint16(b, uint16(s.Proof.End))
		b = append(b, byte(len(s.Proof.Nodes)))
		for i := range s.Proof.Nodes {
			b = appendCompactNode(b, &s.Proof.Nodes[i])
		}
		b = binary.BigEndian.AppendUint16(b, uint16(s.RootProof.Index))
		b = binary.BigEndian.AppendUint16(b, uint16(s.RootProof.Total))
		b = append(b, byte(len(s.RootProof.Aunts)))
		for _, a := range s.RootProof.Aunts {
			b = binary.BigEndian.AppendUint16(b, uint16(index[a]))
		}
	}
	return b, nil
}

// checkEncodable rejects what neither binary form can hold.
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
// from untrusted bytes. It checks the version, the counts (before
// allocating), every node and aunt reference, and that no bytes trail; it
// does not verify the proofs (Sample.Verify does).
func DecodeSampleBatch(b []byte, want int) ([]*Sample, error) {
	if len(b) < batchHeaderSize {
		return nil, fmt.Errorf("%w: sample batch of %d bytes, at least %d", ErrProofEncoding, len(b), batchHeaderSize)
	}
	if b[0] != sampleBatchVersion {
		return nil, fmt.Errorf("%w: sample batch version %d, want %d", ErrProofEncoding, b[0], sampleBatchVersion)
	}
	count, tlen := int(binary.BigEndian.Uint16(b[1:])), int(binary.BigEndian.Uint16(b[3:]))
	if count != want {
		return nil, fmt.Errorf("%w: batch of %d samples, want %d", ErrProofEncoding, count, want)
	}
	if tlen > count*maxSampleAunts {
		return nil, fmt.Errorf("%w: %d aunts in the table of %d samples (at most %d each)", ErrProofEncoding, tlen, count, maxSampleAunts)
	}
	r := b[batchHeaderSize:]
	if len(r) < tlen*32+count*(batchSampleFixed+compactNodeMin) {
		return nil, fmt.Errorf("%w: %d bytes cannot hold %d aunts and %d samples", ErrProofEncoding, len(r), tlen, count)
	}
	table := r[:tlen*32]
	r = r[tlen*32:]
	out := make([]*Sample, count)
	for i := range out {
		s, rest, err := readBatchSample(r, table, tlen)
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

func readBatchSample(r, table []byte, tlen int) (*Sample, []byte, error) {
	if len(r) < 5+da.ShareSize {
		return nil, nil, fmt.Errorf("%w: %d bytes left for a sample", ErrProofEncoding, len(r))
	}
	s := new(Sample)
	if r[0] > byte(Col) {
		return nil, nil, fmt.Errorf("%w: axis %d", ErrProofEncoding, r[0])
	}
	s.Axis = Axis(r[0])
	s.Row = int(binary.BigEndian.Uint16(r[1:]))
	s.Col = int(binary.BigEndian.Uint16(r[3:]))
	copy(s.Share[:], r[5:])
	r = r[5+da.ShareSize:]
	var err error
	if s.Root, r, err = readCompactNode(r, "root"); err != nil {
		return nil, nil, err
	}
	if len(r) < 5 {
		return nil, nil, fmt.Errorf("%w: %d bytes left for the proof range", ErrProofEncoding, len(r))
	}
	s.Proof.Start = int(binary.BigEndian.Uint16(r))
	s.Proof.End = int(binary.BigEndian.Uint16(r[2:]))
	n := int(r[4])
	r = r[5:]
	if n > maxSampleNodes {
		return nil, nil, fmt.Errorf("%w: %d proof nodes, at most %d", ErrProofEncoding, n, maxSampleNodes)
	}
	s.Proof.Nodes = make([]da.NMTNode, n)
	for i := range s.Proof.Nodes {
		if s.Proof.Nodes[i], r, err = readCompactNode(r, fmt.Sprintf("proof node %d", i)); err != nil {
			return nil, nil, err
		}
	}
	if len(r) < 5 {
		return nil, nil, fmt.Errorf("%w: %d bytes left for the root proof", ErrProofEncoding, len(r))
	}
	s.RootProof.Index = int(binary.BigEndian.Uint16(r))
	s.RootProof.Total = int(binary.BigEndian.Uint16(r[2:]))
	m := int(r[4])
	r = r[5:]
	if m > maxSampleAunts {
		return nil, nil, fmt.Errorf("%w: %d aunts, at most %d", ErrProofEncoding, m, maxSampleAunts)
	}
	if len(r) < 2*m {
		return nil, nil, fmt.Errorf("%w: %d aunts in %d bytes", ErrProofEncoding, m, len(r))
	}
	s.RootProof.Aunts = make([][32]byte, m)
	for i := range s.RootProof.Aunts {
		j := int(binary.BigEndian.Uint16(r[2*i:]))
		if j >= tlen {
			return nil, nil, fmt.Errorf("%w: aunt %d refers to entry %d of a %d-entry table", ErrProofEncoding, i, j, tlen)
		}
		copy(s.RootProof.Aunts[i][:], table[32*j:])
	}
	return s, r[2*m:], nil
}
