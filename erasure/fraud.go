package erasure

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// Bad-encoding fraud proofs (SPEC §13 semantics, Tartan's own wire
// encoding): at least k cells of one row or column, each proven to the data
// root, whose decoding does not hash to that axis's committed root. A valid
// proof shows that no EDS matches the data root, whatever the rest of the
// square holds.

// Errors of bad-encoding proofs; wrapped with details, test with errors.Is.
var (
	// ErrFraudProofInvalid: the proof does not show bad encoding. Discard
	// it and penalise the peer that sent it.
	ErrFraudProofInvalid = errors.New("erasure: bad-encoding proof is invalid")
	// ErrFraudProofUnavailable: the cells held cannot prove the axis badly
	// encoded: fewer than k of its cells can be proven to the data root, or
	// they decode to the committed root after all (a peer's bad cell rather
	// than the validators' bad square). Fetch more cells, repair again.
	ErrFraudProofUnavailable = errors.New("erasure: cannot build a bad-encoding proof from the cells held")
)

// BadEncodingProof claims that row (or column) Index of the EDS under a
// data root is not the Reed-Solomon encoding its root commits to.
//
// Shares has 2k entries, one per position along the axis, nil where the
// prover has none; at least k are set. The entry at position j is the cell
// (Index, j) of a row or (j, Index) of a column, as a Sample: its NMT
// inclusion proof is against the orthogonal axis's root (the cell's column
// for a row proof), or against the faulty axis's own root when the prover
// held that whole axis; either way the root carries its proof to the data
// root. AxisRoot is the faulty axis's committed root, with its proof.
//
// Height and HeaderHash bind the proof to a header. erasure only carries
// and encodes them; the node checks them against its header before it
// calls Verify with that header's data root and width.
type BadEncodingProof struct {
	Height        uint64
	HeaderHash    [32]byte
	Axis          Axis
	Index         int
	Shares        []*Sample
	AxisRoot      da.NMTNode
	AxisRootProof MerkleProof
}

// NewBadEncodingProof builds the proof that the axis named by berr is badly
// encoded, from the cells p holds (the square Repair returned berr for) and
// the DAH they were checked against. A cell can only be proven from an axis
// held whole, so the cells come from p, which holds every cell of
// berr.Shares and whatever Repair restored since. For each position of the
// axis, in order, whose cell p holds, it proves the cell against the
// orthogonal axis if p holds that axis whole and it matches its root, else
// against the faulty axis itself if p holds it whole; it stops at k cells.
// It verifies the proof before returning it, and fails with
// ErrFraudProofUnavailable when the cells do not suffice or do not show bad
// encoding. height and headerHash are carried into the proof as they are.
func NewBadEncodingProof(berr *ByzantineError, p *PartialEDS, dah *DAH, height uint64, headerHash [32]byte) (*BadEncodingProof, error) {
	if berr == nil {
		return nil, fmt.Errorf("%w: no ByzantineError", ErrFraudProofUnavailable)
	}
	proof, err := buildBadEncodingProof(berr.Axis, berr.Index, p, dah, height, headerHash)
	if err != nil {
		return nil, err
	}
	if err := proof.Verify(dah.DataRoot(), p.k); err != nil {
		return nil, fmt.Errorf("%w: the cells held show no bad encoding of %s %d: %w", ErrFraudProofUnavailable, berr.Axis, berr.Index, err)
	}
	return proof, nil
}

// buildBadEncodingProof assembles the proof without checking that it
// proves anything, so tests can build one against an honest square.
func buildBadEncodingProof(a Axis, index int, p *PartialEDS, dah *DAH, height uint64, headerHash [32]byte) (*BadEncodingProof, error) {
	if err := dah.Validate(); err != nil {
		return nil, err
	}
	k, w := p.k, 2*p.k
	if dah.Width() != k {
		return nil, fmt.Errorf("%w: square of width %d, DAH of width %d", ErrWidth, k, dah.Width())
	}
	if a > Col || index < 0 || index >= w {
		return nil, fmt.Errorf("%w: %s %d of a %d×%d square", ErrFraudProofUnavailable, a, index, w, w)
	}
	// The Prover hashes whole axes out of the square's memory and checks
	// them against the DAH; it is only asked for axes p holds whole, so
	// the meaningless content of absent cells never reaches a proof.
	e, err := NewEDS(k, p.shares)
	if err != nil {
		return nil, err
	}
	prover, err := NewProver(e, dah)
	if err != nil {
		return nil, err
	}
	orth := Col
	if a == Col {
		orth = Row
	}
	whole := func(ax Axis, i int) bool {
		for j := range w {
			if !p.have[cellIndex(w, ax, i, j)] {
				return false
			}
		}
		return true
	}
	own := whole(a, index)
	proof := &BadEncodingProof{
		Height: height, HeaderHash: headerHash, Axis: a, Index: index,
		Shares: make([]*Sample, w), AxisRoot: *dah.Root(a, index),
	}
	if proof.AxisRootProof, err = prover.RootProof(a, index); err != nil {
		return nil, err
	}
	n := 0
	for j := 0; j < w && n < k; j++ {
		row, col := index, j
		if a == Col {
			row, col = j, index
		}
		if !p.Has(row, col) {
			continue
		}
		var s *Sample
		if whole(orth, j) {
			s, err = prover.Sample(row, col, orth)
		}
		if (s == nil || err != nil) && own {
			s, err = prover.Sample(row, col, a)
		}
		if s == nil || err != nil {
			continue // this cell's axes do not match their roots
		}
		proof.Shares[j] = s
		n++
	}
	if n < k {
		return nil, fmt.Errorf("%w: %d cells of %s %d provable, need %d", ErrFraudProofUnavailable, n, a, index, k)
	}
	return proof, nil
}

// Verify checks the proof against the data root of a square of width k,
// with nothing else (SPEC §13): the axis root's proof to the data root;
// 2k positions with at least k cells, each at its position on the axis and
// proven to the data root (Sample.Verify: namespace per SPEC §6); then it
// decodes the axis from those cells, re-encodes the first half and
// recomputes the NMT root. The proof is valid when that root differs from
// the committed one, or the decoded Q0 namespaces are unsorted. Otherwise,
// or when any check fails, it returns an error wrapping
// ErrFraudProofInvalid. It does not check Height or HeaderHash.
func (b *BadEncodingProof) Verify(dataRoot [32]byte, k int) error {
	if !ValidWidth(k) {
		return fmt.Errorf("%w: %w: got %d", ErrFraudProofInvalid, ErrWidth, k)
	}
	w := 2 * k
	switch {
	case b.Axis > Col:
		return fmt.Errorf("%w: axis %d", ErrFraudProofInvalid, b.Axis)
	case b.Index < 0 || b.Index >= w:
		return fmt.Errorf("%w: %s %d of a %d×%d square", ErrFraudProofInvalid, b.Axis, b.Index, w, w)
	case len(b.Shares) != w:
		return fmt.Errorf("%w: %d positions, want %d", ErrFraudProofInvalid, len(b.Shares), w)
	}
	if want := RootIndex(k, b.Axis, b.Index); b.AxisRootProof.Index != want || b.AxisRootProof.Total != 4*k {
		return fmt.Errorf("%w: axis root proven as leaf %d of %d, want %d of %d", ErrFraudProofInvalid, b.AxisRootProof.Index, b.AxisRootProof.Total, want, 4*k)
	}
	if err := b.AxisRoot.Validate(); err != nil {
		return fmt.Errorf("%w: axis root: %w", ErrFraudProofInvalid, err)
	}
	if err := b.AxisRootProof.Verify(dataRoot, b.AxisRoot[:]); err != nil {
		return fmt.Errorf("%w: %s %d root: %w", ErrFraudProofInvalid, b.Axis, b.Index, err)
	}
	n := 0
	for j, s := range b.Shares {
		if s == nil {
			continue
		}
		row, col := b.Index, j
		if b.Axis == Col {
			row, col = j, b.Index
		}
		if s.Row != row || s.Col != col {
			return fmt.Errorf("%w: position %d holds cell (%d,%d), want (%d,%d)", ErrFraudProofInvalid, j, s.Row, s.Col, row, col)
		}
		if s.Axis == b.Axis && s.Root != b.AxisRoot {
			return fmt.Errorf("%w: position %d proven against another %s root", ErrFraudProofInvalid, j, b.Axis)
		}
		if err := s.Verify(dataRoot, k); err != nil {
			return fmt.Errorf("%w: position %d: %w", ErrFraudProofInvalid, j, err)
		}
		n++
	}
	if n < k {
		return fmt.Errorf("%w: %d cells, need %d", ErrFraudProofInvalid, n, k)
	}

	vec := make([]da.Share, w)
	shards := make([][]byte, w)
	for j, s := range b.Shares {
		if s != nil {
			vec[j] = s.Share
			shards[j] = vec[j][:]
		} else {
			shards[j] = vec[j][:0]
		}
	}
	enc, err := reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
	if err != nil {
		return fmt.Errorf("erasure: codec for k=%d: %w", k, err)
	}
	if err := enc.Reconstruct(shards); err != nil {
		return nil // cells that do not decode: bad encoding (SPEC §13 step 7)
	}
	// More than k cells need not be consistent: re-encode from the first
	// half so the root is that of a codeword.
	for j := k; j < w; j++ {
		shards[j] = vec[j][:]
	}
	if err := enc.Encode(shards); err != nil {
		return fmt.Errorf("erasure: encoding %s %d: %w", b.Axis, b.Index, err)
	}
	h := da.NewNMTHasher()
	leaves := make([]da.NMTNode, w)
	for j := range vec {
		ns := LeafNamespace(k, b.Index, j, &vec[j])
		h.LeafInto(&leaves[j], &ns, vec[j][:])
	}
	root, err := axisNodeRoot(h, leaves, make([]da.NMTNode, w))
	if err != nil {
		return nil // the codeword has unsorted namespaces: no honest root commits to it
	}
	if root == b.AxisRoot {
		return fmt.Errorf("%w: the cells of %s %d decode to its committed root: it is correctly encoded", ErrFraudProofInvalid, b.Axis, b.Index)
	}
	return nil
}

// Binary form of a bad-encoding proof, version 1. Integers are big-endian:
//
//	version(1)=1 ‖ height(8) ‖ headerHash(32) ‖ axis(1) ‖ index(2) ‖
//	positions(2) = 2k ‖ axisRoot(90) ‖ rootIndex(2) ‖ rootTotal(2) ‖
//	auntCount(1) ‖ aunts(32·m) ‖
//	then per position: 0x00 (absent) | 0x01 ‖ len(2) ‖ sample(len)
//
// where sample is the Sample's own binary form (sample.go).
const (
	befpVersion   = 1
	befpFixedSize = 1 + 8 + 32 + 1 + 2 + 2 + da.NMTNodeSize + 2 + 2 + 1
	// befpMaxAunts is log2(4·MaxWidth), the depth of the largest data-root
	// tree.
	befpMaxAunts = 11
	// MaxBadEncodingProofSize is the largest encoded proof: every position
	// of the largest square filled with the largest sample.
	MaxBadEncodingProofSize = befpFixedSize + befpMaxAunts*32 + 2*MaxWidth*(1+2+MaxSampleSize)
)

// MarshalBinary encodes the proof (version 1).
func (b *BadEncodingProof) MarshalBinary() ([]byte, error) {
	const lim = 1 << 16
	switch {
	case b.Axis > Col:
		return nil, fmt.Errorf("%w: axis %d", ErrProofEncoding, b.Axis)
	case b.Index < 0 || b.Index >= lim || len(b.Shares) > 2*MaxWidth:
		return nil, fmt.Errorf("%w: %s %d with %d positions", ErrProofEncoding, b.Axis, b.Index, len(b.Shares))
	case b.AxisRootProof.Index < 0 || b.AxisRootProof.Index >= lim || b.AxisRootProof.Total < 0 || b.AxisRootProof.Total >= lim:
		return nil, fmt.Errorf("%w: root proof for leaf %d of %d", ErrProofEncoding, b.AxisRootProof.Index, b.AxisRootProof.Total)
	case len(b.AxisRootProof.Aunts) > befpMaxAunts:
		return nil, fmt.Errorf("%w: %d aunts", ErrProofEncoding, len(b.AxisRootProof.Aunts))
	}
	size := befpFixedSize + 32*len(b.AxisRootProof.Aunts) + len(b.Shares)
	for _, s := range b.Shares {
		if s != nil {
			size += 2 + sampleFixedSize + len(s.Proof.Nodes)*da.NMTNodeSize + len(s.RootProof.Aunts)*32
		}
	}
	out := make([]byte, 0, size)
	out = append(out, befpVersion)
	out = binary.BigEndian.AppendUint64(out, b.Height)
	out = append(out, b.HeaderHash[:]...)
	out = append(out, byte(b.Axis))
	out = binary.BigEndian.AppendUint16(out, uint16(b.Index))
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.Shares)))
	out = append(out, b.AxisRoot[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(b.AxisRootProof.Index))
	out = binary.BigEndian.AppendUint16(out, uint16(b.AxisRootProof.Total))
	out = append(out, byte(len(b.AxisRootProof.Aunts)))
	for i := range b.AxisRootProof.Aunts {
		out = append(out, b.AxisRootProof.Aunts[i][:]...)
	}
	for j, s := range b.Shares {
		if s == nil {
			out = append(out, 0)
			continue
		}
		out = append(out, 1, 0, 0)
		at := len(out)
		var err error
		if out, err = s.AppendBinary(out); err != nil {
			return nil, fmt.Errorf("position %d: %w", j, err)
		}
		binary.BigEndian.PutUint16(out[at-2:], uint16(len(out)-at))
	}
	return out, nil
}

// UnmarshalBinary decodes a version-1 proof. It checks the version, the
// axis, every count against the largest square before allocating, each
// sample's encoding, and that no bytes trail; it does not verify the
// proof (Verify does).
func (b *BadEncodingProof) UnmarshalBinary(data []byte) error {
	if len(data) > MaxBadEncodingProofSize {
		return fmt.Errorf("%w: bad-encoding proof of %d bytes, at most %d", ErrProofEncoding, len(data), MaxBadEncodingProofSize)
	}
	if len(data) < befpFixedSize {
		return fmt.Errorf("%w: bad-encoding proof of %d bytes, at least %d", ErrProofEncoding, len(data), befpFixedSize)
	}
	if data[0] != befpVersion {
		return fmt.Errorf("%w: bad-encoding proof version %d, want %d", ErrProofEncoding, data[0], befpVersion)
	}
	var out BadEncodingProof
	out.Height = binary.BigEndian.Uint64(data[1:])
	copy(out.HeaderHash[:], data[9:41])
	if data[41] > byte(Col) {
		return fmt.Errorf("%w: axis %d", ErrProofEncoding, data[41])
	}
	out.Axis = Axis(data[41])
	out.Index = int(binary.BigEndian.Uint16(data[42:]))
	w := int(binary.BigEndian.Uint16(data[44:]))
	if w%2 != 0 || !ValidWidth(w/2) {
		return fmt.Errorf("%w: %d positions is not 2k for an allowed width", ErrProofEncoding, w)
	}
	if out.Index >= w {
		return fmt.Errorf("%w: %s %d of %d positions", ErrProofEncoding, out.Axis, out.Index, w)
	}
	r := data[46:]
	copy(out.AxisRoot[:], r)
	if err := out.AxisRoot.Validate(); err != nil {
		return fmt.Errorf("%w: axis root: %w", ErrProofEncoding, err)
	}
	r = r[da.NMTNodeSize:]
	out.AxisRootProof.Index = int(binary.BigEndian.Uint16(r))
	out.AxisRootProof.Total = int(binary.BigEndian.Uint16(r[2:]))
	m := int(r[4])
	r = r[5:]
	if m > befpMaxAunts {
		return fmt.Errorf("%w: %d aunts, at most %d", ErrProofEncoding, m, befpMaxAunts)
	}
	if len(r) < 32*m+w {
		return fmt.Errorf("%w: %d aunts and %d positions in %d bytes", ErrProofEncoding, m, w, len(r))
	}
	out.AxisRootProof.Aunts = make([][32]byte, m)
	for i := range out.AxisRootProof.Aunts {
		copy(out.AxisRootProof.Aunts[i][:], r[32*i:])
	}
	r = r[32*m:]
	out.Shares = make([]*Sample, w)
	for j := range w {
		if len(r) < 1 {
			return fmt.Errorf("%w: position %d missing", ErrProofEncoding, j)
		}
		switch r[0] {
		case 0:
			r = r[1:]
			continue
		case 1:
		default:
			return fmt.Errorf("%w: position %d has tag %d", ErrProofEncoding, j, r[0])
		}
		if len(r) < 3 {
			return fmt.Errorf("%w: position %d truncated", ErrProofEncoding, j)
		}
		n := int(binary.BigEndian.Uint16(r[1:]))
		r = r[3:]
		if n > MaxSampleSize || n > len(r) {
			return fmt.Errorf("%w: position %d: sample of %d bytes, %d left", ErrProofEncoding, j, n, len(r))
		}
		s := new(Sample)
		if err := s.UnmarshalBinary(r[:n]); err != nil {
			return fmt.Errorf("position %d: %w", j, err)
		}
		out.Shares[j] = s
		r = r[n:]
	}
	if len(r) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrProofEncoding, len(r))
	}
	*b = out
	return nil
}
