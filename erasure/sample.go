package erasure

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"sync"

	"github.com/tartan-da/tartan/da"
)

// Samples (SPEC §11.4 and the Tartan profile): one cell of the EDS with its
// NMT inclusion proof against its row (or column) root, that root, and the
// root's RFC-6962 proof to the data root, so a light node checks it with
// nothing but the 32-byte data root of a compact header.

// Sample is one verifiable cell of an EDS. Row and Col run over [0, 2k).
// Axis says which root Proof and Root belong to: row Row, or column Col.
type Sample struct {
	Row, Col  int
	Share     da.Share
	Axis      Axis
	Proof     NMTProof
	Root      da.NMTNode
	RootProof MerkleProof
}

// Prover builds samples, namespace data and blob proofs from one EDS and
// its DAH. It hashes each row or column tree the first time a proof needs
// it and keeps it, so many proofs over one square cost one pass of
// hashing. It is safe for concurrent use. It keeps e and d: the caller must
// not modify them.
type Prover struct {
	eds   *EDS
	dah   *DAH
	k     int
	roots *merkleTree // over the DAH's 4k leaf hashes

	mu    sync.Mutex // guards h, rows, cols
	h     *da.NMTHasher
	rows  []*nmtTree
	cols  []*nmtTree
	cells []da.Share // column scratch
}

// proverBaseLevel is the lowest tree level a Prover keeps.
const proverBaseLevel = 2

// NewProver checks that e and d have the same width and prepares the
// data-root tree.
func NewProver(e *EDS, d *DAH) (*Prover, error) {
	k := e.Width()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Width() != k {
		return nil, fmt.Errorf("%w: EDS of width %d, DAH of width %d", ErrWidth, k, d.Width())
	}
	return &Prover{
		eds: e, dah: d, k: k,
		roots: newMerkleTree(d.LeafHashes()),
		h:     da.NewNMTHasher(),
		rows:  make([]*nmtTree, 2*k),
		cols:  make([]*nmtTree, 2*k),
	}, nil
}

// Width is k.
func (p *Prover) Width() int { return p.k }

// tree returns the cached tree of row or column i, building it on first
// use. It fails when the axis does not hash to the DAH's root, which means
// e and d do not belong together.
func (p *Prover) tree(a Axis, i int) (*nmtTree, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cache := p.rows
	if a == Col {
		cache = p.cols
	}
	if t := cache[i]; t != nil {
		return t, nil
	}
	if p.cells == nil {
		p.cells = make([]da.Share, 2*p.k)
	}
	cells := p.eds.Axis(a, i, p.cells)
	t, err := newNMTTree(p.h, AxisLeaves(p.h, p.k, i, cells, make([]da.NMTNode, 0, 2*p.k)))
	if err != nil {
		return nil, fmt.Errorf("erasure: %s %d: %w", a, i, err)
	}
	if got := t.root(0, t.n); got != *p.dah.Root(a, i) {
		return nil, fmt.Errorf("%w: %s %d of the EDS does not hash to the DAH's root", ErrProofRoot, a, i)
	}
	// Keep subtrees of 4 leaves and up: a quarter of the memory (5.9 MB
	// for every axis of a k = 128 square), for 3 leaf hashes and 1 inner
	// hash more per proof.
	t.dropLow(proverBaseLevel, p.eds, a, i)
	cache[i] = t
	return t, nil
}

// RootProof proves row or column root i to the data root.
func (p *Prover) RootProof(a Axis, i int) (MerkleProof, error) {
	if i < 0 || i >= 2*p.k {
		return MerkleProof{}, fmt.Errorf("%w: %s %d of a square of width %d", ErrProofShape, a, i, p.k)
	}
	return p.roots.prove(RootIndex(p.k, a, i))
}

// RangeProof proves positions [start, end) of row or column i against
// its root (for a single cell, [pos, pos+1)); the leaves are hashed under
// the namespaces of SPEC §6. Bad-encoding fraud proofs and blob proofs are
// built from these.
func (p *Prover) RangeProof(a Axis, i, start, end int) (NMTProof, error) {
	if i < 0 || i >= 2*p.k || a > Col {
		return NMTProof{}, fmt.Errorf("%w: %s %d of a square of width %d", ErrProofShape, a, i, p.k)
	}
	t, err := p.tree(a, i)
	if err != nil {
		return NMTProof{}, err
	}
	return t.proveRange(start, end)
}

// Sample builds the sample of cell (row, col) with its proof along axis.
func (p *Prover) Sample(row, col int, axis Axis) (*Sample, error) {
	w := 2 * p.k
	if row < 0 || row >= w || col < 0 || col >= w || axis > Col {
		return nil, fmt.Errorf("%w: cell (%d,%d) on axis %d of a %d×%d square", ErrProofShape, row, col, axis, w, w)
	}
	idx, pos := row, col
	if axis == Col {
		idx, pos = col, row
	}
	t, err := p.tree(axis, idx)
	if err != nil {
		return nil, err
	}
	proof, err := t.proveRange(pos, pos+1)
	if err != nil {
		return nil, err
	}
	rp, err := p.RootProof(axis, idx)
	if err != nil {
		return nil, err
	}
	return &Sample{
		Row: row, Col: col, Share: *p.eds.Cell(row, col), Axis: axis,
		Proof: proof, Root: *p.dah.Root(axis, idx), RootProof: rp,
	}, nil
}

// NewSample builds one sample. To build many from one square, use a Prover.
func NewSample(e *EDS, d *DAH, row, col int, axis Axis) (*Sample, error) {
	p, err := NewProver(e, d)
	if err != nil {
		return nil, err
	}
	return p.Sample(row, col, axis)
}

// Verify checks the sample against the data root of a square of width k
// (SPEC §11.1, §11.2, §11.4): the proof covers exactly the cell's position
// on its axis, the share hashes under its namespace (its own in Q0, parity
// elsewhere, SPEC §6) up to Root, and Root sits at index row (or 2k + col)
// of the 4k-leaf tree whose root is dataRoot. It does not allocate when the
// sample is valid.
func (s *Sample) Verify(dataRoot [32]byte, k int) error {
	if !ValidWidth(k) {
		return fmt.Errorf("%w: got %d", ErrWidth, k)
	}
	w := 2 * k
	if s.Row < 0 || s.Row >= w || s.Col < 0 || s.Col >= w || s.Axis > Col {
		return fmt.Errorf("%w: cell (%d,%d) on axis %d of a %d×%d square", ErrProofShape, s.Row, s.Col, s.Axis, w, w)
	}
	idx, pos := s.Row, s.Col
	if s.Axis == Col {
		idx, pos = s.Col, s.Row
	}
	if s.Proof.Start != pos || s.Proof.End != pos+1 || s.Proof.LeafHash != nil {
		return fmt.Errorf("%w: proof of [%d,%d) for position %d", ErrProofShape, s.Proof.Start, s.Proof.End, pos)
	}
	if depth := bits.Len(uint(w)) - 1; len(s.Proof.Nodes) != depth {
		return fmt.Errorf("%w: %d proof nodes, want %d", ErrProofShape, len(s.Proof.Nodes), depth)
	}
	if s.RootProof.Index != RootIndex(k, s.Axis, idx) || s.RootProof.Total != 4*k {
		return fmt.Errorf("%w: root proof for leaf %d of %d, want %d of %d", ErrProofShape, s.RootProof.Index, s.RootProof.Total, RootIndex(k, s.Axis, idx), 4*k)
	}
	if err := s.Proof.checkShape(&s.Root, w, 1); err != nil {
		return err
	}
	ns := LeafNamespace(k, idx, pos, &s.Share)
	v := nmtVerifier{one: &s.Share, leafNS: &ns}
	if err := s.Proof.run(&v, &s.Root, w); err != nil {
		return fmt.Errorf("%s %d: %w", s.Axis, idx, err)
	}
	if err := s.RootProof.Verify(dataRoot, s.Root[:]); err != nil {
		return fmt.Errorf("%s %d root: %w", s.Axis, idx, err)
	}
	return nil
}

// Binary form of a sample, version 1 (the unit of the p2p sample
// protocol). Integers are big-endian; every field but the two lists has a
// fixed size:
//
//	version(1)=1 ‖ axis(1) ‖ row(2) ‖ col(2) ‖ share(512) ‖ root(90) ‖
//	start(2) ‖ end(2) ‖ nodeCount(1) ‖ nodes(90·n) ‖
//	index(2) ‖ total(2) ‖ auntCount(1) ‖ aunts(32·m)
const (
	sampleVersion   = 1
	sampleFixedSize = 1 + 1 + 2 + 2 + da.ShareSize + da.NMTNodeSize + 2 + 2 + 1 + 2 + 2 + 1
	// maxSampleNodes and maxSampleAunts bound the lists for the largest
	// square: log2(2·MaxWidth) and log2(4·MaxWidth).
	maxSampleNodes = 10
	maxSampleAunts = 11
	// MaxSampleSize is the largest encoded sample.
	MaxSampleSize = sampleFixedSize + maxSampleNodes*da.NMTNodeSize + maxSampleAunts*32
)

// MarshalBinary encodes the sample (version 1).
func (s *Sample) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, sampleFixedSize+len(s.Proof.Nodes)*da.NMTNodeSize+len(s.RootProof.Aunts)*32))
}

// AppendBinary appends the encoding of the sample to b. It fails on a
// sample that does not fit the format (coordinates beyond the largest
// square, too many nodes, an absence proof).
func (s *Sample) AppendBinary(b []byte) ([]byte, error) {
	if err := s.checkEncodable(); err != nil {
		return nil, err
	}
	b = append(b, sampleVersion, byte(s.Axis))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Row))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Col))
	b = append(b, s.Share[:]...)
	b = append(b, s.Root[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(s.Proof.Start))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Proof.End))
	b = append(b, byte(len(s.Proof.Nodes)))
	for i := range s.Proof.Nodes {
		b = append(b, s.Proof.Nodes[i][:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(s.RootProof.Index))
	b = binary.BigEndian.AppendUint16(b, uint16(s.RootProof.Total))
	b = append(b, byte(len(s.RootProof.Aunts)))
	for i := range s.RootProof.Aunts {
		b = append(b, s.RootProof.Aunts[i][:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes a version-1 sample. It checks the version, the
// axis, the list lengths (before allocating), that every node is well
// formed and that no bytes trail; it does not verify the proofs (Verify
// does).
func (s *Sample) UnmarshalBinary(b []byte) error {
	if len(b) < sampleFixedSize {
		return fmt.Errorf("%w: sample of %d bytes, at least %d", ErrProofEncoding, len(b), sampleFixedSize)
	}
	if len(b) > MaxSampleSize {
		return fmt.Errorf("%w: sample of %d bytes, at most %d", ErrProofEncoding, len(b), MaxSampleSize)
	}
	if b[0] != sampleVersion {
		return fmt.Errorf("%w: sample version %d, want %d", ErrProofEncoding, b[0], sampleVersion)
	}
	if b[1] > byte(Col) {
		return fmt.Errorf("%w: axis %d", ErrProofEncoding, b[1])
	}
	var out Sample
	out.Axis = Axis(b[1])
	out.Row = int(binary.BigEndian.Uint16(b[2:]))
	out.Col = int(binary.BigEndian.Uint16(b[4:]))
	r := b[6:]
	copy(out.Share[:], r)
	r = r[da.ShareSize:]
	copy(out.Root[:], r)
	if err := out.Root.Validate(); err != nil {
		return fmt.Errorf("%w: root: %w", ErrProofEncoding, err)
	}
	r = r[da.NMTNodeSize:]
	out.Proof.Start = int(binary.BigEndian.Uint16(r))
	out.Proof.End = int(binary.BigEndian.Uint16(r[2:]))
	n := int(r[4])
	r = r[5:]
	if n > maxSampleNodes {
		return fmt.Errorf("%w: %d proof nodes, at most %d", ErrProofEncoding, n, maxSampleNodes)
	}
	// r still holds index, total and aunt count (5 bytes) after the nodes.
	if len(r) < n*da.NMTNodeSize+5 {
		return fmt.Errorf("%w: %d proof nodes in %d bytes", ErrProofEncoding, n, len(r))
	}
	var err error
	if out.Proof.Nodes, r, err = decodeNodes(r, n); err != nil {
		return err
	}
	out.RootProof.Index = int(binary.BigEndian.Uint16(r))
	out.RootProof.Total = int(binary.BigEndian.Uint16(r[2:]))
	m := int(r[4])
	r = r[5:]
	if m > maxSampleAunts {
		return fmt.Errorf("%w: %d aunts, at most %d", ErrProofEncoding, m, maxSampleAunts)
	}
	if len(r) != m*32 {
		return fmt.Errorf("%w: %d aunts in %d bytes (trailing or missing bytes)", ErrProofEncoding, m, len(r))
	}
	out.RootProof.Aunts = decodeAunts(r, m)
	*s = out
	return nil
}

// decodeNodes reads n nodes (the caller checked the length) and checks
// each is well formed.
func decodeNodes(r []byte, n int) ([]da.NMTNode, []byte, error) {
	nodes := make([]da.NMTNode, n)
	for i := range nodes {
		copy(nodes[i][:], r[:da.NMTNodeSize])
		r = r[da.NMTNodeSize:]
		if err := nodes[i].Validate(); err != nil {
			return nil, nil, fmt.Errorf("%w: node %d: %w", ErrProofEncoding, i, err)
		}
	}
	return nodes, r, nil
}

func decodeAunts(r []byte, m int) [][32]byte {
	aunts := make([][32]byte, m)
	for i := range aunts {
		copy(aunts[i][:], r[32*i:])
	}
	return aunts
}

// SampleJSON is a sample in the JSON shape of the REST API and of API.md
// ("A sample"): share in base64, nodes, root and aunts in lowercase hex,
// axis "row" or "col". The height is not the sample's to know: the caller
// sets it.
type SampleJSON struct {
	Height uint64
	Sample *Sample
}

type sampleJSONProof struct {
	Start int      `json:"start"`
	End   int      `json:"end"`
	Nodes []string `json:"nodes"`
}

type sampleJSONRootProof struct {
	Index int      `json:"index"`
	Total int      `json:"total"`
	Aunts []string `json:"aunts"`
}

type sampleJSONWire struct {
	Height    uint64              `json:"height"`
	Row       int                 `json:"row"`
	Col       int                 `json:"col"`
	Share     []byte              `json:"share"`
	Axis      string              `json:"axis"`
	Proof     sampleJSONProof     `json:"proof"`
	Root      string              `json:"root"`
	RootProof sampleJSONRootProof `json:"root_proof"`
}

// MarshalJSON encodes j in the API shape.
func (j SampleJSON) MarshalJSON() ([]byte, error) {
	s := j.Sample
	if s == nil {
		return nil, fmt.Errorf("%w: no sample", ErrProofEncoding)
	}
	if s.Axis > Col || s.Proof.LeafHash != nil {
		return nil, fmt.Errorf("%w: axis %d or absence proof", ErrProofEncoding, s.Axis)
	}
	w := sampleJSONWire{
		Height: j.Height, Row: s.Row, Col: s.Col, Share: s.Share[:], Axis: s.Axis.String(),
		Proof:     sampleJSONProof{Start: s.Proof.Start, End: s.Proof.End, Nodes: make([]string, len(s.Proof.Nodes))},
		Root:      hex.EncodeToString(s.Root[:]),
		RootProof: sampleJSONRootProof{Index: s.RootProof.Index, Total: s.RootProof.Total, Aunts: make([]string, len(s.RootProof.Aunts))},
	}
	for i := range s.Proof.Nodes {
		w.Proof.Nodes[i] = hex.EncodeToString(s.Proof.Nodes[i][:])
	}
	for i := range s.RootProof.Aunts {
		w.RootProof.Aunts[i] = hex.EncodeToString(s.RootProof.Aunts[i][:])
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the API shape, rejecting unknown fields, wrong
// sizes, upper-case or malformed hex and lists longer than the largest
// square needs. Like UnmarshalBinary it does not verify: call Verify.
func (j *SampleJSON) UnmarshalJSON(b []byte) error {
	var w sampleJSONWire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: %w", ErrProofEncoding, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the sample", ErrProofEncoding)
	}
	s := &Sample{Row: w.Row, Col: w.Col}
	switch w.Axis {
	case "row":
		s.Axis = Row
	case "col":
		s.Axis = Col
	default:
		return fmt.Errorf("%w: axis %q, want \"row\" or \"col\"", ErrProofEncoding, w.Axis)
	}
	if len(w.Share) != da.ShareSize {
		return fmt.Errorf("%w: share of %d bytes, want %d", ErrProofEncoding, len(w.Share), da.ShareSize)
	}
	copy(s.Share[:], w.Share)
	var err error
	if s.Root, err = jsonNode(w.Root, "root"); err != nil {
		return err
	}
	if len(w.Proof.Nodes) > maxSampleNodes || len(w.RootProof.Aunts) > maxSampleAunts {
		return fmt.Errorf("%w: %d nodes, %d aunts", ErrProofEncoding, len(w.Proof.Nodes), len(w.RootProof.Aunts))
	}
	s.Proof = NMTProof{Start: w.Proof.Start, End: w.Proof.End, Nodes: make([]da.NMTNode, len(w.Proof.Nodes))}
	for i, n := range w.Proof.Nodes {
		if s.Proof.Nodes[i], err = jsonNode(n, "proof node"); err != nil {
			return err
		}
	}
	s.RootProof = MerkleProof{Index: w.RootProof.Index, Total: w.RootProof.Total, Aunts: make([][32]byte, len(w.RootProof.Aunts))}
	for i, a := range w.RootProof.Aunts {
		raw, err := jsonHex(a, 32, "aunt")
		if err != nil {
			return err
		}
		s.RootProof.Aunts[i] = [32]byte(raw)
	}
	j.Height, j.Sample = w.Height, s
	return nil
}

// jsonHex decodes lowercase hex of exactly size bytes.
func jsonHex(s string, size int, what string) ([]byte, error) {
	if len(s) != 2*size {
		return nil, fmt.Errorf("%w: %s of %d hex characters, want %d", ErrProofEncoding, what, len(s), 2*size)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, fmt.Errorf("%w: %s is not lowercase hex", ErrProofEncoding, what)
		}
	}
	return hex.DecodeString(s)
}

func jsonNode(s, what string) (da.NMTNode, error) {
	raw, err := jsonHex(s, da.NMTNodeSize, what)
	if err != nil {
		return da.NMTNode{}, err
	}
	n := da.NMTNode(raw)
	if err := validNode(&n); err != nil {
		return n, fmt.Errorf("%w: %s: %w", ErrProofEncoding, what, err)
	}
	return n, nil
}
