package node

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/settlement"
)

// Genesis is what every node of a chain agrees on before the first block:
// the chain's rules and its validators. Every validator derives the same
// CometBFT genesis from it (consensus.NewChain), so only this file is
// shared.
type Genesis struct {
	ChainID        string             `json:"chain_id"`
	GenesisTime    time.Time          `json:"genesis_time"`
	BlockTime      Duration           `json:"block_time"`
	MaxSquareWidth int                `json:"max_square_width"`
	Validators     []GenesisValidator `json:"validators"`
	// Settlement, when set, has the validators attest ranges of data
	// roots to an oracle contract on Ethereum (attest.go).
	Settlement *GenesisSettlement `json:"settlement,omitempty"`
}

// GenesisSettlement are a chain's settlement parameters: the EVM chain
// and oracle contract the attestations are signed for (their EIP-712
// domain), and how many heights each covers.
type GenesisSettlement struct {
	EVMChainID uint64 `json:"evm_chain_id"`
	Oracle     string `json:"oracle"`
	// Window is the heights per commitment; zero means
	// settlement.DefaultWindow.
	Window uint64 `json:"window,omitempty"`
}

// SettlementParams are the genesis' settlement parameters; ok is false
// when it has none.
func (g *Genesis) SettlementParams() (p settlement.Params, ok bool, err error) {
	s := g.Settlement
	if s == nil {
		return p, false, nil
	}
	oracle, err := settlement.ParseAddress(s.Oracle)
	if err != nil {
		return p, false, fmt.Errorf("%w: settlement.oracle: %w", ErrGenesis, err)
	}
	p = settlement.Params{Domain: settlement.Domain{ChainID: g.ChainID, EVMChainID: s.EVMChainID, Oracle: oracle}, Window: s.Window}
	if p.Window == 0 {
		p.Window = settlement.DefaultWindow
	}
	if err := p.Validate(); err != nil {
		return p, false, fmt.Errorf("%w: settlement.window: %w", ErrGenesis, err)
	}
	return p, true, nil
}

// GenesisValidator is one validator and its voting power.
type GenesisValidator struct {
	Name   string `json:"name"`
	PubKey string `json:"pub_key"` // hex ed25519 consensus key
	Power  int64  `json:"power"`
	// SettlementAddress is the Ethereum address of the validator's
	// settlement key (settlement.KeyFile), with which it attests data
	// roots to Ethereum; a validator without one does not attest.
	SettlementAddress string `json:"settlement_address,omitempty"`
}

// ErrGenesis reports a genesis file that cannot be used.
var ErrGenesis = errors.New("node: invalid genesis")

// Chain is the consensus engine's view of the genesis.
func (g *Genesis) Chain() (*consensus.Chain, error) {
	vals := make([]consensus.GenesisValidator, len(g.Validators))
	for i, v := range g.Validators {
		pk, err := hex.DecodeString(v.PubKey)
		if err != nil {
			return nil, fmt.Errorf("%w: validators[%d].pub_key: want hex of an ed25519 public key", ErrGenesis, i)
		}
		vals[i] = consensus.GenesisValidator{Name: v.Name, PubKey: pk, Power: v.Power}
	}
	c, err := consensus.NewChain(g.ChainID, g.GenesisTime, g.MaxSquareWidth, vals)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	return c, nil
}

// Validate checks every field.
func (g *Genesis) Validate() error {
	h := da.Header{ChainID: g.ChainID, Height: 1, SquareWidth: 1, Certificate: []byte{0}}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%w: chain_id: %w", ErrGenesis, err)
	}
	if g.GenesisTime.IsZero() {
		return fmt.Errorf("%w: genesis_time is missing", ErrGenesis)
	}
	if g.BlockTime.D() < 10*time.Millisecond {
		return fmt.Errorf("%w: block_time %s is below 10ms", ErrGenesis, g.BlockTime.D())
	}
	if err := da.ValidateMaxSquareWidth(g.MaxSquareWidth); err != nil {
		return fmt.Errorf("%w: max_square_width: %w", ErrGenesis, err)
	}
	if len(g.Validators) == 0 {
		return fmt.Errorf("%w: validators is empty (tartan init --role validator writes a genesis with one)", ErrGenesis)
	}
	seen := map[string]bool{}
	for i, v := range g.Validators {
		if seen[v.PubKey] {
			return fmt.Errorf("%w: validators[%d] (%s) is listed twice", ErrGenesis, i, v.Name)
		}
		seen[v.PubKey] = true
		if v.SettlementAddress == "" {
			continue
		}
		a, err := settlement.ParseAddress(v.SettlementAddress)
		if err != nil {
			return fmt.Errorf("%w: validators[%d].settlement_address: %w", ErrGenesis, i, err)
		}
		if seen[a.Hex()] {
			return fmt.Errorf("%w: validators[%d] (%s) shares settlement address %s with another validator", ErrGenesis, i, v.Name, a.Hex())
		}
		seen[a.Hex()] = true
	}
	if _, _, err := g.SettlementParams(); err != nil {
		return err
	}
	_, err := g.Chain()
	return err
}

// LoadGenesis reads and validates a genesis file.
func LoadGenesis(path string) (*Genesis, error) {
	var g Genesis
	if err := readJSON(path, &g); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &g, nil
}

// Save writes the genesis atomically.
func (g *Genesis) Save(path string) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return writeJSON(path, g, 0o644)
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// D is the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes "1s", "250ms", ….
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeJSON writes v to path atomically: a temporary file, fsync, rename.
func writeJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), mode)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// AddValidator adds a validator (its hex ed25519 consensus key, as
// ValidatorIdentity reads it, and its settlement address or "") to g with
// power, under name; a key already listed is refused.
func (g *Genesis) AddValidator(name, pubKey, settlementAddr string, power int64) error {
	for _, v := range g.Validators {
		if strings.EqualFold(v.PubKey, pubKey) {
			return fmt.Errorf("%w: validator %s is already listed as %q", ErrGenesis, pubKey, v.Name)
		}
	}
	g.Validators = append(g.Validators, GenesisValidator{Name: name, PubKey: strings.ToLower(pubKey), Power: power, SettlementAddress: settlementAddr})
	return g.Validate()
}
