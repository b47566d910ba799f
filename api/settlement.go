package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tartan-da/tartan/erasure"
)

// Settlement serves the validators' attestations of data roots to
// Ethereum (issue 11): each commitment covers a range of heights with the
// root of Blobstream's data-root tuples, signed by validators. Byte
// strings are 0x-prefixed hex, as Ethereum tooling writes them.
type Settlement interface {
	// Commitment is the commitment of a nonce with the signatures this
	// node holds; ErrNotYet while its range is not all below the head.
	Commitment(ctx context.Context, nonce uint64) (SettlementCommitment, error)
	// CommitmentAt is the commitment whose range holds height.
	CommitmentAt(ctx context.Context, height uint64) (SettlementCommitment, error)
	// TupleProof proves a height's tuple to its commitment's tuple root.
	TupleProof(ctx context.Context, height uint64) (TupleProof, error)
	// EVMBlobProof is p, a blob proof in a square of width k at height,
	// with the height's tuple proof, in the form TartanBlobVerifier takes;
	// errors as TupleProof's.
	EVMBlobProof(ctx context.Context, height uint64, k int, p *erasure.BlobProof) (EVMBlobProof, error)
}

// EVMBlobProof answers GET /v1/blobs/{h}/{ns}/{c}/proof?format=evm: the
// ABI encoding of TartanBlobVerifier's BlobProof (abi.encode of the one
// tuple, so a call's data is a selector taking it followed by Proof), and
// what it rests on: the height's tuple in the commitment of Nonce, which
// the oracle must hold for the proof to pass.
type EVMBlobProof struct {
	Height      uint64 `json:"height"`
	Nonce       uint64 `json:"nonce"`
	DataRoot    string `json:"data_root"`
	SquareWidth int    `json:"square_width"`
	// ABIType is the Solidity type Proof encodes, as an ABI signature.
	ABIType string `json:"abi_type"`
	Proof   string `json:"proof"`
}

// SettlementCommitment answers GET /v1/settlement/commitments/{nonce}:
// heights [start, end), their tuple root, and the validators' EIP-712
// signatures (r ‖ s ‖ v) over it. attested is whether the signers hold
// more than 2/3 of the attesting power, which the oracle requires.
type SettlementCommitment struct {
	Nonce       uint64                `json:"nonce"`
	Start       uint64                `json:"start"`
	End         uint64                `json:"end"`
	TupleRoot   string                `json:"tuple_root"`
	Attesters   []SettlementAttester  `json:"attesters"`
	Signatures  []SettlementSignature `json:"signatures"`
	SignedPower int64                 `json:"signed_power"`
	TotalPower  int64                 `json:"total_power"`
	Attested    bool                  `json:"attested"`
}

// SettlementAttester is one entry of the attester set.
type SettlementAttester struct {
	Validator string `json:"validator"`
	Address   string `json:"address"`
	Power     int64  `json:"power"`
}

// SettlementSignature is one validator's attestation.
type SettlementSignature struct {
	Validator string `json:"validator"`
	Address   string `json:"address"`
	Signature string `json:"signature"`
}

// TupleProof answers GET /v1/settlement/tuple-proof/{height}: the
// height's tuple and Blobstream's BinaryMerkleProof of it (side nodes
// bottom-up, key = its index in the range) to the tuple root of nonce.
type TupleProof struct {
	Height    uint64           `json:"height"`
	DataRoot  string           `json:"data_root"`
	Nonce     uint64           `json:"nonce"`
	TupleRoot string           `json:"tuple_root"`
	Proof     BinaryMerkleJSON `json:"proof"`
}

// BinaryMerkleJSON is Blobstream's BinaryMerkleProof.
type BinaryMerkleJSON struct {
	SideNodes []string `json:"side_nodes"`
	Key       uint64   `json:"key"`
	NumLeaves uint64   `json:"num_leaves"`
}

func (s *Server) settlementCommitment(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("nonce")
	nonce, err := strconv.ParseUint(v, 10, 64)
	if err != nil || nonce == 0 {
		err = badRequest("bad_nonce", fmt.Errorf("nonce %q: want a positive integer", clip(v, 32)))
	} else if s.svc.Settlement == nil {
		err = ErrNotServed
	}
	var c SettlementCommitment
	if err == nil {
		c, err = s.svc.Settlement.Commitment(r.Context(), nonce)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, c)
}

func (s *Server) settlementCommitmentAt(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("height")
	height, err := strconv.ParseUint(q, 10, 64)
	if err != nil || height == 0 {
		err = badRequest("bad_height", fmt.Errorf("height %q: give ?height= with a positive integer", clip(q, 32)))
	} else if s.svc.Settlement == nil {
		err = ErrNotServed
	}
	var c SettlementCommitment
	if err == nil {
		c, err = s.svc.Settlement.CommitmentAt(r.Context(), height)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, c)
}

func (s *Server) tupleProof(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	if err == nil && s.svc.Settlement == nil {
		err = ErrNotServed
	}
	var p TupleProof
	if err == nil {
		p, err = s.svc.Settlement.TupleProof(r.Context(), height)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, p)
}
