package erasure

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

// The slow reference: the straightforward reading of SPEC §5–§7, one axis
// at a time on one core, kept here so the fast path can be compared with
// something that can disagree with it.

// xtRefExtend codes rows of Q0, then columns of Q0, then rows of Q2
// (SPEC §7.2), one codeword per call.
func xtRefExtend(t testing.TB, ods []da.Share) *EDS {
	t.Helper()
	k, err := WidthOf(len(ods))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newCodec(k)
	if err != nil {
		t.Fatal(err)
	}
	w := 2 * k
	e := &EDS{k: k, shares: make([]da.Share, w*w)}
	for r := range k {
		copy(e.Row(r)[:k], ods[r*k:(r+1)*k])
	}
	vec := make([][]byte, w)
	code := func(cell func(i int) *da.Share) {
		for i := range w {
			vec[i] = cell(i)[:]
		}
		if err := enc.Encode(vec); err != nil {
			t.Fatal(err)
		}
	}
	for r := range k {
		code(func(i int) *da.Share { return e.Cell(r, i) })
	}
	for c := range k {
		code(func(i int) *da.Share { return e.Cell(i, c) })
	}
	for r := k; r < w; r++ {
		code(func(i int) *da.Share { return e.Cell(r, i) })
	}
	return e
}

// xtRefAxisRoot pushes the 2k leaves of one axis as nmt does: namespace ns
// prepended (SPEC §6), pushes refused when the namespace decreases (§5.4),
// then the recursive root of da.NMTHasher.
func xtRefAxisRoot(h *da.NMTHasher, k int, a Axis, idx int, cells []da.Share) (da.NMTNode, error) {
	leaves := make([]da.NMTNode, len(cells))
	for pos := range cells {
		ns := da.ParityNamespace
		if idx < k && pos < k {
			ns = cells[pos].Namespace()
		}
		if pos > 0 && bytes.Compare(ns[:], leaves[pos-1][:da.NamespaceSize]) < 0 {
			return da.NMTNode{}, fmt.Errorf("%s %d: %w", a, idx, da.ErrUnsortedNamespace)
		}
		leaves[pos] = h.Leaf(&ns, cells[pos][:])
	}
	return h.NMTRoot(leaves)
}

// xtRefCommit computes every root in the reference order: row 0, column 0,
// row 1, …, stopping at the first failure.
func xtRefCommit(e *EDS) (*DAH, error) {
	w := 2 * e.k
	h := da.NewNMTHasher()
	d := &DAH{RowRoots: make([]da.NMTNode, w), ColRoots: make([]da.NMTNode, w)}
	col := make([]da.Share, w)
	var err error
	for i := range w {
		if d.RowRoots[i], err = xtRefAxisRoot(h, e.k, Row, i, e.Row(i)); err != nil {
			return nil, err
		}
		if d.ColRoots[i], err = xtRefAxisRoot(h, e.k, Col, i, e.Col(i, col)); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// xtRandomODS is a k×k square of random shares whose namespaces, drawn
// from a few values so that runs of equal namespaces occur, are sorted
// row-major, so every row and column is sorted. Tail padding and even the
// parity namespace may appear inside Q0, as on an untrusted square.
func xtRandomODS(rng *rand.Rand, k int) []da.Share {
	pool := []da.Namespace{da.TxNamespace, da.PrimaryReservedPaddingNamespace, da.TailPaddingNamespace, da.ParityNamespace}
	for range 6 {
		var ns da.Namespace
		for i := da.NamespaceSize - 10; i < da.NamespaceSize; i++ {
			ns[i] = byte(rng.UintN(256))
		}
		pool = append(pool, ns)
	}
	nss := make([]da.Namespace, k*k)
	for i := range nss {
		nss[i] = pool[rng.IntN(len(pool))]
	}
	slices.SortFunc(nss, func(a, b da.Namespace) int { return a.Compare(b) })
	ods := make([]da.Share, k*k)
	for i := range ods {
		for j := range ods[i] {
			ods[i][j] = byte(rng.UintN(256))
		}
		copy(ods[i][:], nss[i][:])
	}
	return ods
}

func xtSameDAH(t *testing.T, got, want *DAH) {
	t.Helper()
	if len(got.RowRoots) != len(want.RowRoots) || len(got.ColRoots) != len(want.ColRoots) {
		t.Fatalf("DAH has %d+%d roots, want %d+%d", len(got.RowRoots), len(got.ColRoots), len(want.RowRoots), len(want.ColRoots))
	}
	for i := range want.RowRoots {
		if got.RowRoots[i] != want.RowRoots[i] {
			t.Fatalf("row root %d\n got %x\nwant %x", i, got.RowRoots[i], want.RowRoots[i])
		}
		if got.ColRoots[i] != want.ColRoots[i] {
			t.Fatalf("column root %d\n got %x\nwant %x", i, got.ColRoots[i], want.ColRoots[i])
		}
	}
}

func xtSameEDS(t *testing.T, got, want *EDS) {
	t.Helper()
	if got.Width() != want.Width() {
		t.Fatalf("width %d, want %d", got.Width(), want.Width())
	}
	w := 2 * want.Width()
	for i := range want.Shares() {
		if got.Shares()[i] != want.Shares()[i] {
			t.Fatalf("cell (%d,%d) differs from the reference", i/w, i%w)
		}
	}
}

// The fast paths (ExtendAndCommit, Extend + Commit, with 1 to 3 workers,
// one Extender reused across widths) agree with the reference on random
// sorted squares.
func TestExtendMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	widths := []int{1, 2, 4, 8, 16, 32, 64, 128, 8, 256}
	if testing.Short() {
		widths = widths[:len(widths)-1]
	}
	xs := []*Extender{NewExtender(1), NewExtender(2), NewExtender(3), new(Extender)}
	for n, k := range widths {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			ods := xtRandomODS(rng, k)
			want := xtRefExtend(t, ods)
			wantDAH, err := xtRefCommit(want)
			if err != nil {
				t.Fatal(err)
			}
			x := xs[n%len(xs)]
			e, d, err := x.ExtendAndCommit(ods)
			if err != nil {
				t.Fatal(err)
			}
			xtSameEDS(t, e, want)
			xtSameDAH(t, d, wantDAH)

			e2, err := Extend(ods)
			if err != nil {
				t.Fatal(err)
			}
			xtSameEDS(t, e2, want)
			d2, err := Commit(e2)
			if err != nil {
				t.Fatal(err)
			}
			xtSameDAH(t, d2, wantDAH)

			// AxisRoot, used one axis at a time by repair, agrees too.
			h := da.NewNMTHasher()
			col := make([]da.Share, 2*k)
			for _, i := range []int{0, k - 1, k, 2*k - 1} {
				r, err := AxisRoot(h, k, Row, i, want.Row(i))
				if err != nil || r != wantDAH.RowRoots[i] {
					t.Fatalf("AxisRoot(row %d) = %x, %v; want %x", i, r, err, wantDAH.RowRoots[i])
				}
				c, err := AxisRoot(h, k, Col, i, want.Col(i, col))
				if err != nil || c != wantDAH.ColRoots[i] {
					t.Fatalf("AxisRoot(col %d) = %x, %v; want %x", i, c, err, wantDAH.ColRoots[i])
				}
			}
		})
	}
}

// The ODS is only read, and the EDS returned owns its memory: extending
// again with the same Extender leaves the first result intact.
func TestExtenderResultsAreIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := NewExtender(2)
	ods := xtRandomODS(rng, 16)
	before := slices.Clone(ods)
	e1, d1, err := x.ExtendAndCommit(ods)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ods, before) {
		t.Fatal("ExtendAndCommit modified its input")
	}
	snapshot := slices.Clone(e1.Shares())
	root := d1.DataRoot()
	other := xtRandomODS(rng, 16)
	if _, _, err := x.ExtendAndCommit(other); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e1.Shares(), snapshot) || d1.DataRoot() != root {
		t.Fatal("a later call changed an earlier result")
	}
}

// A recycled square, of the same width or larger, holds stale cells that
// the next extension overwrites entirely.
func TestExtenderRecycle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := NewExtender(2)
	for _, k := range []int{16, 16, 8, 4, 32} {
		ods := xtRandomODS(rng, k)
		want := xtRefExtend(t, ods)
		wantDAH, err := xtRefCommit(want)
		if err != nil {
			t.Fatal(err)
		}
		e, d, err := x.ExtendAndCommit(ods)
		if err != nil {
			t.Fatal(err)
		}
		xtSameEDS(t, e, want)
		xtSameDAH(t, d, wantDAH)
		// Scribble on it, then hand it back.
		for i := range e.Shares() {
			e.Shares()[i][i%da.ShareSize] ^= 0x5A
		}
		x.Recycle(e)
		if e.Shares() != nil {
			t.Fatal("Recycle left the square usable")
		}
	}
	x.Recycle(nil)
}

// A square not made by NewEDS or Extend (the zero EDS, a recycled one) is
// refused, not hashed.
func TestCommitRejectsMalformedSquare(t *testing.T) {
	if d, err := Commit(&EDS{}); d != nil || !errors.Is(err, ErrWidth) {
		t.Fatalf("Commit(zero EDS) = %v, %v; want ErrWidth", d, err)
	}
	x := NewExtender(1)
	e, err := x.Extend(xtRandomODS(rand.New(rand.NewPCG(7, 8)), 2))
	if err != nil {
		t.Fatal(err)
	}
	x.Recycle(e)
	if d, err := x.Commit(e); d != nil || !errors.Is(err, ErrWidth) {
		t.Fatalf("Commit(recycled EDS) = %v, %v; want ErrWidth", d, err)
	}
}

func TestExtendRejectsShareCounts(t *testing.T) {
	x := NewExtender(0)
	for _, n := range []int{0, 2, 3, 5, 8, 15, 17, 24, 100} {
		ods := make([]da.Share, n)
		if _, err := Extend(ods); !errors.Is(err, ErrShareCount) {
			t.Errorf("Extend(%d shares) error %v, want ErrShareCount", n, err)
		}
		if e, d, err := x.ExtendAndCommit(ods); !errors.Is(err, ErrShareCount) || e != nil || d != nil {
			t.Errorf("ExtendAndCommit(%d shares) = %v, %v, %v; want ErrShareCount", n, e, d, err)
		}
	}
}

// xtSetNamespace overwrites the namespace of a share.
func xtSetNamespace(s *da.Share, last byte) {
	var ns da.Namespace
	ns[da.NamespaceSize-1] = last
	ns[da.NamespaceSize-2] = 1 // not reserved
	copy(s[:], ns[:])
}

// A Q0 row or column out of namespace order fails, naming the axis and
// index that the reference order (row 0, column 0, row 1, …) meets first,
// whichever worker finds it; it never panics.
func TestCommitRejectsUnsortedNamespaces(t *testing.T) {
	const k = 8
	base := func() []da.Share {
		ods := make([]da.Share, k*k)
		for i := range ods {
			xtSetNamespace(&ods[i], byte(10+2*i))
		}
		return ods
	}
	cases := []struct {
		name   string
		break_ func(ods []da.Share)
		want   string
	}{
		{"row", func(o []da.Share) { xtSetNamespace(&o[3*k+5], 0) }, "row 3"},
		{"row first cell", func(o []da.Share) { xtSetNamespace(&o[6*k+1], byte(10+2*(6*k))-1) }, "row 6"},
		{"column", func(o []da.Share) {
			// Row 5 stays sorted but sits below row 4 in every column.
			for c := range k {
				xtSetNamespace(&o[5*k+c], byte(10+2*(3*k)+c))
			}
		}, "col 0"},
		{"row and column", func(o []da.Share) {
			xtSetNamespace(&o[6*k+6], 0) // row 6 and column 6
			// Column 1 only: row 2 rises above row 3 from cell 1 on.
			for c := 1; c < k; c++ {
				xtSetNamespace(&o[2*k+c], byte(10+2*(3*k+1))+1)
			}
		}, "col 1"},
		// nmt refuses any decreasing push, even after a Q0 share that
		// claims the parity namespace.
		{"after parity namespace", func(o []da.Share) {
			copy(o[4*k+2][:], da.ParityNamespace[:])
		}, "col 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ods := base()
			tc.break_(ods)
			e := xtRefExtend(t, ods)
			_, refErr := xtRefCommit(e)
			if refErr == nil || !strings.Contains(refErr.Error(), tc.want+":") {
				t.Fatalf("reference error %v, want one naming %q: the test case is wrong", refErr, tc.want)
			}
			for _, workers := range []int{1, 2, 4} {
				x := NewExtender(workers)
				d, err := x.Commit(e)
				if d != nil || !errors.Is(err, da.ErrUnsortedNamespace) || !errors.Is(err, da.ErrNMTNode) {
					t.Fatalf("workers=%d: Commit = %v, %v; want da.ErrUnsortedNamespace", workers, d, err)
				}
				if !strings.Contains(err.Error(), "erasure: "+tc.want+":") {
					t.Fatalf("workers=%d: error %q does not name %s", workers, err, tc.want)
				}
				e2, d2, err2 := x.ExtendAndCommit(ods)
				if e2 != nil || d2 != nil || err2 == nil || err2.Error() != err.Error() {
					t.Fatalf("workers=%d: ExtendAndCommit = %v, %v, %v; want the error %q", workers, e2, d2, err2, err)
				}
			}
			if _, err := Commit(e); !errors.Is(err, da.ErrUnsortedNamespace) {
				t.Fatalf("package Commit error %v", err)
			}
			var axis Axis
			var idx int
			if strings.HasPrefix(tc.want, "row") {
				fmt.Sscanf(tc.want, "row %d", &idx)
			} else {
				axis = Col
				fmt.Sscanf(tc.want, "col %d", &idx)
			}
			cells := e.Axis(axis, idx, make([]da.Share, 2*k))
			if _, err := AxisRoot(da.NewNMTHasher(), k, axis, idx, cells); !errors.Is(err, da.ErrUnsortedNamespace) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AxisRoot error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

type xtBlockVector struct {
	K              int      `json:"k"`
	ODSShares      []string `json:"ods_shares"`
	EDSShares      []string `json:"eds_shares"`
	RowRoots       []string `json:"row_roots"`
	ColRoots       []string `json:"col_roots"`
	DataRoot       string   `json:"data_root"`
	HeaderDataHash string   `json:"header_data_hash"`
}

func xtShares(t *testing.T, hexes []string) []da.Share {
	t.Helper()
	out := make([]da.Share, len(hexes))
	for i, s := range hexes {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = da.ShareFromBytes(b); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The real Mocha block and the empty block reproduce their roots and data
// root (SPEC §9) on every path.
func TestBlockVectors(t *testing.T) {
	for _, name := range []string{"mocha_block_10383867.json", "empty_block.json"} {
		t.Run(name, func(t *testing.T) {
			var v xtBlockVector
			vectors.Load(t, name, &v)
			ods := xtShares(t, v.ODSShares)
			if len(ods) != v.K*v.K {
				t.Fatalf("%d ODS shares for k=%d", len(ods), v.K)
			}
			e, d, err := NewExtender(0).ExtendAndCommit(ods)
			if err != nil {
				t.Fatal(err)
			}
			if v.EDSShares != nil {
				want, err := NewEDS(v.K, xtShares(t, v.EDSShares))
				if err != nil {
					t.Fatal(err)
				}
				xtSameEDS(t, e, want)
				d2, err := Commit(want)
				if err != nil {
					t.Fatal(err)
				}
				xtSameDAH(t, d2, d)
			}
			for i := range d.RowRoots {
				if got := hex.EncodeToString(d.RowRoots[i][:]); got != v.RowRoots[i] {
					t.Fatalf("row root %d\n got %s\nwant %s", i, got, v.RowRoots[i])
				}
				if got := hex.EncodeToString(d.ColRoots[i][:]); got != v.ColRoots[i] {
					t.Fatalf("column root %d\n got %s\nwant %s", i, got, v.ColRoots[i])
				}
			}
			root := d.DataRoot()
			if got := hex.EncodeToString(root[:]); got != v.DataRoot {
				t.Fatalf("data root %s, want %s", got, v.DataRoot)
			}
			if v.HeaderDataHash != "" && v.HeaderDataHash != v.DataRoot {
				t.Fatalf("vector file disagrees with itself: data root %s, header data hash %s", v.DataRoot, v.HeaderDataHash)
			}
		})
	}
}

// FuzzCommit feeds untrusted squares (k = 2, cells from the fuzzer) to
// Commit: it never panics, and it agrees with the reference, roots or
// error.
func FuzzCommit(f *testing.F) {
	f.Add([]byte{0}, uint8(0))
	f.Add(bytes.Repeat([]byte{0xFF}, 64), uint8(3))
	f.Add([]byte("\x00\x00\x00\x05\x00\x00\x00\x01"), uint8(9))
	f.Fuzz(func(t *testing.T, seed []byte, shape uint8) {
		const k = 2
		cells := make([]da.Share, 4*k*k)
		for i := range cells {
			for j := range cells[i] {
				if len(seed) > 0 {
					cells[i][j] = seed[(i*7+j)%len(seed)] + byte(i*int(shape))
				}
			}
		}
		e, err := NewEDS(k, cells)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := xtRefCommit(e)
		got, err := NewExtender(2).Commit(e)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Commit error %v, reference error %v", err, wantErr)
		}
		if err != nil {
			if !errors.Is(err, da.ErrUnsortedNamespace) {
				t.Fatalf("Commit error %v is not da.ErrUnsortedNamespace", err)
			}
			return
		}
		xtSameDAH(t, got, want)
	})
}

// The ODS views and bytes of an EDS are its first k cells of its first k
// rows, in order, for every width.
func TestODSFormsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 2, 8, 32} {
		ods := xtRandomODS(rng, k)
		e, err := Extend(ods)
		if err != nil {
			t.Fatal(err)
		}
		rows := e.ODSRows()
		if len(rows) != k {
			t.Fatalf("k=%d: %d rows", k, len(rows))
		}
		var flat []da.Share
		for r, row := range rows {
			if len(row) != k || cap(row) != k {
				t.Fatalf("k=%d: row %d has len %d cap %d, want %d", k, r, len(row), cap(row), k)
			}
			flat = append(flat, row...)
		}
		if !slices.Equal(flat, ods) || !slices.Equal(e.ODS(), ods) {
			t.Fatalf("k=%d: ODS rows or copy differ from the square extended", k)
		}
		b := e.ODSBytes()
		if len(b) != k*k*da.ShareSize {
			t.Fatalf("k=%d: %d bytes", k, len(b))
		}
		for i := range ods {
			if !bytes.Equal(b[i*da.ShareSize:(i+1)*da.ShareSize], ods[i][:]) {
				t.Fatalf("k=%d: share %d differs in ODSBytes", k, i)
			}
		}
	}
}

// Squares handed to Spares are extended into by the Extenders using it,
// from any goroutine, with results equal to fresh ones; Spares keeps
// only the largest squares, as many as it was made for, and a square
// put there is no longer usable.
func TestSpares(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	sp := NewSpares(2)
	xs := []*Extender{NewExtender(1), NewExtender(2)}
	for _, x := range xs {
		x.UseSpares(sp)
	}
	odss := map[int][]da.Share{}
	for _, k := range []int{4, 8, 16} {
		odss[k] = xtRandomODS(rng, k)
	}
	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Go(func() {
			for j, k := range []int{16, 4, 8, 16, 8, 4} {
				ods := odss[k]
				e, d, err := x.ExtendAndCommit(ods)
				if err != nil {
					t.Error(err)
					return
				}
				fresh, fd, err := NewExtender(1).ExtendAndCommit(ods)
				if err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(e.Shares(), fresh.Shares()) || d.DataRoot() != fd.DataRoot() {
					t.Errorf("extender %d, square %d (k=%d): a square extended into a spare differs from a fresh one", i, j, k)
				}
				for c := range e.Shares() {
					e.Shares()[c][c%da.ShareSize] ^= 0xA5 // stale bytes the next use must overwrite
				}
				sp.Put(e)
				if e.Shares() != nil {
					t.Error("Put left the square usable")
				}
			}
		})
	}
	wg.Wait()
	if n := sp.Len(); n > 2 {
		t.Fatalf("Spares of 2 keeps %d squares", n)
	}
	sp = NewSpares(2)
	for _, k := range []int{16, 4, 8, 16} {
		e, err := NewEDS(k, make([]da.Share, 4*k*k))
		if err != nil {
			t.Fatal(err)
		}
		sp.Put(e)
	}
	// The two kept are the largest, k = 16, which are not taken for a
	// k = 4 square (16 times smaller) but are for a k = 8 one.
	if sp.take(4*4*4) != nil {
		t.Fatal("a k = 16 square was taken for a k = 4 one")
	}
	if sp.take(4*8*8) == nil || sp.take(4*16*16) == nil {
		t.Fatal("Spares dropped a k = 16 square and kept a smaller one")
	}
	if sp.Len() != 0 || sp.take(1) != nil {
		t.Fatal("Spares hands out more squares than it was given")
	}
	sp.Put(nil)
	var none *Spares
	none.Put(&EDS{})
	if none.take(1) != nil {
		t.Fatal("nil Spares handed out a square")
	}
}
