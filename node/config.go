package node

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/sampling"
)

// Role is what a node does in the network (DESIGN.md §2).
type Role string

const (
	RoleProducer Role = "producer"
	RoleFull     Role = "full"
	RoleLight    Role = "light"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleProducer, RoleFull, RoleLight:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q (want producer, full or light)", ErrConfig, s)
}

// Files in a node's directory.
const (
	ConfigFile  = "config.json"
	GenesisFile = "genesis.json"
	StoreDir    = "data"
)

// ErrConfig reports a configuration that cannot work.
var ErrConfig = errors.New("node: invalid config")

// Config is a node's config.json. The node's directory holds it with the
// genesis, the keys and the data.
type Config struct {
	Role Role `json:"role"`
	// API is the REST listen address, host:port.
	API string `json:"api"`
	// Listen are libp2p multiaddrs; Bootstrap are full multiaddrs of peers
	// (…/p2p/<id>) to connect to first.
	Listen    []string `json:"listen"`
	Bootstrap []string `json:"bootstrap"`
	// Window is how long squares are kept; Archival keeps them for ever.
	Window   Duration `json:"storage_window"`
	Archival bool     `json:"archival"`
	// PoolBytes bounds the producer's pool of pending blobs.
	PoolBytes int64 `json:"pool_bytes"`
	// Confidence and Samples choose how many cells a light node samples
	// per height (Samples > 0 wins).
	Confidence float64 `json:"sampling_confidence"`
	Samples    int     `json:"sampling_samples"`
	// TrustedHeight and TrustedHash name a trusted checkpoint: a full or
	// light node with an empty chain starts there instead of at height 1
	// (checkpoint.go). TrustedHash, the hex of header TrustedHeight's
	// hash, needs TrustedHeight; a height alone trusts the producer's
	// signature on whatever header it signed there.
	TrustedHeight uint64 `json:"trusted_height,omitempty"`
	TrustedHash   string `json:"trusted_hash,omitempty"`
	// APIAuth says when write routes need a bearer token: "always",
	// "non-loopback" (the default: only when the API listens on an address
	// other machines can reach) or "never".
	APIAuth string `json:"api_auth,omitempty"`
	// AltDANamespace is where OP Stack alt-DA /put stores its blobs, as 58
	// or 20 hex characters; empty means DefaultAltDANamespace.
	AltDANamespace string `json:"altda_namespace,omitempty"`
}

// API auth modes (Config.APIAuth).
const (
	AuthAlways      = "always"
	AuthNonLoopback = "non-loopback"
	AuthNever       = "never"
)

// DefaultAltDANamespace is the alt-DA namespace of a config that names
// none: version 0, user ID "op-alt-da" (ASCII, zero-padded to 10 bytes).
const DefaultAltDANamespace = "6f702d616c742d646100"

// AuthMode is APIAuth with its default applied.
func (c *Config) AuthMode() string {
	if c.APIAuth == "" {
		return AuthNonLoopback
	}
	return c.APIAuth
}

// AltDA is the alt-DA namespace with its default applied; Validate has
// checked it.
func (c *Config) AltDA() da.Namespace {
	s := c.AltDANamespace
	if s == "" {
		s = DefaultAltDANamespace
	}
	ns, _ := da.ParseNamespace(s)
	return ns
}

// DefaultConfig is the configuration `tartan init` writes for a role.
func DefaultConfig(role Role) Config {
	return Config{
		Role:       role,
		API:        "127.0.0.1:26650",
		Listen:     []string{"/ip4/0.0.0.0/tcp/2121", "/ip4/0.0.0.0/udp/2121/quic-v1"},
		Window:     Duration(7 * 24 * time.Hour),
		PoolBytes:  64 << 20,
		Confidence: sampling.DefaultConfig().Confidence,
	}
}

// Validate checks the configuration on its own; New checks it against the
// genesis.
func (c *Config) Validate() error {
	if _, err := ParseRole(string(c.Role)); err != nil {
		return err
	}
	if c.API == "" {
		return fmt.Errorf("%w: api listen address is empty", ErrConfig)
	}
	if c.Window.D() < 0 {
		return fmt.Errorf("%w: storage_window %s is negative", ErrConfig, c.Window.D())
	}
	if c.PoolBytes <= 0 {
		return fmt.Errorf("%w: pool_bytes must be positive", ErrConfig)
	}
	if c.Samples < 0 || (c.Samples == 0 && (c.Confidence <= 0 || c.Confidence >= 1)) {
		return fmt.Errorf("%w: sampling_confidence must be in (0, 1) or sampling_samples positive", ErrConfig)
	}
	switch c.AuthMode() {
	case AuthAlways, AuthNonLoopback, AuthNever:
	default:
		return fmt.Errorf("%w: api_auth %q (want always, non-loopback or never)", ErrConfig, c.APIAuth)
	}
	if c.AltDANamespace != "" {
		ns, err := da.ParseNamespace(c.AltDANamespace)
		if err == nil {
			err = ns.ValidateForBlob()
		}
		if err != nil {
			return fmt.Errorf("%w: altda_namespace: %v", ErrConfig, err)
		}
	}
	_, ok, err := parseCheckpoint(c.TrustedHash, c.TrustedHeight)
	if err != nil {
		return err
	}
	if ok && c.Role == RoleProducer {
		return fmt.Errorf("%w: a producer makes its chain; trusted_height and trusted_hash are for full and light nodes", ErrConfig)
	}
	return nil
}

// LoadConfig reads dir/config.json.
func LoadConfig(dir string) (*Config, error) {
	var c Config
	if err := readJSON(filepath.Join(dir, ConfigFile), &c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	return &c, nil
}

// Save writes dir/config.json atomically.
func (c *Config) Save(dir string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, ConfigFile), c, 0o644)
}

// InitOptions are the choices of `tartan init`.
type InitOptions struct {
	Role    Role
	ChainID string
	// Genesis is the chain's genesis file to copy (full and light nodes;
	// a producer writes a new one when it is empty).
	Genesis string
	// BlockTime and MaxSquareWidth go into a new genesis.
	BlockTime      time.Duration
	MaxSquareWidth int
	// Now is the genesis time of a new chain.
	Now time.Time
	// Config is written as config.json; zero means DefaultConfig(Role).
	Config *Config
}

// Init prepares dir for a node: config.json, node.key, genesis.json and,
// for a producer of a new chain, producer.key. It refuses a directory that
// already holds a config.
func Init(dir string, o InitOptions) error {
	if _, err := ParseRole(string(o.Role)); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		return fmt.Errorf("%s already holds a node (%s exists)", dir, ConfigFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := DefaultConfig(o.Role)
	if o.Config != nil {
		cfg = *o.Config
		cfg.Role = o.Role
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var g *Genesis
	switch {
	case o.Genesis != "":
		var err error
		if g, err = LoadGenesis(o.Genesis); err != nil {
			return err
		}
		if o.ChainID != "" && o.ChainID != g.ChainID {
			return fmt.Errorf("%w: --chain-id %q differs from the genesis file's %q", ErrConfig, o.ChainID, g.ChainID)
		}
	case o.Role == RoleProducer:
		g = &Genesis{
			ChainID:        o.ChainID,
			Producer:       hex.EncodeToString(make([]byte, ed25519.PublicKeySize)),
			GenesisTime:    o.Now.UTC(),
			BlockTime:      Duration(o.BlockTime),
			MaxSquareWidth: o.MaxSquareWidth,
		}
		if g.ChainID == "" {
			g.ChainID = "tartan"
		}
		if g.BlockTime == 0 {
			g.BlockTime = Duration(time.Second)
		}
		if g.MaxSquareWidth == 0 {
			g.MaxSquareWidth = da.DefaultMaxSquareWidth
		}
		// Check everything before the key exists, so a refused init
		// leaves nothing behind.
		if err := g.Validate(); err != nil {
			return err
		}
		key, err := CreateProducerKey(filepath.Join(dir, ProducerKeyFile))
		if err != nil {
			return err
		}
		g.Producer = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	default:
		return fmt.Errorf("%w: a %s node needs the chain's genesis file (--genesis)", ErrConfig, o.Role)
	}
	if err := g.Save(filepath.Join(dir, GenesisFile)); err != nil {
		return err
	}
	if _, err := LoadOrCreateNodeKey(filepath.Join(dir, NodeKeyFile)); err != nil {
		return err
	}
	return cfg.Save(dir)
}
