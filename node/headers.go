package node

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// headerSource serves the header-range protocol from the store. The first
// header carries its validator set; the others only where it changed.
type headerSource struct {
	st     *store.Store
	verify *consensus.Verifier
}

func (s headerSource) Headers(ctx context.Context, from uint64, count int) ([]*da.Header, error) {
	var (
		out  []*da.Header
		prev *da.Header
	)
	for h := from; len(out) < count; h++ {
		hd, err := s.st.Header(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		wire, err := s.verify.Wire(hd, prev)
		if err != nil {
			return nil, err
		}
		out, prev = append(out, wire), hd
	}
	if len(out) == 0 {
		return nil, p2p.ErrNotFound
	}
	return out, nil
}

// validateHeader judges a gossiped header before it is forwarded: its
// certificate must verify against what this node trusts, and it must agree
// with what this node stored. A header this node cannot judge yet (too far
// ahead of its head, a validator set it does not know) is ignored, not
// held against the sender.
func (n *Node) validateHeader(ctx context.Context, _ peer.ID, h *da.Header) p2p.ValidationResult {
	if _, err := n.chain.check(ctx, h); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, errHeaderGap) || consensus.Unverifiable(err) {
			return p2p.Ignore
		}
		n.log.Debug("rejected header", "height", h.Height, "err", err)
		return p2p.Reject
	}
	return p2p.Accept
}

// receiveHeader adds an accepted header; a gap wakes the sync loop.
func (n *Node) receiveHeader(ctx context.Context, _ peer.ID, h *da.Header) {
	err := n.chain.Add(ctx, h)
	switch {
	case err == nil:
	case errors.Is(err, errHeaderGap):
		n.kickSync()
	default:
		n.log.Warn("header not added", "height", h.Height, "err", err)
	}
}

func (n *Node) kickSync() {
	select {
	case n.syncKick <- struct{}{}:
	default:
	}
}

// syncLoop fills the local chain up to the network head with the
// header-range protocol, and probes peers now and then in case gossip
// missed the latest headers (after downtime, say).
func (n *Node) syncLoop(ctx context.Context) error {
	probe := max(2*n.genesis.BlockTime.D(), time.Second)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.syncKick:
		case <-t.C:
		}
		for n.syncOnce(ctx) {
		}
		t.Reset(probe)
	}
}

// syncOnce asks peers for the headers after the local head and adds them.
// It reports whether it made progress.
func (n *Node) syncOnce(ctx context.Context) bool {
	for _, p := range n.host.Peers() {
		if ctx.Err() != nil {
			return false
		}
		local, network := n.chain.Heights()
		count := p2p.HeaderRangeMaxCount
		if network > local {
			count = int(min(uint64(count), network-local))
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		hs, err := n.host.RequestHeaders(rctx, p, local+1, count)
		cancel()
		if err != nil {
			continue
		}
		// Each header is verified against the one below it as it is
		// added (gossip may move the head meanwhile: a height already
		// stored is compared with the stored header instead).
		added := 0
		for _, h := range hs {
			if err := n.chain.Add(ctx, h); err != nil {
				if !errors.Is(err, errHeaderGap) && !consensus.Unverifiable(err) {
					n.host.Penalize(p, p2p.OffenceInvalid, err)
				}
				n.log.Warn("synced header not added", "height", h.Height, "peer", p, "err", err)
				break
			}
			added++
		}
		if added > 0 {
			n.log.Debug("synced headers", "from", hs[0].Height, "count", added, "peer", p)
			return true
		}
	}
	return false
}
