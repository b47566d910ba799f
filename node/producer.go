package node

import (
	"context"
	"fmt"
	"time"

	"github.com/tartan-da/tartan/da"
)

// produceLoop builds a block every block time, empty blocks included
// (DESIGN.md §2). Block building sits behind one method, buildBlock, so it
// can move into a consensus engine's proposal step later.
func (n *Node) produceLoop(ctx context.Context) error {
	if n.opts.Withhold > 0 {
		n.log.Warn("fault injection: withholding part of every non-empty square from peers and clients", "from_height", n.opts.Withhold)
	}
	if n.opts.BadEncoding > 0 {
		n.log.Warn("fault injection: publishing a badly encoded square", "height", n.opts.BadEncoding)
	}
	bt := n.genesis.BlockTime.D()
	next := time.Now()
	if head := n.chain.Head(); head != nil {
		next = head.Time.Add(bt)
	}
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := time.Now()
		h, err := n.produce(ctx, start)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		n.metrics.BlockBuildSeconds.ObserveDuration(time.Since(start))
		n.log.Debug("block produced", "height", h.Height, "k", h.SquareWidth, "took", time.Since(start))
		// Keep the schedule: the next block is due one block time after
		// this one's, not after it finished.
		next = next.Add(bt)
		if now := time.Now(); next.Before(now) {
			next = now
		}
		t.Reset(time.Until(next))
	}
}

// produce builds, stores and announces the next block.
func (n *Node) produce(ctx context.Context, now time.Time) (*da.Header, error) {
	sb, err := da.NewSquareBuilder(n.genesis.MaxSquareWidth)
	if err != nil {
		return nil, err
	}
	taken, err := n.pool.Take(sb)
	if err != nil {
		return nil, err
	}
	if err := n.faultFiller(sb); err != nil {
		return nil, err
	}
	h, sq, err := n.buildBlock(sb, now)
	if err != nil {
		return nil, err
	}
	// Cache the square before the header becomes visible, so a peer that
	// syncs the header at once can already fetch the square.
	n.squares.Put(sq)
	if n.corruptsAt(h.Height) {
		// The store keeps the ODS, which re-extends to another square:
		// keep the one committed to (fraud.go faultySquare).
		n.pinFaulty(sq)
	}
	if err := n.chain.Add(ctx, h); err != nil {
		return nil, fmt.Errorf("storing header %d: %w", h.Height, err)
	}
	if err := n.store.PutSquare(ctx, h.Height, h.DataRoot, sq.eds.ODS()); err != nil {
		return nil, fmt.Errorf("storing square %d: %w", h.Height, err)
	}
	// Acknowledge only once the block is stored: a crash before this
	// point loses nothing anyone was told was included.
	n.pool.Included(taken, h.Height)
	if err := n.headers.Publish(ctx, h); err != nil {
		n.log.Warn("header not gossiped", "height", h.Height, "err", err)
	}
	return h, nil
}

// buildBlock lays out the square, extends and commits it, and signs the
// header on top of the local head.
func (n *Node) buildBlock(sb *da.SquareBuilder, now time.Time) (*da.Header, *square, error) {
	ods, err := sb.Export()
	if err != nil {
		return nil, nil, err
	}
	// The producer's Extender keeps its codecs and scratch across blocks.
	// Squares are not recycled into it: the cache may still serve them.
	start := time.Now()
	eds, dah, err := n.extender.ExtendAndCommit(ods.Shares)
	if err != nil {
		return nil, nil, err
	}
	n.metrics.EDSComputeSeconds.ObserveDuration(time.Since(start))
	h := &da.Header{ChainID: n.genesis.ChainID, Height: 1, Time: now.UTC(), SquareWidth: uint16(ods.Width)}
	if prev := n.chain.Head(); prev != nil {
		h.Height, h.PrevHash = prev.Height+1, prev.Hash()
		if h.Time.Before(prev.Time) {
			h.Time = prev.Time
		}
	}
	if n.corruptsAt(h.Height) {
		// Devnet fault: commit to (and sign) a square that is no codeword.
		corruptEDS(eds)
		if dah, err = n.extender.Commit(eds); err != nil {
			return nil, nil, err
		}
	}
	h.DataRoot = dah.DataRoot()
	h.Sign(n.key)
	sq, err := fromEDS(h.Height, eds, dah)
	return h, sq, err
}

// withholds reports whether this producer withholds part of h's square
// (Options.Withhold): every block from that height on but the empty one,
// which has no data to withhold.
func (n *Node) withholds(h *da.Header) bool {
	return n.cfg.Role == RoleProducer && n.opts.Withhold > 0 && h.Height >= n.opts.Withhold && !isEmptyBlock(h)
}

// withheldAt is withholds for a height, false when it has no header.
func (n *Node) withheldAt(ctx context.Context, height uint64) bool {
	if n.cfg.Role != RoleProducer || n.opts.Withhold == 0 || height < n.opts.Withhold {
		return false
	}
	h, err := n.chain.Header(ctx, height)
	return err == nil && n.withholds(h)
}

// withheldCell reports whether a withholding producer keeps cell (row,
// col) of a square of width k: the (k+1)×(k+1) block of rows and columns
// k−1 to 2k−1. Each of its rows and columns then lacks k+1 of its 2k
// cells, more than the k parity can restore, and the other rows and
// columns do not cross the block: the square is unrecoverable with the
// fewest cells that make it so (DESIGN.md §7).
func withheldCell(k, row, col int) bool { return row >= k-1 && col >= k-1 }

// errWithheld is what a withholding producer answers instead, wrapping
// notFound (p2p's or api's ErrNotFound: not having data is no offence).
func (n *Node) errWithheld(notFound error, height uint64) error {
	return fmt.Errorf("%w: height %d is withheld (devnet fault withhold@%d)", notFound, height, n.opts.Withhold)
}
