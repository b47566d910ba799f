package bindings_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/abigen"

	"github.com/tartan-da/tartan/contracts"
)

var update = flag.Bool("update", false, "rewrite bindings.go from contracts/artifacts")

// bound are the contracts with bindings: the deployable ones.
var bound = []string{"TartanDataRootOracle", "ExampleRollupInbox"}

// generate is bindings.go as abigen writes it from the artifacts.
func generate(t *testing.T) []byte {
	t.Helper()
	var types, abis, codes []string
	for _, name := range bound {
		b, err := contracts.Artifacts.ReadFile("artifacts/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var art struct {
			ABI      json.RawMessage `json:"abi"`
			Bytecode string          `json:"bytecode"`
		}
		if err := json.Unmarshal(b, &art); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		types, abis, codes = append(types, name), append(abis, string(art.ABI)), append(codes, art.Bytecode)
	}
	src, err := abigen.BindV2(types, abis, codes, "bindings", map[string]string{}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(src)
}

// TestBindingsFresh keeps bindings.go what abigen makes of the committed
// artifacts, as CI keeps the artifacts what solc makes of the sources.
func TestBindingsFresh(t *testing.T) {
	want := generate(t)
	if *update {
		if err := os.WriteFile("bindings.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile("bindings.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != string(want) {
		t.Fatal("bindings.go is stale: run go test ./settlement/bindings -run TestBindingsFresh -update")
	}
}
