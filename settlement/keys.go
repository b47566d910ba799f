package settlement

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeyFile is a validator's settlement key beside its CometBFT keys: the
// secp256k1 private key, hex, mode 0600 (node writes and reads it).
const KeyFile = "settlement.key"

// GenerateKey makes a new settlement key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("settlement: generating a key: %w", err)
	}
	return key, nil
}

// EncodeKey is the key file's content: the private key in hex, a newline.
func EncodeKey(key *ecdsa.PrivateKey) []byte {
	return []byte(hex.EncodeToString(crypto.FromECDSA(key)) + "\n")
}

// ParseKey reads what EncodeKey wrote.
func ParseKey(b []byte) (*ecdsa.PrivateKey, error) {
	key, err := crypto.HexToECDSA(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("settlement: not a hex secp256k1 key: %w", err)
	}
	return key, nil
}

// ReadKeyFile reads a key file EncodeKey wrote; a parse error names the
// file. A missing file is an error satisfying errors.Is(err,
// fs.ErrNotExist).
func ReadKeyFile(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
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
