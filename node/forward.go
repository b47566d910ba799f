package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/p2p"
)

// A node that is not a validator forwards its clients' submissions to a
// validator over p2p and answers once the block is here too. A forward
// holds a stream until inclusion, and a validator serves a bounded number
// of them at once (p2p.Config.MaxConcurrentRequests), so a burst is
// queued here rather than refused: at most maxForwards are in flight, the
// rest wait their turn, and a validator that is busy or unreachable is
// retried, with a backoff, on the others until the client's deadline; one
// that stops answering pings while it holds a forward is given up
// (p2p.ErrPeerGone).

const (
	// maxForwards bounds this node's forwards in flight; it matches the
	// streams one validator serves, so a lone forwarder never overruns it.
	maxForwards = 64
	// Retry backoff when every validator was busy or failed.
	forwardBackoffMin = 50 * time.Millisecond
	forwardBackoffMax = 2 * time.Second
)

// forward submits blobs through a validator and returns the height that
// includes them. When the client's ctx ends before a validator took the
// blobs, the error says why none did (pool full, busy, unreachable), not
// merely that time ran out.
func (n *Node) forward(ctx context.Context, blobs []da.Blob) (uint64, error) {
	select {
	case n.forwards <- struct{}{}:
		defer func() { <-n.forwards }()
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: %d submissions ahead of this one are still being forwarded: %w", api.ErrUnavailable, maxForwards, ctx.Err())
	}
	backoff := forwardBackoffMin
	var cause error
	for {
		peers := n.host.SubmitPeers()
		if len(peers) == 0 {
			cause = fmt.Errorf("%w: no known peer accepts submissions (not connected to a validator)", api.ErrUnavailable)
		}
		for _, p := range peers {
			height, err := n.host.SubmitBlobs(ctx, p, blobs)
			switch {
			case err == nil:
				return height, nil
			case ctx.Err() != nil:
				// The validator held the blobs until the client gave up:
				// they may still be included (resubmitting is safe).
				return 0, ctx.Err()
			case errors.Is(err, da.ErrBlobTooLarge):
				return 0, fmt.Errorf("the validator refused the blobs: %w", err)
			case errors.Is(err, p2p.ErrSubmitRejected):
				return 0, fmt.Errorf("%w: the validator refused the blobs: %w", api.ErrBadRequest, err)
			case errors.Is(err, p2p.ErrPoolFull):
				cause = fmt.Errorf("%w: the validators' mempools are full: %w", api.ErrPoolFull, err)
			case errors.Is(err, p2p.ErrBusy):
				cause = fmt.Errorf("%w: validator %s is serving as many submissions as it can: %w", api.ErrPoolFull, p, err)
			default:
				cause = fmt.Errorf("%w: forwarding to validator %s: %w", api.ErrUnavailable, p, err)
			}
			n.log.Debug("forward not taken; trying another validator", "peer", p, "err", err)
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, forwardBackoffMax)
		case <-ctx.Done():
			return 0, cause
		}
	}
}
