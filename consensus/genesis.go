package consensus

import (
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/tartan-da/tartan/da"
)

// GenesisValidator is one validator of a chain's genesis.
type GenesisValidator struct {
	Name   string
	PubKey []byte // ed25519, 32 bytes
	Power  int64
}

// ErrGenesis reports a genesis CometBFT cannot start from.
var ErrGenesis = errors.New("consensus: invalid genesis")

// Chain is a chain's genesis as CometBFT sees it, derived the same way by
// every node from the Tartan genesis, so only that one file is shared.
type Chain struct {
	doc  *types.GenesisDoc
	vals *types.ValidatorSet
}

// NewChain translates a Tartan genesis into CometBFT's.
func NewChain(chainID string, genesisTime time.Time, maxSquareWidth int, vals []GenesisValidator) (*Chain, error) {
	if len(vals) == 0 {
		return nil, fmt.Errorf("%w: no validators", ErrGenesis)
	}
	params := types.DefaultConsensusParams()
	params.Block.MaxBytes = MaxBlockBytes(maxSquareWidth)
	doc := &types.GenesisDoc{ChainID: chainID, GenesisTime: genesisTime.UTC(), InitialHeight: 1, ConsensusParams: params}
	set := make([]*types.Validator, len(vals))
	for i, v := range vals {
		if len(v.PubKey) != ed25519.PubKeySize {
			return nil, fmt.Errorf("%w: validator %d (%s): public key of %d bytes, want %d", ErrGenesis, i, v.Name, len(v.PubKey), ed25519.PubKeySize)
		}
		if v.Power <= 0 {
			return nil, fmt.Errorf("%w: validator %d (%s): power %d, want > 0", ErrGenesis, i, v.Name, v.Power)
		}
		pk := ed25519.PubKey(v.PubKey)
		doc.Validators = append(doc.Validators, types.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: v.Power, Name: v.Name})
		set[i] = types.NewValidator(pk, v.Power)
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	vs := types.NewValidatorSet(set)
	if err := vs.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	return &Chain{doc: doc, vals: vs}, nil
}

// ID is the chain id.
func (c *Chain) ID() string { return c.doc.ChainID }

// MaxBlockBytes is the block size limit for squares up to maxSquareWidth:
// a full square's shares (blob transactions take fewer bytes than their
// shares) plus room for tx[0], framing, the commit and evidence, within
// CometBFT's own limit.
func MaxBlockBytes(maxSquareWidth int) int64 {
	return min(int64(maxSquareWidth*maxSquareWidth*da.ShareSize)+4<<20, types.MaxBlockSizeBytes)
}

// MaxTxBytes bounds one blob transaction: its blobs never take more bytes
// than the shares of the widest square.
func MaxTxBytes(maxSquareWidth int) int { return maxSquareWidth * maxSquareWidth * da.ShareSize }
