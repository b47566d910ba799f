package oracle

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tartan-da/tartan/contracts"
	"github.com/tartan-da/tartan/settlement"
)

// The tests pack calls straight from the artifacts' ABIs, so that what
// they check does not rest on the generated bindings.

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
