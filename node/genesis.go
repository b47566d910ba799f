package node

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tartan-da/tartan/da"
)

// Genesis is what every node of a chain agrees on before the first block:
// written by `tartan init --role producer` and copied to every other node.
type Genesis struct {
	ChainID        string    `json:"chain_id"`
	Producer       string    `json:"producer"` // hex ed25519 public key
	GenesisTime    time.Time `json:"genesis_time"`
	BlockTime      Duration  `json:"block_time"`
	MaxSquareWidth int       `json:"max_square_width"`
}

// ErrGenesis reports a genesis file that cannot be used.
var ErrGenesis = errors.New("node: invalid genesis")

// ProducerKey decodes the producer's public key.
func (g *Genesis) ProducerKey() (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(g.Producer)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: producer must be %d hex characters (an ed25519 public key)", ErrGenesis, 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Validate checks every field.
func (g *Genesis) Validate() error {
	h := da.Header{ChainID: g.ChainID, Height: 1, SquareWidth: 1, Producer: make([]byte, 32), Signature: make([]byte, 64)}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%w: chain_id: %w", ErrGenesis, err)
	}
	if _, err := g.ProducerKey(); err != nil {
		return err
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
	return nil
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
