package consensus

import (
	"fmt"
	"sync"
)

// txPool is a validator's mempool. CometBFT runs with its "app" mempool
// (Mempool.Type = "app"), which leaves holding, ordering and relaying
// transactions to the application; CometBFT keeps only a cache of the
// keys it has seen and calls App.CheckTx, InsertTx and ReapTxs.
//
// Why not CometBFT's own mempool: it hashes each transaction about six
// times on the way in and out, formats every duplicate it receives as hex
// for a debug line nobody reads, and relays what it received from peers,
// so a blob crossed some validator links two or three times. Here a
// transaction is relayed once, by the validator a client gave it to, to
// that validator's peers (ReapTxs returns only local transactions), and a
// validator that received it from a peer keeps it to itself.
//
// The pool keeps arrival order, which is the order PrepareProposal lays
// out, and a byte bound. Transactions leave it only when a committed block
// includes them.
type txPool struct {
	mu     sync.Mutex
	max    int64
	bytes  int64
	byKey  map[[32]byte]*poolTx
	order  []*poolTx // arrival order
	unsent []*poolTx // local transactions not yet handed to ReapTxs
	// added is closed, and replaced, when a transaction comes in: a
	// proposal that refers to one not here yet waits on it (App.resolve).
	added chan struct{}
}

type poolTx struct {
	tx  []byte
	key [32]byte
}

func newTxPool(maxBytes int64) *txPool {
	return &txPool{max: maxBytes, byKey: map[[32]byte]*poolTx{}, added: make(chan struct{})}
}

// get returns the pending transaction with this key, and a channel that
// is closed when the next transaction comes in.
func (p *txPool) get(key [32]byte) (tx []byte, next <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byKey[key]; ok {
		return e.tx, p.added
	}
	return nil, p.added
}

// add puts tx in the pool unless it is there already (added false). A
// local transaction (from this validator's clients) is queued for relay.
// When the pool cannot hold its bytes, add fails with ErrMempoolFull and
// keeps nothing.
func (p *txPool) add(tx []byte, key [32]byte, local bool) (added bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byKey[key]; ok {
		return false, nil
	}
	if p.bytes+int64(len(tx)) > p.max {
		return false, fmt.Errorf("%w: %d bytes pending, %d more would pass the bound of %d", ErrMempoolFull, p.bytes, len(tx), p.max)
	}
	e := &poolTx{tx: tx, key: key}
	p.byKey[key] = e
	p.order = append(p.order, e)
	p.bytes += int64(len(tx))
	if local {
		p.unsent = append(p.unsent, e)
	}
	close(p.added)
	p.added = make(chan struct{})
	return true, nil
}

// txs are the pending transactions in arrival order.
func (p *txPool) txs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.order))
	for i, e := range p.order {
		out[i] = e.tx
	}
	return out
}

// takeUnsent returns the local transactions not yet relayed, oldest
// first, and forgets them: each is relayed once. Those a block included
// meanwhile are left out.
func (p *txPool) takeUnsent() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]byte
	for _, e := range p.unsent {
		if p.byKey[e.key] == e {
			out = append(out, e.tx)
		}
	}
	p.unsent = nil
	return out
}

// remove drops the transactions a committed block included.
func (p *txPool) remove(keys [][32]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gone := 0
	for _, k := range keys {
		if e, ok := p.byKey[k]; ok {
			delete(p.byKey, k)
			p.bytes -= int64(len(e.tx))
			gone++
		}
	}
	if gone == 0 {
		return
	}
	kept := p.order[:0]
	for _, e := range p.order {
		if p.byKey[e.key] == e {
			kept = append(kept, e)
		}
	}
	clear(p.order[len(kept):])
	p.order = kept
}

// stats are the pending transactions and their bytes.
func (p *txPool) stats() (int, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.order), p.bytes
}
