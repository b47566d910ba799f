package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tartan-da/tartan/da"
)

// CelestiaHeader is an extended header as Celestia clients decode it
// (CELESTIA-RPC.md §2, "Header"): heights inside header and commit are
// numbers, the top-level height a decimal string. header.data_hash is the
// data root, as on Celestia, where the data root is the block's data
// hash; Tartan's CometBFT data_hash (the Merkle root of the block's
// transactions, whose first holds the data root) is in data_root_proof of
// the REST header. dah is absent on light nodes, which keep only the data
// root.
type CelestiaHeader struct {
	Header       CelestiaRawHeader    `json:"header"`
	Commit       CelestiaCommit       `json:"commit"`
	ValidatorSet CelestiaValidatorSet `json:"validator_set"`
	DAH          *CelestiaDAH         `json:"dah,omitempty"`
	Height       uint64               `json:"height,string"`
}

// CelestiaRawHeader is the part of the signed header Celestia clients
// read. Hashes are uppercase hex, as CometBFT writes them.
type CelestiaRawHeader struct {
	ChainID         string    `json:"chain_id"`
	Height          uint64    `json:"height"`
	Time            time.Time `json:"time"`
	LastHeaderHash  []byte    `json:"last_header_hash,omitempty"`
	DataHash        string    `json:"data_hash,omitempty"`
	ValidatorsHash  string    `json:"validators_hash,omitempty"`
	ProposerAddress string    `json:"proposer_address,omitempty"`
}

// CelestiaCommit is the commit that finalized the block.
type CelestiaCommit struct {
	Height     uint64              `json:"height"`
	Round      int32               `json:"round"`
	BlockID    CelestiaBlockID     `json:"block_id"`
	Signatures []CelestiaCommitSig `json:"signatures"`
}

// CelestiaBlockID names a block by its hash and part-set header.
type CelestiaBlockID struct {
	Hash  string `json:"hash"`
	Parts struct {
		Total uint32 `json:"total"`
		Hash  string `json:"hash"`
	} `json:"parts"`
}

// CelestiaCommitSig is one validator's precommit: flag 2 signed the
// block, 1 was absent.
type CelestiaCommitSig struct {
	BlockIDFlag      int       `json:"block_id_flag"`
	ValidatorAddress string    `json:"validator_address"`
	Timestamp        time.Time `json:"timestamp"`
	Signature        []byte    `json:"signature"`
}

// CelestiaValidatorSet lists the validators when the set changed at this
// height (and at a node's first height); empty otherwise.
type CelestiaValidatorSet struct {
	Validators []CelestiaValidator `json:"validators,omitempty"`
}

// CelestiaValidator is one validator: address (uppercase hex), ed25519
// public key, voting power.
type CelestiaValidator struct {
	Address string `json:"address"`
	PubKey  struct {
		Type  string `json:"type"`
		Value []byte `json:"value"`
	} `json:"pub_key"`
	VotingPower int64 `json:"voting_power,string"`
}

// celestiaHeader builds a header's Celestia shape.
func (s *Server) celestiaHeader(ctx context.Context, h *da.Header) (*CelestiaHeader, error) {
	c, err := s.svc.Headers.Consensus(ctx, h)
	if err != nil {
		return nil, err
	}
	up := strings.ToUpper
	out := &CelestiaHeader{Height: h.Height,
		Header: CelestiaRawHeader{ChainID: h.ChainID, Height: h.Height, Time: h.Time.UTC(), LastHeaderHash: h.PrevHash[:],
			DataHash: up(hex.EncodeToString(h.DataRoot[:])), ValidatorsHash: up(c.ValidatorsHash), ProposerAddress: up(c.Proposer)},
		Commit: CelestiaCommit{Height: h.Height, Round: c.Commit.Round, Signatures: make([]CelestiaCommitSig, len(c.Commit.Signatures))},
	}
	out.Commit.BlockID.Hash = up(c.Commit.BlockID.Hash)
	out.Commit.BlockID.Parts.Total, out.Commit.BlockID.Parts.Hash = c.Commit.BlockID.PartTotal, up(c.Commit.BlockID.PartHash)
	for i, sg := range c.Commit.Signatures {
		cs := CelestiaCommitSig{BlockIDFlag: 1, ValidatorAddress: up(sg.ValidatorAddress), Timestamp: sg.Timestamp}
		if sg.Signature != "" {
			cs.BlockIDFlag = 2
			cs.Signature, _ = hex.DecodeString(sg.Signature)
		}
		out.Commit.Signatures[i] = cs
	}
	for _, v := range c.Validators {
		cv := CelestiaValidator{Address: up(v.Address), VotingPower: v.VotingPower}
		cv.PubKey.Type = "tendermint/PubKeyEd25519"
		cv.PubKey.Value, _ = hex.DecodeString(v.PubKey)
		out.ValidatorSet.Validators = append(out.ValidatorSet.Validators, cv)
	}
	d, err := s.svc.Headers.DAH(ctx, h.Height)
	switch {
	case err == nil:
		out.DAH = NewCelestiaDAH(d)
	case !errors.Is(err, ErrNotServed) && !errors.Is(err, ErrPruned):
		return nil, err
	}
	return out, nil
}

// rpcHeader serves the "header" namespace.
type rpcHeader struct{ s *Server }

// GetByHeight returns the header at height, empty blocks included; a
// height this node does not have yet is "from the future".
func (r *rpcHeader) GetByHeight(ctx context.Context, height uint64) (*CelestiaHeader, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	if r.s.svc.Headers == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	h, err := r.s.svc.Headers.Header(ctx, height)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotYet) {
		return nil, r.s.fromFuture(ctx, height)
	}
	if err != nil {
		return nil, errors.New(message(err))
	}
	out, err := r.s.celestiaHeader(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("header %d: %s", height, message(err))
	}
	return out, nil
}

// NetworkHead returns the newest header this node has verified: the
// network's head as far as it knows.
func (r *rpcHeader) NetworkHead(ctx context.Context) (*CelestiaHeader, error) {
	return r.head(ctx)
}

// LocalHead is NetworkHead: a Tartan node stores every header it verifies.
func (r *rpcHeader) LocalHead(ctx context.Context) (*CelestiaHeader, error) {
	return r.head(ctx)
}

func (r *rpcHeader) head(ctx context.Context) (*CelestiaHeader, error) {
	if r.s.svc.Headers == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	h, err := r.s.svc.Headers.Head(ctx)
	if err != nil {
		return nil, errors.New(message(err))
	}
	out, err := r.s.celestiaHeader(ctx, h)
	if err != nil {
		return nil, errors.New(message(err))
	}
	return out, nil
}

// WaitForHeight returns the header at height once this node has it,
// waiting until then or until the client gives up.
func (r *rpcHeader) WaitForHeight(ctx context.Context, height uint64) (*CelestiaHeader, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	wait := 20 * time.Millisecond
	for {
		out, err := r.GetByHeight(ctx, height)
		if err == nil || !strings.Contains(err.Error(), "from the future") {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}
