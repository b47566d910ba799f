package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/node"
	"github.com/tartan-da/tartan/settlement"
)

// oneLine fails unless a failed command said exactly one line on stderr.
func oneLine(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr is not one line: %q", stderr)
	}
}

// validatorKeyFiles are a validator's secrets, relative to its directory:
// the libp2p key and the CometBFT validator and node keys.
var validatorKeyFiles = []string{node.NodeKeyFile, filepath.Join(node.ConsensusDir, consensus.ValidatorKeyFile), filepath.Join(node.ConsensusDir, consensus.NodeKeyFile)}

// permOf is a file's permission bits.
func permOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestInitValidatorThenFullAndLight(t *testing.T) {
	root := t.TempDir()
	pdir := filepath.Join(root, "validator")
	code, out, errs := runCLI(t, "", "init", "--role", "validator", "--dir", pdir, "--chain-id", "cli-test",
		"--block-time", "250ms", "--max-square", "64", "--api", "127.0.0.1:4001",
		"--listen", "/ip4/127.0.0.1/tcp/5001, /ip4/127.0.0.1/udp/5001/quic-v1")
	if code != 0 {
		t.Fatalf("init validator: exit %d: %s", code, errs)
	}
	for _, f := range append([]string{node.ConfigFile, node.GenesisFile}, validatorKeyFiles...) {
		if _, err := os.Stat(filepath.Join(pdir, f)); err != nil {
			t.Fatalf("init validator did not write %s: %v", f, err)
		}
	}
	// The keys are secrets: 0600, in directories only the owner reads.
	for _, f := range validatorKeyFiles {
		if mode := permOf(t, filepath.Join(pdir, f)); mode != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, mode)
		}
	}
	for _, d := range []string{".", node.ConsensusDir, filepath.Join(node.ConsensusDir, "config")} {
		if mode := permOf(t, filepath.Join(pdir, d)); mode&0o077 != 0 {
			t.Errorf("directory %s has mode %v, want no access for group and others", d, mode)
		}
	}
	g, err := node.LoadGenesis(filepath.Join(pdir, node.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	pk, nodeID, err := node.ValidatorIdentity(pdir)
	if err != nil {
		t.Fatal(err)
	}
	// The settlement key is made with the CometBFT keys, private, and
	// its address is in the genesis and in what init printed.
	addr, err := node.SettlementAddress(pdir)
	if err != nil || !strings.Contains(out, "settlement_address "+addr) || permOf(t, filepath.Join(pdir, node.ConsensusDir, settlement.KeyFile)) != 0o600 {
		t.Fatalf("settlement address %s (%v) not printed, or its key not private:\n%s", addr, err, out)
	}
	if g.ChainID != "cli-test" || g.BlockTime.D() != 250*time.Millisecond || g.MaxSquareWidth != 64 || len(g.Validators) != 1 ||
		g.Validators[0] != (node.GenesisValidator{Name: "validator", PubKey: pk, Power: node.DefaultValidatorPower, SettlementAddress: addr}) {
		t.Fatalf("genesis %+v does not hold the flags and this validator", g)
	}
	cfg, err := node.LoadConfig(pdir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Role != node.RoleValidator || cfg.API != "127.0.0.1:4001" || cfg.ConsensusListen != "0.0.0.0:26656" ||
		strings.Join(cfg.Listen, " ") != "/ip4/127.0.0.1/tcp/5001 /ip4/127.0.0.1/udp/5001/quic-v1" || len(cfg.Bootstrap) != 0 {
		t.Fatalf("config %+v does not hold the flags", cfg)
	}
	pid, err := peerIDOf(pdir)
	if err != nil {
		t.Fatal(err)
	}
	genesisPath := filepath.Join(pdir, node.GenesisFile)
	for _, want := range []string{pid.String(), "copy " + genesisPath, pk, nodeID + "@0.0.0.0:26656", "tartan genesis add-validator"} {
		if !strings.Contains(out, want) {
			t.Fatalf("init output lacks %q (peer id, genesis to copy, validator key, consensus peer, how to add validators):\n%s", want, out)
		}
	}

	// A second init refuses, and leaves the keys alone.
	var keys [][]byte
	for _, f := range validatorKeyFiles {
		b, _ := os.ReadFile(filepath.Join(pdir, f))
		keys = append(keys, b)
	}
	code, _, errs = runCLI(t, "", "init", "--role", "validator", "--dir", pdir)
	if code != 1 || !strings.Contains(errs, "already holds a node") {
		t.Fatalf("init of an initialized dir: exit %d: %q", code, errs)
	}
	oneLine(t, errs)
	for i, f := range validatorKeyFiles {
		if again, _ := os.ReadFile(filepath.Join(pdir, f)); !bytes.Equal(keys[i], again) {
			t.Fatalf("a refused init replaced %s", f)
		}
	}

	boot := "/ip4/127.0.0.1/tcp/5001/p2p/" + pid.String()
	for _, role := range []string{"full", "light"} {
		dir := filepath.Join(root, role)
		code, out, errs := runCLI(t, "", "init", "--role", role, "--dir", dir, "--genesis", genesisPath, "--bootstrap", boot)
		if code != 0 {
			t.Fatalf("init %s: exit %d: %s", role, code, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, node.ConsensusDir)); err == nil {
			t.Fatalf("init %s wrote consensus keys", role)
		}
		g2, err := node.LoadGenesis(filepath.Join(dir, node.GenesisFile))
		if err != nil || !reflect.DeepEqual(g2, g) {
			t.Fatalf("init %s: genesis %+v (%v), want the validator's %+v", role, g2, err, g)
		}
		cfg, err := node.LoadConfig(dir)
		if err != nil || string(cfg.Role) != role || len(cfg.Bootstrap) != 1 || cfg.Bootstrap[0] != boot {
			t.Fatalf("init %s: config %+v (%v)", role, cfg, err)
		}
		id, _ := peerIDOf(dir)
		if id == pid || !strings.Contains(out, id.String()) {
			t.Fatalf("init %s: peer id %s not printed or same as the validator's:\n%s", role, id, out)
		}
	}
}

// Refusals: one line on stderr, usage errors exit 2, and nothing written.
func TestInitAndStartRefuse(t *testing.T) {
	root := t.TempDir()
	pdir := filepath.Join(root, "p")
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", pdir, "--chain-id", "c1"); code != 0 {
		t.Fatal(errs)
	}
	genesis := filepath.Join(pdir, node.GenesisFile)
	fresh := filepath.Join(root, "fresh")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"full without genesis", []string{"init", "--role", "full", "--dir", fresh}, 2, "--genesis"},
		{"light without genesis", []string{"init", "--role", "light", "--dir", fresh}, 2, "--genesis"},
		{"no dir", []string{"init", "--role", "validator"}, 2, "--dir is required"},
		{"no role", []string{"init", "--dir", fresh}, 2, "--role is required"},
		{"bad role", []string{"init", "--role", "producer", "--dir", fresh}, 2, "producer"},
		{"block time with genesis", []string{"init", "--role", "full", "--dir", fresh, "--genesis", genesis, "--block-time", "2s"}, 2, "--block-time"},
		{"chain id differs from genesis", []string{"init", "--role", "full", "--dir", fresh, "--genesis", genesis, "--chain-id", "c2"}, 1, "c2"},
		{"missing genesis file", []string{"init", "--role", "full", "--dir", fresh, "--genesis", filepath.Join(root, "nope.json")}, 1, "nope.json"},
		{"bad listen", []string{"init", "--role", "validator", "--dir", fresh, "--listen", "127.0.0.1:80"}, 2, "127.0.0.1:80"},
		{"bootstrap without peer id", []string{"init", "--role", "full", "--dir", fresh, "--genesis", genesis, "--bootstrap", "/ip4/127.0.0.1/tcp/5001"}, 2, "--bootstrap"},
		{"stray argument", []string{"init", "--role", "validator", "--dir", fresh, "extra"}, 2, "extra"},
		{"bad block time", []string{"init", "--role", "validator", "--dir", fresh, "--block-time", "1ms"}, 1, "block_time"},
		{"consensus listen on a full node", []string{"init", "--role", "full", "--dir", fresh, "--genesis", genesis, "--consensus-listen", "127.0.0.1:26656"}, 2, "--consensus-listen"},
		{"consensus peers on a light node", []string{"init", "--role", "light", "--dir", fresh, "--genesis", genesis, "--consensus-peers", "ab@127.0.0.1:1"}, 2, "--consensus-peers"},
		{"bad consensus listen", []string{"init", "--role", "validator", "--dir", fresh, "--consensus-listen", "nowhere"}, 2, "consensus_listen"},
		{"checkpoint on a validator", []string{"init", "--role", "validator", "--dir", fresh, "--trusted-height", "5"}, 2, "--trusted-height"},
		{"start without dir", []string{"start"}, 2, "--dir is required"},
		{"start uninitialized", []string{"start", "--dir", fresh}, 1, node.ConfigFile},
		{"start bad log level", []string{"start", "--dir", pdir, "--log-level", "loud"}, 2, "loud"},
		{"start bad log format", []string{"start", "--dir", pdir, "--log-format", "xml"}, 2, "xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errs)
			}
			oneLine(t, errs)
			if !strings.Contains(errs, tc.want) {
				t.Fatalf("stderr %q does not mention %q", errs, tc.want)
			}
			if out != "" {
				t.Fatalf("a refusal printed %q", out)
			}
			if _, err := os.Stat(filepath.Join(fresh, node.ConfigFile)); err == nil {
				t.Fatal("a refused init wrote a config")
			}
		})
	}
}

func TestInitStorageFlags(t *testing.T) {
	root := t.TempDir()
	for _, c := range []struct {
		args     []string
		window   time.Duration
		archival bool
	}{
		{nil, 7 * 24 * time.Hour, false},
		{[]string{"--storage-window", "36h"}, 36 * time.Hour, false},
		{[]string{"--archival"}, 7 * 24 * time.Hour, true},
	} {
		dir := filepath.Join(root, strings.Join(append([]string{"p"}, c.args...), ""))
		args := append([]string{"init", "--role", "validator", "--dir", dir}, c.args...)
		if code, _, errs := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		cfg, err := node.LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Window.D() != c.window || cfg.Archival != c.archival {
			t.Fatalf("%v wrote window %s archival %v, want %s %v", c.args, cfg.Window.D(), cfg.Archival, c.window, c.archival)
		}
	}
}

func TestInitSamplingFlags(t *testing.T) {
	root := t.TempDir()
	pdir := filepath.Join(root, "p")
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", pdir); code != 0 {
		t.Fatalf("init validator: %s", errs)
	}
	genesis := filepath.Join(pdir, node.GenesisFile)
	for _, c := range []struct {
		args       []string
		confidence float64
		samples    int
	}{
		{nil, 0.9999, 0},
		{[]string{"--sampling.confidence", "0.99"}, 0.99, 0},
		{[]string{"--sampling.samples", "20"}, 0.9999, 20},
	} {
		dir := filepath.Join(root, "l"+strings.Join(c.args, ""))
		args := append([]string{"init", "--role", "light", "--dir", dir, "--genesis", genesis}, c.args...)
		if code, _, errs := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		cfg, err := node.LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Confidence != c.confidence || cfg.Samples != c.samples {
			t.Fatalf("%v wrote confidence %v samples %d", c.args, cfg.Confidence, cfg.Samples)
		}
	}
	for _, bad := range [][]string{{"--sampling.confidence", "1.5"}, {"--sampling.samples", "-1"}} {
		args := append([]string{"init", "--role", "light", "--dir", filepath.Join(root, "bad"), "--genesis", genesis}, bad...)
		code, _, errs := runCLI(t, "", args...)
		if code != 2 {
			t.Fatalf("%v: exit %d, want 2", bad, code)
		}
		oneLine(t, errs)
	}
}

// startCLI runs tartan start in-process until the test ends and returns
// the REST URL it logs.
func startCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs}, append([]string{"start"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("start %v: exit %d\n%s", args, code, logs.String())
		}
	})
	apiLog := regexp.MustCompile(`api=(http://[0-9.:]+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := apiLog.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("start %v logged no API address:\n%s", args, logs.String())
	return ""
}

// --announce on init (config announce_addrs) and on start (this run) sets
// the addresses the node advertises; /v1/node lists them.
func TestAnnounceFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", dir, "--api", "127.0.0.1:0", "--rpc", "off", "--consensus-listen", "127.0.0.1:0",
		"--listen", "/ip4/127.0.0.1/tcp/0", "--announce", "/ip4/127.0.0.1/tcp/40404, /ip4/127.0.0.1/udp/40404/quic-v1"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	cfg, err := node.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Announce, " ") != "/ip4/127.0.0.1/tcp/40404 /ip4/127.0.0.1/udp/40404/quic-v1" {
		t.Fatalf("config announce_addrs %q", cfg.Announce)
	}
	id, err := peerIDOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	listen := func(url string) string {
		t.Helper()
		var info api.NodeInfo
		if code := getJSON(t, url+"/v1/node", &info); code != http.StatusOK {
			t.Fatalf("/v1/node: %d", code)
		}
		return strings.Join(info.Listen, " ")
	}
	p2pID := "/p2p/" + id.String()
	t.Run("config", func(t *testing.T) {
		want := "/ip4/127.0.0.1/tcp/40404" + p2pID + " /ip4/127.0.0.1/udp/40404/quic-v1" + p2pID
		if got := listen(startCLI(t, "--dir", dir)); got != want {
			t.Fatalf("the node advertises %q, want %q", got, want)
		}
	})
	t.Run("start overrides", func(t *testing.T) {
		want := "/ip4/127.0.0.1/tcp/40505" + p2pID
		if got := listen(startCLI(t, "--dir", dir, "--announce", "/ip4/127.0.0.1/tcp/40505")); got != want {
			t.Fatalf("the node advertises %q, want %q", got, want)
		}
	})
	for _, args := range [][]string{
		{"init", "--role", "validator", "--dir", filepath.Join(t.TempDir(), "x"), "--announce", "/ip4/0.0.0.0/tcp/1"},
		{"init", "--role", "validator", "--dir", filepath.Join(t.TempDir(), "x"), "--announce", "1.2.3.4:2121"},
		{"start", "--dir", dir, "--announce", "/ip4/1.2.3.4/tcp/1" + p2pID},
	} {
		code, _, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, "--announce") {
			t.Errorf("%v: exit %d, %q; want a usage error naming --announce", args, code, errs)
		}
		oneLine(t, errs)
		if args[0] == "init" {
			mustNotExist(t, args[4])
		}
	}
}
