package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/tartan-da/tartan/settlement/bindings"
)

// Batch is an ExampleRollupInbox's acceptance of a blob.
type Batch struct {
	Receipt *types.Receipt
	Hash    common.Hash // keccak256 of the blob's data
	Height  uint64
	Size    uint64
}

// SubmitBatch sends a blob proof, abi.encode(BlobProof) as a node's
// ?format=evm answer holds it, to an ExampleRollupInbox. A proof the
// inbox refuses is an error naming the contract's reason, and costs
// nothing (gas estimation finds it first).
func SubmitBatch(ctx context.Context, a *Account, inbox common.Address, proof []byte) (*Batch, error) {
	c := bindings.NewExampleRollupInbox()
	sel := c.GetABI().Methods["submitBatch"].ID
	rc, err := a.Call(ctx, &inbox, append(append([]byte(nil), sel...), proof...))
	if err != nil {
		return nil, fmt.Errorf("relay: the inbox refused the batch: %w", explainRevert(c, err))
	}
	for _, l := range rc.Logs {
		if ev, err := c.UnpackBatchAcceptedEvent(l); err == nil {
			return &Batch{Receipt: rc, Hash: ev.BatchHash, Height: ev.Height.Uint64(), Size: ev.Size.Uint64()}, nil
		}
	}
	return nil, fmt.Errorf("relay: transaction %s has no BatchAccepted event", rc.TxHash)
}

// explainRevert adds the contract's custom error to a refused call's.
func explainRevert(c *bindings.ExampleRollupInbox, err error) error {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return err
	}
	s, ok := de.ErrorData().(string)
	if !ok {
		return err
	}
	raw, derr := hexutil.Decode(s)
	if derr != nil {
		return err
	}
	if why, uerr := c.UnpackError(raw); uerr == nil {
		if bp, ok := why.(*bindings.ExampleRollupInboxBadProof); ok {
			return fmt.Errorf("%w: BadProof(%q)", err, bp.Why)
		}
		return fmt.Errorf("%w: %T", err, why)
	}
	return err
}

// WaitCovered waits until the oracle an inbox reads holds a commitment
// covering height.
func WaitCovered(ctx context.Context, b Backend, inbox common.Address, height uint64, poll time.Duration) error {
	c := bindings.NewExampleRollupInbox()
	oracle, err := bind.Call(c.Instance(b, inbox), &bind.CallOpts{Context: ctx}, c.PackOracle(), c.UnpackOracle)
	if err != nil {
		return fmt.Errorf("relay: the inbox's oracle: %w", err)
	}
	o := bindings.NewTartanDataRootOracle()
	inst := o.Instance(b, oracle)
	for {
		latest, err := bind.Call(inst, &bind.CallOpts{Context: ctx}, o.PackLatestBlock(), o.UnpackLatestBlock)
		if err != nil {
			return fmt.Errorf("relay: the oracle's latestBlock: %w", err)
		}
		if latest > height {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("relay: the oracle at %s covers heights below %d, not %d yet: %w", oracle.Hex(), latest, height, ctx.Err())
		case <-time.After(poll):
		}
	}
}
