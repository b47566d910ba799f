package api

import (
	"encoding/hex"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// JSON shapes of proofs, in the style of API.md's sample: NMT nodes and
// hashes in lowercase hex, NMT nodes left to right, aunts bottom-up.

// NMTProofJSON is an NMT range proof.
type NMTProofJSON struct {
	Start    int      `json:"start"`
	End      int      `json:"end"`
	Nodes    []string `json:"nodes"`
	LeafHash string   `json:"leaf_hash,omitempty"` // absence proofs only
}

// RootProofJSON is an RFC-6962 proof of a row or column root to the data
// root: index is the row, or 2k + column; total is 4k.
type RootProofJSON struct {
	Index int      `json:"index"`
	Total int      `json:"total"`
	Aunts []string `json:"aunts"`
}

// RowProofJSON is one row's part of a namespace or blob proof.
type RowProofJSON struct {
	Row       int           `json:"row"`
	Proof     *NMTProofJSON `json:"proof,omitempty"`
	Root      string        `json:"root"`
	RootProof RootProofJSON `json:"root_proof"`
}

// NamespaceProofJSON proves a namespace's list of shares at a height is
// complete: a namespace proof per row of the run of rows whose range holds
// the namespace, and the rows just before and after it (whose ranges show
// the run ends there).
type NamespaceProofJSON struct {
	Rows   []RowProofJSON `json:"rows"`
	Before *RowProofJSON  `json:"before,omitempty"`
	After  *RowProofJSON  `json:"after,omitempty"`
}

// BlobProofJSON proves a blob's shares to the data root.
type BlobProofJSON struct {
	Height    uint64         `json:"height"`
	Namespace string         `json:"namespace"`
	Start     int            `json:"start"`
	End       int            `json:"end"`
	Shares    [][]byte       `json:"shares"`
	Rows      []RowProofJSON `json:"rows"`
}

func nmtProofJSON(p *erasure.NMTProof) *NMTProofJSON {
	out := &NMTProofJSON{Start: p.Start, End: p.End, Nodes: hexNodes(p.Nodes)}
	if p.LeafHash != nil {
		out.LeafHash = hex.EncodeToString(p.LeafHash[:])
	}
	return out
}

func rootProofJSON(p *erasure.MerkleProof) RootProofJSON {
	out := RootProofJSON{Index: p.Index, Total: p.Total, Aunts: make([]string, len(p.Aunts))}
	for i := range p.Aunts {
		out.Aunts[i] = hex.EncodeToString(p.Aunts[i][:])
	}
	return out
}

func rowProofJSON(row int, p *erasure.NMTProof, root *da.NMTNode, rp *erasure.MerkleProof) RowProofJSON {
	out := RowProofJSON{Row: row, Root: hex.EncodeToString(root[:]), RootProof: rootProofJSON(rp)}
	if p != nil {
		out.Proof = nmtProofJSON(p)
	}
	return out
}

func newNamespaceProofJSON(nd *erasure.NamespaceData) *NamespaceProofJSON {
	out := &NamespaceProofJSON{Rows: make([]RowProofJSON, len(nd.Rows))}
	for i := range nd.Rows {
		r := &nd.Rows[i]
		out.Rows[i] = rowProofJSON(r.Row, &r.Proof, &r.Root, &r.RootProof)
	}
	if b := nd.Before; b != nil {
		j := rowProofJSON(b.Row, nil, &b.Root, &b.RootProof)
		out.Before = &j
	}
	if a := nd.After; a != nil {
		j := rowProofJSON(a.Row, nil, &a.Root, &a.RootProof)
		out.After = &j
	}
	return out
}

func newBlobProofJSON(height uint64, p *erasure.BlobProof) BlobProofJSON {
	out := BlobProofJSON{Height: height, Namespace: p.Namespace.String(), Start: p.Start, End: p.End,
		Shares: make([][]byte, len(p.Shares)), Rows: make([]RowProofJSON, len(p.Rows))}
	for i := range p.Shares {
		out.Shares[i] = p.Shares[i][:]
	}
	for i := range p.Rows {
		r := &p.Rows[i]
		out.Rows[i] = rowProofJSON(r.Row, &r.Proof, &r.Root, &r.RootProof)
	}
	return out
}
