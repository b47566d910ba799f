package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/node"
)

// Two validators made apart share one chain: the second is added to the
// first's genesis, by directory or by the pub_key its init printed, and
// every refusal leaves the file as it was.
func TestGenesisAddValidator(t *testing.T) {
	root := t.TempDir()
	v1, v2, v3 := filepath.Join(root, "v1"), filepath.Join(root, "v2"), filepath.Join(root, "v3")
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", v1, "--chain-id", "pair"); code != 0 {
		t.Fatalf("init v1: %s", errs)
	}
	genesis := filepath.Join(v1, node.GenesisFile)
	// v2 joins with v1's genesis, which does not list it yet: init says so.
	code, out, errs := runCLI(t, "", "init", "--role", "validator", "--dir", v2, "--genesis", genesis)
	if code != 0 || !strings.Contains(out, "not in the genesis yet") {
		t.Fatalf("init v2: exit %d %q, stdout:\n%s", code, errs, out)
	}
	code, out, errs = runCLI(t, "", "genesis", "add-validator", "--genesis", genesis, "--dir", v2)
	if code != 0 || !strings.Contains(out, "2 validators") {
		t.Fatalf("add v2: exit %d %q %q", code, out, errs)
	}
	pk2, _, err := node.ValidatorIdentity(v2)
	if err != nil {
		t.Fatal(err)
	}
	addr2, err := node.SettlementAddress(v2)
	if err != nil {
		t.Fatal(err)
	}
	g, err := node.LoadGenesis(genesis)
	if err != nil || len(g.Validators) != 2 || g.Validators[1] != (node.GenesisValidator{Name: "v2", PubKey: pk2, Power: node.DefaultValidatorPower, SettlementAddress: addr2}) {
		t.Fatalf("genesis after add: %+v %v", g, err)
	}
	if in, err := g.InGenesis(v2); err != nil || !in {
		t.Fatalf("v2 in the genesis: %v %v", in, err)
	}

	// By pub_key, with a name and a power.
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", v3, "--genesis", genesis); code != 0 {
		t.Fatalf("init v3: %s", errs)
	}
	pk3, _, err := node.ValidatorIdentity(v3)
	if err != nil {
		t.Fatal(err)
	}
	addr3, _ := node.SettlementAddress(v3)
	if code, _, errs := runCLI(t, "", "genesis", "add-validator", "--genesis", genesis, "--pub-key", pk3, "--name", "third", "--power", "30",
		"--settlement-address", addr2); code == 0 || !strings.Contains(errs, "settlement address") {
		t.Fatalf("a settlement address already listed: exit %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "genesis", "add-validator", "--genesis", genesis, "--pub-key", pk3, "--name", "third", "--power", "30",
		"--settlement-address", addr3); code != 0 {
		t.Fatalf("add v3 by key: %s", errs)
	}
	if g, err := node.LoadGenesis(genesis); err != nil || len(g.Validators) != 3 || g.Validators[2] != (node.GenesisValidator{Name: "third", PubKey: pk3, Power: 30, SettlementAddress: addr3}) {
		t.Fatalf("genesis after adding by key: %+v %v", g, err)
	}

	before, _ := os.ReadFile(genesis)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--genesis", genesis, "--dir", v2}, 1, "already listed"},
		{[]string{"--genesis", genesis}, 2, "--dir or --pub-key"},
		{[]string{"--dir", v2}, 2, "--genesis"},
		{[]string{"--genesis", genesis, "--dir", v2, "--pub-key", pk2}, 2, "--dir or --pub-key"},
		{[]string{"--genesis", genesis, "--pub-key", pk2}, 2, "--name"},
		{[]string{"--genesis", genesis, "--pub-key", "zz", "--name", "x"}, 1, "pub_key"},
		{[]string{"--genesis", genesis, "--dir", v2, "--power", "0"}, 2, "--power"},
		{[]string{"--genesis", filepath.Join(root, "nope.json"), "--dir", v2}, 1, "nope.json"},
		{[]string{"--genesis", genesis, "--dir", v2, "extra"}, 2, "extra"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"genesis", "add-validator"}, tc.args...)...)
		if code != tc.code || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d naming %q", tc.args, code, out, errs, tc.code, tc.want)
			continue
		}
		oneLine(t, errs)
	}
	if after, _ := os.ReadFile(genesis); string(after) != string(before) {
		t.Fatal("a refused add-validator changed the genesis")
	}
}
