// Package oracle is the Go side of TartanDataRootOracle (contracts/src):
// its ABI and bytecode from the committed artifact, and the calls the
// relayer and the tests make, packed from settlement's types.
package oracle

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tartan-da/tartan/contracts"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/bindings"
)

// Contract is a compiled contract: its ABI and creation bytecode.
type Contract struct {
	Name     string
	ABI      abi.ABI
	Bytecode []byte
}

// Load reads a contract's artifact (contracts/artifacts/<name>.json).
func Load(name string) (*Contract, error) {
	b, err := contracts.Artifacts.ReadFile("artifacts/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("oracle: no artifact for %s: %w", name, err)
	}
	var art struct {
		ABI      json.RawMessage `json:"abi"`
		Bytecode string          `json:"bytecode"`
	}
	if err := json.Unmarshal(b, &art); err != nil {
		return nil, fmt.Errorf("oracle: artifact %s: %w", name, err)
	}
	c := &Contract{Name: name}
	if c.ABI, err = abi.JSON(strings.NewReader(string(art.ABI))); err != nil {
		return nil, fmt.Errorf("oracle: ABI of %s: %w", name, err)
	}
	if c.Bytecode, err = hexutil.Decode(art.Bytecode); err != nil {
		return nil, fmt.Errorf("oracle: bytecode of %s: %w", name, err)
	}
	return c, nil
}

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

// DeployInput is the constructor's packed arguments.
func (c *Contract) DeployInput(tartanChainID string, window uint64, set []Attester, guardian common.Address) ([]byte, error) {
	args, err := c.ABI.Pack("", tartanChainID, window, set, guardian)
	if err != nil {
		return nil, fmt.Errorf("oracle: constructor: %w", err)
	}
	return append(append([]byte(nil), c.Bytecode...), args...), nil
}

// CommitRange packs commitRange for commitment c with one signature per
// attester (absent ones empty).
func (c *Contract) CommitRange(com settlement.Commitment, set []Attester, sigs [][]byte) ([]byte, error) {
	ss := make([]Signature, len(sigs))
	for i, s := range sigs {
		ss[i] = SplitSignature(s)
	}
	return c.ABI.Pack("commitRange", com.Start, com.End, com.TupleRoot, set, ss)
}

// AttestersHash is keccak256(abi.encode(set)), the hash the oracle keeps
// of its attester set.
func (c *Contract) AttestersHash(set []Attester) ([32]byte, error) {
	in := c.ABI.Constructor.Inputs
	if len(in) < 3 {
		return [32]byte{}, fmt.Errorf("oracle: %s's constructor takes no attester set", c.Name)
	}
	b, err := abi.Arguments{in[2]}.Pack(set)
	if err != nil {
		return [32]byte{}, fmt.Errorf("oracle: attester set: %w", err)
	}
	return crypto.Keccak256Hash(b), nil
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
