package consensus

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/tartan-da/tartan/da"
)

const testChainID = "tartan-test"

// genesisTime is the time of height 1; each later height is a second on.
var genesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testValidator is a validator's private key and voting power.
type testValidator struct {
	pv    types.MockPV
	power int64
}

func newValidators(powers ...int64) []testValidator {
	vs := make([]testValidator, len(powers))
	for i, p := range powers {
		vs[i] = testValidator{pv: types.NewMockPV(), power: p}
	}
	return vs
}

func valSet(vs []testValidator) *types.ValidatorSet {
	vals := make([]*types.Validator, len(vs))
	for i, v := range vs {
		vals[i] = v.pv.ExtractIntoValidator(v.power)
	}
	return types.NewValidatorSet(vals)
}

// testBlock is one height of a test chain.
type testBlock struct {
	block *types.Block
	id    types.BlockID
	txs   types.Txs
	vals  *types.ValidatorSet
	h     *Header
}

// chainBuilder makes a chain of real CometBFT blocks, each committed by
// real precommit votes of its validators.
type chainBuilder struct {
	t       testing.TB
	chainID string
	blocks  []testBlock
}

// chain returns heights 1..len(sets), height i+1 with validator set
// sets[i], every validator signing, the default transactions.
func chain(t testing.TB, chainID string, sets ...[]testValidator) []testBlock {
	t.Helper()
	c := &chainBuilder{t: t, chainID: chainID}
	for i, vs := range sets {
		next := vs
		if i+1 < len(sets) {
			next = sets[i+1]
		}
		c.add(vs, next, nil, vs)
	}
	return c.blocks
}

// blockTxs are a block's transactions: tx[0], the data commitment, then
// seven blob transactions.
func blockTxs(t testing.TB, height int64) types.Txs {
	t.Helper()
	ns, err := da.NewV0Namespace([]byte("verify"))
	if err != nil {
		t.Fatal(err)
	}
	txs := types.Txs{DataCommitment{SquareWidth: 4, DataRoot: sha256.Sum256(fmt.Appendf(nil, "root %d", height))}.Marshal()}
	for i := range 7 {
		b, err := da.NewBlob(ns, fmt.Appendf(nil, "blob %d of height %d", i, height), da.ShareVersionZero, nil)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, BlobTx([]da.Blob{b}))
	}
	return txs
}

// add makes the next height with validator set vs, naming next as the
// following height's, with txs (nil: blockTxs), committed by signers.
// Its Header carries the validator set when it differs from the previous
// height's.
func (c *chainBuilder) add(vs, next []testValidator, txs types.Txs, signers []testValidator) testBlock {
	t := c.t
	t.Helper()
	height := int64(len(c.blocks) + 1)
	if txs == nil {
		txs = blockTxs(t, height)
	}
	vals := valSet(vs)
	lastID, lastCommit := types.BlockID{}, &types.Commit{}
	if height > 1 {
		prev := c.blocks[height-2]
		lastID, lastCommit = prev.id, prev.h.Signed.Commit
	}
	b := makeBlock(t, c.chainID, height, txs, lastID, lastCommit, vals, valSet(next))
	sh := &types.SignedHeader{Header: &b.block.Header, Commit: commitFor(t, c.chainID, b.id, height, b.block.Time, vals, signers)}
	var hv *types.ValidatorSet
	if height == 1 || !bytes.Equal(vals.Hash(), c.blocks[height-2].vals.Hash()) {
		hv = vals
	}
	h, err := NewHeader(sh, hv, txs)
	if err != nil {
		t.Fatal(err)
	}
	b.vals, b.h = vals, h
	c.blocks = append(c.blocks, b)
	return b
}

// makeBlock builds block height of chainID the way CometBFT fills it.
func makeBlock(t testing.TB, chainID string, height int64, txs types.Txs, lastID types.BlockID, lastCommit *types.Commit, vals, next *types.ValidatorSet) testBlock {
	t.Helper()
	block := types.MakeBlock(height, txs, lastCommit, nil)
	block.Header.Populate(
		cmtversion.Consensus{Block: version.BlockProtocol}, chainID,
		genesisTime.Add(time.Duration(height-1)*time.Second), lastID,
		vals.Hash(), next.Hash(),
		tmhash.Sum([]byte("consensus params")), []byte("app hash"), tmhash.Sum([]byte("results")),
		vals.GetProposer().Address,
	)
	parts, err := block.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	return testBlock{block: block, txs: txs, id: types.BlockID{Hash: block.Hash(), PartSetHeader: parts.Header()}}
}

// commitFor is the commit of blockID at height by the signers among vals;
// the others are absent.
func commitFor(t testing.TB, chainID string, blockID types.BlockID, height int64, at time.Time, vals *types.ValidatorSet, signers []testValidator) *types.Commit {
	t.Helper()
	commit := &types.Commit{Height: height, BlockID: blockID, Signatures: make([]types.CommitSig, vals.Size())}
	for i, v := range vals.Validators {
		commit.Signatures[i] = types.NewCommitSigAbsent()
		for _, s := range signers {
			pub, _ := s.pv.GetPubKey()
			if !bytes.Equal(pub.Address(), v.Address) {
				continue
			}
			vote, err := types.MakeVote(s.pv, chainID, int32(i), height, 0, cmtproto.PrecommitType, blockID, at)
			if err != nil {
				t.Fatal(err)
			}
			commit.Signatures[i] = vote.CommitSig()
		}
	}
	return commit
}

// resigned is b's Header with its commit signed by signers only.
func resigned(t testing.TB, chainID string, b testBlock, signers []testValidator) *Header {
	t.Helper()
	h := *b.h
	h.Signed = &types.SignedHeader{Header: b.h.Signed.Header, Commit: commitFor(t, chainID, b.id, b.block.Height, b.block.Time, b.vals, signers)}
	return &h
}

// withVals is a copy of h carrying vals.
func withVals(h *Header, vals *types.ValidatorSet) *Header {
	c := *h
	c.Validators = vals
	return &c
}
