package erasure

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// bfCase is a square committed with one bad cell, a partial copy of it
// that Repair found byzantine, and the proof built from that.
type bfCase struct {
	name   string
	k      int
	bad    *EDS
	dah    *DAH
	p      *PartialEDS
	berr   *ByzantineError
	proof  *BadEncodingProof
	r0, c0 int
}

// bfCases corrupts one cell per quadrant and withholds either part of its
// row (the row is decoded and caught) or k+1 cells of its row (its column
// is), as TestRepairFindsBadEncoding does, and builds the proofs.
func bfCases(t testing.TB, rng *rand.Rand, ks []int) []bfCase {
	t.Helper()
	var out []bfCase
	for _, k := range ks {
		e, _ := rpSquare(t, rng, k)
		w := 2 * k
		cells := rpCorruptCells(rng, k)
		for _, quad := range []string{"Q0", "Q1", "Q2", "Q3"} {
			r0, c0 := cells[quad][0], cells[quad][1]
			bad, d := rpCorrupt(t, e, r0, c0)
			others := slices.DeleteFunc(rng.Perm(w), func(c int) bool { return c == c0 })
			for _, holes := range []int{1 + rng.IntN(k), k + 1} {
				drop := map[int]bool{c0: true}
				for _, c := range others[:holes-1] {
					drop[c] = true
				}
				p := rpPartial(t, bad, func(r, c int) bool { return r != r0 || !drop[c] })
				err := p.Repair(d)
				var be *ByzantineError
				if !errors.As(err, &be) {
					t.Fatalf("k=%d %s: Repair = %v, want *ByzantineError", k, quad, err)
				}
				hh := [32]byte{byte(k), 7}
				proof, err := NewBadEncodingProof(be, p, d, uint64(1000+k), hh)
				if err != nil {
					t.Fatalf("k=%d %s %s %d: NewBadEncodingProof: %v", k, quad, be.Axis, be.Index, err)
				}
				out = append(out, bfCase{
					name: fmt.Sprintf("k=%d/%s/%s", k, quad, be.Axis), k: k,
					bad: bad, dah: d, p: p, berr: be, proof: proof, r0: r0, c0: c0,
				})
			}
		}
	}
	return out
}

func TestBadEncodingProofVerifies(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range bfCases(t, rng, []int{1, 2, 4, 8, 16}) {
		t.Run(c.name, func(t *testing.T) {
			root := c.dah.DataRoot()
			if err := c.proof.Verify(root, c.k); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.proof.Height != uint64(1000+c.k) || c.proof.HeaderHash[0] != byte(c.k) {
				t.Fatal("height or header hash not carried")
			}
			n := 0
			for j, s := range c.proof.Shares {
				if s == nil {
					continue
				}
				n++
				// Each share is proven against the orthogonal axis.
				if s.Axis == c.proof.Axis {
					t.Fatalf("position %d proven along the faulty axis although its orthogonal axis was whole", j)
				}
			}
			if n != c.k {
				t.Fatalf("%d shares, want k = %d", n, c.k)
			}
			// Another data root or width: invalid.
			other := root
			other[0] ^= 1
			if err := c.proof.Verify(other, c.k); !errors.Is(err, ErrFraudProofInvalid) {
				t.Fatalf("other data root: %v", err)
			}
			if err := c.proof.Verify(root, 2*c.k); !errors.Is(err, ErrFraudProofInvalid) {
				t.Fatalf("other width: %v", err)
			}
			// Round trip.
			b, err := c.proof.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var got BadEncodingProof
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			b2, err := got.MarshalBinary()
			if err != nil || !slices.Equal(b, b2) {
				t.Fatalf("re-encoding differs (%v)", err)
			}
			if err := got.Verify(root, c.k); err != nil {
				t.Fatalf("decoded proof: %v", err)
			}
			if got.Height != c.proof.Height || got.HeaderHash != c.proof.HeaderHash || got.Axis != c.proof.Axis || got.Index != c.proof.Index {
				t.Fatal("decoded header fields differ")
			}
			if len(b) > MaxBadEncodingProofSize {
				t.Fatalf("%d bytes above MaxBadEncodingProofSize", len(b))
			}
			// Trailing or missing bytes.
			if err := got.UnmarshalBinary(append(b, 0)); !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("trailing byte: %v", err)
			}
			if err := got.UnmarshalBinary(b[:len(b)-1]); !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("missing byte: %v", err)
			}
		})
	}
}

// Every bit of the encoding but those of Height and HeaderHash (which the
// node checks against its header) matters: flipping one makes the proof
// fail to decode or to verify.
func TestBadEncodingProofEveryBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	cases := bfCases(t, rng, []int{2, 4})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := c.dah.DataRoot()
			b, err := c.proof.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			const headerFields = 1 + 8 + 32 // version, height, header hash
			for i := range len(b) {
				if i >= 1 && i < headerFields {
					continue
				}
				for _, bit := range []int{rng.IntN(8), rng.IntN(8)} {
					m := slices.Clone(b)
					m[i] ^= 1 << bit
					var got BadEncodingProof
					if err := got.UnmarshalBinary(m); err != nil {
						if !errors.Is(err, ErrProofEncoding) {
							t.Fatalf("byte %d bit %d: decode error %v does not wrap ErrProofEncoding", i, bit, err)
						}
						continue
					}
					if err := got.Verify(root, c.k); !errors.Is(err, ErrFraudProofInvalid) {
						t.Fatalf("byte %d bit %d flipped: Verify = %v, want ErrFraudProofInvalid", i, bit, err)
					}
				}
			}
		})
	}
}

// Mutations of the decoded structure, beyond bit flips.
func TestBadEncodingProofMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	c := bfCases(t, rng, []int{4})[0]
	root := c.dah.DataRoot()
	clone := func() *BadEncodingProof {
		b, err := c.proof.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var p BadEncodingProof
		if err := p.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	first := slices.IndexFunc(c.proof.Shares, func(s *Sample) bool { return s != nil })
	empty := slices.IndexFunc(c.proof.Shares, func(s *Sample) bool { return s == nil })
	muts := map[string]func(p *BadEncodingProof){
		"drop a share":        func(p *BadEncodingProof) { p.Shares[first] = nil },
		"move a share":        func(p *BadEncodingProof) { p.Shares[empty], p.Shares[first] = p.Shares[first], nil },
		"fewer positions":     func(p *BadEncodingProof) { p.Shares = p.Shares[:len(p.Shares)-1] },
		"other index":         func(p *BadEncodingProof) { p.Index = (p.Index + 1) % (2 * c.k) },
		"other axis":          func(p *BadEncodingProof) { p.Axis ^= 1 },
		"invalid axis":        func(p *BadEncodingProof) { p.Axis = 2 },
		"negative index":      func(p *BadEncodingProof) { p.Index = -1 },
		"share's root":        func(p *BadEncodingProof) { p.Shares[first].Root[80] ^= 1 },
		"share's root proof":  func(p *BadEncodingProof) { p.Shares[first].RootProof.Index++ },
		"share's share":       func(p *BadEncodingProof) { p.Shares[first].Share[300] ^= 1 },
		"share's proof nodes": func(p *BadEncodingProof) { p.Shares[first].Proof.Nodes[0][70] ^= 1 },
		"axis root":           func(p *BadEncodingProof) { p.AxisRoot[70] ^= 1 },
		"axis root proof":     func(p *BadEncodingProof) { p.AxisRootProof.Aunts[0][0] ^= 1 },
		"no shares":           func(p *BadEncodingProof) { clear(p.Shares) },
	}
	for name, mut := range muts {
		t.Run(name, func(t *testing.T) {
			p := clone()
			mut(p)
			if err := p.Verify(root, c.k); !errors.Is(err, ErrFraudProofInvalid) {
				t.Fatalf("Verify = %v, want ErrFraudProofInvalid", err)
			}
		})
	}
	// A nil share among the positions is fine, an extra proven share too.
	p := clone()
	if p.Shares[empty], _ = bfSample(t, c.p, c.dah, c.proof.Axis, c.proof.Index, empty); p.Shares[empty] != nil {
		if err := p.Verify(root, c.k); err != nil {
			t.Fatalf("k+1 shares: %v", err)
		}
	}
}

// bfSample proves the cell at position pos of the axis against its
// orthogonal root, when p holds that orthogonal axis whole.
func bfSample(t testing.TB, p *PartialEDS, d *DAH, a Axis, index, pos int) (*Sample, error) {
	t.Helper()
	row, col, orth := index, pos, Col
	if a == Col {
		row, col, orth = pos, index, Row
	}
	e, err := NewEDS(p.Width(), p.shares)
	if err != nil {
		return nil, err
	}
	prover, err := NewProver(e, d)
	if err != nil {
		return nil, err
	}
	return prover.Sample(row, col, orth)
}

// A proof against an honest square, whatever axis and whichever shares,
// is rejected; NewBadEncodingProof refuses to build one.
func TestBadEncodingProofHonestSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, k := range []int{1, 2, 4, 8, 16} {
		e, d := rpSquare(t, rng, k)
		root := d.DataRoot()
		p := PartialFromEDS(e)
		w := 2 * k
		for _, a := range []Axis{Row, Col} {
			for _, i := range []int{0, rng.IntN(w), w - 1} {
				t.Run(fmt.Sprintf("k=%d/%s=%d", k, a, i), func(t *testing.T) {
					proof, err := buildBadEncodingProof(a, i, p, d, 5, [32]byte{})
					if err != nil {
						t.Fatal(err)
					}
					err = proof.Verify(root, k)
					if !errors.Is(err, ErrFraudProofInvalid) {
						t.Fatalf("Verify = %v, want ErrFraudProofInvalid", err)
					}
					// All 2k shares, or a random k of them: still honest.
					full := *proof
					full.Shares = make([]*Sample, w)
					for j := range w {
						if full.Shares[j], err = bfSample(t, p, d, a, i, j); err != nil {
							t.Fatal(err)
						}
					}
					if err := full.Verify(root, k); !errors.Is(err, ErrFraudProofInvalid) {
						t.Fatalf("2k shares: Verify = %v, want ErrFraudProofInvalid", err)
					}
					for _, j := range rng.Perm(w)[:k] {
						full.Shares[j] = nil
					}
					if err := full.Verify(root, k); !errors.Is(err, ErrFraudProofInvalid) {
						t.Fatalf("random k shares: Verify = %v, want ErrFraudProofInvalid", err)
					}
					// The shares of this axis with another axis's root and
					// its (valid) proof to the data root: they decode to
					// another root, but the root is not this axis's.
					other := *proof
					j := (i + 1) % w
					other.AxisRoot = *d.Root(a, j)
					if other.AxisRootProof, err = ProveRoot(d, a, j); err != nil {
						t.Fatal(err)
					}
					if k > 1 && other.AxisRoot != proof.AxisRoot {
						if err := other.Verify(root, k); !errors.Is(err, ErrFraudProofInvalid) {
							t.Fatalf("root of %s %d: Verify = %v, want ErrFraudProofInvalid", a, j, err)
						}
					}
					be := &ByzantineError{Axis: a, Index: i, Shares: make([]*da.Share, w)}
					if _, err := NewBadEncodingProof(be, p, d, 5, [32]byte{}); !errors.Is(err, ErrFraudProofUnavailable) {
						t.Fatalf("NewBadEncodingProof on an honest square: %v, want ErrFraudProofUnavailable", err)
					}
				})
			}
		}
	}
}

// A peer's wrong cell makes Repair report an axis, but no proof can be
// built from it: the cell does not match its roots.
func TestBadEncodingProofFromWrongCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	k := 8
	e, d := rpSquare(t, rng, k)
	p := rpPartial(t, e, func(r, c int) bool { return r >= k && c >= k })
	wrong := *e.Cell(k+1, k+2)
	wrong[200] ^= 1
	if err := p.Set(k+1, k+2, &wrong); err != nil {
		t.Fatal(err)
	}
	err := p.Repair(d)
	var be *ByzantineError
	if !errors.As(err, &be) {
		t.Fatalf("Repair = %v, want *ByzantineError", err)
	}
	if _, err := NewBadEncodingProof(be, p, d, 1, [32]byte{}); !errors.Is(err, ErrFraudProofUnavailable) {
		t.Fatalf("NewBadEncodingProof = %v, want ErrFraudProofUnavailable", err)
	}
}

// Q0 only with a bad Q0 cell: the row and the column through it are both
// bad and nothing else completes them, so fewer than k cells are provable.
func TestBadEncodingProofUnavailable(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	k := 4
	e, _ := rpSquare(t, rng, k)
	bad, d := rpCorrupt(t, e, 1, 2)
	p := rpPartial(t, bad, func(r, c int) bool { return r < k && c < k })
	err := p.Repair(d)
	var be *ByzantineError
	if !errors.As(err, &be) || be.Axis != Row || be.Index != 1 {
		t.Fatalf("Repair = %v, want byzantine row 1", err)
	}
	if _, err := NewBadEncodingProof(be, p, d, 1, [32]byte{}); !errors.Is(err, ErrFraudProofUnavailable) {
		t.Fatalf("NewBadEncodingProof = %v, want ErrFraudProofUnavailable", err)
	}
	// With a bad parity cell the same withholding is provable.
	bad, d = rpCorrupt(t, e, 1, k+2)
	p = rpPartial(t, bad, func(r, c int) bool { return r < k && c < k })
	if err := p.Repair(d); !errors.As(err, &be) || be.Axis != Row || be.Index != 1 {
		t.Fatalf("Repair = %v, want byzantine row 1", err)
	}
	proof, err := NewBadEncodingProof(be, p, d, 1, [32]byte{})
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.Verify(d.DataRoot(), k); err != nil {
		t.Fatal(err)
	}
}

// Unsorted Q0 namespaces after decoding are proof enough.
func TestBadEncodingProofUnsortedNamespaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	k := 4
	e, _ := rpSquare(t, rng, k)
	// Commit to a square whose Q1 cell (0, k) is wrong such that decoding
	// row 0 from its parity half gives Q0 namespaces out of order: build
	// the bad row by encoding an unsorted first half, keep its parity.
	unsorted := slices.Clone(e.Shares())
	bad, err := NewEDS(k, unsorted)
	if err != nil {
		t.Fatal(err)
	}
	row := slices.Clone(bad.Row(0))
	for i := range da.NamespaceSize - 1 {
		row[0][i] = 0xFE
	}
	shards := make([][]byte, 2*k)
	for j := range row {
		shards[j] = row[j][:]
	}
	enc, err := reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(shards); err != nil {
		t.Fatal(err)
	}
	copy(bad.Row(0)[k:], row[k:]) // Q1 of row 0 now encodes an unsorted row
	d, err := Commit(bad)
	if err != nil {
		t.Fatal(err)
	}
	// Hold the parity half of row 0 and everything below it.
	p := rpPartial(t, bad, func(r, c int) bool { return r > 0 || c >= k })
	err = p.Repair(d)
	var be *ByzantineError
	if !errors.As(err, &be) {
		t.Fatalf("Repair = %v, want *ByzantineError", err)
	}
	if be.Axis != Row || be.Index != 0 {
		t.Fatalf("bad axis %s %d, want row 0", be.Axis, be.Index)
	}
	proof, err := buildBadEncodingProof(Row, 0, p, d, 1, [32]byte{})
	if err != nil {
		t.Fatal(err)
	}
	// Keep only the parity half: decoding gives the unsorted first half.
	for j := range k {
		proof.Shares[j] = nil
	}
	for j := k; j < 2*k; j++ {
		if proof.Shares[j] == nil {
			if proof.Shares[j], err = bfSample(t, p, d, Row, 0, j); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := proof.Verify(d.DataRoot(), k); err != nil {
		t.Fatalf("Verify = %v, want valid (unsorted namespaces)", err)
	}
}

func TestBadEncodingProofDecodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	c := bfCases(t, rng, []int{2})[0]
	b, err := c.proof.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	set := func(i int, v byte) []byte { m := slices.Clone(b); m[i] = v; return m }
	cases := map[string][]byte{
		"empty":         nil,
		"short":         b[:befpFixedSize-1],
		"version":       set(0, 2),
		"axis":          set(41, 2),
		"odd positions": set(45, 3),
		"zero width":    set(45, 0),
		"index ≥ 2k":    set(43, 4),
		"aunt count":    set(befpFixedSize-1, befpMaxAunts+1),
		"tag":           set(befpFixedSize+32*len(c.proof.AxisRootProof.Aunts), 2),
		"huge":          make([]byte, MaxBadEncodingProofSize+1),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			var p BadEncodingProof
			if err := p.UnmarshalBinary(m); !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("UnmarshalBinary = %v, want ErrProofEncoding", err)
			}
		})
	}
}
