package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node"
)

const devnetUsage = "usage: tartan devnet [--dir D] [--validators N] [--fulls N] [--lights N] [--block-time 1s] [--max-square 128] [--api-port P] [--fault validator-down@H|withhold@H|bad-encoding@H] [--l1 [--geth PATH]]"

// Ports of a devnet of n nodes with base port P (node i: the validators
// first, then the full nodes, then the light nodes): the REST API on P+i,
// libp2p on P+100+i for both TCP and QUIC (UDP), a validator's CometBFT
// p2p on P+200+i, and the Celestia JSON-RPC on P+300+i. They depend only on P and i, so a resumed
// devnet keeps its addresses; 100 apart keeps the ranges disjoint, hence
// at most 100 nodes.
const (
	devnetP2POffset       = 100
	devnetConsensusOffset = 200
	devnetRPCOffset       = 300
	// devnetL1Offset: geth's JSON-RPC (--l1), and its engine API one up.
	devnetL1Offset = 400
	// Settlement on a devnet: geth --dev's chain id; the oracle's address
	// is where --l1 deploys it (devnetOracle).
	devnetEVMChainID       = 1337
	devnetSettlementWindow = 10
	devnetMaxNodes         = devnetP2POffset
	devnetChainID          = "devnet"
	devnetFile             = "devnet.json"
	devnetLogFile          = "node.log"
	// How long nodes get to answer /health, and to stop after SIGTERM.
	devnetReadyTimeout = 60 * time.Second
	devnetStopTimeout  = 10 * time.Second
)

// devnetJSON is D/devnet.json (API.md §1).
type devnetJSON struct {
	ChainID string           `json:"chain_id"`
	Dir     string           `json:"dir"`
	Nodes   []devnetNodeJSON `json:"nodes"`
	L1      *devnetL1JSON    `json:"l1,omitempty"`
}

type devnetNodeJSON struct {
	Name   string   `json:"name"`
	Role   string   `json:"role"`
	API    string   `json:"api"`
	PeerID string   `json:"peer_id"`
	P2P    []string `json:"p2p"`
	RPC    string   `json:"rpc,omitempty"`
	PID    int      `json:"pid"`
}

// devnetNode is one node of the devnet as the supervisor sees it.
type devnetNode struct {
	name    string
	role    node.Role
	dir     string
	apiPort int
	p2pPort int
	rpcPort int
	// consensusPort is a validator's CometBFT p2p port; nodeID its
	// CometBFT identity.
	consensusPort int
	nodeID        string
	peerID        string
	cmd           *exec.Cmd
	p2p           []string // from its /v1/node once it answers
	args          []string // extra arguments of its tartan start (the validators' --fault)
	// downAt is the height at which the supervisor stops this validator
	// (--fault validator-down@H), 0 for none.
	downAt uint64
	// argv, when set, is a helper process the supervisor runs instead of
	// a Tartan node (geth and the relayer of --l1); restart has it run
	// again when it exits.
	argv    []string
	restart bool
}

// isNode tells Tartan's nodes from the helper processes.
func (d *devnetNode) isNode() bool { return d.argv == nil }

// command is the process d runs.
func (d *devnetNode) command(self string) *exec.Cmd {
	if d.argv != nil {
		return exec.Command(d.argv[0], d.argv[1:]...)
	}
	return exec.Command(self, append([]string{"start", "--dir", d.dir}, d.args...)...)
}

func (d *devnetNode) consensusAddr() string { return fmt.Sprintf("127.0.0.1:%d", d.consensusPort) }

func (d *devnetNode) apiURL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.apiPort) }
func (d *devnetNode) rpcURL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.rpcPort) }
func (d *devnetNode) logPath() string {
	if d.argv != nil {
		return filepath.Join(d.dir, d.name+".log")
	}
	return filepath.Join(d.dir, devnetLogFile)
}

// listen are the node's libp2p listen addresses: loopback only.
func (d *devnetNode) listen() []string {
	return []string{
		fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", d.p2pPort),
		fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", d.p2pPort),
	}
}

// dialAddrs are what other nodes bootstrap from: known before the node
// runs, since its ports and key are.
func (d *devnetNode) dialAddrs() []string {
	var out []string
	for _, a := range d.listen() {
		out = append(out, a+"/p2p/"+d.peerID)
	}
	return out
}

// parseFault checks --fault's syntax: validator-down@H, withhold@H or
// bad-encoding@H, H ≥ 1.
func parseFault(s string) (kind string, height uint64, err error) {
	kind, h, ok := strings.Cut(s, "@")
	if !ok || (kind != "withhold" && kind != "bad-encoding" && kind != "validator-down") {
		return "", 0, usageErr("--fault %q: want validator-down@H, withhold@H or bad-encoding@H", s)
	}
	height, err = strconv.ParseUint(h, 10, 64)
	if err != nil || height == 0 {
		return "", 0, usageErr("--fault %q: H must be a height ≥ 1", s)
	}
	return kind, height, nil
}

// runDevnet: tartan devnet. It prepares (or resumes) every node's
// directory, runs each node as a child process of this binary, waits for
// every API to answer, writes D/devnet.json and prints the nodes, then
// supervises them until ctx ends or one of them dies.
func runDevnet(ctx context.Context, e *env, args []string) error {
	flags := newFlags(e, "devnet")
	dirFlag := flags.String("dir", "", "directory of the network's nodes (default: a new temp dir); an existing one is resumed")
	validators := flags.Int("validators", 4, "number of validators")
	fulls := flags.Int("fulls", 1, "number of full nodes")
	lights := flags.Int("lights", 2, "number of light nodes")
	blockTime := flags.Duration("block-time", time.Second, "time between blocks (a new chain only)")
	maxSquare := flags.Int("max-square", da.DefaultMaxSquareWidth, "largest original square width k (a new chain only)")
	apiPort := flags.Int("api-port", 26650, fmt.Sprintf("REST API port of the first validator; the next nodes take the next ports, libp2p uses port+%d+i, CometBFT port+%d+i and the JSON-RPC port+%d+i", devnetP2POffset, devnetConsensusOffset, devnetRPCOffset))
	withL1 := flags.Bool("l1", false, fmt.Sprintf("also run an Ethereum dev chain (geth --dev, JSON-RPC on port+%d) with the oracle and an example rollup inbox deployed, and a relayer posting the validators' commitments", devnetL1Offset))
	gethPath := flags.String("geth", "", "the geth binary for --l1 (default: geth on PATH, else built from the go-ethereum module this repository requires)")
	fault := flags.String("fault", "", "validator-down@H: one validator stops at height H; withhold@H or bad-encoding@H: every validator misbehaves from height H")
	if err := parseFlags(e, flags, devnetUsage, args); err != nil {
		return err
	}
	set := flagsSet(flags)
	if *fulls < 0 || *lights < 0 || *validators < 1 {
		return usageErr("--validators must be at least 1, --fulls and --lights not negative")
	}
	total := *validators + *fulls + *lights
	if total > devnetMaxNodes {
		return usageErr("%d nodes: a devnet has at most %d", total, devnetMaxNodes)
	}
	if *apiPort < 1 || *apiPort+devnetL1Offset+1 > 65535 {
		return usageErr("--api-port %d: ports %d to %d must be valid", *apiPort, *apiPort, *apiPort+devnetL1Offset+1)
	}
	if *blockTime < 10*time.Millisecond {
		return usageErr("--block-time %s: must be at least 10ms", *blockTime)
	}
	if err := da.ValidateMaxSquareWidth(*maxSquare); err != nil {
		return usageErr("--max-square %d: %v", *maxSquare, err)
	}
	var (
		faultArgs []string // every validator's extra start arguments
		downAt    uint64   // validator-down@H
	)
	if *fault != "" {
		kind, h, err := parseFault(*fault)
		if err != nil {
			return err
		}
		if kind == "validator-down" {
			if *validators < 4 {
				return usageErr("--fault validator-down@%d needs at least 4 validators: with fewer, one down stops the chain", h)
			}
			downAt = h
		} else {
			faultArgs = []string{"--fault", fmt.Sprintf("%s@%d", kind, h)}
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run the nodes: %w", err)
	}

	dir := *dirFlag
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tartan-devnet-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "devnet in %s\n", dir)
	// A devnet.json left by an earlier run names dead processes.
	if err := os.Remove(filepath.Join(dir, devnetFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	nodes := make([]*devnetNode, 0, total)
	add := func(name string, role node.Role) {
		i := len(nodes)
		nodes = append(nodes, &devnetNode{name: name, role: role, dir: filepath.Join(dir, name),
			apiPort: *apiPort + i, p2pPort: *apiPort + devnetP2POffset + i, consensusPort: *apiPort + devnetConsensusOffset + i,
			rpcPort: *apiPort + devnetRPCOffset + i})
	}
	for i := 1; i <= *validators; i++ {
		add(fmt.Sprintf("validator-%d", i), node.RoleValidator)
		nodes[len(nodes)-1].args = faultArgs
	}
	// The last validator goes down: the first stays up for the printed
	// examples.
	nodes[*validators-1].downAt = downAt
	for i := 1; i <= *fulls; i++ {
		add(fmt.Sprintf("full-%d", i), node.RoleFull)
	}
	for i := 1; i <= *lights; i++ {
		add(fmt.Sprintf("light-%d", i), node.RoleLight)
	}
	if err := prepareDevnet(e, nodes, *validators, *blockTime, *maxSquare, set); err != nil {
		return err
	}
	var l1 *devnetL1
	if *withL1 {
		if l1, err = newDevnetL1(ctx, e, self, dir, *gethPath, *apiPort, nodes); err != nil {
			return err
		}
	}
	return superviseDevnet(ctx, e, self, dir, nodes, l1)
}

// prepareDevnet initializes the node directories that do not exist yet
// and rewrites every node's addresses, which follow from --api-port. A new
// chain's genesis lists every validator: each validator's keys are made
// first, then one genesis is written to every node.
func prepareDevnet(e *env, nodes []*devnetNode, validators int, blockTime time.Duration, maxSquare int, set map[string]bool) error {
	exists := make([]bool, len(nodes))
	for i, d := range nodes {
		_, err := os.Stat(filepath.Join(d.dir, node.ConfigFile))
		exists[i] = err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	first := nodes[0]
	genesisPath := filepath.Join(first.dir, node.GenesisFile)
	var genesis *node.Genesis
	if !exists[0] {
		// A new chain: every validator's keys, then the one genesis.
		for i, d := range nodes[:validators] {
			if exists[i] {
				return fmt.Errorf("%s exists but %s does not: remove %s to start a new devnet", d.dir, first.dir, filepath.Dir(d.dir))
			}
		}
		now := time.Now()
		genesis = &node.Genesis{ChainID: devnetChainID, GenesisTime: now.UTC(), BlockTime: node.Duration(blockTime), MaxSquareWidth: maxSquare,
			// The validators attest every devnetSettlementWindow heights
			// for a dev chain's oracle (geth --dev's chain id), so the
			// settlement routes have something to show.
			Settlement: &node.GenesisSettlement{EVMChainID: devnetEVMChainID, Oracle: devnetOracle().Hex(), Window: devnetSettlementWindow}}
		for i, d := range nodes[:validators] {
			cfg := node.DefaultConfig(d.role)
			o := node.InitOptions{Role: d.role, Config: &cfg, Now: now, ChainID: devnetChainID, BlockTime: blockTime, MaxSquareWidth: maxSquare, Name: d.name}
			if err := node.Init(d.dir, o); err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
			exists[i] = true
			pk, _, err := node.ValidatorIdentity(d.dir)
			if err != nil {
				return err
			}
			addr, err := node.SettlementAddress(d.dir)
			if err != nil {
				return err
			}
			genesis.Validators = append(genesis.Validators, node.GenesisValidator{Name: d.name, PubKey: pk, Power: node.DefaultValidatorPower, SettlementAddress: addr})
		}
		for _, d := range nodes[:validators] {
			if err := genesis.Save(filepath.Join(d.dir, node.GenesisFile)); err != nil {
				return err
			}
		}
	} else {
		var err error
		if genesis, err = node.LoadGenesis(genesisPath); err != nil {
			return err
		}
		if len(genesis.Validators) != validators {
			return fmt.Errorf("the devnet in %s has %d validators, not %d: run it with --validators %d, or remove the directory", filepath.Dir(first.dir), len(genesis.Validators), validators, len(genesis.Validators))
		}
		if set["block-time"] && genesis.BlockTime.D() != blockTime {
			fmt.Fprintf(e.stderr, "tartan devnet: warning: resuming a chain whose block time is %s; --block-time %s only applies to a new chain\n", genesis.BlockTime.D(), blockTime)
		}
		if set["max-square"] && genesis.MaxSquareWidth != maxSquare {
			fmt.Fprintf(e.stderr, "tartan devnet: warning: resuming a chain whose max square width is %d; --max-square %d only applies to a new chain\n", genesis.MaxSquareWidth, maxSquare)
		}
	}
	for i, d := range nodes {
		if !exists[i] {
			cfg := node.DefaultConfig(d.role)
			if err := node.Init(d.dir, node.InitOptions{Role: d.role, Config: &cfg, Now: time.Now(), Genesis: genesisPath}); err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
		}
		cfg, err := node.LoadConfig(d.dir)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if cfg.Role != d.role {
			return fmt.Errorf("%s holds a %s node, not a %s node", d.dir, cfg.Role, d.role)
		}
		g, err := node.LoadGenesis(filepath.Join(d.dir, node.GenesisFile))
		if err != nil {
			return err
		}
		if !sameGenesis(g, genesis) {
			return fmt.Errorf("%s: its genesis is not the devnet's (%s); remove the directory to start it afresh", d.name, genesisPath)
		}
		id, err := peerIDOf(d.dir)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		d.peerID = id.String()
		if d.role == node.RoleValidator {
			if _, d.nodeID, err = node.ValidatorIdentity(d.dir); err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
		}
	}
	// Validators peer with each other over CometBFT (consensusNeighbours)
	// and libp2p (a validator that missed a block's transactions fetches
	// its square there); full nodes bootstrap from the validators; light
	// nodes from the validators and the full nodes.
	var valAddrs, fullAddrs []string
	for _, d := range nodes {
		switch d.role {
		case node.RoleValidator:
			valAddrs = append(valAddrs, d.dialAddrs()...)
		case node.RoleFull:
			fullAddrs = append(fullAddrs, d.dialAddrs()...)
		}
	}
	for i, d := range nodes {
		cfg, err := node.LoadConfig(d.dir)
		if err != nil {
			return err
		}
		cfg.API = fmt.Sprintf("127.0.0.1:%d", d.apiPort)
		cfg.RPCListen = fmt.Sprintf("127.0.0.1:%d", d.rpcPort)
		cfg.Listen = d.listen()
		if cfg.APIAuth == "" {
			// A local network for trying things out: no tokens, unless
			// the operator chose otherwise in a node's config.
			cfg.APIAuth = node.AuthNever
		}
		switch d.role {
		case node.RoleValidator:
			cfg.Bootstrap = nil
			for j := range i {
				cfg.Bootstrap = append(cfg.Bootstrap, nodes[j].dialAddrs()...)
			}
			cfg.ConsensusListen = d.consensusAddr()
			cfg.ConsensusPeers = nil
			for _, j := range consensusNeighbours(i, validators) {
				o := nodes[j]
				cfg.ConsensusPeers = append(cfg.ConsensusPeers, o.nodeID+"@"+o.consensusAddr())
			}
		case node.RoleFull:
			cfg.Bootstrap = valAddrs
		case node.RoleLight:
			cfg.Bootstrap = append(slices.Clone(valAddrs), fullAddrs...)
		}
		if err := cfg.Save(d.dir); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

// sameGenesis reports whether two genesis files describe one chain.
func sameGenesis(a, b *node.Genesis) bool {
	return a.ChainID == b.ChainID && a.GenesisTime.Equal(b.GenesisTime) && slices.Equal(a.Validators, b.Validators)
}

// exit is a child process that ended.
type exit struct {
	node *devnetNode
	err  error
}

// superviseDevnet runs every node, announces the network once all answer,
// and stops them all when ctx ends (a clean stop: nil) or when one of them
// exits on its own (an error).
func superviseDevnet(ctx context.Context, e *env, self, dir string, nodes []*devnetNode, l1 *devnetL1) error {
	exits := make(chan exit, len(nodes))
	// alive are the started children whose exit was not received yet.
	alive := map[*devnetNode]bool{}
	// stop signals every running child, waits for them, and kills what
	// is left after the timeout. It names the nodes that did not stop
	// cleanly.
	stop := func() error {
		for d := range alive {
			signalTerm(d.cmd.Process)
		}
		var unclean []string
		timeout := time.After(devnetStopTimeout)
		for len(alive) > 0 {
			select {
			case x := <-exits:
				delete(alive, x.node)
				if x.err != nil {
					unclean = append(unclean, fmt.Sprintf("%s (%v; see %s)", x.node.name, x.err, x.node.logPath()))
				}
			case <-timeout:
				for d := range alive {
					d.cmd.Process.Kill()
				}
				timeout = nil // now wait for the killed ones
			}
		}
		if len(unclean) > 0 {
			return fmt.Errorf("not stopped cleanly: %s", strings.Join(unclean, ", "))
		}
		return nil
	}
	// died stops the others after x exited on its own.
	died := func(x exit) error {
		delete(alive, x.node)
		why := "exited"
		if x.err != nil {
			why = x.err.Error()
		}
		msg := fmt.Sprintf("%s stopped unexpectedly (%s; see %s)", x.node.name, why, x.node.logPath())
		if last := lastLine(x.node.logPath()); last != "" {
			msg += ": " + last
		}
		fmt.Fprintf(e.stderr, "tartan devnet: %s stopped unexpectedly; stopping the other nodes\n", x.node.name)
		if err := stop(); err != nil {
			msg += "; " + err.Error()
		}
		return errors.New(msg)
	}

	start := func(d *devnetNode) error {
		if err := os.MkdirAll(d.dir, 0o700); err != nil {
			return err
		}
		logf, err := os.OpenFile(d.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		cmd := d.command(self)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = childSysProcAttr()
		err = cmd.Start()
		logf.Close() // the child holds its own copy
		if err != nil {
			return fmt.Errorf("starting %s: %w", d.name, err)
		}
		d.cmd = cmd
		alive[d] = true
		go func() { exits <- exit{d, cmd.Wait()} }()
		return nil
	}
	if l1 != nil {
		nodes = append([]*devnetNode{l1.geth}, nodes...)
	}
	var tartanNodes []*devnetNode
	for _, d := range nodes {
		if err := start(d); err != nil {
			return andStop(err, stop())
		}
		if d.isNode() {
			tartanNodes = append(tartanNodes, d)
		}
	}

	// Wait for every API to answer, and the L1 to be set up, watching
	// for early deaths.
	readyCtx, cancelReady := context.WithTimeout(ctx, devnetReadyTimeout)
	defer cancelReady()
	ready := make(chan error, 1)
	go func() {
		err := waitDevnetReady(readyCtx, tartanNodes)
		if err == nil && l1 != nil {
			err = l1.setUp(readyCtx, e)
		}
		ready <- err
	}()
	for waiting := true; waiting; {
		select {
		case x := <-exits:
			cancelReady()
			<-ready
			return died(x)
		case err := <-ready:
			cancelReady()
			waiting = false
			if ctx.Err() != nil {
				return stop()
			}
			if err != nil {
				return andStop(fmt.Errorf("the nodes did not all come up: %v (logs: %s/*/%s)", err, dir, devnetLogFile), stop())
			}
		}
	}
	if l1 != nil {
		if err := start(l1.relayer); err != nil {
			return andStop(err, stop())
		}
	}
	if err := writeDevnetJSON(dir, tartanNodes, l1); err != nil {
		return andStop(err, stop())
	}
	printDevnet(e.stdout, dir, tartanNodes, l1)

	// --fault validator-down@H: the supervisor stops that validator once
	// the chain reaches H; its exit is then expected.
	downed := make(chan *devnetNode, 1)
	faultCtx, cancelFault := context.WithCancel(ctx)
	defer cancelFault()
	for _, d := range nodes {
		if d.downAt > 0 {
			go func() {
				if waitHeight(faultCtx, d, d.downAt) == nil {
					downed <- d
				}
			}()
		}
	}
	down := map[*devnetNode]bool{}
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(e.stderr, "tartan devnet: stopping the nodes")
			return stop()
		case d := <-downed:
			fmt.Fprintf(e.stderr, "tartan devnet: fault validator-down@%d: stopping %s; the chain goes on\n", d.downAt, d.name)
			down[d] = true
			signalTerm(d.cmd.Process)
		case x := <-exits:
			if down[x.node] {
				delete(alive, x.node)
				continue
			}
			if x.node.restart {
				// A helper that may come and go (the relayer): it picks up
				// where the chain is, so it is simply started again.
				delete(alive, x.node)
				fmt.Fprintf(e.stderr, "tartan devnet: %s exited (%v); starting it again\n", x.node.name, x.err)
				select {
				case <-ctx.Done():
					continue
				case <-time.After(time.Second):
				}
				if err := start(x.node); err != nil {
					return andStop(err, stop())
				}
				if err := writeDevnetJSON(dir, tartanNodes, l1); err != nil {
					return andStop(err, stop())
				}
				continue
			}
			return died(x)
		}
	}
}

// waitHeight polls d's local head until it reaches height or ctx ends.
func waitHeight(ctx context.Context, d *devnetNode, height uint64) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.apiURL()+"/v1/node", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			var info api.NodeInfo
			err = json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			if err == nil && info.Head.Local >= height {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// andStop adds what went wrong while stopping to err, on one line.
func andStop(err, stopErr error) error {
	if stopErr == nil {
		return err
	}
	return fmt.Errorf("%w; %v", err, stopErr)
}

// waitDevnetReady polls every node's /health, then reads its /v1/node
// for the addresses it listens on.
func waitDevnetReady(ctx context.Context, nodes []*devnetNode) error {
	client := &http.Client{Timeout: 2 * time.Second}
	get := func(url string, out any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	for _, d := range nodes {
		var last error
		for {
			var health struct{ Status string }
			if last = get(d.apiURL()+"/health", &health); last == nil && health.Status == "ok" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s does not answer %s/health within %s: %v", d.name, d.apiURL(), devnetReadyTimeout, last)
			case <-time.After(100 * time.Millisecond):
			}
		}
		var info api.NodeInfo
		if err := get(d.apiURL()+"/v1/node", &info); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if info.PeerID != d.peerID {
			return fmt.Errorf("%s: port %d answers as peer %s, not %s: is another program on it?", d.name, d.apiPort, info.PeerID, d.peerID)
		}
		d.p2p = info.Listen
		if d.p2p == nil {
			d.p2p = d.dialAddrs()
		}
	}
	return nil
}

func writeDevnetJSON(dir string, nodes []*devnetNode, l1 *devnetL1) error {
	out := devnetJSON{ChainID: devnetChainID, Dir: dir}
	if l1 != nil {
		out.L1 = l1.json()
	}
	if g, err := node.LoadGenesis(filepath.Join(nodes[0].dir, node.GenesisFile)); err == nil {
		out.ChainID = g.ChainID
	}
	for _, d := range nodes {
		out.Nodes = append(out.Nodes, devnetNodeJSON{Name: d.name, Role: string(d.role), API: d.apiURL(),
			PeerID: d.peerID, P2P: d.p2p, RPC: d.rpcURL(), PID: d.cmd.Process.Pid})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	// Atomically, so a script that polls for the file never reads half.
	path := filepath.Join(dir, devnetFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// tryNamespace is "tartan-dev", a 10-byte version-0 user namespace.
const tryNamespace = "74617274616e2d646576"

func printDevnet(w io.Writer, dir string, nodes []*devnetNode, l1 *devnetL1) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tAPI\tJSON-RPC\tPEER ID\tLOG")
	for _, d := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.name, d.role, d.apiURL(), d.rpcURL(), d.peerID, d.logPath())
	}
	tw.Flush()
	fmt.Fprintf(w, "\nwrote %s; Ctrl-C stops every node (run again with --dir %s to resume)\n", filepath.Join(dir, devnetFile), dir)
	// Submit through a light node when there is one (it forwards to a
	// validator), read back from a full node when there is one.
	submit, read, avail := nodes[0], nodes[0], nodes[0]
	for _, d := range nodes {
		if d.role == node.RoleLight && submit == nodes[0] {
			submit, avail = d, d
		}
		if d.role == node.RoleFull && read == nodes[0] {
			read = d
		}
	}
	fmt.Fprintln(w, "\ntry next:")
	fmt.Fprintf(w, "  open %s/ui/    # the dashboard (every node serves one)\n", avail.apiURL())
	fmt.Fprintf(w, "  curl -s -X POST %s/v1/blobs -d '{\"blobs\":[{\"namespace\":\"%s\",\"data\":\"aGVsbG8gdGFydGFu\"}]}'\n", submit.apiURL(), tryNamespace)
	fmt.Fprintf(w, "  curl -s '%s/v1/blobs/HEIGHT?namespace=%s'    # HEIGHT from the answer above\n", read.apiURL(), tryNamespace)
	fmt.Fprintf(w, "  curl -s %s/v1/headers/head\n", read.apiURL())
	fmt.Fprintf(w, "  curl -s %s/v1/availability\n", avail.apiURL())
	fmt.Fprintf(w, "  curl -s -X POST %s -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"header.NetworkHead\",\"params\":[]}'    # Celestia's JSON-RPC\n", read.rpcURL())
	if l1 != nil {
		l1.print(w, read)
	}
}

// signalTerm asks a child to stop; where signals do not exist it kills.
func signalTerm(p *os.Process) {
	if err := p.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.Kill()
	}
}

// lastLine is the last non-empty line of a log file, for error messages.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// consensusNeighbours are the validators that validator i of n peers with
// over CometBFT: all the others. Blocks carry references (a few kB), not
// blobs, and a validator relays its own clients' blob transactions to its
// peers only, so each must reach every other validator directly: a blob
// then crosses n−1 of the n(n−1)/2 links once, and no link twice.
func consensusNeighbours(i, n int) []int {
	var out []int
	for j := range n {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}
