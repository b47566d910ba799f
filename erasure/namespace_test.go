package erasure

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// queryNamespaces lists namespaces worth asking about in a square: every
// namespace in the ODS, one just below and just above each, and a few
// fixed ones (below everything, reserved padding, tail padding).
func queryNamespaces(eds *EDS) []da.Namespace {
	seen := map[da.Namespace]bool{}
	var out []da.Namespace
	add := func(ns da.Namespace) {
		if !seen[ns] && ns != da.ParityNamespace {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	add(da.Namespace{})
	add(da.PrimaryReservedPaddingNamespace)
	add(da.TailPaddingNamespace)
	add(da.MinSecondaryReservedNamespace)
	for _, s := range eds.ODS() {
		ns := s.Namespace()
		add(ns)
		below, above := ns, ns
		below[da.NamespaceSize-1]--
		above[da.NamespaceSize-1]++
		add(below)
		add(above)
	}
	return out
}

func odsSharesOf(eds *EDS, ns da.Namespace) []da.Share {
	var out []da.Share
	for _, s := range eds.ODS() {
		if s.Namespace() == ns {
			out = append(out, s)
		}
	}
	return out
}

func cloneNamespaceData(n *NamespaceData) *NamespaceData {
	b, err := n.MarshalBinary()
	if err != nil {
		panic(err)
	}
	var c NamespaceData
	if err := c.UnmarshalBinary(b); err != nil {
		panic(err)
	}
	return &c
}

func TestNamespaceDataProperties(t *testing.T) {
	for _, k := range []int{1, 2, 4, 8, 16} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 71))
			eds, dah, _ := randomSquare(t, rng, k)
			dataRoot := dah.DataRoot()
			p, err := NewProver(eds, dah)
			if err != nil {
				t.Fatal(err)
			}
			// kinds counts the shapes of answer seen, so the test fails if
			// the random squares stop exercising one of them.
			kinds := map[string]int{}
			defer func() {
				if k >= 4 && (kinds["multi-row"] == 0 || kinds["absence"] == 0 || kinds["between rows"] == 0 || kinds["single row"] == 0) {
					t.Errorf("answer shapes not all exercised: %v", kinds)
				}
			}()
			for _, ns := range queryNamespaces(eds) {
				nd, err := p.NamespaceData(ns)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case len(nd.Rows) == 0:
					kinds["between rows"]++
				case nd.Rows[0].Proof.LeafHash != nil:
					kinds["absence"]++
				case len(nd.Rows) > 1:
					kinds["multi-row"]++
				default:
					kinds["single row"]++
				}
				if err := nd.Verify(dataRoot, k); err != nil {
					t.Fatalf("ns %s: %v", ns, err)
				}
				want := odsSharesOf(eds, ns)
				if got := nd.Shares(); !slices.Equal(got, want) {
					t.Fatalf("ns %s: %d shares, want %d", ns, len(got), len(want))
				}
				if len(want) > 0 {
					fi := nd.FirstIndex(k)
					if fi < 0 || eds.ODS()[fi] != want[0] || (fi > 0 && eds.ODS()[fi-1].Namespace() == ns) {
						t.Fatalf("ns %s: first index %d", ns, fi)
					}
				} else if nd.FirstIndex(k) != -1 {
					t.Fatalf("ns %s: first index of nothing", ns)
				}
				b, err := nd.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				var dec NamespaceData
				if err := dec.UnmarshalBinary(b); err != nil {
					t.Fatalf("ns %s: decode: %v", ns, err)
				}
				if err := dec.Verify(dataRoot, k); err != nil {
					t.Fatalf("ns %s: decoded: %v", ns, err)
				}
				if b2, _ := dec.MarshalBinary(); !bytes.Equal(b, b2) {
					t.Fatal("encoding does not round-trip")
				}
				for name, bad := range namespaceMutations(t, p, nd, k) {
					if err := bad.Verify(dataRoot, k); err == nil {
						t.Fatalf("ns %s: %s accepted", ns, name)
					}
				}
				if err := nd.Verify(dataRoot, 2*k); err == nil && k < MaxWidth {
					t.Fatalf("ns %s: accepted for width %d", ns, 2*k)
				}
			}
		})
	}
}

// namespaceMutations lists damaged copies of nd that Verify must reject.
func namespaceMutations(t *testing.T, p *Prover, nd *NamespaceData, k int) map[string]*NamespaceData {
	out := map[string]*NamespaceData{}
	m := func(name string, f func(c *NamespaceData) bool) {
		c := cloneNamespaceData(nd)
		if f(c) {
			out[name] = c
		}
	}
	m("drop first row", func(c *NamespaceData) bool {
		if len(c.Rows) == 0 {
			return false
		}
		c.Rows = c.Rows[1:]
		return true
	})
	m("drop last row", func(c *NamespaceData) bool {
		if len(c.Rows) == 0 {
			return false
		}
		c.Rows = c.Rows[:len(c.Rows)-1]
		return true
	})
	m("drop a share", func(c *NamespaceData) bool {
		for i := range c.Rows {
			if len(c.Rows[i].Shares) > 0 {
				c.Rows[i].Shares = c.Rows[i].Shares[1:]
				c.Rows[i].Proof.Start++
				return true
			}
		}
		return false
	})
	m("drop a share, keep proof", func(c *NamespaceData) bool {
		for i := range c.Rows {
			if n := len(c.Rows[i].Shares); n > 0 {
				c.Rows[i].Shares = c.Rows[i].Shares[:n-1]
				return true
			}
		}
		return false
	})
	m("drop before", func(c *NamespaceData) bool {
		if c.Before == nil {
			return false
		}
		c.Before = nil
		return true
	})
	m("drop after", func(c *NamespaceData) bool {
		if c.After == nil {
			return false
		}
		c.After = nil
		return true
	})
	// Substitute a neighbouring row: the bound or a run row replaced by the
	// row next to it, with valid proofs for that row.
	neighbour := func(r int) (*RowBound, bool) {
		if r < 0 || r >= k {
			return nil, false
		}
		rp, err := p.RootProof(Row, r)
		if err != nil {
			t.Fatal(err)
		}
		return &RowBound{Row: r, Root: p.dah.RowRoots[r], RootProof: rp}, true
	}
	m("before moved up", func(c *NamespaceData) bool {
		if c.Before == nil {
			return false
		}
		b, ok := neighbour(c.Before.Row - 1)
		c.Before = b
		return ok
	})
	m("after moved down", func(c *NamespaceData) bool {
		if c.After == nil {
			return false
		}
		a, ok := neighbour(c.After.Row + 1)
		c.After = a
		return ok
	})
	m("before is a run row", func(c *NamespaceData) bool {
		if len(c.Rows) == 0 {
			return false
		}
		b, _ := neighbour(c.Rows[0].Row)
		c.Before = b
		c.Rows = c.Rows[1:]
		return true
	})
	m("run row replaced by its neighbour", func(c *NamespaceData) bool {
		if len(c.Rows) == 0 || c.Rows[0].Row+1 >= k {
			return false
		}
		r := c.Rows[0].Row + 1
		tr, err := p.tree(Row, r)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := tr.proveNamespace(&c.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		rp, _ := p.RootProof(Row, r)
		row := NamespaceRow{Row: r, Proof: proof, Root: p.dah.RowRoots[r], RootProof: rp}
		if proof.LeafHash == nil && proof.End > proof.Start {
			row.Shares = slices.Clone(p.eds.Row(r)[proof.Start:proof.End])
		}
		c.Rows[0] = row
		return true
	})
	m("namespace", func(c *NamespaceData) bool {
		// With shares present the shares no longer match; an absence
		// answer may legitimately hold for a neighbouring namespace too.
		c.Namespace[da.NamespaceSize-1] ^= 1
		return len(c.Shares()) > 0
	})
	m("share bit", func(c *NamespaceData) bool {
		for i := range c.Rows {
			if len(c.Rows[i].Shares) > 0 {
				c.Rows[i].Shares[0][100] ^= 4
				return true
			}
		}
		return false
	})
	m("root proof aunt", func(c *NamespaceData) bool {
		if len(c.Rows) == 0 || len(c.Rows[0].RootProof.Aunts) == 0 {
			return false
		}
		c.Rows[0].RootProof.Aunts[0][5] ^= 1
		return true
	})
	m("bound root", func(c *NamespaceData) bool {
		if c.After == nil {
			return false
		}
		c.After.Root[da.NMTNodeSize-1] ^= 1
		return true
	})
	return out
}

// TestNamespaceDataAcrossRows checks the completeness argument where a
// namespace spans several rows and where it falls between two rows.
func TestNamespaceDataAcrossRows(t *testing.T) {
	const k = 4
	ns := func(b byte) da.Namespace {
		n, _ := da.NewV0Namespace([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, b})
		return n
	}
	var ods []da.Share
	// Row 0: a a a b; rows 1–2: b…; row 3: b c c, then tail padding.
	layout := []byte{2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 8}
	for i, b := range layout {
		var s da.Share
		n := ns(b)
		copy(s[:], n[:])
		s[29] = 1
		s[40] = byte(i)
		ods = append(ods, s)
	}
	ods = append(ods, da.TailPaddingShare())
	eds, err := Extend(ods)
	if err != nil {
		t.Fatal(err)
	}
	dah := mustCommit(t, eds)
	dataRoot := dah.DataRoot()
	for _, c := range []struct {
		b              byte
		shares         int
		rows           []int
		before, after  int // -1: none
		absenceOnFirst bool
	}{
		{2, 3, []int{0}, -1, 1, false},
		{4, 10, []int{0, 1, 2, 3}, -1, -1, false},
		{3, 0, []int{0}, -1, 1, true},
		{6, 0, []int{3}, 2, -1, true},
		{1, 0, nil, -1, 0, false},
		{9, 0, []int{3}, 2, -1, true}, // tail padding above 9 in row 3
	} {
		nd, err := NewNamespaceData(eds, dah, ns(c.b))
		if err != nil {
			t.Fatal(err)
		}
		var rows []int
		for _, r := range nd.Rows {
			rows = append(rows, r.Row)
		}
		rowOf := func(b *RowBound) int {
			if b == nil {
				return -1
			}
			return b.Row
		}
		if !slices.Equal(rows, c.rows) || rowOf(nd.Before) != c.before || rowOf(nd.After) != c.after || len(nd.Shares()) != c.shares {
			t.Fatalf("ns %d: rows %v before %d after %d shares %d", c.b, rows, rowOf(nd.Before), rowOf(nd.After), len(nd.Shares()))
		}
		if c.absenceOnFirst && nd.Rows[0].Proof.LeafHash == nil {
			t.Fatalf("ns %d: want an absence proof", c.b)
		}
		if err := nd.Verify(dataRoot, k); err != nil {
			t.Fatalf("ns %d: %v", c.b, err)
		}
	}
	// A run that stops one row early is caught by the After bound.
	nd, _ := NewNamespaceData(eds, dah, ns(4))
	rp, _ := ProveRoot(dah, Row, 3)
	short := cloneNamespaceData(nd)
	short.Rows = short.Rows[:3]
	short.After = &RowBound{Row: 3, Root: dah.RowRoots[3], RootProof: rp}
	if err := short.Verify(dataRoot, k); !errors.Is(err, ErrNamespaceIncomplete) {
		t.Fatalf("run cut short: %v", err)
	}
}

func TestNamespaceDataDecodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	eds, dah, blobs := randomSquare(t, rng, 4)
	nd, err := NewNamespaceData(eds, dah, blobs[0].ns)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := nd.MarshalBinary()
	for name, c := range map[string][]byte{
		"empty":    nil,
		"version":  append([]byte{9}, b[1:]...),
		"short":    b[:len(b)-1],
		"trailing": append(slices.Clone(b), 0),
		"flags":    append(append(slices.Clone(b[:30]), 0x80), b[31:]...),
	} {
		var d NamespaceData
		if err := d.UnmarshalBinary(c); !errors.Is(err, ErrProofEncoding) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
