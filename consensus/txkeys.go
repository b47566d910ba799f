package consensus

import (
	"sync"
	"unsafe"
)

// maxCachedKeys bounds the key cache; past it the cache starts over. It is
// far above any mempool's count of blob transactions.
const maxCachedKeys = 1 << 16

// txKeyCache remembers the keys of transactions the application has seen,
// by the address of their bytes. A blob transaction of a megabyte is
// otherwise hashed five times on every validator: in CheckTx, twice in
// each PrepareProposal that sees it, in ProcessProposal and in
// FinalizeBlock. CometBFT hands the application the very slices it keeps
// (the mempool's, or the decoded block's), and never writes to them, so
// the same address and length mean the same bytes. An entry holds its
// transaction, so the memory cannot be freed and reused for other bytes
// while the entry exists.
type txKeyCache struct {
	mu sync.Mutex
	m  map[*byte]cachedKey
}

type cachedKey struct {
	tx  []byte
	key [32]byte
	// mempool: admitted by CheckTx, kept until a committed block
	// includes it; other entries (a proposal's transactions) last until
	// the next commit.
	mempool bool
}

// key returns TxKey(tx), from the cache when it holds tx.
func (c *txKeyCache) key(tx []byte) [32]byte {
	if len(tx) == 0 {
		return TxKey(tx)
	}
	p := unsafe.SliceData(tx)
	c.mu.Lock()
	e, ok := c.m[p]
	c.mu.Unlock()
	if ok && len(e.tx) == len(tx) {
		return e.key
	}
	k := TxKey(tx)
	c.put(tx, k, false)
	return k
}

// admitted records a transaction CheckTx let into the mempool.
func (c *txKeyCache) admitted(tx []byte, key [32]byte) { c.put(tx, key, true) }

func (c *txKeyCache) put(tx []byte, key [32]byte, mempool bool) {
	if len(tx) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = map[*byte]cachedKey{}
	}
	p := unsafe.SliceData(tx)
	if e, ok := c.m[p]; ok && len(e.tx) == len(tx) {
		mempool = mempool || e.mempool
	}
	c.m[p] = cachedKey{tx: tx, key: key, mempool: mempool}
}

// committed drops the entries of the transactions a committed block
// included and of every proposal's transactions.
func (c *txKeyCache) committed(included [][32]byte) {
	done := make(map[[32]byte]bool, len(included))
	for _, k := range included {
		done[k] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, e := range c.m {
		if !e.mempool || done[e.key] {
			delete(c.m, p)
		}
	}
}

// len is the number of entries, for tests.
func (c *txKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
