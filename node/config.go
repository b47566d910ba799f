package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
	"github.com/tartan-da/tartan/settlement"
)

// Role is what a node does in the network (DESIGN.md §2).
type Role string

const (
	RoleValidator Role = "validator"
	RoleFull      Role = "full"
	RoleLight     Role = "light"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleValidator, RoleFull, RoleLight:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q (want validator, full or light)", ErrConfig, s)
}

// Files in a node's directory.
const (
	ConfigFile  = "config.json"
	GenesisFile = "genesis.json"
	StoreDir    = "data"
	// ConsensusDir holds a validator's CometBFT keys and databases.
	ConsensusDir = "consensus"
)

// ErrConfig reports a configuration that cannot work.
var ErrConfig = errors.New("node: invalid config")

// Config is a node's config.json. The node's directory holds it with the
// genesis, the keys and the data.
type Config struct {
	Role Role `json:"role"`
	// API is the REST listen address, host:port.
	API string `json:"api"`
	// RPCListen is where the Celestia JSON-RPC (API.md §3) listens,
	// host:port; empty turns it off.
	RPCListen string `json:"rpc_listen"`
	// Listen are libp2p multiaddrs; Bootstrap are full multiaddrs of peers
	// (…/p2p/<id>) to connect to first.
	Listen    []string `json:"listen"`
	Bootstrap []string `json:"bootstrap"`
	// Announce, when set, are the libp2p multiaddrs the node advertises
	// instead of its listen addresses: behind NAT, the public address
	// peers can dial (p2p.Config.AnnounceAddrs).
	Announce []string `json:"announce_addrs,omitempty"`
	// Window is how long squares are kept; Archival keeps them for ever.
	Window   Duration `json:"storage_window"`
	Archival bool     `json:"archival"`
	// PoolBytes bounds a validator's mempool of pending blobs.
	PoolBytes int64 `json:"pool_bytes"`
	// ConsensusListen is a validator's CometBFT p2p address, host:port;
	// ConsensusExternal, when set, the one its peers are told.
	// ConsensusPeers are the other validators, "nodeid@host:port".
	ConsensusListen   string   `json:"consensus_listen,omitempty"`
	ConsensusExternal string   `json:"consensus_external,omitempty"`
	ConsensusPeers    []string `json:"consensus_peers,omitempty"`
	// ConsensusRPC and ConsensusMetrics turn on CometBFT's own RPC and
	// Prometheus listeners (host:port); off when empty.
	ConsensusRPC     string `json:"consensus_rpc,omitempty"`
	ConsensusMetrics string `json:"consensus_metrics,omitempty"`
	// TrustingPeriod is how long a verified header may be the trusted
	// base of the next one's light verification; zero means
	// consensus.DefaultTrustingPeriod.
	TrustingPeriod Duration `json:"trusting_period,omitempty"`
	// Confidence and Samples choose how many cells a light node samples
	// per height (Samples > 0 wins).
	Confidence float64 `json:"sampling_confidence"`
	Samples    int     `json:"sampling_samples"`
	// TrustedHeight and TrustedHash name a trusted checkpoint: a full or
	// light node with an empty chain starts there instead of at height 1
	// (checkpoint.go). TrustedHash, the hex of header TrustedHeight's
	// hash, needs TrustedHeight; a height alone trusts whatever header
	// more than 2/3 of the genesis validators signed there.
	TrustedHeight uint64 `json:"trusted_height,omitempty"`
	TrustedHash   string `json:"trusted_hash,omitempty"`
	// APIAuth says when write routes need a bearer token: "always",
	// "non-loopback" (the default: only when the API listens on an address
	// other machines can reach) or "never".
	APIAuth string `json:"api_auth,omitempty"`
	// AltDANamespace is where OP Stack alt-DA /put stores its blobs, as 58
	// or 20 hex characters; empty means DefaultAltDANamespace.
	AltDANamespace string `json:"altda_namespace,omitempty"`
	// APICORSOrigins are the web origins ("https://app.example") whose
	// pages may call the REST API from a browser; ["*"] allows any. Empty
	// (the default) grants no cross-origin access.
	APICORSOrigins []string `json:"api_cors_origins,omitempty"`
	// APIMaxConns bounds the REST API's open connections and
	// APIMaxConnsPerClient those from one client address (an IPv4
	// address or an IPv6 /64); zero means the default (api.DefaultConfig;
	// per client at most the total). Behind a reverse proxy every client
	// is the proxy: set the per-client limit to the total.
	APIMaxConns          int `json:"api_max_conns,omitempty"`
	APIMaxConnsPerClient int `json:"api_max_conns_per_client,omitempty"`
	// MemoryLimitMiB is the soft memory limit `tartan start` gives Go's
	// garbage collector (runtime/debug.SetMemoryLimit) unless GOMEMLIMIT
	// is set; zero means DefaultMemoryLimit of the chain's widest square.
	MemoryLimitMiB int `json:"memory_limit_mib,omitempty"`
	// UI, when false, turns off the web dashboard at /ui/; absent (nil)
	// means on, so configs written before it keep the dashboard.
	UI *bool `json:"ui,omitempty"`
}

// UIEnabled is UI with its default (on) applied.
func (c *Config) UIEnabled() bool { return c.UI == nil || *c.UI }

// DefaultMemoryLimit is the soft memory limit of a node whose chain's
// squares are at most maxSquareWidth wide: eight extended squares, at
// least 256 MiB. The garbage a burst leaves is collected before the
// process grows past it, while a node's live data stays below: three
// cached squares with their proof trees, one kept for reuse, and one or
// two being built or checked.
func DefaultMemoryLimit(maxSquareWidth int) int64 {
	eds := int64(4*maxSquareWidth*maxSquareWidth) * da.ShareSize
	return max(256<<20, 8*eds)
}

// DefaultSquareCacheBytes keeps the three newest squares of the widest
// size in memory (light nodes sample the newest heights). More is live
// heap that crowds the soft memory limit: at 256 MiB (six squares of
// k=128) a loaded 4-validator devnet included 2.96 MiB/s, at three 3.78.
func DefaultSquareCacheBytes(maxSquareWidth int) int {
	return 3 * 4 * maxSquareWidth * maxSquareWidth * da.ShareSize * 5 / 4
}

// MemoryLimit is the soft memory limit for this node: the config's, or
// the default for the chain's widest square, plus a validator's mempool
// (pool_bytes), which is live data under load: a limit below it would
// have the collector run without end and cut throughput fourfold.
func (n *Node) MemoryLimit() int64 {
	if n.cfg.MemoryLimitMiB > 0 {
		return int64(n.cfg.MemoryLimitMiB) << 20
	}
	limit := DefaultMemoryLimit(n.genesis.MaxSquareWidth)
	if n.cfg.Role == RoleValidator {
		limit += n.cfg.PoolBytes
	}
	return limit
}

// APIConnLimits are APIMaxConns and APIMaxConnsPerClient with their
// defaults applied.
func (c *Config) APIConnLimits() (total, perClient int) {
	d := api.DefaultConfig()
	total, perClient = c.APIMaxConns, c.APIMaxConnsPerClient
	if total == 0 {
		total = d.MaxConns
	}
	if perClient == 0 {
		perClient = min(d.MaxConnsPerClient, total)
	}
	return total, perClient
}

// DefaultRPCListen is celestia-node's JSON-RPC address, so that Celestia
// clients find a node where they expect one.
const DefaultRPCListen = "127.0.0.1:26658"

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
	c := Config{
		Role:       role,
		API:        "127.0.0.1:26650",
		RPCListen:  DefaultRPCListen,
		Listen:     []string{"/ip4/0.0.0.0/tcp/2121", "/ip4/0.0.0.0/udp/2121/quic-v1"},
		Window:     Duration(7 * 24 * time.Hour),
		PoolBytes:  256 << 20,
		Confidence: sampling.DefaultConfig().Confidence,
	}
	if role == RoleValidator {
		c.ConsensusListen = "0.0.0.0:26656"
	}
	return c
}

// Trusting is TrustingPeriod with its default applied.
func (c *Config) Trusting() time.Duration {
	if c.TrustingPeriod == 0 {
		return consensus.DefaultTrustingPeriod
	}
	return c.TrustingPeriod.D()
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
	if c.RPCListen != "" {
		if _, _, err := net.SplitHostPort(c.RPCListen); err != nil {
			return fmt.Errorf("%w: rpc_listen %q: want host:port, or empty for no JSON-RPC", ErrConfig, c.RPCListen)
		}
		if _, port, _ := net.SplitHostPort(c.RPCListen); c.RPCListen == c.API && port != "0" {
			return fmt.Errorf("%w: rpc_listen and api are both %s; give them different ports", ErrConfig, c.API)
		}
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
	if _, err := p2p.ParseAnnounceAddrs(c.Announce); err != nil {
		return fmt.Errorf("%w: announce_addrs: %w", ErrConfig, err)
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
	if total, perClient := c.APIConnLimits(); c.APIMaxConns < 0 || c.APIMaxConnsPerClient < 0 || perClient > total {
		return fmt.Errorf("%w: api_max_conns %d and api_max_conns_per_client %d: want 0 < per client ≤ total (0 for the defaults)", ErrConfig, c.APIMaxConns, c.APIMaxConnsPerClient)
	}
	if err := api.ValidateCORSOrigins(c.APICORSOrigins); err != nil {
		return fmt.Errorf("%w: api_cors_origins: %v", ErrConfig, err)
	}
	_, ok, err := parseCheckpoint(c.TrustedHash, c.TrustedHeight)
	if err != nil {
		return err
	}
	if ok && c.Role == RoleValidator {
		return fmt.Errorf("%w: a validator's CometBFT verifies its chain; trusted_height and trusted_hash are for full and light nodes", ErrConfig)
	}
	if c.MemoryLimitMiB < 0 {
		return fmt.Errorf("%w: memory_limit_mib %d is negative", ErrConfig, c.MemoryLimitMiB)
	}
	if c.TrustingPeriod.D() < 0 {
		return fmt.Errorf("%w: trusting_period %s is negative", ErrConfig, c.TrustingPeriod.D())
	}
	if c.Role == RoleValidator {
		if _, _, err := net.SplitHostPort(c.ConsensusListen); err != nil {
			return fmt.Errorf("%w: consensus_listen %q: want host:port", ErrConfig, c.ConsensusListen)
		}
		for i, p := range c.ConsensusPeers {
			id, addr, ok := strings.Cut(p, "@")
			if _, _, err := net.SplitHostPort(addr); !ok || len(id) != 40 || err != nil {
				return fmt.Errorf("%w: consensus_peers[%d] %q: want nodeid@host:port (the 40-hex node id tartan init prints)", ErrConfig, i, p)
			}
		}
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
	// Genesis is the chain's genesis file to copy. A validator without
	// one starts a new chain of which it is the only validator.
	Genesis string
	// BlockTime and MaxSquareWidth go into a new genesis.
	BlockTime      time.Duration
	MaxSquareWidth int
	// Name is a validator's name in a new genesis (default "validator").
	Name string
	// Now is the genesis time of a new chain.
	Now time.Time
	// Config is written as config.json; zero means DefaultConfig(Role).
	Config *Config
}

// DefaultValidatorPower is the voting power `tartan init` gives a
// validator.
const DefaultValidatorPower = 10

// Init prepares dir for a node: config.json, node.key, genesis.json and,
// for a validator, its CometBFT keys under consensus/ (mode 0600). It
// refuses a directory that already holds a config.
func Init(dir string, o InitOptions) error {
	if _, err := ParseRole(string(o.Role)); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		return fmt.Errorf("%s already holds a node (%s exists)", dir, ConfigFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
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
	case o.Role == RoleValidator:
		g = &Genesis{ChainID: o.ChainID, GenesisTime: o.Now.UTC(), BlockTime: Duration(o.BlockTime), MaxSquareWidth: o.MaxSquareWidth}
		if g.ChainID == "" {
			g.ChainID = "tartan"
		}
		if g.BlockTime == 0 {
			g.BlockTime = Duration(time.Second)
		}
		if g.MaxSquareWidth == 0 {
			g.MaxSquareWidth = da.DefaultMaxSquareWidth
		}
		// Check everything but the validator before any key exists, so a
		// refused init leaves nothing behind.
		probe := *g
		probe.Validators = []GenesisValidator{{Name: "probe", PubKey: hex.EncodeToString(make([]byte, 32)), Power: 1}}
		if err := probe.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: a %s node needs the chain's genesis file (--genesis)", ErrConfig, o.Role)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if o.Role == RoleValidator {
		id, err := consensus.InitKeys(filepath.Join(dir, ConsensusDir))
		if err != nil {
			return err
		}
		addr, err := SettlementAddress(dir)
		if err != nil {
			return err
		}
		if o.Genesis == "" {
			name := o.Name
			if name == "" {
				name = "validator"
			}
			g.Validators = []GenesisValidator{{Name: name, PubKey: hex.EncodeToString(id.PubKey), Power: DefaultValidatorPower, SettlementAddress: addr}}
		}
	}
	if err := g.Save(filepath.Join(dir, GenesisFile)); err != nil {
		return err
	}
	if _, err := LoadOrCreateNodeKey(filepath.Join(dir, NodeKeyFile)); err != nil {
		return err
	}
	return cfg.Save(dir)
}

// ValidatorIdentity reads a validator's public consensus key (hex) and its
// CometBFT node id from its directory, for a genesis and its peers'
// consensus_peers.
func ValidatorIdentity(dir string) (pubKey, nodeID string, err error) {
	id, err := consensus.InitKeys(filepath.Join(dir, ConsensusDir))
	if err != nil {
		return "", "", err
	}
	return hex.EncodeToString(id.PubKey), id.NodeID, nil
}

// SettlementAddress reads (creating it the first time) the settlement key
// of the validator in dir and returns its Ethereum address, EIP-55 hex.
func SettlementAddress(dir string) (string, error) {
	key, err := LoadOrCreateSettlementKey(filepath.Join(dir, ConsensusDir, settlement.KeyFile))
	if err != nil {
		return "", err
	}
	return settlement.AddressOf(key).Hex(), nil
}

// InGenesis reports whether the validator in dir is one of g's.
func (g *Genesis) InGenesis(dir string) (bool, error) {
	pk, _, err := ValidatorIdentity(dir)
	if err != nil {
		return false, err
	}
	for _, v := range g.Validators {
		if strings.EqualFold(v.PubKey, pk) {
			return true, nil
		}
	}
	return false, nil
}
