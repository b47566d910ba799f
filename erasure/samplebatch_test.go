package erasure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// batchOf proves n random cells of a square on their preferred axes.
func batchOf(t testing.TB, rng *rand.Rand, p *Prover, n int) []*Sample {
	t.Helper()
	k := p.Width()
	out := make([]*Sample, n)
	for i := range out {
		row, col := rng.IntN(2*k), rng.IntN(2*k)
		s, err := p.Sample(row, col, PreferredAxis(k, row, col))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func TestSampleBatchRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for _, k := range []int{1, 2, 8, 32} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			eds, dah, _ := randomSquare(t, rng, k)
			p, err := NewProver(eds, dah)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 7, 40} {
				ss := batchOf(t, rng, p, n)
				// Both axes of some cells too: the codec must not care.
				for i := 0; i < n; i += 3 {
					if alt, err := p.Sample(ss[i].Row, ss[i].Col, 1-ss[i].Axis); err == nil {
						ss[i] = alt
					}
				}
				b, err := AppendSampleBatch([]byte("prefix"), ss)
				if err != nil {
					t.Fatal(err)
				}
				if string(b[:6]) != "prefix" || len(b)-6 > MaxSampleBatchSize(n) {
					t.Fatalf("%d samples: %d bytes, bound %d", n, len(b)-6, MaxSampleBatchSize(n))
				}
				got, err := DecodeSampleBatch(b[6:], n)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("%d samples back, want %d", len(got), n)
				}
				for i := range got {
					if !reflect.DeepEqual(got[i], ss[i]) {
						t.Fatalf("sample %d differs after a round trip", i)
					}
					if err := got[i].Verify(dah.DataRoot(), k); err != nil {
						t.Fatalf("sample %d: %v", i, err)
					}
				}
				if _, err := DecodeSampleBatch(b[6:], n+1); !errors.Is(err, ErrProofEncoding) {
					t.Fatalf("a batch of %d read as %d: %v", n, n+1, err)
				}
			}
		})
	}
}

// The batch form is what makes light nodes cheap: at k = 128 a batch of 16
// preferred-axis samples must take at most 72% of their version-1 bytes.
func TestSampleBatchIsCompact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	eds, dah, _ := randomSquare(t, rng, 128)
	p, err := NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	var v1, v2 int
	for range 8 {
		ss := batchOf(t, rng, p, 16)
		for _, s := range ss {
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			v1 += len(b)
		}
		b, err := AppendSampleBatch(nil, ss)
		if err != nil {
			t.Fatal(err)
		}
		v2 += len(b)
	}
	t.Logf("k=128, 16 cells a batch: %d bytes a sample (version 1: %d)", v2/128, v1/128)
	if float64(v2) > 0.72*float64(v1) {
		t.Fatalf("batches take %d bytes, %.0f%% of version 1's %d", v2, 100*float64(v2)/float64(v1), v1)
	}
}

func TestSampleBatchDecodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	eds, dah, _ := randomSquare(t, rng, 8)
	p, err := NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	ss := batchOf(t, rng, p, 5)
	good, err := AppendSampleBatch(nil, ss)
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation fails cleanly.
	for n := range len(good) {
		if _, err := DecodeSampleBatch(good[:n], 5); !errors.Is(err, ErrProofEncoding) {
			t.Fatalf("truncated to %d of %d bytes: %v", n, len(good), err)
		}
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tableEnd := batchHeaderSize + 32*int(binary.BigEndian.Uint16(good[5:]))
	for name, b := range map[string][]byte{
		"version":      mutate(func(b []byte) []byte { b[0] = 1; return b }),
		"trailing":     append(bytes.Clone(good), 0),
		"huge table":   mutate(func(b []byte) []byte { b[5], b[6] = 0xff, 0xff; return b }),
		"width 3":      mutate(func(b []byte) []byte { b[2] = 3; return b }),
		"width 0":      mutate(func(b []byte) []byte { b[2] = 0; return b }),
		"cell outside": mutate(func(b []byte) []byte { b[tableEnd+1] = 0xff; return b }),
		"unused tag bits": mutate(func(b []byte) []byte {
			b[tableEnd+5+512+(1+4)/4] |= 1 // k = 8: 5 tags in 2 bytes, the last 6 bits unused
			return b
		}),
		"axis":           mutate(func(b []byte) []byte { b[tableEnd] = 2; return b }),
		"root tag":       mutate(func(b []byte) []byte { b[tableEnd+5+512] = 7; return b }),
		"aunt reference": mutate(func(b []byte) []byte { b[len(b)-2], b[len(b)-1] = 0xff, 0xff; return b }),
	} {
		if _, err := DecodeSampleBatch(b, 5); !errors.Is(err, ErrProofEncoding) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A node whose namespaces are out of order is malformed, whatever its tag.
	bad := *ss[0]
	bad.Root[0], bad.Root[da.NamespaceSize] = 0xff, 0
	b, err := AppendSampleBatch(nil, []*Sample{&bad})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeSampleBatch(b, 1); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("min > max root: %v", err)
	}
	if _, err := AppendSampleBatch(nil, []*Sample{nil}); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("nil sample: %v", err)
	}
	// The batch leaves the proof shape out, so it takes only the shape
	// Verify accepts.
	for name, f := range map[string]func(s *Sample){
		"range":       func(s *Sample) { s.Proof.Start++ },
		"index":       func(s *Sample) { s.RootProof.Index ^= 1 },
		"width":       func(s *Sample) { s.RootProof.Total = 12 },
		"short proof": func(s *Sample) { s.Proof.Nodes = s.Proof.Nodes[1:] },
		"axis":        func(s *Sample) { s.Axis = 2 },
	} {
		odd := cloneSample(ss[1])
		f(odd)
		if _, err := AppendSampleBatch(nil, []*Sample{ss[0], odd}); !errors.Is(err, ErrProofEncoding) {
			t.Errorf("non-canonical %s: %v", name, err)
		}
	}
}

func FuzzDecodeSampleBatch(f *testing.F) {
	_, dah, _, p := fuzzSquare(f)
	dataRoot := dah.DataRoot()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3} {
		b, err := AppendSampleBatch(nil, batchOf(f, rng, p, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(n))
	}
	f.Add([]byte{2, 0, 1, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		ss, err := DecodeSampleBatch(b, int(n))
		if err != nil {
			return
		}
		again, err := AppendSampleBatch(nil, ss)
		if err != nil {
			t.Fatalf("a decoded batch does not encode: %v", err)
		}
		back, err := DecodeSampleBatch(again, int(n))
		if err != nil || !reflect.DeepEqual(back, ss) {
			t.Fatalf("re-encoding changed the batch: %v", err)
		}
		for _, s := range ss {
			if s.Verify(dataRoot, 4) == nil {
				want, err := p.Sample(s.Row, s.Col, s.Axis)
				if err != nil || want.Share != s.Share || want.Root != s.Root {
					t.Fatalf("forged sample accepted at (%d,%d)", s.Row, s.Col)
				}
			}
		}
	})
}
