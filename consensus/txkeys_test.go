package consensus

import (
	"bytes"
	"testing"
)

// The cache answers the true key for every slice it is asked about: a
// cached one, a copy of it, a prefix sharing its address, and after a
// commit drops it; and a commit keeps mempool entries it did not include.
func TestTxKeyCache(t *testing.T) {
	var c txKeyCache
	a := bytes.Repeat([]byte{1}, 1000)
	b := bytes.Repeat([]byte{2}, 1000)
	c.admitted(a, TxKey(a))
	c.admitted(b, TxKey(b))
	if c.key(a) != TxKey(a) || c.key(b) != TxKey(b) {
		t.Fatal("a cached key is wrong")
	}
	prefix := a[:10]
	if c.key(prefix) != TxKey(prefix) {
		t.Fatal("a prefix at the same address got the whole slice's key")
	}
	if c.key(bytes.Clone(a)) != TxKey(a) {
		t.Fatal("a copy got another key")
	}
	proposal := bytes.Repeat([]byte{3}, 10)
	c.key(proposal)
	// The prefix shares a's address, so its entry replaced a's; the copy
	// and the proposal's slice have entries of their own.
	if n := c.len(); n != 4 {
		t.Fatalf("%d entries, want 4", n)
	}
	c.committed([][32]byte{TxKey(b)})
	// Only mempool entries a block did not include stay; a's was
	// replaced by the prefix's, which is none.
	if n := c.len(); n != 0 {
		t.Fatalf("%d entries after the commit, want 0", n)
	}
	c.admitted(a, TxKey(a))
	c.key(proposal)
	c.committed(nil)
	if n := c.len(); n != 1 || c.key(a) != TxKey(a) {
		t.Fatalf("after a commit without a: %d entries, want a's alone", n)
	}
}
