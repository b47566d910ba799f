package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	golog "github.com/ipfs/go-log/v2"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/settlement"
)

const (
	initUsage  = "usage: tartan init --role validator|full|light --dir D [--chain-id C] [--genesis FILE] [--name N] [--block-time 1s] [--max-square 128] [--consensus-listen HOST:PORT] [--consensus-peers ID@HOST:PORT,...] [--api ADDR] [--rpc ADDR|off] [--api.auth always|non-loopback|never] [--listen MULTIADDR,...] [--announce MULTIADDR,...] [--bootstrap MULTIADDR,...] [--storage-window 168h] [--archival] [--trusted-height H [--trusted-hash HEX]] [--sampling.confidence 0.9999 | --sampling.samples N]"
	startUsage = "usage: tartan start --dir D [--log-level info|debug|warn|error] [--log-format text|json] [--archival] [--api.auth always|non-loopback|never] [--announce MULTIADDR,...] [--trusted-height H [--trusted-hash HEX]] [--sampling.confidence C | --sampling.samples N]"
)

// parseFlags parses args with fs, refusing positional arguments. Parse
// errors become one usage line; -h prints the flags.
func parseFlags(e *env, fs *flag.FlagSet, usageLine string, args []string) error {
	pos, err := parseArgs(e, fs, usageLine, args)
	if err == nil && len(pos) != 0 {
		err = usageErr("unexpected argument %q; %s", pos[0], usageLine)
	}
	return err
}

// parseArgs parses fs from args, accepting flags before and after the
// positional arguments, which it returns. Parse errors become one usage
// line; -h or --help prints the usage line and the flags on stdout.
func parseArgs(e *env, fs *flag.FlagSet, usageLine string, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, printHelp(e, usageLine, fs)
			}
			return nil, usageErr("%v; %s", err, usageLine)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagsSet reports which flags the command line named.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// runInit: tartan init. It writes config.json, node.key, genesis.json and
// (a validator) its CometBFT keys, then says what it wrote.
func runInit(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "init")
	roleName := fs.String("role", "", "validator, full or light")
	dir := fs.String("dir", "", "the node's directory (created)")
	chainID := fs.String("chain-id", "", "chain id of a new chain (validator; default \"tartan\"), or checked against --genesis")
	genesis := fs.String("genesis", "", "the chain's genesis.json (required for full and light nodes; a validator without one starts a new chain of its own)")
	name := fs.String("name", "", "a validator's name in a new genesis (default: the directory's name)")
	blockTime := fs.Duration("block-time", time.Second, "time between blocks of a new chain (validator only)")
	maxSquare := fs.Int("max-square", da.DefaultMaxSquareWidth, "largest original square width k of a new chain (validator only)")
	consensusListen := fs.String("consensus-listen", "", "a validator's CometBFT p2p address host:port (default 0.0.0.0:26656)")
	consensusPeers := fs.String("consensus-peers", "", "the other validators' CometBFT addresses, comma-separated, each NODEID@HOST:PORT (tartan init prints a validator's)")
	apiAddr := fs.String("api", "", "REST API listen address host:port (default 127.0.0.1:26650)")
	rpcAddr := fs.String("rpc", node.DefaultRPCListen, "Celestia JSON-RPC listen address host:port, or off")
	apiAuth := fs.String("api.auth", node.AuthNonLoopback, "when write routes need a bearer token (tartan auth token create): always, non-loopback or never")
	listen := fs.String("listen", "", "libp2p listen multiaddrs, comma-separated (default TCP and QUIC on port 2121)")
	announce := fs.String("announce", "", announceHelp)
	bootstrap := fs.String("bootstrap", "", "multiaddrs of peers to connect to first, comma-separated, each ending in /p2p/<peer id>")
	window := fs.Duration("storage-window", 7*24*time.Hour, "how long squares are kept before pruning")
	archival := fs.Bool("archival", false, "keep every square (no pruning)")
	trustedHeight, trustedHash := checkpointFlags(fs)
	confidence, samples := samplingFlags(fs)
	if err := parseFlags(e, fs, initUsage, args); err != nil {
		return err
	}
	set := flagsSet(fs)
	if *dir == "" {
		return usageErr("--dir is required; %s", initUsage)
	}
	if *roleName == "" {
		return usageErr("--role is required; %s", initUsage)
	}
	role, err := node.ParseRole(*roleName)
	if err != nil {
		return usageErr("--role %q: want validator, full or light", *roleName)
	}
	if role != node.RoleValidator && *genesis == "" {
		return usageErr("a %s node needs the chain's genesis file: --genesis PATH (a validator's init prints it)", role)
	}
	if *genesis != "" {
		for _, name := range []string{"block-time", "max-square"} {
			if set[name] {
				return usageErr("--%s only applies to a new chain; it is fixed by the genesis file", name)
			}
		}
	}
	cfg := node.DefaultConfig(role)
	if *apiAddr != "" {
		cfg.API = *apiAddr
	}
	if cfg.RPCListen = *rpcAddr; cfg.RPCListen == "off" {
		cfg.RPCListen = ""
	}
	switch *apiAuth {
	case node.AuthAlways, node.AuthNonLoopback, node.AuthNever:
		cfg.APIAuth = *apiAuth
	default:
		return usageErr("--api.auth %q: want always, non-loopback or never", *apiAuth)
	}
	if set["listen"] {
		cfg.Listen = splitList(*listen)
	}
	cfg.Bootstrap = splitList(*bootstrap)
	cfg.Announce = splitList(*announce)
	if _, err := p2p.ParseAnnounceAddrs(cfg.Announce); err != nil {
		return usageErr("--announce %v", err)
	}
	if role == node.RoleValidator {
		if *consensusListen != "" {
			cfg.ConsensusListen = *consensusListen
		}
		cfg.ConsensusPeers = splitList(*consensusPeers)
	} else if *consensusListen != "" || *consensusPeers != "" {
		return usageErr("--consensus-listen and --consensus-peers are for validators")
	}
	cfg.Window, cfg.Archival = node.Duration(*window), *archival
	if err := checkCheckpoint(role, *trustedHeight, *trustedHash, initUsage); err != nil {
		return err
	}
	cfg.TrustedHeight, cfg.TrustedHash = *trustedHeight, strings.ToLower(*trustedHash)
	if *confidence != 0 {
		cfg.Confidence = *confidence
	}
	cfg.Samples = *samples
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	// Checked here so a typo is refused before anything is written.
	for _, a := range cfg.Listen {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return usageErr("--listen %q is not a multiaddr (like /ip4/0.0.0.0/tcp/2121): %v", a, err)
		}
	}
	for _, a := range cfg.Bootstrap {
		if _, err := peer.AddrInfoFromString(a); err != nil {
			return usageErr("--bootstrap %q is not a peer multiaddr (like /ip4/1.2.3.4/tcp/2121/p2p/12D3…): %v", a, err)
		}
	}
	o := node.InitOptions{
		Role: role, ChainID: *chainID, Genesis: *genesis,
		BlockTime: *blockTime, MaxSquareWidth: *maxSquare, Name: *name,
		Now: time.Now(), Config: &cfg,
	}
	if o.Name == "" {
		o.Name = filepath.Base(*dir)
	}
	if err := node.Init(*dir, o); err != nil {
		return err
	}
	id, err := peerIDOf(*dir)
	if err != nil {
		return err
	}
	g, err := node.LoadGenesis(filepath.Join(*dir, node.GenesisFile))
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "initialized a %s node of chain %q in %s\n", role, g.ChainID, *dir)
	fmt.Fprintf(w, "  config   %s\n", filepath.Join(*dir, node.ConfigFile))
	fmt.Fprintf(w, "  genesis  %s\n", filepath.Join(*dir, node.GenesisFile))
	fmt.Fprintf(w, "  node key %s (peer id %s)\n", filepath.Join(*dir, node.NodeKeyFile), id)
	if role == node.RoleValidator {
		pk, nodeID, err := node.ValidatorIdentity(*dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  consensus keys %s (keep them secret)\n", filepath.Join(*dir, node.ConsensusDir, "config"))
		addr, err := node.SettlementAddress(*dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  validator pub_key %s\n", pk)
		fmt.Fprintf(w, "  settlement_address %s (its key: %s)\n", addr, filepath.Join(*dir, node.ConsensusDir, settlement.KeyFile))
		fmt.Fprintf(w, "  consensus peer   %s@%s (for the other validators' --consensus-peers)\n", nodeID, cfg.ConsensusListen)
		if *genesis == "" {
			fmt.Fprintf(w, "a new chain with this validator alone; add others with: tartan genesis add-validator --genesis %s --dir OTHER\n",
				filepath.Join(*dir, node.GenesisFile))
		} else if in, err := g.InGenesis(*dir); err == nil && !in {
			fmt.Fprintf(w, "this validator is not in the genesis yet: tartan genesis add-validator --genesis FILE --dir %s, then give every node the same FILE\n", *dir)
		}
		fmt.Fprintf(w, "copy %s to every other node: tartan init --role full --genesis %s --dir …\n",
			filepath.Join(*dir, node.GenesisFile), filepath.Join(*dir, node.GenesisFile))
	}
	fmt.Fprintf(w, "run it: tartan start --dir %s\n", *dir)
	return nil
}

// announceHelp describes --announce on init and start.
const announceHelp = "libp2p multiaddrs to advertise instead of the listen addresses, comma-separated, without /p2p/ " +
	"(behind NAT: the public address peers can dial, like /ip4/203.0.113.7/tcp/2121)"

// peerIDOf reads the peer id from dir's node key.
func peerIDOf(dir string) (peer.ID, error) {
	key, err := node.LoadOrCreateNodeKey(filepath.Join(dir, node.NodeKeyFile))
	if err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(key)
}

// runStart: tartan start. It runs one node until ctx ends (SIGINT or
// SIGTERM), logging to stderr.
func runStart(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "start")
	dir := fs.String("dir", "", "the node's directory, written by tartan init")
	levelName := fs.String("log-level", "info", "debug, info, warn or error")
	pprofAddr := fs.String("pprof", "", "serve Go's profiler (net/http/pprof) on this loopback host:port, for diagnosing a node")
	format := fs.String("log-format", "text", "text or json")
	archival := fs.Bool("archival", false, "keep every square this run, whatever config.json says")
	apiAuth := fs.String("api.auth", "", "when write routes need a bearer token this run, whatever config.json says: always, non-loopback or never")
	announce := fs.String("announce", "", announceHelp+"; this run, whatever config.json says")
	// Set by tartan devnet on its validators; left out of the usage line
	// since only devnet offers faults (API.md §1).
	fault := fs.String("fault", "", "withhold@H: this validator withholds part of every non-empty square from height H; bad-encoding@H: it proposes and accepts a badly encoded square at height H (devnet use only: every validator must run it)")
	trustedHeight, trustedHash := checkpointFlags(fs)
	confidence, samples := samplingFlags(fs)
	if err := parseFlags(e, fs, startUsage, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required; %s", startUsage)
	}
	if *trustedHeight != 0 || *trustedHash != "" {
		cfg, err := node.LoadConfig(*dir)
		if err != nil {
			return err
		}
		if err := checkCheckpoint(cfg.Role, *trustedHeight, *trustedHash, startUsage); err != nil {
			return err
		}
	}
	var withhold, badEncoding uint64
	if *fault != "" {
		kind, h, err := parseFault(*fault)
		if err != nil {
			return err
		}
		if cfg, err := node.LoadConfig(*dir); err == nil && cfg.Role != node.RoleValidator {
			return usageErr("--fault %s: only validators inject faults; %s holds a %s node", *fault, *dir, cfg.Role)
		}
		if kind == "withhold" {
			withhold = h
		} else {
			badEncoding = h
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*levelName)); err != nil {
		return usageErr("--log-level %q: want debug, info, warn or error", *levelName)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch *format {
	case "text":
		h = slog.NewTextHandler(e.stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(e.stderr, hopts)
	default:
		return usageErr("--log-format %q: want text or json", *format)
	}
	log := slog.New(h)
	// go-jsonrpc logs each malformed JSON-RPC request at error level, in
	// go-log's own format. The client gets the error and
	// tartan_rpc_calls_total counts it, so the node's log keeps only its
	// panics, or its warnings at debug level.
	rpcLevel := "dpanic"
	if level <= slog.LevelDebug {
		rpcLevel = "warn"
	}
	if err := golog.SetLogLevel("rpc", rpcLevel); err != nil {
		log.Debug("go-jsonrpc's log level not set", "err", err)
	}
	// The node applies a checkpoint only to an empty chain, and warns
	// when the chain already holds headers from elsewhere.
	switch *apiAuth {
	case "", node.AuthAlways, node.AuthNonLoopback, node.AuthNever:
	default:
		return usageErr("--api.auth %q: want always, non-loopback or never", *apiAuth)
	}
	announceAddrs := splitList(*announce)
	if _, err := p2p.ParseAnnounceAddrs(announceAddrs); err != nil {
		return usageErr("--announce %v", err)
	}
	n, err := node.New(ctx, *dir, node.Options{Logger: log, Version: version, Archival: *archival, APIAuth: *apiAuth, Announce: announceAddrs,
		Withhold: withhold, BadEncoding: badEncoding,
		TrustedHeight: *trustedHeight, TrustedHash: strings.ToLower(*trustedHash),
		SamplingConfidence: *confidence, SamplingSamples: *samples})
	if err != nil {
		return err
	}
	// A soft memory limit for the garbage collector, so that the garbage a
	// burst of blocks or reads leaves does not grow the process (README
	// "Limits"); GOMEMLIMIT, when set, is the operator's choice instead.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(n.MemoryLimit())
	}
	log.Info("listening", "api", "http://"+n.APIAddr(), "peer_id", n.PeerID(), "p2p", n.P2PAddrs(),
		"memory_limit_mib", debug.SetMemoryLimit(-1)>>20)
	if *pprofAddr != "" {
		stop, err := servePprof(*pprofAddr)
		if err != nil {
			n.Close()
			return err
		}
		defer stop()
	}
	if err := n.Run(ctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// checkpointFlags declares --trusted-height and --trusted-hash.
func checkpointFlags(fs *flag.FlagSet) (height *uint64, hash *string) {
	height = fs.Uint64("trusted-height", 0, "full and light nodes: start an empty chain from the header at this height instead of height 1")
	hash = fs.String("trusted-hash", "", "the hex hash of the header at --trusted-height (64 digits); without it, whatever header more than 2/3 of the genesis validators signed there is trusted")
	return height, hash
}

// checkCheckpoint refuses checkpoint flags a role cannot use or a hash
// that is not 32 bytes of hex.
func checkCheckpoint(role node.Role, height uint64, hash, usage string) error {
	if height == 0 && hash == "" {
		return nil
	}
	if role == node.RoleValidator {
		return usageErr("--trusted-height and --trusted-hash are for full and light nodes; a validator's CometBFT verifies its chain")
	}
	if height == 0 {
		return usageErr("--trusted-hash needs --trusted-height, the height of that header; %s", usage)
	}
	if b, err := hex.DecodeString(hash); hash != "" && (err != nil || len(b) != 32) {
		return usageErr("--trusted-hash %q: want the header hash as 64 hex digits", hash)
	}
	return nil
}

// samplingFlags declares how many cells a light node samples per height:
// enough for a target confidence, or an explicit count (which wins).
func samplingFlags(fs *flag.FlagSet) (confidence *float64, samples *int) {
	confidence = fs.Float64("sampling.confidence", 0, "target confidence per height for light nodes (default 0.9999)")
	samples = fs.Int("sampling.samples", 0, "explicit number of cells a light node samples per height (overrides the confidence)")
	return confidence, samples
}
