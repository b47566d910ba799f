package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

// TestDevnetBadEncodingFault: with --fault bad-encoding@H every validator
// (a dishonest supermajority) commits to a badly encoded square at H; the full node proves it and the
// light node reports H as fraud, and the heights around it available.
func TestDevnetBadEncodingFault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	dir := t.TempDir()
	base := freeBase(t, 4)
	const bad = 3
	p := startDevnetProc(t, "--dir", dir, "--validators", "2", "--fulls", "1", "--lights", "1", "--api-port", strconv.Itoa(base),
		"--block-time", "100ms", "--fault", fmt.Sprintf("bad-encoding@%d", bad))
	d := p.waitJSON(t, dir, nil)
	light := d.Nodes[3].API
	deadline := time.Now().Add(30 * time.Second)
	var sum api.AvailabilitySummary
	for {
		var av api.HeightAvailability
		code := getJSON(t, fmt.Sprintf("%s/v1/availability/%d", light, bad), &av)
		getJSON(t, light+"/v1/availability", &sum)
		if code == http.StatusOK && av.Status == "fraud" && slices.Equal(sum.Fraud, []uint64{bad}) && sum.SampledHead > bad+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("light node: height %d is %q (%d), summary %+v", bad, av.Status, code, sum)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(sum.Available) == 0 || sum.Available[0] != [2]uint64{1, bad - 1} {
		t.Fatalf("light summary %+v: want heights 1 to %d available, %d fraud", sum, bad-1, bad)
	}
	var fj api.FraudProofJSON
	if code := getJSON(t, fmt.Sprintf("%s/v1/fraud/%d", d.Nodes[2].API, bad), &fj); code != http.StatusOK || fj.Height != bad || fj.Proof == "" {
		t.Fatalf("the full node's proof: %d %+v", code, fj)
	}
	p.stop(t)
}
