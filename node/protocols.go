package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// serveProtocols registers the request/response protocols this role
// serves besides header ranges: squares and their proofs (validators,
// full nodes), blob submission and pending transactions (validators) and
// the samples held (light nodes, repair.go).
func (n *Node) serveProtocols() {
	if n.cfg.Role == RoleLight {
		n.host.ServeHeld(heldSource{n})
		return
	}
	n.host.ServeSquares(squareSource{n})
	n.host.ServeRows(squareSource{n}) // fraud.go: the square as committed
	if n.cfg.Role == RoleValidator {
		n.host.ServeSubmissions(blobService{n})
		n.host.ServeTxs(txSource{n})
	}
}

// squareSource serves verified squares to peers.
type squareSource struct{ n *Node }

// header is the header of a height whose square this node may hold, as
// p2p.ErrNotFound when it has none or the square is outside the storage
// window.
func (s squareSource) header(ctx context.Context, height uint64) (*da.Header, error) {
	local, _ := s.n.chain.Heights()
	if height == 0 || height > local {
		return nil, fmt.Errorf("%w: height %d", p2p.ErrNotFound, height)
	}
	h, err := s.n.chain.Header(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("%w: header %d: %v", p2p.ErrNotFound, height, err)
	}
	if s.n.outsideWindow(h) { // the cache may outlive the store's pruning
		return nil, fmt.Errorf("%w: square %d is outside the storage window", p2p.ErrNotFound, height)
	}
	return h, nil
}

// held returns a square this node holds, as p2p.ErrNotFound otherwise,
// and whether a withholding validator keeps part of it (Options.Withhold).
// The caller must release the square.
func (s squareSource) held(ctx context.Context, height uint64) (*square, bool, error) {
	h, err := s.header(ctx, height)
	if err != nil {
		return nil, false, err
	}
	var sq *square
	if s.n.corruptsAt(height) {
		sq, err = s.n.faultySquare(ctx, h) // the bad-encoding fault (fraud.go)
	} else {
		sq, err = s.n.squares.Get(ctx, h)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("%w: square %d", p2p.ErrNotFound, height)
	}
	return sq, err == nil && s.n.withholds(h), err
}

// whole returns a square held in full: what serves whole squares, rows
// or namespaces. A withheld square is not served whole to anyone. The
// caller must release the square.
func (s squareSource) whole(ctx context.Context, height uint64) (*square, error) {
	sq, withheld, err := s.held(ctx, height)
	if err == nil && withheld {
		sq.release()
		return nil, s.n.errWithheld(p2p.ErrNotFound, height)
	}
	return sq, err
}

// ODS serves a square's original data from memory, or else straight
// from the store: a peer fetching a square that has left the cache (a
// full node catching up) needs no extension of it here.
func (s squareSource) ODS(ctx context.Context, height uint64) ([]byte, error) {
	h, err := s.header(ctx, height)
	if err != nil {
		return nil, err
	}
	if s.n.corruptsAt(height) || s.n.squares.Cached(height) {
		sq, err := s.whole(ctx, height)
		if err != nil {
			return nil, err
		}
		defer sq.release()
		return sq.eds.ODSBytes(), nil
	}
	if s.n.withholds(h) {
		return nil, s.n.errWithheld(p2p.ErrNotFound, height)
	}
	ods, root, err := s.n.store.SquareBytes(ctx, height)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: square %d", p2p.ErrNotFound, height)
	case err != nil:
		return nil, err
	case root != h.DataRoot:
		return nil, fmt.Errorf("%w: stored square %d has data root %x", ErrBadSquare, height, root)
	}
	return ods, nil
}

// Samples answers all cells or none (p2p's samples protocol): a batch
// that touches a withheld cell is not found as a whole, and the light
// node asks for its cells one by one (light.go fetchBatch).
func (s squareSource) Samples(ctx context.Context, height uint64, cells []p2p.Cell) ([]*erasure.Sample, error) {
	sq, withheld, err := s.held(ctx, height)
	if err != nil {
		return nil, err
	}
	defer sq.release()
	if k := sq.eds.Width(); withheld {
		for _, c := range cells {
			if int(c.Row) < 2*k && int(c.Col) < 2*k && withheldCell(k, int(c.Row), int(c.Col)) {
				return nil, fmt.Errorf("%w: cell (%d, %d)", s.n.errWithheld(p2p.ErrNotFound, height), c.Row, c.Col)
			}
		}
	}
	s.n.metrics.SamplesServed.Add(uint64(len(cells)))
	out := make([]*erasure.Sample, len(cells))
	for i, c := range cells {
		if out[i], err = sq.prover.Sample(int(c.Row), int(c.Col), erasure.PreferredAxis(sq.eds.Width(), int(c.Row), int(c.Col))); err != nil {
			return nil, fmt.Errorf("%w: cell (%d, %d): %v", p2p.ErrMalformed, c.Row, c.Col, err)
		}
	}
	return out, nil
}

func (s squareSource) NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	sq, err := s.whole(ctx, height)
	if err != nil {
		return nil, err
	}
	defer sq.release()
	return sq.prover.NamespaceData(ns)
}

func (s squareSource) BlobProof(ctx context.Context, height uint64, start, end int) (*erasure.BlobProof, error) {
	sq, err := s.whole(ctx, height)
	if err != nil {
		return nil, err
	}
	defer sq.release()
	p, err := sq.prover.BlobProof(start, end)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", p2p.ErrMalformed, err)
	}
	return p, nil
}

// peersInRandomOrder spreads requests over the peers.
func (n *Node) peersInRandomOrder() []peer.ID {
	ps := n.host.Peers()
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps
}

// fromPeers runs try against peers until one succeeds. A peer whose answer
// fails verification is penalised by try itself; the last error is
// returned when every peer failed.
func (n *Node) fromPeers(ctx context.Context, what string, try func(ctx context.Context, p peer.ID) error) error {
	err := fmt.Errorf("%w: no peers to ask for %s", api.ErrUnavailable, what)
	for _, p := range n.peersInRandomOrder() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		e := try(rctx, p)
		cancel()
		if e == nil {
			return nil
		}
		err = fmt.Errorf("%w: %s: %w", api.ErrUnavailable, what, e)
	}
	return err
}

// syncedKey records how far a full node holds every square.
const syncedKey = "full/synced"

// squareWindow is how many heights squareLoop fetches at once: one
// square downloads while another is extended and checked, or written.
// One after another, the three took a full node 1.2–2 s per loaded
// k = 256 block against the chain's 1.1 s, so it fell ever further
// behind. Each height in the window holds its square (a k = 256 EDS is
// 128 MiB) until it is stored.
const squareWindow = 2

// squareLoop fetches, verifies and stores the square of every stored
// header (full nodes), as headers arrive, up to squareWindow heights at
// a time. A validator runs it too, for the blocks it committed without
// their squares (SaveBlock): it looks only at heights its App has
// committed, whose squares it stored then unless it had none to store.
func (n *Node) squareLoop(ctx context.Context) error {
	var synced uint64 // every square up to here is stored
	if b, err := n.store.Meta(ctx, syncedKey); err == nil && len(b) == 8 {
		synced = binary.BigEndian.Uint64(b)
	}
	type result struct {
		height uint64
		err    error
	}
	var (
		fetches sync.WaitGroup
		// results never blocks a fetch: at most squareWindow run.
		results  = make(chan result, squareWindow)
		inFlight = map[uint64]bool{}
		stored   = map[uint64]bool{} // above synced
		failed   = map[uint64]time.Time{}
	)
	defer fetches.Wait()
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		changed := n.chain.Changed()
		local, _ := n.chain.Heights()
		if v := n.validator; v != nil {
			local = min(local, v.committed.Load())
		}
		// A chain started from a checkpoint has no header, so no square,
		// below its base (checkpoint.go).
		if base := n.chain.Base(); base > synced+1 && len(inFlight) == 0 {
			synced = base - 1
			clear(stored)
		}
		now := time.Now()
		for h := synced + 1; h <= min(local, synced+squareWindow) && ctx.Err() == nil; h++ {
			if inFlight[h] || stored[h] {
				continue
			}
			if at, ok := failed[h]; ok && now.Sub(at) < 200*time.Millisecond {
				retry.Reset(200*time.Millisecond - now.Sub(at))
				continue
			}
			inFlight[h] = true
			fetches.Go(func() { results <- result{h, n.fetchSquare(ctx, h)} })
		}
		select {
		case <-ctx.Done():
			return nil
		case r := <-results:
			delete(inFlight, r.height)
			if r.err != nil {
				if ctx.Err() == nil {
					n.log.Debug("square not fetched yet", "height", r.height, "err", r.err)
				}
				failed[r.height] = time.Now()
				break
			}
			delete(failed, r.height)
			stored[r.height] = true
			advanced := false
			for stored[synced+1] {
				delete(stored, synced+1)
				synced++
				advanced = true
			}
			if advanced {
				if err := n.store.PutMeta(ctx, syncedKey, binary.BigEndian.AppendUint64(nil, synced)); err != nil {
					return err
				}
			}
		case <-changed:
		case <-retry.C:
		}
	}
}

// fetchSquare gets the square of a stored header from peers, verifies it
// against the data root and stores it. A peer whose square does not match
// is penalised.
func (n *Node) fetchSquare(ctx context.Context, height uint64) error {
	if ok, err := n.store.HasSquare(ctx, height); err != nil || ok {
		return err
	}
	if n.fraudAt(height) {
		return nil // badly encoded: there is no square to hold
	}
	h, err := n.chain.Header(ctx, height)
	if err != nil {
		return err
	}
	if !n.cfg.Archival && h.Time.Before(time.Now().Add(-n.cfg.Window.D())) {
		return nil // outside the storage window: peers have pruned it too
	}
	start := time.Now()
	err = n.fromPeers(ctx, fmt.Sprintf("square %d", height), func(ctx context.Context, p peer.ID) error {
		ods, err := n.host.RequestODS(ctx, p, height, int(h.SquareWidth))
		if err != nil {
			return err
		}
		sq, err := n.squares.newSquare(h, ods)
		if errors.Is(err, ErrBadSquare) && n.fraudAt(height) {
			return nil // a proof arrived meanwhile
		}
		if errors.Is(err, ErrBadSquare) {
			// p lied, or the validators committed to a square that is
			// no codeword: the square as committed tells (fraud.go).
			if err = n.judgeSquare(ctx, h, p, err); errors.Is(err, errNotEncoded) {
				return nil
			}
			return err
		}
		if err != nil {
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			return err
		}
		if err := n.store.PutSquare(ctx, height, h.DataRoot, ods); err != nil {
			return err
		}
		n.squares.Put(sq)
		n.log.Info("block stored", "height", height, "square_width", h.SquareWidth, "bytes", len(ods)*da.ShareSize,
			"ms", time.Since(start).Milliseconds(), "from", p.String())
		return nil
	})
	if err == nil || ctx.Err() != nil || n.fraudAt(height) {
		return err
	}
	// No peer served the ODS: rebuild it from the cells peers hold, with
	// a backoff, since every attempt asks every peer for all it holds.
	if !n.repairs.due(height, time.Now()) {
		return fmt.Errorf("%w; repair from held samples: waiting to retry", err)
	}
	rerr := n.repairFromPeers(ctx, h)
	n.repairs.done(height, rerr == nil, time.Now())
	if errors.Is(rerr, errNotEncoded) {
		return nil // a fraud proof is held: there is no square to hold
	}
	if rerr != nil {
		return fmt.Errorf("%w; from held samples: %v", err, rerr)
	}
	return nil
}
