package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// Starting from a trusted checkpoint (DESIGN.md §7 "Catch-up").
//
// A full or light node whose chain is empty and whose config names a
// trusted_height H (and, better, the trusted_hash of header H) does not
// sync from height 1. Before its header sync, availability and role loops
// start, it asks its peers for header H alone. With a hash configured, the
// header must hash to it and its certificate must be consistent (commit of
// that block, tx[0] proved to its DataHash, its validator set attached):
// the hash is the trust. With a height alone, more than 2/3 of the genesis
// validators must have signed it, which holds only while the validator set
// is the genesis one; the trusting period applies. It is stored as the
// first header of the chain (the base). Range sync then runs from H+1 as
// it would from any head; no header below H is ever requested or stored.
//
// A peer offering a header that does not verify is penalised and the next
// is asked. A consistent header whose hash differs from the trusted hash
// means the configured hash is not of this chain: the node refuses to
// start, with ErrCheckpoint.
//
// Heights below the base are outside the node's chain: the light sampler's
// and the full tracker's floors start at the base (those heights are
// pruned for them) and the full node's square loop starts at the base.

// ErrCheckpoint reports a trusted checkpoint the network contradicts.
var ErrCheckpoint = errors.New("node: trusted checkpoint mismatch")

// baseKey holds the chain's base height (8 bytes, big-endian); absent
// means 1 (a chain synced from genesis before checkpoints existed).
const baseKey = "chain/base"

func loadBase(ctx context.Context, st *store.Store) (uint64, error) {
	b, err := st.Meta(ctx, baseKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 1, nil
	case err != nil:
		return 0, err
	case len(b) != 8 || binary.BigEndian.Uint64(b) == 0:
		return 0, fmt.Errorf("%w: chain base record %x", store.ErrCorrupt, b)
	}
	return binary.BigEndian.Uint64(b), nil
}

func putBase(ctx context.Context, st *store.Store, base uint64) error {
	return st.PutMeta(ctx, baseKey, binary.BigEndian.AppendUint64(nil, base))
}

// checkpoint is a trusted starting header: its height, and its hash when
// one was configured.
type checkpoint struct {
	height uint64
	hash   *[32]byte
}

// parseCheckpoint reads a trusted hash (hex, may be empty) and height;
// ok is false when neither is set.
func parseCheckpoint(hashHex string, height uint64) (cp checkpoint, ok bool, err error) {
	if hashHex == "" && height == 0 {
		return checkpoint{}, false, nil
	}
	if height == 0 {
		return checkpoint{}, false, fmt.Errorf("%w: trusted_hash needs trusted_height (the height of that header)", ErrConfig)
	}
	cp.height = height
	if hashHex != "" {
		b, err := hex.DecodeString(hashHex)
		if err != nil || len(b) != 32 {
			return checkpoint{}, false, fmt.Errorf("%w: trusted_hash %q is not 64 hex digits", ErrConfig, hashHex)
		}
		cp.hash = (*[32]byte)(b)
	}
	return cp, true, nil
}

// AddTrusted stores h as the first header of an empty chain, at any
// height: the caller trusts and verified it (a configured checkpoint), in
// its stored form. On a chain that already holds headers it accepts h only
// if it is the header stored at its height.
func (c *chain) AddTrusted(ctx context.Context, h *da.Header) error {
	if h.ChainID != c.id {
		return fmt.Errorf("%w: chain %q, this node follows %q", da.ErrHeaderSequence, h.ChainID, c.id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head != nil {
		stored, err := c.store.Header(ctx, h.Height)
		if err != nil {
			return fmt.Errorf("%w: the chain already starts at %d", errHeaderForked, c.base)
		}
		if sh, hh := stored.Hash(), h.Hash(); !bytes.Equal(sh[:], hh[:]) {
			return fmt.Errorf("%w: height %d is %x here, %x offered", errHeaderForked, h.Height, sh, hh)
		}
		return nil
	}
	if err := putBase(ctx, c.store, h.Height); err != nil {
		return err
	}
	if err := c.store.PutHeader(ctx, h); err != nil {
		return err
	}
	c.base, c.head, c.awaitCheckpoint = h.Height, h, false
	c.network = max(c.network, h.Height)
	c.broadcastLocked()
	return nil
}

// startFromCheckpoint fetches and stores the checkpoint header, asking
// the peers in turn until one has it. It returns ErrCheckpoint when the
// chain's header at that height is not the trusted one, and nil without
// storing anything when ctx ends.
func (n *Node) startFromCheckpoint(ctx context.Context, cp checkpoint) error {
	n.log.Info("starting from a trusted checkpoint", "height", cp.height, "hash_pinned", cp.hash != nil)
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		for _, p := range n.peersInRandomOrder() {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			hs, err := n.host.RequestHeaders(rctx, p, cp.height, 1)
			cancel()
			if err != nil {
				continue // lacks it (behind, or a light node), or went away
			}
			h := hs[0]
			if cp.hash != nil {
				h, err = n.chain.verify.Check(h)
			} else {
				h, err = n.chain.verify.VerifyAgainstGenesis(h, time.Now())
			}
			if err != nil {
				n.host.Penalize(p, p2p.OffenceInvalid, err)
				continue
			}
			if cp.hash != nil && h.Hash() != *cp.hash {
				return fmt.Errorf("%w: the chain's header %d hashes to %x, trusted_hash is %x",
					ErrCheckpoint, cp.height, h.Hash(), *cp.hash)
			}
			// The floors move before the header is visible, so no loop
			// ever sees the chain with heights below the base pending.
			n.applyBase(cp.height)
			if err := n.chain.AddTrusted(ctx, h); err != nil {
				return err
			}
			n.log.Info("trusted checkpoint stored", "height", h.Height, "hash", hex.EncodeToString(hashOf(h)), "peer", p.String())
			return nil
		}
		pause(ctx, wait)
		wait = min(2*wait, 2*time.Second)
	}
	return nil
}

// applyBase makes the availability bookkeeping start at base: the light
// sampler's floor, the full tracker's floor and first height to judge.
func (n *Node) applyBase(base uint64) {
	if base <= 1 {
		return
	}
	if s := n.sampler; s != nil {
		s.mu.Lock()
		for _, h := range s.sched.SetFloor(base) {
			delete(s.sessions, h)
		}
		s.mu.Unlock()
	}
	if t := n.tracker; t != nil {
		t.mu.Lock()
		t.sched.SetFloor(base)
		t.next = max(t.next, base)
		t.mu.Unlock()
	}
}

// initCheckpoint decides, in New, whether this run starts from a trusted
// checkpoint: only when one is configured and the chain is empty. A chain
// that already holds headers keeps its base (a warning says so when the
// configured checkpoint is not it); the bookkeeping floors follow the base.
func (n *Node) initCheckpoint() error {
	cp, ok, err := parseCheckpoint(n.cfg.TrustedHash, n.cfg.TrustedHeight)
	if err != nil {
		return err
	}
	if base := n.chain.Base(); base > 0 {
		if ok && base != cp.height {
			n.log.Warn("trusted checkpoint ignored: the chain is not empty", "base", base, "trusted_height", cp.height)
		} else if ok && cp.hash != nil {
			if h, err := n.chain.Header(context.Background(), base); err == nil && h.Hash() != *cp.hash {
				n.log.Warn("trusted checkpoint ignored: the chain is not empty and its base is another header",
					"base", base, "stored", hex.EncodeToString(hashOf(h)), "trusted_hash", n.cfg.TrustedHash)
			}
		}
		n.applyBase(base)
		return nil
	}
	if !ok || n.cfg.Role == RoleValidator {
		return nil
	}
	n.checkpoint = &cp
	n.chain.mu.Lock()
	n.chain.awaitCheckpoint = true
	n.chain.mu.Unlock()
	return nil
}

func hashOf(h *da.Header) []byte {
	hash := h.Hash()
	return hash[:]
}
