package erasure

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

// testBlob is where a random blob landed in a test square.
type testBlob struct {
	ns         da.Namespace
	data       []byte
	start, len int // ODS share index and share count
}

// randomSquare builds a sorted blob-only ODS of width k from random blobs
// (namespaces from a small set, so several blobs share one; data of random
// size), placed back to back and followed by tail padding, and extends and
// commits it. It splits blobs with vectors.SplitV0, independently of da's
// square builder.
func randomSquare(t testing.TB, rng *rand.Rand, k int) (*EDS, *DAH, []testBlob) {
	t.Helper()
	n := k * k
	fill := n - rng.IntN(n/2+1)
	nsCount := 1 + k/2 + rng.IntN(2*k)
	nss := make([]da.Namespace, nsCount)
	for i := range nss {
		var id [da.NamespaceV0UserSize]byte
		binary.BigEndian.PutUint64(id[2:], rng.Uint64())
		id[0] = byte(1 + rng.IntN(200)) // stay clear of reserved namespaces
		ns, err := da.NewV0Namespace(id[:])
		if err != nil {
			t.Fatal(err)
		}
		nss[i] = ns
	}
	slices.SortFunc(nss, func(a, b da.Namespace) int { return a.Compare(b) })
	type raw struct {
		ns   da.Namespace
		data []byte
	}
	var raws []raw
	used := 0
	for used < fill {
		// Mostly small blobs, some spanning rows.
		shares := 1 + rng.IntN(2)
		if rng.IntN(3) == 0 {
			shares = 1 + rng.IntN(max(1, min(2*k, fill-used)))
		}
		size := 478 + 482*(shares-1) - rng.IntN(300)
		if size < 1 {
			size = 1
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		got := len(vectors.SplitV0(nss[0], data))
		if used+got > fill {
			break
		}
		raws = append(raws, raw{nss[rng.IntN(nsCount)], data})
		used += got
	}
	slices.SortStableFunc(raws, func(a, b raw) int { return a.ns.Compare(b.ns) })
	ods := make([]da.Share, 0, n)
	var blobs []testBlob
	for _, r := range raws {
		s := vectors.SplitV0(r.ns, r.data)
		blobs = append(blobs, testBlob{ns: r.ns, data: r.data, start: len(ods), len: len(s)})
		ods = append(ods, s...)
	}
	for len(ods) < n {
		ods = append(ods, da.TailPaddingShare())
	}
	eds, err := Extend(ods)
	if err != nil {
		t.Fatal(err)
	}
	dah, err := Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	return eds, dah, blobs
}

func cloneSample(s *Sample) *Sample {
	c := *s
	c.Proof.Nodes = slices.Clone(s.Proof.Nodes)
	c.RootProof.Aunts = slices.Clone(s.RootProof.Aunts)
	return &c
}

func TestSampleVectors(t *testing.T) {
	v, eds, dah := k8Square(t)
	k := v.K
	dataRoot := [32]byte(unhex(t, v.DataRoot))
	p, err := NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range v.ShareSamples {
		for _, c := range []struct {
			axis Axis
			np   vecNMTProof
			root string
			rp   vecMerkleProof
		}{{Row, vs.RowProof, vs.RowRoot, vs.RowRootProof}, {Col, vs.ColProof, vs.ColRoot, vs.ColRootProof}} {
			name := fmt.Sprintf("%s/%d,%d/%s", vs.Quadrant, vs.Row, vs.Col, c.axis)
			want := &Sample{
				Row: vs.Row, Col: vs.Col, Share: da.Share(unhex(t, vs.Share)), Axis: c.axis,
				Proof: c.np.proof(t), Root: unhexNode(t, c.root), RootProof: c.rp.proof(t),
			}
			if err := want.Verify(dataRoot, k); err != nil {
				t.Fatalf("%s: vector sample rejected: %v", name, err)
			}
			got, err := p.Sample(vs.Row, vs.Col, c.axis)
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := got.MarshalBinary()
			wb, _ := want.MarshalBinary()
			if !bytes.Equal(gb, wb) {
				t.Fatalf("%s: sample differs from Celestia's proofs", name)
			}
			one, err := NewSample(eds, dah, vs.Row, vs.Col, c.axis)
			if err != nil {
				t.Fatal(err)
			}
			if ob, _ := one.MarshalBinary(); !bytes.Equal(ob, wb) {
				t.Fatalf("%s: NewSample differs from Prover.Sample", name)
			}
			// Wrong width and wrong data root.
			if err := want.Verify(dataRoot, 2*k); err == nil {
				t.Fatalf("%s: accepted for width %d", name, 2*k)
			}
			bad := dataRoot
			bad[0] ^= 1
			if err := want.Verify(bad, k); !errors.Is(err, ErrProofRoot) {
				t.Fatalf("%s: other data root: %v", name, err)
			}
		}
	}
}

// mutations lists ways to damage a sample, each of which Verify must reject.
func sampleMutations(rng *rand.Rand, s *Sample, k int) map[string]*Sample {
	out := map[string]*Sample{}
	m := func(name string, f func(c *Sample)) {
		c := cloneSample(s)
		f(c)
		out[name] = c
	}
	bit := func(b []byte) { i := rng.IntN(len(b) * 8); b[i/8] ^= 1 << (i % 8) }
	m("share bit", func(c *Sample) { bit(c.Share[:]) })
	m("root bit", func(c *Sample) { bit(c.Root[:]) })
	if len(s.Proof.Nodes) > 0 {
		m("node bit", func(c *Sample) { bit(c.Proof.Nodes[rng.IntN(len(c.Proof.Nodes))][:]) })
		m("node dropped", func(c *Sample) { c.Proof.Nodes = c.Proof.Nodes[1:] })
	}
	m("aunt bit", func(c *Sample) { bit(c.RootProof.Aunts[rng.IntN(len(c.RootProof.Aunts))][:]) })
	m("index", func(c *Sample) { c.RootProof.Index = (c.RootProof.Index + 1 + rng.IntN(4*k-1)) % (4 * k) })
	m("total", func(c *Sample) { c.RootProof.Total *= 2 })
	m("start", func(c *Sample) { c.Proof.Start++ })
	m("end", func(c *Sample) { c.Proof.End++ })
	m("axis", func(c *Sample) { c.Axis ^= 1 })
	m("row", func(c *Sample) { c.Row = (c.Row + 1) % (2 * k) })
	m("col", func(c *Sample) { c.Col = (c.Col + 1) % (2 * k) })
	m("extra node", func(c *Sample) { c.Proof.Nodes = append(c.Proof.Nodes, c.Root) })
	return out
}

func TestSampleProperties(t *testing.T) {
	ks := []int{1, 2, 4, 8, 16, 64}
	if testing.Short() {
		ks = ks[:5]
	}
	for _, k := range ks {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 11))
			eds, dah, _ := randomSquare(t, rng, k)
			dataRoot := dah.DataRoot()
			p, err := NewProver(eds, dah)
			if err != nil {
				t.Fatal(err)
			}
			for row := range 2 * k {
				for col := range 2 * k {
					for _, axis := range []Axis{Row, Col} {
						s, err := p.Sample(row, col, axis)
						if err != nil {
							t.Fatal(err)
						}
						if err := s.Verify(dataRoot, k); err != nil {
							t.Fatalf("(%d,%d) %s: %v", row, col, axis, err)
						}
						b, err := s.MarshalBinary()
						if err != nil {
							t.Fatal(err)
						}
						var d Sample
						if err := d.UnmarshalBinary(b); err != nil {
							t.Fatalf("(%d,%d) %s: decode: %v", row, col, axis, err)
						}
						if err := d.Verify(dataRoot, k); err != nil {
							t.Fatalf("(%d,%d) %s: decoded: %v", row, col, axis, err)
						}
						if b2, _ := d.MarshalBinary(); !bytes.Equal(b, b2) {
							t.Fatal("encoding does not round-trip")
						}
						for name, bad := range sampleMutations(rng, s, k) {
							if k == 1 && (name == "index" || name == "row" || name == "col") && bad.RootProof.Index == s.RootProof.Index && bad.Row == s.Row && bad.Col == s.Col {
								continue
							}
							if err := bad.Verify(dataRoot, k); err == nil {
								t.Fatalf("(%d,%d) %s: %s accepted", row, col, axis, name)
							}
						}
					}
				}
			}
		})
	}
}

// TestSampleEveryBit flips every single bit of one sample's share, proof
// nodes, root and aunts.
func TestSampleEveryBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const k = 4
	eds, dah, _ := randomSquare(t, rng, k)
	dataRoot := dah.DataRoot()
	for _, cell := range [][3]int{{1, 2, int(Row)}, {6, 1, int(Col)}, {5, 7, int(Row)}} {
		s, err := NewSample(eds, dah, cell[0], cell[1], Axis(cell[2]))
		if err != nil {
			t.Fatal(err)
		}
		var fields [][]byte
		fields = append(fields, s.Share[:], s.Root[:])
		for i := range s.Proof.Nodes {
			fields = append(fields, s.Proof.Nodes[i][:])
		}
		for i := range s.RootProof.Aunts {
			fields = append(fields, s.RootProof.Aunts[i][:])
		}
		for fi, f := range fields {
			for b := range len(f) * 8 {
				f[b/8] ^= 1 << (b % 8)
				if err := s.Verify(dataRoot, k); err == nil {
					t.Fatalf("cell %v field %d bit %d: accepted", cell, fi, b)
				}
				f[b/8] ^= 1 << (b % 8)
			}
		}
		if err := s.Verify(dataRoot, k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSampleDecodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	eds, dah, _ := randomSquare(t, rng, 4)
	s, err := NewSample(eds, dah, 3, 2, Col) // column and proof nodes in Q0: min < max
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"short":     b[:len(b)-1],
		"trailing":  append(slices.Clone(b), 0),
		"version":   append([]byte{2}, b[1:]...),
		"axis":      append([]byte{1, 2}, b[2:]...),
		"too big":   make([]byte, MaxSampleSize+1),
		"bad node":  slices.Clone(b),
		"bad root":  slices.Clone(b),
		"many node": slices.Clone(b),
	}
	nodeOff := 6 + da.ShareSize + da.NMTNodeSize + 5
	cases["bad node"][nodeOff] = 0xFF                         // min > max
	cases["bad root"][6+da.ShareSize] = 0xFF                  // min starts FF…
	cases["bad root"][6+da.ShareSize+da.NamespaceSize] = 0x00 // max starts 00…
	cases["many node"][nodeOff-1] = maxSampleNodes + 1
	for name, c := range cases {
		var d Sample
		if err := d.UnmarshalBinary(c); !errors.Is(err, ErrProofEncoding) {
			t.Errorf("%s: %v, want ErrProofEncoding", name, err)
		}
	}
}

func TestProverRejectsMismatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	eds, _, _ := randomSquare(t, rng, 4)
	_, other, _ := randomSquare(t, rng, 4)
	p, err := NewProver(eds, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Sample(0, 0, Row); !errors.Is(err, ErrProofRoot) {
		t.Fatalf("EDS and DAH of different squares: %v", err)
	}
	_, small, _ := randomSquare(t, rng, 2)
	if _, err := NewProver(eds, small); !errors.Is(err, ErrWidth) {
		t.Fatalf("widths differ: %v", err)
	}
	p, _ = NewProver(eds, mustCommit(t, eds))
	for _, c := range [][3]int{{-1, 0, 0}, {0, 8, 0}, {8, 0, 1}, {0, 0, 2}} {
		if _, err := p.Sample(c[0], c[1], Axis(c[2])); !errors.Is(err, ErrProofShape) {
			t.Fatalf("%v: %v", c, err)
		}
	}
}

func mustCommit(t testing.TB, e *EDS) *DAH {
	d, err := Commit(e)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func BenchmarkVerifySample(b *testing.B) {
	for _, k := range []int{8, 128} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(51, uint64(k)))
			eds, dah, _ := randomSquare(b, rng, k)
			dataRoot := dah.DataRoot()
			p, err := NewProver(eds, dah)
			if err != nil {
				b.Fatal(err)
			}
			samples := make([]*Sample, 64)
			for i := range samples {
				if samples[i], err = p.Sample(rng.IntN(2*k), rng.IntN(2*k), Axis(rng.IntN(2))); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := samples[i%len(samples)].Verify(dataRoot, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkProverSample(b *testing.B) {
	const k = 128
	rng := rand.New(rand.NewPCG(61, k))
	eds, dah, _ := randomSquare(b, rng, k)
	p, err := NewProver(eds, dah)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Sample(rng.IntN(2*k), rng.IntN(2*k), Axis(rng.IntN(2))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSampleJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(121, 122))
	const k = 4
	eds, dah, _ := randomSquare(t, rng, k)
	dataRoot := dah.DataRoot()
	s, err := NewSample(eds, dah, 3, 6, Col)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(SampleJSON{Height: 12, Sample: s})
	if err != nil {
		t.Fatal(err)
	}
	// The API.md shape, field by field.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(m))
	if want := []string{"axis", "col", "height", "proof", "root", "root_proof", "row", "share"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	proof := m["proof"].(map[string]any)
	rootProof := m["root_proof"].(map[string]any)
	if m["height"] != 12.0 || m["row"] != 3.0 || m["col"] != 6.0 || m["axis"] != "col" ||
		m["share"] != base64.StdEncoding.EncodeToString(s.Share[:]) ||
		m["root"] != hex.EncodeToString(s.Root[:]) ||
		proof["start"] != 3.0 || proof["end"] != 4.0 || len(proof["nodes"].([]any)) != 3 ||
		proof["nodes"].([]any)[0] != hex.EncodeToString(s.Proof.Nodes[0][:]) ||
		rootProof["index"] != float64(2*k+6) || rootProof["total"] != float64(4*k) ||
		len(rootProof["aunts"].([]any)) != 4 || rootProof["aunts"].([]any)[0] != hex.EncodeToString(s.RootProof.Aunts[0][:]) {
		t.Fatalf("JSON shape differs from API.md: %s", b)
	}
	if len(m) != 8 || len(proof) != 3 || len(rootProof) != 3 {
		t.Fatalf("extra fields: %s", b)
	}
	var back SampleJSON
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Height != 12 || back.Sample.Verify(dataRoot, k) != nil {
		t.Fatal("JSON round trip lost the sample")
	}
	b1, _ := s.MarshalBinary()
	b2, _ := back.Sample.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("JSON round trip changed the sample")
	}
	str := string(b)
	rootHex := hex.EncodeToString(s.Root[:])
	for name, bad := range map[string]string{
		"axis":          strings.Replace(str, `"axis":"col"`, `"axis":"column"`, 1),
		"unknown field": strings.Replace(str, `"height"`, `"extra":1,"height"`, 1),
		"upper hex":     strings.Replace(str, rootHex, strings.ToUpper(rootHex), 1),
		"short root":    strings.Replace(str, rootHex, rootHex[2:], 1),
		"short share":   strings.Replace(str, base64.StdEncoding.EncodeToString(s.Share[:]), "AAAA", 1),
		"trailing":      str + "{}",
	} {
		if name != "upper hex" && bad == str {
			t.Fatalf("%s: replacement did not apply", name)
		}
		var d SampleJSON
		if err := json.Unmarshal([]byte(bad), &d); err == nil && name != "upper hex" {
			t.Errorf("%s: accepted", name)
		} else if name == "upper hex" && strings.ToUpper(rootHex) != rootHex && err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestProverConcurrent shares one Prover between goroutines (run with
// -race): the caches fill under the mutex and proofs read them.
func TestProverConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(131, 132))
	const k = 8
	eds, dah, _ := randomSquare(t, rng, k)
	dataRoot := dah.DataRoot()
	p, err := NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 4 * k * k {
				cell := (i*7 + g*13) % (4 * k * k)
				s, err := p.Sample(cell/(2*k), cell%(2*k), Axis((i+g)%2))
				if err == nil {
					err = s.Verify(dataRoot, k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestProverKeepsQuarterTree checks the Prover's memory trade: axis trees
// keep only subtrees of 4 leaves and more, and still give the same proofs
// as a tree over all leaves.
func TestProverKeepsQuarterTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(141, 142))
	const k = 8
	eds, dah, _ := randomSquare(t, rng, k)
	p, _ := NewProver(eds, dah)
	h := da.NewNMTHasher()
	for _, a := range []Axis{Row, Col} {
		for i := range 2 * k {
			tr, err := p.tree(a, i)
			if err != nil {
				t.Fatal(err)
			}
			kept := 0
			for l, lv := range tr.levels {
				if l < proverBaseLevel && lv != nil {
					t.Fatalf("%s %d keeps level %d", a, i, l)
				}
				kept += len(lv)
			}
			if kept != 2*k/4+2*k/8+2*k/16 { // levels 2, 3 and 4 (the root) of 16 leaves
				t.Fatalf("%s %d keeps %d nodes", a, i, kept)
			}
			leaves := AxisLeaves(h, k, i, eds.Axis(a, i, make([]da.Share, 2*k)), nil)
			for start := 0; start < 2*k; start += 3 {
				for end := start + 1; end <= 2*k; end += 5 {
					want, _ := ProveRange(h, leaves, start, end)
					got, err := p.RangeProof(a, i, start, end)
					if err != nil || !sameNodes(got.Nodes, want.Nodes) {
						t.Fatalf("%s %d [%d,%d): proofs differ (%v)", a, i, start, end, err)
					}
				}
			}
		}
	}
}
