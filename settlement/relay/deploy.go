package relay

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/tartan-da/tartan/settlement/bindings"
)

// Attester is one entry of the oracle's attester set.
type Attester = bindings.TartanDataRootOracleAttester

// DeployOracle deploys TartanDataRootOracle for the Tartan chain chainID:
// commitments of window heights, signed by set, frozen and unfrozen by
// guardian.
func DeployOracle(ctx context.Context, a *Account, chainID string, window uint64, set []Attester, guardian common.Address) (common.Address, error) {
	for i, v := range set {
		if v.Power == nil || v.Power.Sign() <= 0 {
			return common.Address{}, fmt.Errorf("relay: attester %d (%s) has no positive power", i, v.Addr)
		}
	}
	args := bindings.NewTartanDataRootOracle().PackConstructor(chainID, window, set, guardian)
	return deploy(ctx, a, "TartanDataRootOracle", bindings.TartanDataRootOracleMetaData.Bin, args)
}

// DeployInbox deploys ExampleRollupInbox, accepting batches of namespace
// ns proven to oracle's data roots.
func DeployInbox(ctx context.Context, a *Account, oracle common.Address, ns [29]byte) (common.Address, error) {
	args := bindings.NewExampleRollupInbox().PackConstructor(oracle, ns)
	return deploy(ctx, a, "ExampleRollupInbox", bindings.ExampleRollupInboxMetaData.Bin, args)
}

func deploy(ctx context.Context, a *Account, name, bin string, args []byte) (common.Address, error) {
	code, err := hexutil.Decode(bin)
	if err != nil {
		return common.Address{}, fmt.Errorf("relay: %s bytecode: %w", name, err)
	}
	r, err := a.Call(ctx, nil, append(code, args...))
	if err != nil {
		return common.Address{}, fmt.Errorf("relay: deploying %s: %w", name, err)
	}
	return r.ContractAddress, nil
}
