package oracle

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Gas of proving a namespace's whole content at k=128 (no target in
// issue 11; a bound against regressions).
const maxNamespaceGas = 400_000

// square lays out blobs and extends it.
func square(t testing.TB, blobs []da.Blob, maxK int) (*da.Square, *erasure.EDS, *erasure.DAH) {
	t.Helper()
	sq, err := da.BuildSquare(blobs, maxK)
	if err != nil {
		t.Fatal(err)
	}
	eds, err := erasure.Extend(sq.Shares)
	if err != nil {
		t.Fatal(err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	return sq, eds, dah
}

func cloneNP(np NamespaceProof) NamespaceProof {
	out := np
	out.Shares = append([]byte(nil), np.Shares...)
	out.Rows = make([]NamespaceRowProof, len(np.Rows))
	for i, r := range np.Rows {
		r.Nodes = append([]byte(nil), r.Nodes...)
		r.LeafNode = append([]byte(nil), r.LeafNode...)
		r.RowRoot = append([]byte(nil), r.RowRoot...)
		r.RootAunts = append([][32]byte(nil), r.RootAunts...)
		out.Rows[i] = r
	}
	out.Below.RowRoot = append([]byte(nil), np.Below.RowRoot...)
	out.Above.RowRoot = append([]byte(nil), np.Above.RowRoot...)
	out.Below.RootAunts = append([][32]byte(nil), np.Below.RootAunts...)
	out.Above.RootAunts = append([][32]byte(nil), np.Above.RootAunts...)
	out.TupleProof.SideNodes = append([][32]byte(nil), np.TupleProof.SideNodes...)
	return out
}

// The inbox takes a namespace's whole content at a height, present or
// absent, and refuses the proof after any single change; k=128 gas is
// measured.
func TestNamespaceProofMatrix(t *testing.T) {
	ns := v0NS(t, 0x50)
	cases := []struct {
		name   string
		blobs  func(t *testing.T) []da.Blob
		maxK   int
		shares int // of ns
	}{
		{"k=2, present, 1 share", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, ns, 1, 1), blobOf(t, v0NS(t, 0x70), 2, 2)}
		}, 2, 1},
		{"k=16, present, 2 blobs, 100 shares over rows", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x10), 30, 3), blobOf(t, ns, 60, 1), blobOf(t, ns, 40, 2), blobOf(t, v0NS(t, 0x70), 20, 4)}
		}, 16, 100},
		{"k=4, absent inside a row's range", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x30), 2, 1), blobOf(t, v0NS(t, 0x70), 6, 2)}
		}, 4, 0},
		{"k=8, absent below every row", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x70), 40, 1)}
		}, 8, 0},
		{"k=8, absent above every row", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x30), 40, 1)}
		}, 8, 0},
		{"k=128, present, 1 share", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x10), 64*64+1, 2), blobOf(t, ns, 1, 1)}
		}, 128, 1},
		{"k=128, absent", func(t *testing.T) []da.Blob {
			return []da.Blob{blobOf(t, v0NS(t, 0x10), 64*64, 2), blobOf(t, v0NS(t, 0x70), 4, 1)}
		}, 128, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sq, eds, dah := square(t, c.blobs(t), c.maxK)
			nd, err := erasure.NewNamespaceData(eds, dah, ns)
			if err != nil {
				t.Fatal(err)
			}
			if err := nd.Verify(dah.DataRoot(), sq.Width); err != nil || len(nd.Shares()) != c.shares {
				t.Fatalf("Go: %d shares, %v", len(nd.Shares()), err)
			}
			f := newInbox(t, dah.DataRoot())
			good := f.namespaceProofAt(blobHeight, nd, sq.Width)
			tampers := map[string]func(*NamespaceProof){
				"square width": func(p *NamespaceProof) { p.SquareWidth = big.NewInt(int64(2 * sq.Width)) },
				"data root":    func(p *NamespaceProof) { p.Tuple.DataRoot[0] ^= 1 },
				"nonce":        func(p *NamespaceProof) { p.Nonce = big.NewInt(2) },
				"a share added": func(p *NamespaceProof) {
					p.Shares = append(p.Shares, make([]byte, 512)...)
					copy(p.Shares[len(p.Shares)-512:], ns[:])
				},
			}
			if good.HasBelow {
				tampers["row below dropped"] = func(p *NamespaceProof) { p.HasBelow = false }
				tampers["row below's root"] = func(p *NamespaceProof) { p.Below.RowRoot[60] ^= 1 }
			}
			if good.HasAbove {
				tampers["row above dropped"] = func(p *NamespaceProof) { p.HasAbove = false }
				tampers["row above's root"] = func(p *NamespaceProof) { p.Above.RowRoot[60] ^= 1 }
			}
			if len(good.Rows) > 0 {
				last := len(good.Rows) - 1
				tampers["last row dropped"] = func(p *NamespaceProof) { p.Rows = p.Rows[:last] }
				tampers["first row dropped"] = func(p *NamespaceProof) { p.Rows = p.Rows[1:] }
				tampers["row root"] = func(p *NamespaceProof) { p.Rows[0].RowRoot[89] ^= 1 }
				tampers["row index"] = func(p *NamespaceProof) { p.Rows[0].Row = new(big.Int).Add(p.Rows[0].Row, big.NewInt(1)) }
				tampers["range start"] = func(p *NamespaceProof) { p.Rows[0].Start = new(big.Int).Add(p.Rows[0].Start, big.NewInt(1)) }
				if len(good.Rows[0].Nodes) > 0 {
					tampers["proof node"] = func(p *NamespaceProof) { p.Rows[0].Nodes[len(p.Rows[0].Nodes)-1] ^= 1 }
				}
				if len(good.Rows[0].LeafNode) > 0 {
					tampers["absence leaf"] = func(p *NamespaceProof) { p.Rows[0].LeafNode[89] ^= 1 }
					tampers["absence leaf dropped"] = func(p *NamespaceProof) { p.Rows[0].LeafNode = nil }
				}
			}
			if c.shares > 0 {
				tampers["share byte"] = func(p *NamespaceProof) { p.Shares[len(p.Shares)-3] ^= 1 }
				tampers["a share dropped"] = func(p *NamespaceProof) { p.Shares = p.Shares[:len(p.Shares)-512] }
			}
			for name, tamper := range tampers {
				bad := cloneNP(good)
				tamper(&bad)
				if reason, _ := f.proveNamespace(bad, false); reason == "" {
					t.Errorf("tampered %s: accepted", name)
				}
			}
			reason, gas := f.proveNamespace(good, true)
			if reason != "" {
				t.Fatalf("the proof as built is refused: %s", reason)
			}
			key, _ := f.inbox.ABI.Pack("namespaceContent", big.NewInt(blobHeight))
			out, err := f.call(f.inboxAt, key)
			if err != nil || [32]byte(out) != sha3(good.Shares) {
				t.Fatalf("namespaceContent[%d] = %x (%v), want keccak of the %d shares", blobHeight, out, err, c.shares)
			}
			t.Logf("%s: %d rows, below %v, above %v, %d gas", c.name, len(good.Rows), good.HasBelow, good.HasAbove, gas)
			if c.maxK == 128 && gas > maxNamespaceGas {
				t.Errorf("%d gas, bound %d", gas, maxNamespaceGas)
			}
		})
	}
}

// randomSquare is a square of up to 16×16 with blobs in a few namespaces
// around the inbox's (0x50), sometimes including it.
func randomSquare(t testing.TB, r *rand.Rand) (*da.Square, *erasure.EDS, *erasure.DAH) {
	t.Helper()
	var blobs []da.Blob
	for range r.IntN(6) {
		ns, err := da.NewV0Namespace([]byte{0x74, 0x61, 0x72, 0x74, 0x61, 0x6e, 0, 0, 0, []byte{0x10, 0x30, 0x50, 0x50, 0x70, 0x90}[r.IntN(6)]})
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1+r.IntN(20*da.ContinuationSparseShareContentSize))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		b, err := da.NewBlob(ns, data, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	return square(t, blobs, 16)
}

// mutateND changes one thing of a namespace proof, chosen by r; it
// reports what (or false when nothing of that kind is there).
func mutateND(r *rand.Rand, nd *erasure.NamespaceData) (string, bool) {
	switch r.IntN(9) {
	case 0:
		if nd.Before == nil {
			return "", false
		}
		nd.Before = nil
		return "row below dropped", true
	case 1:
		if nd.After == nil {
			return "", false
		}
		nd.After = nil
		return "row above dropped", true
	case 2:
		if len(nd.Rows) == 0 {
			return "", false
		}
		nd.Rows = nd.Rows[:len(nd.Rows)-1]
		return "last row dropped", true
	case 3:
		for i := range nd.Rows {
			if len(nd.Rows[i].Shares) > 0 {
				sh := append([]da.Share(nil), nd.Rows[i].Shares...)
				sh[r.IntN(len(sh))][29+r.IntN(483)] ^= 1 << r.IntN(8)
				nd.Rows[i].Shares = sh
				return "share byte", true
			}
		}
		return "", false
	case 4:
		for i := range nd.Rows {
			if n := len(nd.Rows[i].Proof.Nodes); n > 0 {
				nodes := append([]da.NMTNode(nil), nd.Rows[i].Proof.Nodes...)
				nodes[r.IntN(n)][r.IntN(90)] ^= 1 << r.IntN(8)
				nd.Rows[i].Proof.Nodes = nodes
				return "proof node byte", true
			}
		}
		return "", false
	case 5:
		for i := range nd.Rows {
			if nd.Rows[i].Proof.LeafHash != nil {
				l := *nd.Rows[i].Proof.LeafHash
				l[r.IntN(90)] ^= 1 << r.IntN(8)
				nd.Rows[i].Proof.LeafHash = &l
				return "absence leaf byte", true
			}
		}
		return "", false
	case 6:
		if len(nd.Rows) == 0 {
			return "", false
		}
		nd.Rows[0].Root[r.IntN(90)] ^= 1 << r.IntN(8)
		return "row root byte", true
	case 7:
		if len(nd.Rows) == 0 || len(nd.Rows[0].Shares) < 2 {
			return "", false
		}
		nd.Rows[0].Shares = nd.Rows[0].Shares[1:]
		nd.Rows[0].Proof.Start++
		return "first share cut off", true
	default:
		if len(nd.Rows) == 0 || len(nd.Rows[0].Shares) == 0 {
			return "", false
		}
		nd.Rows[0].Shares = append(append([]da.Share(nil), nd.Rows[0].Shares...), nd.Rows[0].Shares[0])
		nd.Rows[0].Proof.End++
		return "a share repeated", true
	}
}

// TestVerifiersAgree is the differential test of issue 11: over random
// squares, the Go verifiers (erasure) and the contract give the same
// verdict on namespace proofs and blob proofs, as built and after a
// random change.
func TestVerifiersAgree(t *testing.T) {
	const squares = 30
	checkVerifiersAgree(t, rand.New(rand.NewPCG(11, 11)), squares)
}

// FuzzVerifiersAgree is TestVerifiersAgree from a fuzzed seed.
func FuzzVerifiersAgree(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkVerifiersAgree(t, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), 3)
	})
}

func checkVerifiersAgree(t *testing.T, r *rand.Rand, n int) {
	ns := v0NS(t, 0x50)
	type sq struct {
		k   int
		sq  *da.Square
		eds *erasure.EDS
		dah *erasure.DAH
	}
	var sqs []sq
	roots := map[uint64][32]byte{}
	for i := range n {
		s, eds, dah := randomSquare(t, r)
		sqs = append(sqs, sq{s.Width, s, eds, dah})
		roots[uint64(i+1)] = dah.DataRoot()
	}
	f := newInboxRoots(t, roots)
	verdict := func(err error) string {
		if err != nil {
			return "refused"
		}
		return "accepted"
	}
	agreed := map[string]int{}
	for i, s := range sqs {
		h := uint64(i + 1)
		for attempt := range 4 {
			nd, err := erasure.NewNamespaceData(s.eds, s.dah, ns)
			if err != nil {
				t.Fatal(err)
			}
			what := "as built"
			if attempt > 0 {
				var ok bool
				if what, ok = mutateND(r, nd); !ok {
					continue
				}
			}
			goErr := nd.Verify(s.dah.DataRoot(), s.k)
			reason, _ := f.proveNamespace(f.namespaceProofAt(h, nd, s.k), false)
			var solErr error
			if reason != "" {
				solErr = fmt.Errorf("%s", reason)
			}
			if verdict(goErr) != verdict(solErr) || (attempt == 0 && goErr != nil) {
				t.Fatalf("square %d (k=%d), namespace proof %s: Go %v, contract %q", i, s.k, what, goErr, reason)
			}
			agreed["namespace "+verdict(goErr)]++
		}
		// Each whole blob of the inbox's namespace, as built and changed.
		for j, start := range s.sq.BlobStarts {
			_ = j
			sh := s.sq.Shares[start]
			if da.Namespace(sh[:da.NamespaceSize]) != ns {
				continue
			}
			length := int(uint32(sh[30])<<24 | uint32(sh[31])<<16 | uint32(sh[32])<<8 | uint32(sh[33]))
			count := da.SparseShareCount(length, 0)
			p, err := erasure.NewBlobProof(s.eds, s.dah, start, start+count)
			if err != nil {
				t.Fatal(err)
			}
			what := "as built"
			if r.IntN(2) == 0 {
				switch r.IntN(3) {
				case 0:
					p.Shares = append([]da.Share(nil), p.Shares...)
					p.Shares[r.IntN(len(p.Shares))][29+r.IntN(483)] ^= 1
					what = "share byte"
				case 1:
					p.Rows[0].Root[r.IntN(90)] ^= 1
					what = "row root byte"
				default:
					if len(p.Rows[0].Proof.Nodes) == 0 {
						break
					}
					p.Rows[0].Proof.Nodes = append([]da.NMTNode(nil), p.Rows[0].Proof.Nodes...)
					p.Rows[0].Proof.Nodes[0][r.IntN(90)] ^= 1
					what = "proof node byte"
				}
			}
			goErr := p.Verify(s.dah.DataRoot(), s.k)
			reason, _ := f.submit(f.proofAt(h, p, s.k), false)
			var solErr error
			if reason != "" {
				solErr = fmt.Errorf("%s", reason)
			}
			if verdict(goErr) != verdict(solErr) || (what == "as built" && goErr != nil) {
				t.Fatalf("square %d (k=%d), blob at %d, proof %s: Go %v, contract %q", i, s.k, start, what, goErr, reason)
			}
			agreed["blob "+verdict(goErr)]++
		}
	}
	t.Logf("verdicts agreed: %v", agreed)
	if n >= 30 && (agreed["namespace accepted"] == 0 || agreed["namespace refused"] == 0 || agreed["blob accepted"] == 0 || agreed["blob refused"] == 0) {
		t.Fatalf("the random cases do not cover every verdict: %v", agreed)
	}
}
