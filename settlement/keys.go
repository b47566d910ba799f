package settlement

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeyFile is a validator's settlement key beside its CometBFT keys: the
// secp256k1 private key, hex, mode 0600.
const KeyFile = "settlement.key"

// LoadOrCreateKey reads the key at path, or creates one there (written
// to a temporary file, synced, then renamed, so a crash leaves either
// no key or a whole one).
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := crypto.HexToECDSA(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("settlement: %s does not hold a hex secp256k1 key: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("settlement: reading the key: %w", err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("settlement: generating a key: %w", err)
	}
	if err := writeKey(path, key); err != nil {
		return nil, err
	}
	return key, nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("settlement: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("settlement: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(crypto.FromECDSA(key)) + "\n")
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
		return fmt.Errorf("settlement: writing the key: %w", err)
	}
	return nil
}

// AddressOf is the Ethereum address of key.
func AddressOf(key *ecdsa.PrivateKey) Address { return crypto.PubkeyToAddress(key.PublicKey) }

// ParseAddress reads a 0x-prefixed hex address; a mixed-case one must
// carry a correct EIP-55 checksum.
func ParseAddress(s string) (common.Address, error) {
	if !common.IsHexAddress(s) || !strings.HasPrefix(s, "0x") {
		return common.Address{}, fmt.Errorf("settlement: address %q: want 0x and 40 hex characters", s)
	}
	a := common.HexToAddress(s)
	if body := s[2:]; body != strings.ToLower(body) && body != strings.ToUpper(body) && a.Hex() != s {
		return common.Address{}, fmt.Errorf("settlement: address %q: bad EIP-55 checksum (want %s)", s, a.Hex())
	}
	return a, nil
}
