// Package oracle turns Tartan's proofs and signatures into the structs
// the contracts (contracts/src) take: a blob proof or a namespace proof
// with its tuple proof for TartanBlobVerifier, and an attester's
// signature for TartanDataRootOracle. Its tests run the contracts on
// go-ethereum's simulated chain.
package oracle

import (
	"fmt"
	"math/big"

	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/bindings"
)

// The contracts' structs, as the generated bindings define them.
type (
	// Attester is one entry of the oracle's attester set.
	Attester = bindings.TartanDataRootOracleAttester
	// Signature is an attester's; V = 0 marks one that did not sign.
	Signature = bindings.TartanDataRootOracleSignature
	// Tuple is Blobstream's DataRootTuple.
	Tuple = bindings.DataRootTuple
	// MerkleProof is Blobstream's BinaryMerkleProof.
	MerkleProof = bindings.BinaryMerkleProof
	// RowProof and BlobProof are TartanBlobVerifier's blob proof.
	RowProof  = bindings.RowProof
	BlobProof = bindings.BlobProof
	// RowBound, NamespaceRowProof and NamespaceProof are its namespace
	// proof.
	RowBound          = bindings.RowBound
	NamespaceRowProof = bindings.NamespaceRowProof
	NamespaceProof    = bindings.NamespaceProof
)

// SplitSignature turns r ‖ s ‖ v (settlement.Domain.Sign) into the
// contract's struct; nil gives the absent marker.
func SplitSignature(sig []byte) Signature {
	var s Signature
	if len(sig) != settlement.SignatureSize {
		return s
	}
	copy(s.R[:], sig[:32])
	copy(s.S[:], sig[32:64])
	s.V = sig[64]
	return s
}

// NewBlobProof is the verifier's form of a blob proof from a square of
// width k at the tuple's height, with the tuple's proof to commitment
// nonce (settlement.ProveTuple).
func NewBlobProof(p *erasure.BlobProof, k int, nonce uint64, t settlement.Tuple, tp erasure.MerkleProof) BlobProof {
	out := BlobProof{SquareWidth: big.NewInt(int64(k)), Nonce: new(big.Int).SetUint64(nonce),
		Tuple:      Tuple{Height: new(big.Int).SetUint64(t.Height), DataRoot: t.DataRoot},
		TupleProof: MerkleProof{SideNodes: tp.Aunts, Key: big.NewInt(int64(tp.Index)), NumLeaves: big.NewInt(int64(tp.Total))}}
	if out.TupleProof.SideNodes == nil {
		out.TupleProof.SideNodes = [][32]byte{}
	}
	for i := range p.Shares {
		out.Shares = append(out.Shares, p.Shares[i][:]...)
	}
	for i := range p.Rows {
		r := &p.Rows[i]
		rp := RowProof{Row: big.NewInt(int64(r.Row)), Start: big.NewInt(int64(r.Proof.Start)), End: big.NewInt(int64(r.Proof.End)),
			Nodes: []byte{}, RowRoot: append([]byte(nil), r.Root[:]...), RootAunts: append([][32]byte{}, r.RootProof.Aunts...)}
		for _, n := range r.Proof.Nodes {
			rp.Nodes = append(rp.Nodes, n[:]...)
		}
		out.Rows = append(out.Rows, rp)
	}
	return out
}

// EncodeBlobProof is abi.encode(p), what a contract function taking one
// BlobProof reads after its selector, and the ABI signature of the type.
func EncodeBlobProof(p BlobProof) (enc []byte, abiType string, err error) {
	// The inbox's submitBatch takes exactly one BlobProof.
	args := bindings.NewExampleRollupInbox().GetABI().Methods["submitBatch"].Inputs
	if enc, err = args.Pack(p); err != nil {
		return nil, "", fmt.Errorf("oracle: encoding a blob proof: %w", err)
	}
	return enc, args[0].Type.String(), nil
}

func rowBound(b *erasure.RowBound) RowBound {
	if b == nil {
		return RowBound{Row: new(big.Int), RowRoot: []byte{}, RootAunts: [][32]byte{}}
	}
	return RowBound{Row: big.NewInt(int64(b.Row)), RowRoot: append([]byte(nil), b.Root[:]...), RootAunts: append([][32]byte{}, b.RootProof.Aunts...)}
}

// NewNamespaceProof is the verifier's form of a namespace's data in a
// square of width k at the tuple's height (erasure.NamespaceData), with
// the tuple's proof to commitment nonce.
func NewNamespaceProof(nd *erasure.NamespaceData, k int, nonce uint64, t settlement.Tuple, tp erasure.MerkleProof) NamespaceProof {
	out := NamespaceProof{Shares: []byte{}, Rows: []NamespaceRowProof{},
		HasBelow: nd.Before != nil, Below: rowBound(nd.Before), HasAbove: nd.After != nil, Above: rowBound(nd.After),
		SquareWidth: big.NewInt(int64(k)), Nonce: new(big.Int).SetUint64(nonce),
		Tuple:      Tuple{Height: new(big.Int).SetUint64(t.Height), DataRoot: t.DataRoot},
		TupleProof: MerkleProof{SideNodes: append([][32]byte{}, tp.Aunts...), Key: big.NewInt(int64(tp.Index)), NumLeaves: big.NewInt(int64(tp.Total))}}
	for i := range nd.Rows {
		r := &nd.Rows[i]
		for j := range r.Shares {
			out.Shares = append(out.Shares, r.Shares[j][:]...)
		}
		rp := NamespaceRowProof{Row: big.NewInt(int64(r.Row)), Start: big.NewInt(int64(r.Proof.Start)), End: big.NewInt(int64(r.Proof.End)),
			Nodes: []byte{}, LeafNode: []byte{}, RowRoot: append([]byte(nil), r.Root[:]...), RootAunts: append([][32]byte{}, r.RootProof.Aunts...)}
		for _, n := range r.Proof.Nodes {
			rp.Nodes = append(rp.Nodes, n[:]...)
		}
		if r.Proof.LeafHash != nil {
			rp.LeafNode = append(rp.LeafNode, r.Proof.LeafHash[:]...)
		}
		out.Rows = append(out.Rows, rp)
	}
	return out
}
