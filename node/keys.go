package node

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/tartan-da/tartan/settlement"
)

// NodeKeyFile is the node's libp2p identity in its directory, hex of the
// protobuf-encoded key: a secret, mode 0600, never logged. A validator's
// CometBFT keys live under ConsensusDir.
const NodeKeyFile = "node.key"

// LoadOrCreateSettlementKey reads a validator's settlement key
// (settlement.KeyFile), creating it, and its directory, on first use.
func LoadOrCreateSettlementKey(path string) (*ecdsa.PrivateKey, error) {
	key, err := settlement.ReadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if key, err = settlement.GenerateKey(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, settlement.EncodeKey(key), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// LoadOrCreateNodeKey reads the node's libp2p identity, creating it on
// first use so the peer id stays the same across restarts.
func LoadOrCreateNodeKey(path string) (crypto.PrivKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			return nil, err
		}
		raw, err := crypto.MarshalPrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(path, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
			return nil, err
		}
		return priv, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: not hex: %w", path, err)
	}
	priv, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return priv, nil
}
