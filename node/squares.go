package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
)

// square is a verified block's extended square with what serving it needs.
type square struct {
	height uint64
	eds    *erasure.EDS
	dah    *erasure.DAH
	prover *erasure.Prover
	// refs counts who holds a cached square: the cache while it keeps
	// it, and each reader from squares.Get to release. The last to let
	// go hands the EDS to spares, for a new square to be extended into.
	// A square never cached has spares nil and is left to the collector.
	refs   atomic.Int32
	spares *erasure.Spares
}

// hold adds a holder of a cached square; the caller must know it held
// (by the cache's lock, or a hold of its own).
func (s *square) hold() { s.refs.Add(1) }

// release lets go of a square obtained from squares.Get, faultySquare or
// hold. Nothing obtained from the square's EDS may be used after it.
func (s *square) release() {
	if s.refs.Add(-1) == 0 && s.spares != nil {
		s.spares.Put(s.eds)
	}
}

// bytes is the square's memory: its EDS's (which may be a larger square's,
// reused) and its prover's trees (about a quarter of the EDS).
func (s *square) bytes() int {
	shares := s.eds.Shares()
	return (cap(shares) + len(shares)/4) * da.ShareSize
}

// ErrBadSquare: a square does not match its header's data root.
var ErrBadSquare = errors.New("node: square does not match the header's data root")

// newSquare extends and commits ods and checks the result against the
// header, so nothing unverified is ever served. It extends and hashes in
// one pass (Extender.ExtendAndCommit), each cell hashed while it is still
// in cache from being coded, into the memory of a square no longer
// served if there is one: a full node does this for every block.
func (c *squares) newSquare(h *da.Header, ods []da.Share) (*square, error) {
	if k := int(h.SquareWidth); len(ods) != k*k {
		return nil, fmt.Errorf("%w: %d shares, header says %d wide", ErrBadSquare, len(ods), k)
	}
	x := c.extenders.Get().(*erasure.Extender)
	eds, dah, err := x.ExtendAndCommit(ods)
	c.extenders.Put(x)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSquare, err)
	}
	if dah.DataRoot() != h.DataRoot {
		return nil, fmt.Errorf("%w: height %d", ErrBadSquare, h.Height)
	}
	return fromEDS(h.Height, eds, dah)
}

func fromEDS(height uint64, eds *erasure.EDS, dah *erasure.DAH) (*square, error) {
	p, err := erasure.NewProver(eds, dah)
	if err != nil {
		return nil, err
	}
	return &square{height: height, eds: eds, dah: dah, prover: p}, nil
}

// squares caches the most recent verified squares in memory, within a
// byte budget, and loads older ones from the store on demand. Recent
// squares are what samplers ask for; keeping their EDS and proof trees
// spares recomputing them per request. A square it drops is reused for a
// new one once its last reader is done (square.release).
type squares struct {
	store  *store.Store
	budget int
	// spares keeps the memory of dropped squares; the validator's App
	// extends into it too.
	spares *erasure.Spares
	// extenders are Extenders using spares, lent to newSquare: each keeps
	// its codecs and scratch from one square to the next.
	extenders sync.Pool

	mu      sync.Mutex // guards the fields below
	entries map[uint64]*square
	used    int
	loading map[uint64]*squareLoad // heights being loaded from the store
	// lastUse orders the entries by their last Put or Get, on clock.
	lastUse map[uint64]uint64
	clock   uint64
}

// squareLoad is one load of a square from the store, shared by every
// request for that height that arrives meanwhile: a burst of requests for
// an uncached square would otherwise extend it once each (tens of MB and
// tens of ms apiece at k = 128).
type squareLoad struct {
	done chan struct{} // closed once err is set, and the square cached unless err
	err  error
}

// squareSpares is how many dropped squares a node keeps for reuse: one
// is dropped for each new one cached.
const squareSpares = 1

func newSquares(st *store.Store, budget int) *squares {
	c := &squares{store: st, budget: budget, spares: erasure.NewSpares(squareSpares), entries: map[uint64]*square{},
		loading: map[uint64]*squareLoad{}, lastUse: map[uint64]uint64{}}
	c.extenders.New = func() any {
		x := erasure.NewExtender(0)
		x.UseSpares(c.spares)
		return x
	}
	return c
}

// Put caches a verified square, evicting the least recently used past the
// budget. New squares are what samplers ask for; an old one loaded for a
// reader (a rollup reading back its blobs, most often several from one
// height) stays until newer uses push it out. The caller must not use sq
// after Put unless it holds it (Get).
func (c *squares) Put(sq *square) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(sq)
}

// put is Put with mu held.
func (c *squares) put(sq *square) {
	sq.spares = c.spares
	sq.hold() // the cache's
	if old, ok := c.entries[sq.height]; ok {
		c.used -= old.bytes()
		old.release()
	}
	c.entries[sq.height] = sq
	c.used += sq.bytes()
	c.touch(sq.height)
	for c.used > c.budget && len(c.entries) > 1 {
		var (
			oldest uint64
			at     = c.clock
		)
		for h := range c.entries {
			if h != sq.height && c.lastUse[h] < at {
				oldest, at = h, c.lastUse[h]
			}
		}
		c.used -= c.entries[oldest].bytes()
		c.entries[oldest].release()
		delete(c.entries, oldest)
		delete(c.lastUse, oldest)
	}
}

// touch marks height as used now. Called with mu held.
func (c *squares) touch(height uint64) {
	c.clock++
	c.lastUse[height] = c.clock
}

// Cached reports whether the square of height is in memory.
func (c *squares) Cached(height uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[height]
	return ok
}

// Get returns the square of header h from memory or from the store;
// store.ErrNotFound if this node does not hold it. The caller must
// release the square when done with it.
func (c *squares) Get(ctx context.Context, h *da.Header) (*square, error) {
	for {
		c.mu.Lock()
		if sq, ok := c.entries[h.Height]; ok {
			c.touch(h.Height)
			sq.hold()
			c.mu.Unlock()
			return sq, nil
		}
		l, ok := c.loading[h.Height]
		if !ok {
			l = &squareLoad{done: make(chan struct{})}
			c.loading[h.Height] = l
			c.mu.Unlock()
			// load caches the square before the load is forgotten, so no
			// request in between starts another.
			sq, err := c.load(ctx, h)
			l.err = err
			c.mu.Lock()
			delete(c.loading, h.Height)
			c.mu.Unlock()
			close(l.done)
			return sq, err
		}
		c.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// Loaded: take it from the cache, held. The loading request's own
		// context may have ended: try again with ours.
		if l.err == nil {
			continue
		}
		if ctx.Err() != nil || !(errors.Is(l.err, context.Canceled) || errors.Is(l.err, context.DeadlineExceeded)) {
			return nil, l.err
		}
	}
}

// load reads, verifies and caches the square of header h, and returns it
// held.
func (c *squares) load(ctx context.Context, h *da.Header) (*square, error) {
	ods, root, err := c.store.Square(ctx, h.Height)
	if err != nil {
		return nil, err
	}
	if root != h.DataRoot {
		return nil, fmt.Errorf("%w: stored square %d has data root %x", ErrBadSquare, h.Height, root)
	}
	sq, err := c.newSquare(h, ods)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(sq)
	sq.hold()
	return sq, nil
}
