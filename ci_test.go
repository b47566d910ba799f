package tartan

import (
	"os"
	"regexp"
	"testing"
)

// ciTestCommand is the suite as CI runs it. -count=1 because a cached
// result would answer for the multi-process tests (devnets, node
// binaries) without running them: their inputs are processes and
// ports, which go test's cache does not see.
const ciTestCommand = "go test -count=1 ./..."

// CI runs the suite uncached, and the README's test command is CI's.
func TestCIRunsTheREADMETestCommand(t *testing.T) {
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ciTestCommand) + `(\s|$)`)
	if !line.Match(ci) {
		t.Errorf(".ci/run has no line running %q", ciTestCommand)
	}
	if !line.Match(readme) {
		t.Errorf("README.md does not give %q as the test command", ciTestCommand)
	}
}
