package node

import (
	"context"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// The cache keeps what was used last: a square loaded for a reader of an
// old height stays for the reads after it, and the first square put is
// the first to go when nothing used it since.
func TestSquareCacheKeepsTheRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	ods := []da.Share{{1}}
	eds, dah, err := erasure.NewExtender(0).ExtendAndCommit(ods)
	if err != nil {
		t.Fatal(err)
	}
	sq := func(h uint64) *square {
		s, err := fromEDS(h, eds, dah)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	c := newSquares(nil, 3*sq(0).bytes()) // three squares; no store behind
	held := func() []uint64 {
		var hs []uint64
		for h := range c.entries {
			hs = append(hs, h)
		}
		slices.Sort(hs)
		return hs
	}
	for h := uint64(10); h <= 12; h++ {
		c.Put(sq(h))
	}
	c.Put(sq(5)) // an old height, loaded for a reader
	if got := held(); !slices.Equal(got, []uint64{5, 11, 12}) {
		t.Fatalf("after loading height 5: %v, want [5 11 12]", got)
	}
	if _, err := c.Get(ctx, &da.Header{Height: 11}); err != nil {
		t.Fatal(err)
	}
	c.Put(sq(13))
	if got := held(); !slices.Equal(got, []uint64{5, 11, 13}) {
		t.Fatalf("after reading 11 and putting 13: %v, want [5 11 13]", got)
	}
	if c.used != 3*sq(0).bytes() {
		t.Fatalf("accounts for %d bytes, want %d", c.used, 3*sq(0).bytes())
	}
}
