package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node/store"
)

// chain is a node's view of the header chain: the verified headers it has
// stored, up to its local head, and the highest height it has heard of
// (the network head). Every role has one; headers enter it from gossip,
// from range sync, or (validators) from their own CometBFT's commits.
// Every stored header carries its certificate with its validator set, so
// the head is always the trusted base of the next light verification.
type chain struct {
	id     string
	verify *consensus.Verifier
	store  *store.Store
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex // guards the fields below
	head    *da.Header // highest height stored with every height from base up to it; nil before the first
	network uint64     // highest valid height heard of, ≥ head
	changed chan struct{}
	// base is the first height of the stored chain: 1, or a trusted
	// checkpoint's height (checkpoint.go); 0 before the first header.
	base uint64
	// awaitCheckpoint makes Add refuse a first header: the node starts
	// from a trusted checkpoint that only AddTrusted may store.
	awaitCheckpoint bool
}

func newChain(ctx context.Context, g *Genesis, trusting time.Duration, st *store.Store, log *slog.Logger) (*chain, error) {
	cc, err := g.Chain()
	if err != nil {
		return nil, err
	}
	c := &chain{id: g.ChainID, verify: consensus.NewVerifier(cc, trusting), store: st, log: log, now: time.Now, changed: make(chan struct{})}
	head, err := st.Head(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		c.head, c.network = head, head.Height
		if c.base, err = loadBase(ctx, st); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Base is the first height of the stored chain, 0 before the first header.
func (c *chain) Base() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}

// Head is the local head, nil before the first block.
func (c *chain) Head() *da.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head
}

// Heights are the local and network heads.
func (c *chain) Heights() (local, network uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head != nil {
		local = c.head.Height
	}
	return local, c.network
}

// Changed is closed at the next change of either head.
func (c *chain) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

func (c *chain) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Errors of header acceptance.
var (
	errHeaderGap    = errors.New("node: header is ahead of the local head")
	errHeaderForked = errors.New("node: header conflicts with the stored chain")
)

// check verifies h against the chain without storing it and returns it in
// its stored form (with its validator set). A header at or below the head
// must be the stored one; head+1 is verified against the head (CometBFT's
// adjacent light verification), a header further up against the head
// too (non-adjacent: at least 1/3 of the trusted power signed it), and the
// first header against the genesis validators. A header above head+1
// whose validator set the head cannot vouch for is errHeaderGap: the
// caller syncs the heights between.
func (c *chain) check(ctx context.Context, h *da.Header) (*da.Header, error) {
	if h.ChainID != c.id {
		return nil, fmt.Errorf("%w: chain %q, this node follows %q", da.ErrHeaderSequence, h.ChainID, c.id)
	}
	c.mu.Lock()
	head := c.head
	c.mu.Unlock()
	switch {
	case head == nil && h.Height == 1:
		return c.verify.Verify(nil, h, c.now())
	case head == nil:
		return nil, fmt.Errorf("%w: height %d, local head 0", errHeaderGap, h.Height)
	case h.Height == head.Height+1:
		v, err := c.verify.Verify(head, h, c.now())
		if err != nil {
			return nil, err
		}
		return v, v.VerifySuccessor(head)
	case h.Height > head.Height+1:
		return c.verify.Verify(head, h, c.now())
	}
	stored, err := c.store.Header(ctx, h.Height)
	if err != nil {
		return nil, err
	}
	if sh, hh := stored.Hash(), h.Hash(); !bytes.Equal(sh[:], hh[:]) {
		return nil, fmt.Errorf("%w: height %d is %x here, %x offered", errHeaderForked, h.Height, sh, hh)
	}
	return stored, nil
}

// Add verifies and stores the next header. A header at or below the head
// that matches the stored one is accepted again without effect; one above
// head+1 that verifies raises the network head and returns errHeaderGap,
// so the caller syncs the heights between.
func (c *chain) Add(ctx context.Context, h *da.Header) error {
	v, err := c.check(ctx, h)
	if err != nil {
		return err
	}
	return c.add(ctx, v)
}

// AddOwn stores a header this node's own consensus engine committed: a
// validator's CometBFT decided it, so it is not verified again.
func (c *chain) AddOwn(ctx context.Context, h *da.Header) error { return c.add(ctx, h) }

// add stores a verified header in its stored form.
func (c *chain) add(ctx context.Context, h *da.Header) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head != nil && h.Height <= c.head.Height {
		return nil
	}
	if h.Height > c.network {
		c.network = h.Height
		c.broadcastLocked()
	}
	// The first header a node stores must be height 1: without a trusted
	// checkpoint (AddTrusted) nothing else can be linked to the genesis.
	if (c.head == nil && (h.Height != 1 || c.awaitCheckpoint)) || (c.head != nil && h.Height != c.head.Height+1) {
		return fmt.Errorf("%w: height %d, local head %d", errHeaderGap, h.Height, c.localLocked())
	}
	if c.head != nil {
		if err := h.VerifySuccessor(c.head); err != nil {
			return err
		}
	}
	if c.head == nil {
		// A base left by a checkpoint start that crashed before its
		// header was stored must not outlive it.
		if err := putBase(ctx, c.store, h.Height); err != nil {
			return err
		}
	}
	if err := c.store.PutHeader(ctx, h); err != nil {
		return err
	}
	if c.head == nil {
		c.base = h.Height
	}
	c.head = h
	c.broadcastLocked()
	return nil
}

func (c *chain) localLocked() uint64 {
	if c.head == nil {
		return 0
	}
	return c.head.Height
}

// SawHeight records that the network has reached height (from a verified
// header the node could not link yet).
func (c *chain) SawHeight(height uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if height > c.network {
		c.network = height
		c.broadcastLocked()
	}
}

// Header reads a stored header.
func (c *chain) Header(ctx context.Context, height uint64) (*da.Header, error) {
	return c.store.Header(ctx, height)
}

// WaitHeight blocks until the local head reaches height or ctx ends.
func (c *chain) WaitHeight(ctx context.Context, height uint64) error {
	for {
		ch := c.Changed()
		if local, _ := c.Heights(); local >= height {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// CheckCertificate checks that a header's certificate binds its fields
// (data root included) to its hash, for a client that trusts the hash
// (tartan blob get --trusted-hash). Who signed is not checked.
func CheckCertificate(h *da.Header) error { return consensus.CheckCertificate(h) }
