package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// Repair from held samples (DESIGN.md §2): light nodes keep the cells they
// sampled and serve them all on the held protocol; a full node that finds
// no peer serving a square's ODS (the validators gone, the other full nodes
// without it) collects those cells from every peer and decodes the square
// from their union. Each cell is proved against the header's data root,
// so the peers need not be trusted, and the rebuilt square is committed
// and checked against the data root before it is stored and served.

// repairBackoff spaces out repair attempts for each height the square
// loop is stuck on: 1 s after the first failure, doubling up to 30 s. The
// loop works on up to squareWindow heights at once, so it is safe for
// concurrent use.
type repairBackoff struct {
	mu      sync.Mutex
	heights map[uint64]repairWait
}

type repairWait struct {
	next time.Time
	wait time.Duration
}

const (
	repairRetryFirst = time.Second
	repairRetryMax   = 30 * time.Second
	// repairHeightsKept bounds the heights remembered: one that failed
	// and was then passed over (pruned meanwhile) is never cleared.
	repairHeightsKept = 64
)

func (b *repairBackoff) due(height uint64, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, ok := b.heights[height]
	return !ok || !now.Before(w.next)
}

func (b *repairBackoff) done(height uint64, ok bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		delete(b.heights, height)
		return
	}
	if b.heights == nil {
		b.heights = map[uint64]repairWait{}
	}
	w := b.heights[height]
	w.wait = min(max(2*w.wait, repairRetryFirst), repairRetryMax)
	w.next = now.Add(w.wait)
	b.heights[height] = w
	if len(b.heights) > repairHeightsKept {
		delete(b.heights, slices.Min(slices.Collect(maps.Keys(b.heights))))
	}
}

// heldSource serves a light node's verified samples of a height.
type heldSource struct{ n *Node }

// Held returns the samples stored for height's session, in cell order, at
// most p2p.MaxSamplesPerRequest. They were verified against the data root
// before they were stored (light.go askPeers, record).
func (s heldSource) Held(ctx context.Context, height uint64) ([]*erasure.Sample, error) {
	n := s.n
	if n.sampler == nil {
		return nil, fmt.Errorf("%w: not sampling", p2p.ErrNotFound)
	}
	h, err := n.chain.Header(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("%w: header %d: %v", p2p.ErrNotFound, height, err)
	}
	cells, err := s.cells(ctx, h)
	if err != nil {
		return nil, err
	}
	out := make([]*erasure.Sample, 0, min(len(cells), p2p.MaxSamplesPerRequest))
	for _, c := range cells {
		if len(out) == p2p.MaxSamplesPerRequest || ctx.Err() != nil {
			break
		}
		b, err := n.store.Meta(ctx, sampleKey(height, int(c.Row), int(c.Col)))
		if errors.Is(err, store.ErrNotFound) {
			continue // not verified (yet)
		}
		if err != nil {
			return nil, err
		}
		smp := new(erasure.Sample)
		if err := smp.UnmarshalBinary(b); err != nil || smp.Row != int(c.Row) || smp.Col != int(c.Col) {
			n.log.Warn("stored sample unusable", "height", height, "cell", c, "err", err)
			continue
		}
		out = append(out, smp)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no samples held at height %d", p2p.ErrNotFound, height)
	}
	return out, nil
}

// cells are the cells of h's sampling session: the one in memory, else
// the stored one.
func (s heldSource) cells(ctx context.Context, h *da.Header) ([]sampling.Cell, error) {
	sp := s.n.sampler
	sp.mu.Lock()
	sess := sp.sessions[h.Height]
	var cells []sampling.Cell
	if sess != nil {
		cells = slices.Clone(sess.Cells())
	}
	sp.mu.Unlock()
	if sess != nil {
		return cells, nil
	}
	b, err := s.n.store.Meta(ctx, sessionKey(h.Height))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: height %d not sampled", p2p.ErrNotFound, h.Height)
	}
	if err != nil {
		return nil, err
	}
	stored, err := sampling.RestoreSession(b, sp.cfg, time.Now())
	if err != nil || stored.Width() != int(h.SquareWidth) {
		return nil, fmt.Errorf("%w: stored session of height %d unusable: %v", p2p.ErrNotFound, h.Height, err)
	}
	return stored.Cells(), nil
}

// heldAskers bounds the peers asked for held samples at once.
const heldAskers = 8

// repairFromPeers rebuilds the square of h from the samples its peers
// hold, verifies it against the data root and stores it as fetchSquare
// does. It fails, wrapping api.ErrUnavailable, when the cells gathered do
// not determine the square.
func (n *Node) repairFromPeers(ctx context.Context, h *da.Header) error {
	if isEmptyBlock(h) {
		// Nothing to gather: the empty block's square is fixed (SPEC §9).
		return n.keepSquare(ctx, h, []da.Share{da.TailPaddingShare()})
	}
	k := int(h.SquareWidth)
	part, err := erasure.NewPartialEDS(k)
	if err != nil {
		return err
	}
	cells, peers := n.gatherHeld(ctx, h, part)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Fewer than k² cells never determine a square of width k.
	if cells < k*k {
		return fmt.Errorf("%w: square %d: %d cells held by %d peers, at least %d needed", api.ErrUnavailable, h.Height, cells, peers, k*k)
	}
	eds, err := n.decodeHeld(ctx, h, part)
	if errors.Is(err, erasure.ErrUnrepairable) {
		return fmt.Errorf("%w: square %d from %d cells of %d peers: %w", api.ErrUnavailable, h.Height, cells, peers, err)
	}
	if err != nil {
		return fmt.Errorf("node: repairing square %d: %w", h.Height, err)
	}
	if err := n.keepSquare(ctx, h, eds.ODS()); err != nil {
		// Every cell proved to the data root, so a square that does not
		// commit to it was not encoded as committed.
		return fmt.Errorf("node: square %d repaired from verified cells: %w", h.Height, err)
	}
	n.log.Info("square repaired from held samples", "height", h.Height, "width", k, "cells", cells, "peers", peers)
	return nil
}

// gatherHeld asks every peer for the samples it holds at h and sets the
// verified ones in part. It returns how many distinct cells part holds and
// how many peers contributed. A peer sending a sample that does not verify
// is penalised and none of its samples are used.
func (n *Node) gatherHeld(ctx context.Context, h *da.Header, part *erasure.PartialEDS) (cells, peers int) {
	var mu sync.Mutex // guards part, cells and peers
	slots := make(chan struct{}, heldAskers)
	var wg sync.WaitGroup
	for _, p := range n.peersInRandomOrder() {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			ss := n.heldFrom(ctx, h, p)
			if len(ss) == 0 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			added := 0
			for _, s := range ss {
				if !part.Has(s.Row, s.Col) && part.Set(s.Row, s.Col, &s.Share) == nil {
					added++
				}
			}
			cells += added
			if added > 0 {
				peers++
			}
		})
	}
	wg.Wait()
	return cells, peers
}

// heldFrom is p's held samples at h, all verified, or nil.
func (n *Node) heldFrom(ctx context.Context, h *da.Header, p peer.ID) []*erasure.Sample {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ss, err := n.host.RequestHeld(rctx, p, h.Height)
	if err != nil {
		n.log.Debug("no held samples", "height", h.Height, "peer", p, "err", err)
		return nil
	}
	for _, s := range ss {
		if err := s.Verify(h.DataRoot, int(h.SquareWidth)); err != nil {
			n.host.Penalize(p, p2p.OffenceInvalid, fmt.Errorf("held sample (%d,%d) of height %d: %w", s.Row, s.Col, h.Height, err))
			return nil
		}
	}
	return ss
}

// decodeHeld completes part: against the committed roots when a peer
// serves them (every decoded axis then checked against its root), else
// from the code alone (the caller checks the data root).
func (n *Node) decodeHeld(ctx context.Context, h *da.Header, part *erasure.PartialEDS) (*erasure.EDS, error) {
	var dah *erasure.DAH
	_ = n.fromPeers(ctx, fmt.Sprintf("roots of square %d", h.Height), func(ctx context.Context, p peer.ID) error {
		d, err := n.host.RequestDAH(ctx, p, h.Height, int(h.SquareWidth))
		if err != nil {
			return err
		}
		if d.DataRoot() != h.DataRoot {
			err := fmt.Errorf("%w: DAH of height %d does not hash to the data root", ErrBadSquare, h.Height)
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			return err
		}
		dah = d
		return nil
	})
	if dah == nil {
		return part.Reconstruct()
	}
	err := part.Repair(dah)
	if berr := (*erasure.ByzantineError)(nil); errors.As(err, &berr) {
		// Every cell was proved against the data root, so a bad axis is
		// the validators': prove it, as a full node fetching rows would.
		return nil, n.proveBadEncoding(ctx, h, part, dah, berr)
	}
	if err != nil {
		return nil, err
	}
	return part.EDS(), nil
}

// keepSquare verifies ods against h's data root, stores it and caches its
// square, as fetchSquare does with a peer's ODS.
func (n *Node) keepSquare(ctx context.Context, h *da.Header, ods []da.Share) error {
	sq, err := n.squares.newSquare(h, ods)
	if err != nil {
		return err
	}
	if err := n.store.PutSquare(ctx, h.Height, h.DataRoot, ods); err != nil {
		return err
	}
	n.squares.Put(sq)
	return nil
}
