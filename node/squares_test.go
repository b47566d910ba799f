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
	sq := func(h uint64) *square {
		eds, dah, err := erasure.NewExtender(0).ExtendAndCommit([]da.Share{{byte(h)}})
		if err != nil {
			t.Fatal(err)
		}
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
	if r, err := c.Get(ctx, &da.Header{Height: 11}); err != nil {
		t.Fatal(err)
	} else {
		r.release()
	}
	c.Put(sq(13))
	if got := held(); !slices.Equal(got, []uint64{5, 11, 13}) {
		t.Fatalf("after reading 11 and putting 13: %v, want [5 11 13]", got)
	}
	if c.used != 3*sq(0).bytes() {
		t.Fatalf("accounts for %d bytes, want %d", c.used, 3*sq(0).bytes())
	}
}

// A square the cache drops is reused for a new one only once its last
// reader is done with it: until then its shares stay as they were, while
// other dropped squares are reused.
func TestSquareMemoryReusedAfterItsLastReader(t *testing.T) {
	ctx := context.Background()
	const k = 4
	odsOf := func(i int) []da.Share {
		ods := make([]da.Share, k*k)
		for j := range ods {
			ods[j][da.NamespaceSize] = byte(10*i + j) // namespace 0…0: sorted
		}
		return ods
	}
	var hs []*da.Header
	for i := range 5 {
		_, dah, err := erasure.NewExtender(0).ExtendAndCommit(odsOf(i))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, &da.Header{Height: uint64(i + 1), SquareWidth: k, DataRoot: dah.DataRoot()})
	}
	c := newSquares(nil, 1) // keeps only the newest square
	put := func(i int) {
		sq, err := c.newSquare(hs[i], odsOf(i))
		if err != nil {
			t.Fatal(err)
		}
		c.Put(sq)
	}
	put(0)
	r, err := c.Get(ctx, hs[0])
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(r.eds.Shares())
	for i := 1; i < len(hs); i++ {
		put(i) // drops height i: held by r at i = 1, reused from i = 2 on
		if c.Cached(1) {
			t.Fatal("the cache kept more than its budget")
		}
	}
	if !slices.Equal(r.eds.Shares(), before) {
		t.Fatal("a square's memory was reused while a reader held it")
	}
	if s, err := r.prover.Sample(0, 2*k-1, erasure.Row); err != nil || s.Verify(hs[0].DataRoot, k) != nil {
		t.Fatalf("a sample of the held square does not verify: %v", err)
	}
	r.release()
	if r.eds.Shares() != nil {
		t.Fatal("the square was not handed back once its last reader let go")
	}
	put(0) // extended into reused memory
	sq, err := c.Get(ctx, hs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer sq.release()
	if !slices.Equal(sq.eds.Shares(), before) || sq.dah.DataRoot() != hs[0].DataRoot {
		t.Fatal("a square extended into reused memory is not the same square")
	}
}
