package erasure

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestReconstructRestores(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ks := []int{1, 2, 4, 8, 16, 32}
	if !testing.Short() {
		ks = append(ks, 128)
	}
	for _, k := range ks {
		e, d := rpSquare(t, rng, k)
		pats := rpPatterns(rng, k)
		// A random set of at least 3k² cells: what light nodes together
		// hold. Above (k+1)² cells missing is not enough to withhold, but
		// iterative decoding can still stall on an unlucky set; this seed
		// gives sets that decode.
		w := 2 * k
		random := rpPick(rng, w*w, min(w*w, 3*k*k+k))
		pats["random≥3k²"] = func(r, c int) bool { return random[r*w+c] }
		names := make([]string, 0, len(pats))
		for n := range pats {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, name := range names {
			if k == 128 && name != "Q0" && name != "Q3" && name != "k×k-grid" {
				continue
			}
			t.Run(fmt.Sprintf("k=%d/%s", k, name), func(t *testing.T) {
				p := rpPartial(t, e, pats[name])
				got, err := p.Reconstruct()
				if err != nil {
					t.Fatalf("Reconstruct: %v", err)
				}
				rpCheckRestored(t, p, e)
				if got != nil && got.Width() != k {
					t.Fatalf("width %d, want %d", got.Width(), k)
				}
				// The caller's check: the result commits to the data root.
				d2, err := Commit(got)
				if err != nil {
					t.Fatal(err)
				}
				if d2.DataRoot() != d.DataRoot() {
					t.Fatal("reconstructed square commits to another data root")
				}
			})
		}
	}
}

func TestReconstructUnrepairable(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range []int{1, 2, 4, 8, 16} {
		e, _ := rpSquare(t, rng, k)
		w := 2 * k
		br, bc := rpPick(rng, w, k+1), rpPick(rng, w, k+1)
		rows := rpPick(rng, w, k-1)
		cases := map[string]func(r, c int) bool{
			"(k+1)²-block": func(r, c int) bool { return !(br[r] && bc[c]) },
			"k-1 rows":     func(r, c int) bool { return rows[r] },
			"nothing":      func(r, c int) bool { return false },
		}
		for name, keep := range cases {
			t.Run(fmt.Sprintf("k=%d/%s", k, name), func(t *testing.T) {
				p := rpPartial(t, e, keep)
				got, err := p.Reconstruct()
				if !errors.Is(err, ErrUnrepairable) || got != nil {
					t.Fatalf("Reconstruct = %v, %v; want nil, ErrUnrepairable", got, err)
				}
				var be *ByzantineError
				if errors.As(err, &be) {
					t.Fatalf("honest cells reported byzantine: %v", be)
				}
				rpCheckOnlyTrueCells(t, p, e, keep)
			})
		}
	}
}

// A complete square that is not a codeword is refused: without roots, the
// codeword checks are all that stands between a peer's bad cell and a
// wrong square.
func TestReconstructRejectsNonCodeword(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, k := range []int{2, 4, 8} {
		e, _ := rpSquare(t, rng, k)
		w := 2 * k
		// Every cell, one of them altered.
		p := PartialFromEDS(e)
		r, c := rng.IntN(w), rng.IntN(w)
		bad := *e.Cell(r, c)
		bad[len(bad)-1] ^= 1
		if err := p.Set(r, c, &bad); err != nil {
			t.Fatal(err)
		}
		if got, err := p.Reconstruct(); !errors.Is(err, ErrByzantineData) || got != nil {
			t.Fatalf("k=%d: altered complete square: %v, %v; want ErrByzantineData", k, got, err)
		}
		// k+1 full rows, one altered: decoding the columns from more than
		// k cells meets the contradiction.
		rows := rpPick(rng, w, k+1)
		p = rpPartial(t, e, func(r, c int) bool { return rows[r] })
		row := w
		for r := range rows {
			row = min(row, r)
		}
		if err := p.Set(row, c, &bad); err != nil {
			t.Fatal(err)
		}
		if got, err := p.Reconstruct(); err == nil || got != nil {
			t.Fatalf("k=%d: k+1 rows with a bad cell reconstructed: %v", k, err)
		}
	}
}

// Property: whatever subset of an honest square is present, Reconstruct
// either returns exactly the original or fails with ErrUnrepairable, and
// never changes or drops a present cell.
func TestReconstructPropertyNeverWrong(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	runs := 300
	if testing.Short() {
		runs = 60
	}
	squares := map[int]*EDS{}
	for _, k := range []int{1, 2, 4, 8} {
		squares[k], _ = rpSquare(t, rng, k)
	}
	done := 0
	for i := range runs {
		k := []int{1, 2, 4, 8}[rng.IntN(4)]
		e := squares[k]
		w := 2 * k
		keep := rpPick(rng, w*w, rng.IntN(w*w+1))
		in := func(r, c int) bool { return keep[r*w+c] }
		p := rpPartial(t, e, in)
		got, err := p.Reconstruct()
		switch {
		case err == nil:
			rpCheckRestored(t, p, e)
			if got == nil {
				t.Fatalf("run %d: nil square without an error", i)
			}
			done++
		case errors.Is(err, ErrUnrepairable):
			var be *ByzantineError
			if errors.As(err, &be) {
				t.Fatalf("run %d: honest cells reported byzantine: %v", i, be)
			}
			rpCheckOnlyTrueCells(t, p, e, in)
		default:
			t.Fatalf("run %d (k=%d, %d cells): %v", i, k, len(keep), err)
		}
	}
	if done == 0 || done == runs {
		t.Fatalf("%d of %d runs reconstructed: the property was not exercised both ways", done, runs)
	}
}

func FuzzReconstruct(f *testing.F) {
	rng := rand.New(rand.NewPCG(19, 20))
	e, _ := rpSquare(f, rng, 4)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint16(0))
	f.Add([]byte{0x0f, 0x0f, 0x0f, 0x0f, 0xf0, 0xf0, 0xf0, 0xf0}, uint16(3))
	f.Fuzz(func(t *testing.T, mask []byte, flip uint16) {
		const w = 8
		in := func(r, c int) bool {
			i := r*w + c
			return i/8 < len(mask) && mask[i/8]>>(i%8)&1 == 1
		}
		p := rpPartial(t, e, in)
		// Optionally one present cell altered (flip > 0 picks it): the
		// result must then never be returned unless it is a valid square
		// through that cell.
		var br, bc int = -1, -1
		if flip > 0 {
			i := int(flip-1) % (w * w)
			if in(i/w, i%w) {
				br, bc = i/w, i%w
				bad := *e.Cell(br, bc)
				bad[100] ^= byte(flip>>8) | 1
				_ = p.Set(br, bc, &bad)
			}
		}
		before := make(map[[2]int][512]byte)
		for r := range w {
			for c := range w {
				if p.Has(r, c) {
					before[[2]int{r, c}] = *p.Cell(r, c)
				}
			}
		}
		got, err := p.Reconstruct()
		for rc, s := range before {
			if !p.Has(rc[0], rc[1]) || *p.Cell(rc[0], rc[1]) != s {
				t.Fatalf("present cell %v changed or dropped", rc)
			}
		}
		if err != nil {
			if br < 0 && !errors.Is(err, ErrUnrepairable) {
				t.Fatalf("honest cells: %v", err)
			}
			return
		}
		if br < 0 {
			rpCheckRestored(t, p, e)
			return
		}
		// Altered cell and still a square: it must be a valid EDS.
		if _, err := PartialFromEDS(got).Reconstruct(); err != nil {
			t.Fatalf("returned square is not a codeword everywhere: %v", err)
		}
	})
}

// DecodeSampleBatchUpTo (samplebatch.go) is tested here, beside the
// repair from held samples that it decodes for.
func TestSampleBatchDecodeUpTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	eds, dah, _ := randomSquare(t, rng, 8)
	p, err := NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 9} {
		ss := batchOf(t, rng, p, n)
		b, err := AppendSampleBatch(nil, ss)
		if err != nil {
			t.Fatal(err)
		}
		for _, max := range []int{n, n + 1, 256} {
			got, err := DecodeSampleBatchUpTo(b, max)
			if err != nil {
				t.Fatalf("%d samples, at most %d: %v", n, max, err)
			}
			if !reflect.DeepEqual(got, ss) && !(n == 0 && len(got) == 0) {
				t.Fatalf("%d samples, at most %d: the batch changed", n, max)
			}
		}
		if n > 0 {
			if _, err := DecodeSampleBatchUpTo(b, n-1); !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("%d samples, at most %d: %v, want ErrProofEncoding", n, n-1, err)
			}
		}
		// Truncated or with trailing bytes: refused like DecodeSampleBatch.
		if _, err := DecodeSampleBatchUpTo(b[:len(b)-1], 256); !errors.Is(err, ErrProofEncoding) {
			t.Fatalf("truncated batch: %v", err)
		}
		if _, err := DecodeSampleBatchUpTo(append(b, 0), 256); !errors.Is(err, ErrProofEncoding) {
			t.Fatalf("trailing byte: %v", err)
		}
	}
	// A header claiming more samples than the bound fails before any
	// allocation for them.
	if _, err := DecodeSampleBatchUpTo([]byte{2, 0, 8, 0xff, 0xff, 0, 0}, 256); !errors.Is(err, ErrProofEncoding) {
		t.Fatalf("65535 samples claimed: %v", err)
	}
}

func FuzzDecodeSampleBatchUpTo(f *testing.F) {
	rng := rand.New(rand.NewPCG(23, 24))
	_, _, _, p := fuzzSquare(f)
	for _, n := range []int{0, 2} {
		b, err := AppendSampleBatch(nil, batchOf(f, rng, p, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(4))
	}
	f.Fuzz(func(t *testing.T, b []byte, max uint16) {
		ss, err := DecodeSampleBatchUpTo(b, int(max))
		if err != nil {
			return
		}
		if len(ss) > int(max) {
			t.Fatalf("%d samples, at most %d", len(ss), max)
		}
		// Same bytes, known count: the two decoders agree.
		again, err := DecodeSampleBatch(b, len(ss))
		if err != nil || !reflect.DeepEqual(again, ss) {
			t.Fatalf("DecodeSampleBatch disagrees: %v", err)
		}
	})
}
