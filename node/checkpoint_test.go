package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/sampling"
)

// checkpointNet is a validator and a full node that have made at least
// minHeight blocks, non-empty ones since blobs keep coming.
func checkpointNet(t *testing.T, minHeight uint64) *testNet {
	t.Helper()
	tn := newTestNet(t, 1, 0, 100*time.Millisecond)
	feedBlobs(t, tn.validator)
	waitFor(t, 30*time.Second, fmt.Sprintf("the validator at height %d", minHeight), func() bool {
		return localHead(tn.validator) >= minHeight && localHead(tn.fulls[0]) >= minHeight
	})
	return tn
}

func headerHash(t *testing.T, n *Node, h uint64) string {
	t.Helper()
	hd, err := n.chain.Header(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	hash := hd.Hash()
	return hex.EncodeToString(hash[:])
}

// checkNoHeaderBelow fails if n stored any header below base.
func checkNoHeaderBelow(t *testing.T, n *Node, base uint64) {
	t.Helper()
	for h := uint64(1); h < base; h++ {
		if _, err := n.store.Header(context.Background(), h); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s node started at %d holds header %d (err %v)", n.cfg.Role, base, h, err)
		}
	}
}

func TestNodesStartFromTrustedCheckpoint(t *testing.T) {
	fastSampling(t)
	const base = 25
	tn := checkpointNet(t, base+5)
	genesis := filepath.Join(tn.dir, "validator", GenesisFile)
	boot := append(tn.validator.P2PAddrs(), tn.fulls[0].P2PAddrs()...)

	lcfg := nodeConfig(RoleLight, boot)
	lcfg.TrustedHeight, lcfg.TrustedHash = base, headerHash(t, tn.validator, base)
	ldir := filepath.Join(tn.dir, "light-checkpoint")
	start := time.Now()
	light, stopLight := startNode(t, ldir, InitOptions{Role: RoleLight, Genesis: genesis, Config: lcfg})
	// The height only: more than 2/3 of the genesis validators signed it.
	fcfg := nodeConfig(RoleFull, boot)
	fcfg.TrustedHeight = base
	full, _ := startNode(t, filepath.Join(tn.dir, "full-checkpoint"), InitOptions{Role: RoleFull, Genesis: genesis, Config: fcfg})

	target := localHead(tn.validator)
	waitFor(t, 20*time.Second, fmt.Sprintf("height %d available on the light node", target), func() bool {
		av, code := getAvailability(t, light, target)
		return code == 200 && av.Status == "available"
	}, func() string { return httpBody(t, url(light, fmt.Sprintf("/v1/availability/%d", target))) })
	t.Logf("light node from checkpoint %d: head %d available after %s", base, target, time.Since(start).Round(time.Millisecond))

	for h := uint64(base); h <= target; h++ {
		waitFor(t, 20*time.Second, fmt.Sprintf("height %d available on the light node", h), func() bool {
			av, code := getAvailability(t, light, h)
			return code == 200 && av.Status == "available"
		})
	}
	if got := light.chain.Base(); got != base {
		t.Fatalf("light chain base %d, want %d", got, base)
	}
	checkNoHeaderBelow(t, light, base)
	light.sampler.mu.Lock()
	for h := uint64(1); h < base; h++ {
		if st, ok := light.sampler.sched.Status(h); !ok || st != sampling.StatusPruned {
			t.Errorf("light node: height %d below the checkpoint is %v (known %v), want pruned", h, st, ok)
		}
	}
	light.sampler.mu.Unlock()
	for _, h := range []uint64{1, base - 1} {
		if av, code := getAvailability(t, light, h); code != 200 || av.Status != "pruned" {
			t.Fatalf("GET /v1/availability/%d below the checkpoint: %d %q, want 200 pruned", h, code, av.Status)
		}
	}
	var sum api.AvailabilitySummary
	httpJSON(t, "GET", url(light, "/v1/availability"), nil, &sum)
	if len(sum.Available) == 0 || sum.Available[0][0] != base || sum.Available[0][1] < target {
		t.Fatalf("light summary %+v, want [%d, ≥%d] available", sum, base, target)
	}

	// The full node fetched squares from the checkpoint on, none below.
	waitFor(t, 20*time.Second, fmt.Sprintf("the full node's square %d", target), func() bool {
		ok, err := full.store.HasSquare(context.Background(), target)
		return err == nil && ok
	})
	checkNoHeaderBelow(t, full, base)
	for h := uint64(1); h < base; h++ {
		if ok, _ := full.store.HasSquare(context.Background(), h); ok {
			t.Fatalf("full node started at %d holds square %d", base, h)
		}
	}
	waitFor(t, 10*time.Second, "the full node's summary", func() bool {
		var fs api.AvailabilitySummary
		httpJSON(t, "GET", url(full, "/v1/availability"), nil, &fs)
		return len(fs.Available) > 0 && fs.Available[0][0] == base && fs.Available[0][1] >= target
	})

	// A restart keeps the base: the checkpoint is not fetched again and
	// nothing below it is synced, even when this run names another
	// checkpoint (tartan start --trusted-height applies to empty chains).
	stopLight()
	fast := testOptions
	testOptions = func(o *Options) { fast(o); o.TrustedHeight = base + 3 }
	light, _ = runNode(t, ldir)
	testOptions = fast
	if got := light.chain.Base(); got != base || light.checkpoint != nil {
		t.Fatalf("restarted light node: base %d, checkpoint %v; want %d and none", got, light.checkpoint, base)
	}
	next := localHead(tn.validator) + 2
	waitFor(t, 20*time.Second, fmt.Sprintf("height %d available after the restart", next), func() bool {
		av, code := getAvailability(t, light, next)
		return code == 200 && av.Status == "available"
	})
	checkNoHeaderBelow(t, light, base)
	tn.checkNoneBanned()
}

func TestWrongTrustedHashRefusesToStart(t *testing.T) {
	fastSampling(t)
	const base = 5
	tn := checkpointNet(t, base)
	genesis := filepath.Join(tn.dir, "validator", GenesisFile)
	hash, _ := hex.DecodeString(headerHash(t, tn.validator, base))
	hash[0] ^= 1
	cfg := nodeConfig(RoleLight, tn.validator.P2PAddrs())
	cfg.TrustedHeight, cfg.TrustedHash = base, hex.EncodeToString(hash)
	dir := filepath.Join(tn.dir, "light-wrong")
	if err := Init(dir, InitOptions{Role: RoleLight, Genesis: genesis, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := New(ctx, dir, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Run(ctx)
	if !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("Run with a wrong trusted hash: %v, want ErrCheckpoint", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Run returned only when its context ended: %v", err)
	}
	if h := n.chain.Head(); h != nil {
		t.Fatalf("the refused checkpoint left header %d in the chain", h.Height)
	}
	// The refused node stored nothing: a start with the right hash works.
	cfg.TrustedHash = headerHash(t, tn.validator, base)
	if err := cfg.Save(dir); err != nil {
		t.Fatal(err)
	}
	n, _ = runNode(t, dir)
	waitFor(t, 20*time.Second, "the corrected checkpoint", func() bool { return n.chain.Base() == base })
	checkNoHeaderBelow(t, n, base)
}

func TestGossipCannotStartACheckpointChain(t *testing.T) {
	// Before the checkpoint is stored, a first header from gossip (even
	// height 1) must not become the base.
	tn := newTestNet(t, 0, 0, 50*time.Millisecond)
	waitFor(t, 10*time.Second, "height 2", func() bool { return localHead(tn.validator) >= 2 })
	h1, err := tn.validator.chain.Header(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir(), store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := newChain(context.Background(), tn.validator.genesis, consensus.DefaultTrustingPeriod, st, tn.validator.log)
	if err != nil {
		t.Fatal(err)
	}
	c.awaitCheckpoint = true
	if err := c.Add(context.Background(), h1); !errors.Is(err, errHeaderGap) {
		t.Fatalf("Add of height 1 while awaiting a checkpoint: %v, want errHeaderGap", err)
	}
	h2, _ := tn.validator.chain.Header(context.Background(), 2)
	// What startFromCheckpoint checks before AddTrusted (by hash: Check;
	// by height: VerifyAgainstGenesis) refuses forged certificates: a data
	// root that is not tx[0]'s, height 1's certificate on height 2's
	// fields, and a header of another chain.
	rootForged := *h2
	rootForged.DataRoot[0] ^= 1
	certSwapped := *h2
	certSwapped.Certificate = h1.Certificate
	otherChain := *h2
	otherChain.ChainID = "othernet"
	for name, bad := range map[string]*da.Header{"data root": &rootForged, "certificate of height 1": &certSwapped, "chain id": &otherChain} {
		if _, err := c.verify.Check(bad); err == nil {
			t.Errorf("checkpoint by hash: a header with a forged %s passes", name)
		}
		if _, err := c.verify.VerifyAgainstGenesis(bad, time.Now()); err == nil {
			t.Errorf("checkpoint by height: a header with a forged %s passes", name)
		}
	}
	if err := c.AddTrusted(context.Background(), &otherChain); err == nil {
		t.Fatal("AddTrusted accepted a header of another chain")
	}
	if _, err := c.verify.Check(h2); err != nil {
		t.Fatalf("checkpoint by hash refuses the chain's header: %v", err)
	}
	if _, err := c.verify.VerifyAgainstGenesis(h2, time.Now()); err != nil {
		t.Fatalf("checkpoint by height refuses the chain's header: %v", err)
	}
	if err := c.AddTrusted(context.Background(), h2); err != nil {
		t.Fatal(err)
	}
	if c.Base() != 2 || c.Head().Height != 2 {
		t.Fatalf("base %d head %d after AddTrusted(2)", c.Base(), c.Head().Height)
	}
	// The chain then grows one height at a time from the base; height 1
	// stays out of it (validateHeader ignores what the store lacks).
	if err := c.Add(context.Background(), h1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("adding a height below the base: %v, want store.ErrNotFound", err)
	}
	if _, err := st.Header(context.Background(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("height 1 stored below the base: %v", err)
	}
	waitFor(t, 10*time.Second, "height 3", func() bool { return localHead(tn.validator) >= 3 })
	h3, _ := tn.validator.chain.Header(context.Background(), 3)
	if err := c.Add(context.Background(), h3); err != nil {
		t.Fatal(err)
	}
	if c.Head().Height != 3 {
		t.Fatalf("head %d, want 3", c.Head().Height)
	}
	// A restart reads the base back.
	c2, err := newChain(context.Background(), tn.validator.genesis, consensus.DefaultTrustingPeriod, st, tn.validator.log)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Base() != 2 || c2.Head().Height != 3 {
		t.Fatalf("reopened chain: base %d head %d, want 2 and 3", c2.Base(), c2.Head().Height)
	}
}

func TestConfigCheckpointValidation(t *testing.T) {
	hash := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	for _, tc := range []struct {
		role   Role
		height uint64
		hash   string
		ok     bool
	}{
		{RoleLight, 0, "", true},
		{RoleLight, 25, "", true},
		{RoleFull, 25, hash, true},
		{RoleLight, 25, hash[:62], false},
		{RoleLight, 25, hash + "00", false},
		{RoleLight, 25, "zz" + hash[2:], false},
		{RoleLight, 0, hash, false},
		{RoleValidator, 25, hash, false},
		{RoleValidator, 25, "", false},
	} {
		c := DefaultConfig(tc.role)
		c.TrustedHeight, c.TrustedHash = tc.height, tc.hash
		err := c.Validate()
		if tc.ok && err != nil {
			t.Errorf("%s height %d hash %q: %v", tc.role, tc.height, tc.hash, err)
		}
		if !tc.ok && !errors.Is(err, ErrConfig) {
			t.Errorf("%s height %d hash %q: %v, want ErrConfig", tc.role, tc.height, tc.hash, err)
		}
	}
}
