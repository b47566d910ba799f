package api

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Celestia's JSON shapes (shared/CELESTIA-RPC.md §2), as celestia-node's
// JSON-RPC and the clients built on it encode them: bytes in standard
// base64, namespaces as all 29 bytes, numbers as JSON numbers. The REST
// API keeps its own hex shapes (proofjson.go); these serve rpc.go.

// CelestiaBlob is a blob in celestia-node's JSON shape.
type CelestiaBlob struct {
	Blob       da.Blob
	Commitment [32]byte
	// Index is the EDS index (row·2k + column) of the blob's first share,
	// as celestia-node reports it; -1 for a blob not read from a square.
	Index int
}

// celestiaBlobWire is CelestiaBlob's JSON. Signer is only ever sent for
// share version 1: celestia's decoder refuses a signer on version 0, even
// an empty one.
type celestiaBlobWire struct {
	Namespace    []byte `json:"namespace"`
	Data         []byte `json:"data"`
	ShareVersion uint8  `json:"share_version"`
	Commitment   []byte `json:"commitment"`
	Signer       []byte `json:"signer,omitempty"`
	Index        int    `json:"index"`
}

// MarshalJSON always includes the commitment: clients build blob IDs from
// it (an absent one decodes as empty, not recomputed).
func (b CelestiaBlob) MarshalJSON() ([]byte, error) {
	w := celestiaBlobWire{Namespace: b.Blob.Namespace[:], Data: b.Blob.Data, ShareVersion: b.Blob.ShareVersion,
		Commitment: b.Commitment[:], Index: b.Index}
	if b.Blob.ShareVersion != da.ShareVersionZero {
		w.Signer = b.Blob.Signer
	}
	return json.Marshal(w)
}

// UnmarshalJSON rebuilds the blob and computes its commitment. A
// commitment the sender gives must be that one: a client forms the blob's
// ID from it and would look for the blob under a name it does not have.
func (b *CelestiaBlob) UnmarshalJSON(raw []byte) error {
	w := celestiaBlobWire{Index: -1}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	ns, err := decodeCelestiaNamespace(w.Namespace)
	if err != nil {
		return err
	}
	if len(w.Data) == 0 {
		return errors.New("blob: data can not be empty")
	}
	blob, err := da.NewBlob(ns, w.Data, w.ShareVersion, w.Signer)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	c, err := da.CreateCommitment(&blob)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	if w.Commitment != nil && !bytes.Equal(w.Commitment, c[:]) {
		return fmt.Errorf("blob: commitment %x does not match the blob's data and namespace (they commit to %x)", w.Commitment, c)
	}
	*b = CelestiaBlob{Blob: blob, Commitment: c, Index: w.Index}
	return nil
}

// decodeCelestiaNamespace checks decoded namespace bytes as celestia's
// decoder does: exactly 29 bytes, a known version, the version-0 prefix.
func decodeCelestiaNamespace(b []byte) (da.Namespace, error) {
	if len(b) != da.NamespaceSize {
		return da.Namespace{}, fmt.Errorf("invalid namespace length: %d. Must be %d bytes (standard base64 of version ‖ 28-byte ID)", len(b), da.NamespaceSize)
	}
	return da.NamespaceFromBytes(b)
}

// CelestiaNamespace is a namespace parameter: standard base64 of 29 bytes.
type CelestiaNamespace struct{ da.Namespace }

// MarshalJSON writes the 29 bytes in base64.
func (n CelestiaNamespace) MarshalJSON() ([]byte, error) { return json.Marshal(n.Namespace[:]) }

// UnmarshalJSON reads 29 bytes of standard base64.
func (n *CelestiaNamespace) UnmarshalJSON(raw []byte) error {
	var b []byte
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("namespace: want standard base64 of 29 bytes: %w", err)
	}
	ns, err := decodeCelestiaNamespace(b)
	if err != nil {
		return err
	}
	n.Namespace = ns
	return nil
}

// CelestiaNMTProof is an NMT proof as nmt's pb.Proof encodes to JSON:
// every field omitted when zero, nodes of 90 bytes (min namespace ‖ max
// namespace ‖ hash). celestia-node marks every proof it serves as ignoring
// the max namespace (the parity namespace's rule, SPEC §5).
type CelestiaNMTProof struct {
	Start                 int      `json:"start,omitempty"`
	End                   int      `json:"end,omitempty"`
	Nodes                 [][]byte `json:"nodes,omitempty"`
	LeafHash              []byte   `json:"leaf_hash,omitempty"`
	IsMaxNamespaceIgnored bool     `json:"is_max_namespace_ignored,omitempty"`
}

// NewCelestiaNMTProof converts an NMT proof to Celestia's shape.
func NewCelestiaNMTProof(p *erasure.NMTProof) *CelestiaNMTProof {
	out := &CelestiaNMTProof{Start: p.Start, End: p.End, IsMaxNamespaceIgnored: true}
	if len(p.Nodes) > 0 {
		out.Nodes = make([][]byte, len(p.Nodes))
		for i := range p.Nodes {
			out.Nodes[i] = p.Nodes[i][:]
		}
	}
	if p.LeafHash != nil {
		out.LeafHash = p.LeafHash[:]
	}
	return out
}

// NMTProof converts back, checking the shape: sizes of nodes and leaf
// hash, a range that is not reversed.
func (p *CelestiaNMTProof) NMTProof() (erasure.NMTProof, error) {
	out := erasure.NMTProof{Start: p.Start, End: p.End}
	if p.Start < 0 || p.End < p.Start {
		return out, fmt.Errorf("nmt proof: range [%d, %d) is reversed or negative", p.Start, p.End)
	}
	out.Nodes = make([]da.NMTNode, len(p.Nodes))
	for i, n := range p.Nodes {
		if len(n) != da.NMTNodeSize {
			return out, fmt.Errorf("nmt proof: node %d has %d bytes, want %d", i, len(n), da.NMTNodeSize)
		}
		out.Nodes[i] = da.NMTNode(n)
	}
	if p.LeafHash != nil {
		if len(p.LeafHash) != da.NMTNodeSize {
			return out, fmt.Errorf("nmt proof: leaf hash has %d bytes, want %d", len(p.LeafHash), da.NMTNodeSize)
		}
		lh := da.NMTNode(p.LeafHash)
		out.LeafHash = &lh
	}
	return out, nil
}

// CelestiaMerkleProof is an RFC-6962 proof of one leaf (a row or column
// root) to the data root, as CometBFT's merkle.Proof encodes to JSON:
// leaf_hash is the leaf's hash, aunts bottom-up.
type CelestiaMerkleProof struct {
	Total    int64    `json:"total"`
	Index    int64    `json:"index"`
	LeafHash []byte   `json:"leaf_hash"`
	Aunts    [][]byte `json:"aunts,omitempty"`
}

func newCelestiaMerkleProof(p *erasure.MerkleProof, leaf []byte) *CelestiaMerkleProof {
	lh := da.MerkleLeafHash(leaf)
	out := &CelestiaMerkleProof{Total: int64(p.Total), Index: int64(p.Index), LeafHash: lh[:]}
	for i := range p.Aunts {
		out.Aunts = append(out.Aunts, p.Aunts[i][:])
	}
	return out
}

// MerkleProof converts back, checking the aunts' size.
func (p *CelestiaMerkleProof) MerkleProof() (erasure.MerkleProof, error) {
	out := erasure.MerkleProof{Index: int(p.Index), Total: int(p.Total)}
	if p.Index < 0 || p.Total <= 0 || p.Index >= p.Total || p.Total > erasure.MaxMerkleLeaves {
		return out, fmt.Errorf("merkle proof: index %d of %d leaves is out of range", p.Index, p.Total)
	}
	for i, a := range p.Aunts {
		if len(a) != 32 {
			return out, fmt.Errorf("merkle proof: aunt %d has %d bytes, want 32", i, len(a))
		}
		out.Aunts = append(out.Aunts, [32]byte(a))
	}
	return out, nil
}

// HexBytes are bytes in JSON as uppercase hex, as CometBFT's HexBytes
// (only consensus imports CometBFT, DESIGN.md §2a).
type HexBytes []byte

// MarshalJSON writes uppercase hex.
func (b HexBytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.ToUpper(hex.EncodeToString(b)))
}

// UnmarshalJSON reads hex of either case.
func (b *HexBytes) UnmarshalJSON(raw []byte) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("want hex: %w", err)
	}
	*b = v
	return nil
}

// CelestiaRowProof proves rows StartRow..EndRow (inclusive) to the data
// root, one Merkle proof per row root, as celestia-core's RowProof: row
// roots in uppercase hex (CometBFT's HexBytes).
type CelestiaRowProof struct {
	RowRoots []HexBytes             `json:"row_roots"`
	Proofs   []*CelestiaMerkleProof `json:"proofs"`
	StartRow uint32                 `json:"start_row"`
	EndRow   uint32                 `json:"end_row"`
}

// CelestiaShareProof proves a run of ODS shares of one namespace to the
// data root, as celestia-core's ShareProof (what share.GetRange answers):
// an NMT proof per row against that row's root, and the row roots'
// proofs to the data root.
type CelestiaShareProof struct {
	Data             [][]byte            `json:"data"`
	ShareProofs      []*CelestiaNMTProof `json:"share_proofs"`
	NamespaceID      []byte              `json:"namespace_id"`
	RowProof         CelestiaRowProof    `json:"row_proof"`
	NamespaceVersion uint32              `json:"namespace_version"`
}

// NewCelestiaShareProof converts a blob proof (ODS shares [Start, End) of
// one namespace) to Celestia's ShareProof. Its NMT proofs are
// Tendermint's NMTProof, which has no is_max_namespace_ignored.
func NewCelestiaShareProof(p *erasure.BlobProof) *CelestiaShareProof {
	id := p.Namespace.ID()
	out := &CelestiaShareProof{Data: make([][]byte, len(p.Shares)), ShareProofs: make([]*CelestiaNMTProof, len(p.Rows)),
		NamespaceID: id[:], NamespaceVersion: uint32(p.Namespace.Version()), RowProof: newCelestiaRowProof(p)}
	for i := range p.Shares {
		out.Data[i] = p.Shares[i][:]
	}
	for i := range p.Rows {
		out.ShareProofs[i] = NewCelestiaNMTProof(&p.Rows[i].Proof)
		out.ShareProofs[i].IsMaxNamespaceIgnored = false
	}
	return out
}

func newCelestiaRowProof(p *erasure.BlobProof) CelestiaRowProof {
	out := CelestiaRowProof{RowRoots: make([]HexBytes, len(p.Rows)), Proofs: make([]*CelestiaMerkleProof, len(p.Rows))}
	for i := range p.Rows {
		r := &p.Rows[i]
		out.RowRoots[i] = r.Root[:]
		out.Proofs[i] = newCelestiaMerkleProof(&r.RootProof, r.Root[:])
	}
	if n := len(p.Rows); n > 0 {
		out.StartRow, out.EndRow = uint32(p.Rows[0].Row), uint32(p.Rows[n-1].Row)
	}
	return out
}

// CelestiaCommitmentProof proves a blob's commitment to the data root, as
// celestia-node's blob.CommitmentProof: the blob's subtree roots (whose
// RFC-6962 root is the commitment), per row an NMT range proof of the
// blob's shares there (verified with the subtree roots in place of the
// shares), and the rows' proofs to the data root. celestia-node encodes
// the row proof with CometBFT's JSON codec, whose 64-bit integers are
// strings: hence its own shape.
type CelestiaCommitmentProof struct {
	SubtreeRoots      [][]byte            `json:"subtree_roots"`
	SubtreeRootProofs []*CelestiaNMTProof `json:"subtree_root_proofs"`
	NamespaceID       []byte              `json:"namespace_id"`
	RowProof          celestiaTMRowProof  `json:"row_proof"`
	NamespaceVersion  uint8               `json:"namespace_version"`
}

// celestiaTMRowProof is celestia-app's proto RowProof in CometBFT's JSON.
type celestiaTMRowProof struct {
	RowRoots [][]byte                 `json:"row_roots,omitempty"`
	Proofs   []*celestiaTMMerkleProof `json:"proofs,omitempty"`
	StartRow uint32                   `json:"start_row,omitempty"`
	EndRow   uint32                   `json:"end_row,omitempty"`
}

// celestiaTMMerkleProof is Tendermint's proto Proof in CometBFT's JSON.
type celestiaTMMerkleProof struct {
	Total    int64    `json:"total,omitempty,string"`
	Index    int64    `json:"index,omitempty,string"`
	LeafHash []byte   `json:"leaf_hash,omitempty"`
	Aunts    [][]byte `json:"aunts,omitempty"`
}

// NewCelestiaCommitmentProof builds a blob's commitment proof from its
// subtree roots and the proof of its shares.
func NewCelestiaCommitmentProof(roots []da.NMTNode, p *erasure.BlobProof) *CelestiaCommitmentProof {
	id := p.Namespace.ID()
	rp := newCelestiaRowProof(p)
	out := &CelestiaCommitmentProof{SubtreeRoots: make([][]byte, len(roots)), SubtreeRootProofs: make([]*CelestiaNMTProof, len(p.Rows)),
		NamespaceID: id[:], NamespaceVersion: p.Namespace.Version(),
		RowProof: celestiaTMRowProof{StartRow: rp.StartRow, EndRow: rp.EndRow}}
	for i := range roots {
		out.SubtreeRoots[i] = roots[i][:]
	}
	for i := range p.Rows {
		out.SubtreeRootProofs[i] = NewCelestiaNMTProof(&p.Rows[i].Proof)
		out.RowProof.RowRoots = append(out.RowProof.RowRoots, rp.RowRoots[i])
		m := rp.Proofs[i]
		out.RowProof.Proofs = append(out.RowProof.Proofs, &celestiaTMMerkleProof{Total: m.Total, Index: m.Index, LeafHash: m.LeafHash, Aunts: m.Aunts})
	}
	return out
}

// CelestiaSample is one cell with its NMT proof to its row root
// (proof_type 0) or column root (1), as celestia-node's shwap Sample. The
// root is checked against the header's DAH; Tartan adds the root's proof
// to the data root, which a client with only the data root needs.
type CelestiaSample struct {
	Share     []byte               `json:"share"`
	Proof     *CelestiaNMTProof    `json:"proof"`
	ProofType erasure.Axis         `json:"proof_type"`
	RootProof *CelestiaMerkleProof `json:"root_proof,omitempty"`
}

// NewCelestiaSample converts a sample.
func NewCelestiaSample(s *erasure.Sample) CelestiaSample {
	return CelestiaSample{Share: s.Share[:], Proof: NewCelestiaNMTProof(&s.Proof), ProofType: s.Axis,
		RootProof: newCelestiaMerkleProof(&s.RootProof, s.Root[:])}
}

// CelestiaRowNamespaceData is one row's shares of a namespace with their
// NMT proof to the row root (an absence proof when the row has none), as
// shwap's RowNamespaceData.
type CelestiaRowNamespaceData struct {
	Shares [][]byte          `json:"shares"`
	Proof  *CelestiaNMTProof `json:"proof"`
}

// NewCelestiaNamespaceData converts a namespace's rows.
func NewCelestiaNamespaceData(nd *erasure.NamespaceData) []CelestiaRowNamespaceData {
	out := make([]CelestiaRowNamespaceData, len(nd.Rows))
	for i := range nd.Rows {
		r := &nd.Rows[i]
		out[i] = CelestiaRowNamespaceData{Shares: make([][]byte, len(r.Shares)), Proof: NewCelestiaNMTProof(&r.Proof)}
		for j := range r.Shares {
			out[i].Shares[j] = r.Shares[j][:]
		}
	}
	return out
}

// CelestiaDAH is the data availability header: the 2k row and 2k column
// roots, whose RFC-6962 root over rows then columns is the data root.
type CelestiaDAH struct {
	RowRoots    [][]byte `json:"row_roots"`
	ColumnRoots [][]byte `json:"column_roots"`
}

// NewCelestiaDAH converts a DAH.
func NewCelestiaDAH(d *erasure.DAH) *CelestiaDAH {
	out := &CelestiaDAH{RowRoots: make([][]byte, len(d.RowRoots)), ColumnRoots: make([][]byte, len(d.ColRoots))}
	for i := range d.RowRoots {
		out.RowRoots[i] = d.RowRoots[i][:]
	}
	for i := range d.ColRoots {
		out.ColumnRoots[i] = d.ColRoots[i][:]
	}
	return out
}

// DAH converts back, checking sizes and shape.
func (c *CelestiaDAH) DAH() (*erasure.DAH, error) {
	d := &erasure.DAH{RowRoots: make([]da.NMTNode, len(c.RowRoots)), ColRoots: make([]da.NMTNode, len(c.ColumnRoots))}
	for i, r := range c.RowRoots {
		if len(r) != da.NMTNodeSize {
			return nil, fmt.Errorf("dah: row root %d has %d bytes, want %d", i, len(r), da.NMTNodeSize)
		}
		d.RowRoots[i] = da.NMTNode(r)
	}
	for i, r := range c.ColumnRoots {
		if len(r) != da.NMTNodeSize {
			return nil, fmt.Errorf("dah: column root %d has %d bytes, want %d", i, len(r), da.NMTNodeSize)
		}
		d.ColRoots[i] = da.NMTNode(r)
	}
	return d, d.Validate()
}
