package relay

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Dial connects to an Ethereum node's JSON-RPC (http, ws or ipc).
func Dial(ctx context.Context, url string) (*ethclient.Client, error) {
	c, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("relay: the L1 at %s: %w", url, err)
	}
	return c, nil
}

// DevKeyHex is geth --dev's developer account: the key go-ethereum
// imports into an empty dev keystore and funds in its dev genesis. It is
// public knowledge, good for a devnet and nothing else.
const DevKeyHex = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"

// DevKey is DevKeyHex's key.
func DevKey() *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(DevKeyHex)
	if err != nil {
		panic(err) // a constant
	}
	return k
}

// DevOracle is where DevnetSetUp deploys the oracle: the developer
// account's first contract. It is known before the chain exists, so a
// devnet genesis can name it (the validators' signatures are bound to it).
func DevOracle() common.Address {
	return crypto.CreateAddress(crypto.PubkeyToAddress(DevKey().PublicKey), 0)
}

// DevInbox is the example inbox, the developer account's second contract.
func DevInbox() common.Address {
	return crypto.CreateAddress(crypto.PubkeyToAddress(DevKey().PublicKey), 1)
}

// Devnet is what DevnetSetUp deploys on a geth --dev chain.
type Devnet struct {
	URL        string
	EVMChainID uint64 // the chain geth must run
	ChainID    string // Tartan's
	Window     uint64
	Attesters  []Attester
	Namespace  [29]byte // the inbox's
	Relayer    common.Address
	// Fund is what the relayer gets, in wei.
	Fund *big.Int
}

// SetUp waits for the L1 to answer, and on a fresh chain deploys the
// oracle and the inbox at DevOracle and DevInbox with the developer
// account and funds the relayer. It reports whether it deployed: on a
// chain where the oracle is already there it does nothing.
func (d Devnet) SetUp(ctx context.Context) (bool, error) {
	client, err := Dial(ctx, d.URL)
	if err != nil {
		return false, err
	}
	defer client.Close()
	var id *big.Int
	for {
		if id, err = client.ChainID(ctx); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("relay: the L1 does not answer at %s: %v", d.URL, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if id.Uint64() != d.EVMChainID {
		return false, fmt.Errorf("relay: the L1 at %s runs chain %d, not %d", d.URL, id, d.EVMChainID)
	}
	code, err := client.CodeAt(ctx, DevOracle(), nil)
	if err != nil || len(code) > 0 {
		return false, err
	}
	dev, err := NewAccount(ctx, client, DevKey())
	if err != nil {
		return false, err
	}
	if n, err := client.NonceAt(ctx, dev.Address(), nil); err != nil || n != 0 {
		return false, fmt.Errorf("relay: the L1 at %s has transactions but no oracle at %s (%v)", d.URL, DevOracle().Hex(), err)
	}
	oracle, err := DeployOracle(ctx, dev, d.ChainID, d.Window, d.Attesters, dev.Address())
	if err != nil {
		return false, err
	}
	inbox, err := DeployInbox(ctx, dev, oracle, d.Namespace)
	if err != nil {
		return false, err
	}
	if oracle != DevOracle() || inbox != DevInbox() {
		return false, fmt.Errorf("relay: deployed the oracle at %s and the inbox at %s, not at %s and %s", oracle.Hex(), inbox.Hex(), DevOracle().Hex(), DevInbox().Hex())
	}
	if _, err := dev.Transfer(ctx, d.Relayer, d.Fund); err != nil {
		return false, fmt.Errorf("relay: funding the relayer: %w", err)
	}
	return true, nil
}
