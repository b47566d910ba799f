package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/relay"
)

// devnetOracle is where --l1 deploys the oracle; every devnet genesis
// names it, so any devnet can be resumed with --l1.
func devnetOracle() settlement.Address { return relay.DevOracle() }

// devnetL1 is --l1: geth --dev with the contracts, and the relayer.
type devnetL1 struct {
	dir      string // D/l1
	rpc      string
	geth     *devnetNode
	relayer  *devnetNode
	relayKey *ecdsa.PrivateKey
	genesis  *node.Genesis
	ns       da.Namespace // the inbox's
}

// devnetL1JSON is devnet.json's "l1".
type devnetL1JSON struct {
	RPC       string `json:"rpc"`
	ChainID   uint64 `json:"chain_id"`
	Oracle    string `json:"oracle"`
	Inbox     string `json:"inbox"`
	Namespace string `json:"inbox_namespace"`
	// DevKey is geth --dev's funded developer key (also in logs/dev.key).
	DevKey     string `json:"dev_key"`
	Relayer    string `json:"relayer"`
	RelayerPID int    `json:"relayer_pid"`
	GethPID    int    `json:"geth_pid"`
	Logs       string `json:"logs"`
}

func newDevnetL1(ctx context.Context, e *env, self, dir, gethPath string, apiPort int, nodes []*devnetNode) (*devnetL1, error) {
	g, err := node.LoadGenesis(filepath.Join(nodes[0].dir, node.GenesisFile))
	if err != nil {
		return nil, err
	}
	if g.Settlement == nil || !strings.EqualFold(g.Settlement.Oracle, devnetOracle().Hex()) {
		return nil, fmt.Errorf("--l1: this devnet's genesis does not name %s as its oracle (an older tartan made it): remove %s to start afresh", devnetOracle().Hex(), dir)
	}
	ns, err := da.NewV0Namespace([]byte("tartan-dev"))
	if err != nil {
		return nil, err
	}
	geth, err := findGeth(ctx, e, gethPath)
	if err != nil {
		return nil, err
	}
	l := &devnetL1{dir: filepath.Join(dir, "l1"), rpc: fmt.Sprintf("http://127.0.0.1:%d", apiPort+devnetL1Offset), genesis: g, ns: ns}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, err
	}
	// The developer key in a file too, for `tartan inbox --key`.
	if err := os.WriteFile(filepath.Join(l.dir, "dev.key"), []byte(relay.DevKeyHex+"\n"), 0o600); err != nil {
		return nil, err
	}
	keyPath := filepath.Join(l.dir, "relayer.key")
	if l.relayKey, err = loadOrCreateKey(keyPath); err != nil {
		return nil, err
	}
	l.geth = &devnetNode{name: "geth", dir: l.dir, argv: []string{geth, "--dev", "--dev.period", "1",
		"--datadir", filepath.Join(l.dir, "geth"), "--ipcdisable", "--verbosity", "2",
		"--http", "--http.addr", "127.0.0.1", "--http.port", fmt.Sprint(apiPort + devnetL1Offset), "--http.api", "eth,net,web3",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", fmt.Sprint(apiPort + devnetL1Offset + 1)}}
	l.relayer = &devnetNode{name: "relayer", dir: l.dir, restart: true, argv: []string{self, "relay",
		"--node", nodes[0].apiURL(), "--l1", l.rpc, "--oracle", devnetOracle().Hex(), "--key", keyPath,
		"--confirmations", "2", "--poll", "500ms"}}
	return l, nil
}

// loadOrCreateKey reads a settlement-format key file, or makes one.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return settlement.ParseKey(b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err := settlement.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".tmp", settlement.EncodeKey(k), 0o600); err != nil {
		return nil, err
	}
	return k, os.Rename(path+".tmp", path)
}

// findGeth is --geth, else geth on PATH, else one built from the
// go-ethereum module tartan requires (go.mod lists cmd/geth as a tool),
// kept in the user's cache directory.
func findGeth(ctx context.Context, e *env, path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("--geth: %w", err)
		}
		return path, nil
	}
	if p, err := exec.LookPath("geth"); err == nil {
		return p, nil
	}
	version := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/ethereum/go-ethereum" {
				version = d.Version
			}
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(cache, "tartan", "geth-"+version)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	fmt.Fprintf(e.stderr, "tartan devnet: building geth %s from the go-ethereum module into %s (once; a few minutes)\n", version, out)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out+".tmp", "github.com/ethereum/go-ethereum/cmd/geth")
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("--l1 needs geth: put it on PATH, pass --geth, or run from the tartan repository so that it can be built (go build: %v)", err)
	}
	return out, os.Rename(out+".tmp", out)
}

// setUp waits for geth, and on a new L1 deploys the oracle for the
// genesis' attesters and the inbox, and funds the relayer.
func (l *devnetL1) setUp(ctx context.Context, e *env) error {
	params, _, err := l.genesis.SettlementParams()
	if err != nil {
		return err
	}
	d := relay.Devnet{URL: l.rpc, EVMChainID: l.genesis.Settlement.EVMChainID, ChainID: l.genesis.ChainID, Window: params.Window,
		Namespace: [29]byte(l.ns), Relayer: settlement.AddressOf(l.relayKey), Fund: new(big.Int).Lsh(big.NewInt(1), 70)}
	for _, v := range l.genesis.Validators {
		if v.SettlementAddress == "" {
			continue
		}
		addr, err := settlement.ParseAddress(v.SettlementAddress)
		if err != nil {
			return fmt.Errorf("genesis validator %s: %w", v.Name, err)
		}
		d.Attesters = append(d.Attesters, relay.Attester{Addr: addr, Power: big.NewInt(v.Power)})
	}
	deployed, err := d.SetUp(ctx)
	if err != nil {
		return fmt.Errorf("%w (geth's log: %s)", err, l.geth.logPath())
	}
	if deployed {
		fmt.Fprintf(e.stderr, "tartan devnet: deployed the oracle at %s and the example inbox at %s\n", relay.DevOracle().Hex(), relay.DevInbox().Hex())
	}
	return nil
}

func (l *devnetL1) json() *devnetL1JSON {
	out := &devnetL1JSON{RPC: l.rpc, ChainID: l.genesis.Settlement.EVMChainID, Oracle: devnetOracle().Hex(), Inbox: relay.DevInbox().Hex(),
		Namespace: fmt.Sprintf("%x", l.ns[:]), DevKey: relay.DevKeyHex, Relayer: settlement.AddressOf(l.relayKey).Hex(), Logs: l.dir}
	if l.relayer.cmd != nil {
		out.RelayerPID = l.relayer.cmd.Process.Pid
	}
	if l.geth.cmd != nil {
		out.GethPID = l.geth.cmd.Process.Pid
	}
	return out
}

func (l *devnetL1) print(w io.Writer, read *devnetNode) {
	fmt.Fprintf(w, "\nEthereum (geth --dev) at %s: oracle %s, example inbox %s (namespace %x); relayer log %s\n",
		l.rpc, devnetOracle().Hex(), relay.DevInbox().Hex(), l.ns[:], l.relayer.logPath())
	fmt.Fprintf(w, "  curl -s '%s/v1/blobs/HEIGHT/%x/COMMITMENT/proof?format=evm'    # what the inbox's submitBatch takes, once the relayer posted HEIGHT\n", read.apiURL(), l.ns[:])
}
