package relay

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Backend is what the relayer needs of an Ethereum node: ethclient's
// Client over JSON-RPC, or go-ethereum's simulated chain in tests.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
}

// Account sends transactions from one key.
type Account struct {
	b       Backend
	key     *ecdsa.PrivateKey
	addr    common.Address
	chainID *big.Int
	// poll is how often a sent transaction's receipt is looked for.
	poll time.Duration
}

// NewAccount binds key to b, reading the chain id once.
func NewAccount(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (*Account, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay: the L1's chain id: %w", err)
	}
	return &Account{b: b, key: key, addr: crypto.PubkeyToAddress(key.PublicKey), chainID: id, poll: 200 * time.Millisecond}, nil
}

// Address is the account's.
func (a *Account) Address() common.Address { return a.addr }

// bound is addr for raw calls: the data is packed by the bindings.
func (a *Account) bound(addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, abi.ABI{}, a.b, a.b, a.b)
}

func (a *Account) opts(ctx context.Context) *bind.TransactOpts {
	o := bind.NewKeyedTransactor(a.key, a.chainID)
	o.Context = ctx
	return o
}

// ErrReverted: a mined transaction failed.
var ErrReverted = errors.New("relay: transaction reverted")

// Call sends data to contract `to` (a contract creation when to is nil)
// and waits for it to be mined. Gas is estimated first, so a call that
// would revert is refused before it costs anything.
func (a *Account) Call(ctx context.Context, to *common.Address, data []byte) (*types.Receipt, error) {
	var tx *types.Transaction
	var err error
	if to == nil {
		tx, err = a.bound(common.Address{}).RawCreationTransact(a.opts(ctx), data)
	} else {
		tx, err = a.bound(*to).RawTransact(a.opts(ctx), data)
	}
	if err != nil {
		return nil, err
	}
	return a.wait(ctx, tx)
}

// Transfer sends wei to addr and waits for it to be mined.
func (a *Account) Transfer(ctx context.Context, to common.Address, wei *big.Int) (*types.Receipt, error) {
	nonce, err := a.b.PendingNonceAt(ctx, a.addr)
	if err != nil {
		return nil, err
	}
	tip, err := a.b.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, err
	}
	head, err := a.b.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(a.key, types.LatestSignerForChainID(a.chainID),
		&types.DynamicFeeTx{ChainID: a.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 21_000, To: &to, Value: wei})
	if err != nil {
		return nil, err
	}
	if err := a.b.SendTransaction(ctx, tx); err != nil {
		return nil, err
	}
	return a.wait(ctx, tx)
}

func (a *Account) wait(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	t := time.NewTicker(a.poll)
	defer t.Stop()
	for {
		r, err := a.b.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			if r.Status != types.ReceiptStatusSuccessful {
				return r, fmt.Errorf("%w: %s (gas %d)", ErrReverted, tx.Hash(), r.GasUsed)
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("relay: waiting for %s: %w", tx.Hash(), ctx.Err())
		case <-t.C:
		}
	}
}

// Settled waits until the account has no transaction pending: a relayer
// that restarts must not post beside one it sent before.
func (a *Account) Settled(ctx context.Context) error {
	t := time.NewTicker(a.poll)
	defer t.Stop()
	for {
		pending, err := a.b.PendingNonceAt(ctx, a.addr)
		if err != nil {
			return err
		}
		mined, err := a.b.NonceAt(ctx, a.addr, nil)
		if err != nil {
			return err
		}
		if pending <= mined {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
