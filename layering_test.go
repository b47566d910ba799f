package tartan

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/tartan-da/tartan"

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// imports lists what the packages of this module that pkg builds on import
// directly. Transitive standard-library imports (crypto/sha256 reading the
// CPU features through os, say) are not the pure packages' own doing.
func imports(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range goList(t, "-deps", module+"/"+pkg) {
		if d == module || strings.HasPrefix(d, module+"/") {
			out[d] = goList(t, "-f", `{{join .Imports " "}}`, d)
		}
	}
	return out
}

// The pure packages do no I/O, keep no clock, start nothing and log
// nothing, so the whole protocol can be tested deterministically without a
// network (DESIGN.md §4).
func TestPurePackagesStayPure(t *testing.T) {
	forbidden := map[string]bool{
		"net": true, "net/http": true, "os": true, "os/exec": true, "io/fs": true,
		"io/ioutil": true, "log": true, "log/slog": true,
		"math/rand": true, "syscall": true, "context": true,
		"database/sql": true, "unsafe": true,
	}
	thirdParty := map[string][]string{
		"da":       nil,
		"erasure":  {"github.com/klauspost/reedsolomon"},
		"sampling": nil,
	}
	for pkg, allowed := range thirdParty {
		for from, imps := range imports(t, pkg) {
			for _, imp := range imps {
				// erasure may spread one call's work over the cores and
				// wait for it before returning; nothing else may.
				concurrent := from == module+"/erasure" && (imp == "sync" || imp == "runtime")
				switch {
				case (forbidden[imp] || imp == "sync") && !concurrent:
					t.Errorf("%s (under %s) imports %s", from, pkg, imp)
				case strings.HasPrefix(imp, module+"/"):
					if rel := strings.TrimPrefix(imp, module+"/"); rel != "da" && rel != "erasure" {
						t.Errorf("%s (under %s) imports %s: imports must point down", from, pkg, imp)
					}
				case strings.Contains(strings.Split(imp, "/")[0], "."):
					ok := false
					for _, a := range allowed {
						ok = ok || imp == a || strings.HasPrefix(imp, a+"/")
					}
					if !ok {
						t.Errorf("%s (under %s) imports third-party %s", from, pkg, imp)
					}
				}
			}
		}
	}
}

// p2p never imports the packages that consume it (DESIGN.md §4).
func TestImportsPointDown(t *testing.T) {
	above := map[string][]string{
		"da":         {"erasure", "sampling", "p2p", "api", "node"},
		"erasure":    {"sampling", "p2p", "api", "node"},
		"sampling":   {"p2p", "api", "node"},
		"p2p":        {"sampling", "api", "node", "consensus"},
		"api":        {"node", "consensus"},
		"consensus":  {"sampling", "p2p", "api", "node"},
		"settlement": {"sampling", "p2p", "api", "node", "consensus"},
	}
	for pkg, banned := range above {
		deps := goList(t, "-deps", module+"/"+pkg)
		for _, d := range deps {
			for _, b := range banned {
				if d == module+"/"+b {
					t.Errorf("%s depends on %s", pkg, b)
				}
			}
		}
	}
}

// The pure packages may name time.Time and *rand.Rand in their APIs (callers
// pass the time and the randomness in), but never read the clock or the
// global random source themselves.
func TestPurePackagesTakeClockAndRandomnessAsArguments(t *testing.T) {
	banned := regexp.MustCompile(`\btime\.(Now|Since|Until|Sleep|After|AfterFunc|Tick|NewTimer|NewTicker)\(|` +
		`\brand\.(Int|IntN|Int32|Int32N|Int64|Int64N|Uint|UintN|Uint32|Uint32N|Uint64|Uint64N|Float32|Float64|Perm|Shuffle|N|NormFloat64|ExpFloat64)\(`)
	for _, pkg := range []string{"da", "erasure", "sampling"} {
		files, err := filepath.Glob(filepath.Join(pkg, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				if m := banned.FindString(line); m != "" {
					t.Errorf("%s:%d calls %s: pure packages take the clock and randomness as arguments", f, i+1, m)
				}
			}
		}
	}
}

// Only consensus imports CometBFT (DESIGN.md §2a): every other package of
// the module stays free of it, so the engine sits behind one package.
func TestOnlyConsensusImportsCometBFT(t *testing.T) {
	for _, pkg := range goList(t, module+"/...") {
		if pkg == module+"/consensus" || strings.HasPrefix(pkg, module+"/consensus/") {
			continue
		}
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, pkg) {
			if strings.HasPrefix(imp, "github.com/cometbft/") {
				t.Errorf("%s imports %s: only consensus may", pkg, imp)
			}
		}
	}
}

// go-ethereum stays in the settlement tree (issue 11): only settlement
// imports it directly, and the core packages do not depend on it even
// through another package.
func TestGoEthereumStaysInSettlement(t *testing.T) {
	for _, pkg := range goList(t, module+"/...") {
		if pkg == module+"/settlement" || strings.HasPrefix(pkg, module+"/settlement/") {
			continue
		}
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, pkg) {
			if strings.HasPrefix(imp, "github.com/ethereum/") {
				t.Errorf("%s imports %s: only settlement may", pkg, imp)
			}
		}
	}
	for _, pkg := range []string{"da", "erasure", "sampling", "p2p", "api", "consensus"} {
		for _, d := range goList(t, "-deps", module+"/"+pkg) {
			if strings.HasPrefix(d, "github.com/ethereum/") || d == module+"/settlement" {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}

// The dashboard's package serves embedded files and imports only the
// standard library, so that api can mount it without taking on anything.
func TestUIImportsOnlyTheStandardLibrary(t *testing.T) {
	for _, d := range goList(t, "-deps", module+"/ui") {
		if d != module+"/ui" && strings.Contains(strings.Split(d, "/")[0], ".") {
			t.Errorf("ui depends on %s", d)
		}
	}
}
