package erasure

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

// Known-answer proofs of eds/k008.json (vectors README, "Proof encoding").
type vecNMTProof struct {
	Start  int      `json:"start"`
	End    int      `json:"end"`
	Nodes  []string `json:"nodes"`
	Ignore bool     `json:"is_max_namespace_ignored"`
}

type vecMerkleProof struct {
	Total    int      `json:"total"`
	Index    int      `json:"index"`
	LeafHash string   `json:"leaf_hash"`
	Aunts    []string `json:"aunts_bottom_up"`
}

type vecSample struct {
	Quadrant      string         `json:"quadrant"`
	Row           int            `json:"row"`
	Col           int            `json:"col"`
	Share         string         `json:"share"`
	LeafNamespace string         `json:"leaf_namespace"`
	RowProof      vecNMTProof    `json:"row_nmt_proof"`
	ColProof      vecNMTProof    `json:"col_nmt_proof"`
	RowRoot       string         `json:"row_root"`
	ColRoot       string         `json:"col_root"`
	RowRootProof  vecMerkleProof `json:"row_root_to_data_root_proof"`
	ColRootProof  vecMerkleProof `json:"col_root_to_data_root_proof"`
}

type vecNamespaceProof struct {
	Kind      string   `json:"kind"`
	Row       int      `json:"row"`
	Namespace string   `json:"namespace"`
	Start     int      `json:"start"`
	End       int      `json:"end"`
	Nodes     []string `json:"nodes"`
	LeafHash  string   `json:"leaf_hash"`
	RowRoot   string   `json:"row_root"`
	Shares    []string `json:"shares"`
}

type proofVectors struct {
	K               int                 `json:"k"`
	DataRoot        string              `json:"data_root"`
	ShareSamples    []vecSample         `json:"share_samples"`
	NamespaceProofs []vecNamespaceProof `json:"namespace_proofs"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhexNode(t testing.TB, s string) da.NMTNode {
	t.Helper()
	n, err := da.NMTNodeFromBytes(unhex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func unhexNodes(t testing.TB, ss []string) []da.NMTNode {
	out := make([]da.NMTNode, len(ss))
	for i, s := range ss {
		out[i] = unhexNode(t, s)
	}
	return out
}

func (v vecNMTProof) proof(t testing.TB) NMTProof {
	return NMTProof{Start: v.Start, End: v.End, Nodes: unhexNodes(t, v.Nodes)}
}

func (v vecMerkleProof) proof(t testing.TB) MerkleProof {
	p := MerkleProof{Index: v.Index, Total: v.Total}
	for _, a := range v.Aunts {
		p.Aunts = append(p.Aunts, [32]byte(unhex(t, a)))
	}
	return p
}

// k8Square rebuilds the k = 8 vector square with its DAH.
func k8Square(t testing.TB) (proofVectors, *EDS, *DAH) {
	t.Helper()
	var v proofVectors
	vectors.Load(t, "eds/k008.json", &v)
	eds, err := Extend(vectors.ODS(vectors.Seed, v.K))
	if err != nil {
		t.Fatal(err)
	}
	dah, err := Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	if got := dah.DataRoot(); hex.EncodeToString(got[:]) != v.DataRoot {
		t.Fatalf("data root %x, want %s", got, v.DataRoot)
	}
	if len(v.ShareSamples) == 0 || len(v.NamespaceProofs) == 0 {
		t.Fatal("k008.json has no proofs")
	}
	return v, eds, dah
}

func sameNodes(a, b []da.NMTNode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNMTProofVectors(t *testing.T) {
	v, eds, dah := k8Square(t)
	k := v.K
	h := da.NewNMTHasher()
	for _, s := range v.ShareSamples {
		t.Run(fmt.Sprintf("%s/%d,%d", s.Quadrant, s.Row, s.Col), func(t *testing.T) {
			share := da.Share(unhex(t, s.Share))
			if *eds.Cell(s.Row, s.Col) != share {
				t.Fatal("share differs from the rebuilt square")
			}
			ns := da.Namespace(unhex(t, s.LeafNamespace))
			if got := LeafNamespace(k, s.Row, s.Col, &share); got != ns {
				t.Fatalf("leaf namespace %x, want %x", got, ns)
			}
			for _, c := range []struct {
				axis      Axis
				idx, pos  int
				vp        vecNMTProof
				root      string
				rootProof vecMerkleProof
			}{
				{Row, s.Row, s.Col, s.RowProof, s.RowRoot, s.RowRootProof},
				{Col, s.Col, s.Row, s.ColProof, s.ColRoot, s.ColRootProof},
			} {
				root := unhexNode(t, c.root)
				if *dah.Root(c.axis, c.idx) != root {
					t.Fatalf("%s root differs", c.axis)
				}
				if !c.vp.Ignore {
					t.Fatal("vector proof does not ignore the max namespace")
				}
				want := c.vp.proof(t)
				cells := eds.Axis(c.axis, c.idx, make([]da.Share, 2*k))
				leaves := AxisLeaves(h, k, c.idx, cells, nil)
				got, err := ProveRange(h, leaves, c.pos, c.pos+1)
				if err != nil {
					t.Fatal(err)
				}
				if got.Start != want.Start || got.End != want.End || !sameNodes(got.Nodes, want.Nodes) || got.LeafHash != nil {
					t.Fatalf("%s proof differs from Celestia's", c.axis)
				}
				if err := want.VerifyShares(&root, 2*k, ns, []da.Share{share}); err != nil {
					t.Fatalf("%s: vector proof rejected: %v", c.axis, err)
				}
				if err := want.VerifyShares(&root, 2*k, ns, []da.Share{share}); err != nil {
					t.Fatalf("%s: vector proof rejected without hasher: %v", c.axis, err)
				}
				if err := want.VerifyLeaves(&root, 2*k, leaves[c.pos:c.pos+1]); err != nil {
					t.Fatalf("%s: vector proof rejected on leaves: %v", c.axis, err)
				}
				// The other namespace must fail (Q0 vs parity).
				other := da.ParityNamespace
				if ns == da.ParityNamespace {
					other = share.Namespace()
				}
				if err := want.VerifyShares(&root, 2*k, other, []da.Share{share}); !errors.Is(err, ErrProofRoot) && !errors.Is(err, ErrProofShape) {
					t.Fatalf("%s: wrong leaf namespace: got %v, want a rejection", c.axis, err)
				}

				wantRP := c.rootProof.proof(t)
				gotRP, err := ProveRoot(dah, c.axis, c.idx)
				if err != nil {
					t.Fatal(err)
				}
				if gotRP.Index != wantRP.Index || gotRP.Total != wantRP.Total || fmt.Sprint(gotRP.Aunts) != fmt.Sprint(wantRP.Aunts) {
					t.Fatalf("%s root proof differs from Celestia's:\n got %+v\nwant %+v", c.axis, gotRP, wantRP)
				}
				if lh := merkleLeafHash(root[:]); hex.EncodeToString(lh[:]) != c.rootProof.LeafHash {
					t.Fatalf("%s root leaf hash %x, want %s", c.axis, lh, c.rootProof.LeafHash)
				}
				dataRoot := [32]byte(unhex(t, v.DataRoot))
				if err := wantRP.Verify(dataRoot, root[:]); err != nil {
					t.Fatalf("%s root proof rejected: %v", c.axis, err)
				}
				if err := wantRP.VerifyHash(dataRoot, [32]byte(unhex(t, c.rootProof.LeafHash))); err != nil {
					t.Fatalf("%s root proof rejected by hash: %v", c.axis, err)
				}
			}
		})
	}
}

func TestNamespaceProofVectors(t *testing.T) {
	v, eds, dah := k8Square(t)
	k := v.K
	h := da.NewNMTHasher()
	for _, np := range v.NamespaceProofs {
		t.Run(np.Kind, func(t *testing.T) {
			root := unhexNode(t, np.RowRoot)
			if *dah.Root(Row, np.Row) != root {
				t.Fatal("row root differs")
			}
			ns := da.Namespace(unhex(t, np.Namespace))
			want := NMTProof{Start: np.Start, End: np.End, Nodes: unhexNodes(t, np.Nodes)}
			if np.LeafHash != "" {
				lh := unhexNode(t, np.LeafHash)
				want.LeafHash = &lh
			}
			var shares []da.Share
			for _, s := range np.Shares {
				shares = append(shares, da.Share(unhex(t, s)))
			}
			switch np.Kind {
			case "presence":
				if len(shares) == 0 || want.LeafHash != nil {
					t.Fatal("presence vector malformed")
				}
			case "absence":
				if len(shares) != 0 || want.LeafHash == nil {
					t.Fatal("absence vector malformed")
				}
			default:
				t.Fatalf("unknown kind %q", np.Kind)
			}
			leaves := AxisLeaves(h, k, np.Row, eds.Row(np.Row), nil)
			got, err := ProveNamespace(h, leaves, ns)
			if err != nil {
				t.Fatal(err)
			}
			if got.Start != want.Start || got.End != want.End || !sameNodes(got.Nodes, want.Nodes) {
				t.Fatalf("proof differs from Celestia's: got [%d,%d) %d nodes", got.Start, got.End, len(got.Nodes))
			}
			if (got.LeafHash == nil) != (want.LeafHash == nil) || (got.LeafHash != nil && *got.LeafHash != *want.LeafHash) {
				t.Fatal("leaf hash differs from Celestia's")
			}
			if err := want.VerifyNamespace(&root, 2*k, ns, shares); err != nil {
				t.Fatalf("vector proof rejected: %v", err)
			}
			// A neighbouring namespace must not verify with the same proof.
			other := ns
			other[da.NamespaceSize-1] ^= 1
			if err := want.VerifyNamespace(&root, 2*k, other, shares); err == nil {
				t.Fatal("proof accepted for another namespace")
			}
		})
	}
}

// randomSortedLeaves returns n leaves with non-decreasing namespaces drawn
// from a small alphabet (so runs repeat), the last few parity.
func randomSortedLeaves(rng *rand.Rand, h *da.NMTHasher, n int) ([]da.NMTNode, []da.Namespace, []da.Share) {
	nss := make([]da.Namespace, n)
	shares := make([]da.Share, n)
	leaves := make([]da.NMTNode, n)
	cur := 1 + rng.IntN(4)
	parityFrom := n - rng.IntN(n/2+1)
	for i := range n {
		cur += rng.IntN(3) / 2 // stays, or steps up
		var ns da.Namespace
		ns[da.NamespaceSize-1] = byte(2 * cur) // even: odd values are absent
		if i >= parityFrom {
			ns = da.ParityNamespace
		}
		nss[i] = ns
		for j := range shares[i] {
			shares[i][j] = byte(rng.Uint32())
		}
		copy(shares[i][:], ns[:])
		leaves[i] = h.Leaf(&ns, shares[i][:])
	}
	return leaves, nss, shares
}

func TestNMTRangeProofProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := da.NewNMTHasher()
	for _, n := range []int{1, 2, 3, 5, 7, 8, 13, 16, 31, 64} {
		leaves, nss, shares := randomSortedLeaves(rng, h, n)
		root, err := h.NMTRoot(leaves)
		if err != nil {
			t.Fatal(err)
		}
		for start := range n {
			for end := start + 1; end <= n; end++ {
				p, err := ProveRange(h, leaves, start, end)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Nodes) > maxRangeNodes(n) {
					t.Fatalf("n=%d [%d,%d): %d nodes", n, start, end, len(p.Nodes))
				}
				if err := p.VerifyLeaves(&root, n, leaves[start:end]); err != nil {
					t.Fatalf("n=%d [%d,%d): %v", n, start, end, err)
				}
				if end == start+1 {
					if err := p.VerifyShares(&root, n, nss[start], shares[start:end]); err != nil {
						t.Fatalf("n=%d [%d,%d) shares: %v", n, start, end, err)
					}
				}
				// Wrong total, wrong range, one node fewer or more.
				for _, bad := range []struct {
					name  string
					p     NMTProof
					total int
				}{
					{"total*2", p, 2 * n},
					{"shift", NMTProof{Start: (start + 1) % n, End: (start+1)%n + end - start, Nodes: p.Nodes}, n},
					{"drop", NMTProof{Start: start, End: end, Nodes: dropNode(p.Nodes, rng)}, n},
					{"extra", NMTProof{Start: start, End: end, Nodes: append(append([]da.NMTNode{}, p.Nodes...), root)}, n},
				} {
					if bad.name == "total*2" && n&(n-1) != 0 {
						// Outside perfect trees a proof can fit two sizes
						// (a lone right leaf is also a subtree root), as in
						// nmt and CometBFT: callers fix the total themselves.
						continue
					}
					if bad.name == "drop" && len(p.Nodes) == 0 {
						continue
					}
					if bad.name == "shift" && (bad.p.End > n || (bad.p.Start == start)) {
						continue
					}
					if err := bad.p.VerifyLeaves(&root, bad.total, leaves[start:end]); err == nil {
						t.Fatalf("n=%d [%d,%d): %s accepted", n, start, end, bad.name)
					}
				}
			}
		}
	}
}

func dropNode(nodes []da.NMTNode, rng *rand.Rand) []da.NMTNode {
	if len(nodes) == 0 {
		return nodes
	}
	i := rng.IntN(len(nodes))
	return append(append([]da.NMTNode{}, nodes[:i]...), nodes[i+1:]...)
}

func TestNamespaceProofProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := da.NewNMTHasher()
	for _, n := range []int{1, 2, 3, 4, 8, 11, 16, 32} {
		for trial := range 5 {
			leaves, nss, shares := randomSortedLeaves(rng, h, n)
			root, err := h.NMTRoot(leaves)
			if err != nil {
				t.Fatal(err)
			}
			// Query every even namespace (present or not) and every odd one
			// (absent), plus ones below and above everything.
			for q := 0; q < 2*(n+8); q++ {
				var ns da.Namespace
				ns[da.NamespaceSize-1] = byte(q)
				p, err := ProveNamespace(h, leaves, ns)
				if err != nil {
					t.Fatal(err)
				}
				var want []da.Share
				for i := range n {
					if nss[i] == ns {
						want = append(want, shares[i])
					}
				}
				if err := p.VerifyNamespace(&root, n, ns, want); err != nil {
					t.Fatalf("n=%d trial %d ns %d: %v", n, trial, q, err)
				}
				if len(want) > 0 {
					if err := p.VerifyNamespace(&root, n, ns, want[1:]); err == nil {
						t.Fatalf("n=%d ns %d: a share dropped but accepted", n, q)
					}
					if p.Start > 0 {
						// Claim one leaf less on the left: the left node now
						// covers a leaf of ns.
						if len(want) > 1 {
							bad := p
							bad.Start++
							if err := bad.VerifyNamespace(&root, n, ns, want[1:]); err == nil {
								t.Fatalf("n=%d ns %d: narrowed range accepted", n, q)
							}
						}
					}
					if len(want) > 1 {
						bad := p
						bad.End--
						if err := bad.VerifyNamespace(&root, n, ns, want[:len(want)-1]); err == nil {
							t.Fatalf("n=%d ns %d: range narrowed on the right accepted", n, q)
						}
					}
				} else if !p.IsEmpty() {
					if p.LeafHash == nil {
						t.Fatalf("n=%d ns %d: absent namespace without absence proof", n, q)
					}
					// The empty proof must not stand in for an absence proof.
					empty := NMTProof{}
					if err := empty.VerifyNamespace(&root, n, ns, nil); !errors.Is(err, ErrNamespaceIncomplete) {
						t.Fatalf("n=%d ns %d: empty proof inside the range: %v", n, q, err)
					}
				}
				// An inclusion proof of a neighbouring leaf is not a
				// namespace proof for ns.
				if len(want) > 0 && p.End < n && nss[p.End] != da.ParityNamespace {
					bad, _ := ProveRange(h, leaves, p.Start, p.End+1)
					w2 := append(append([]da.Share{}, want...), shares[p.End])
					if err := bad.VerifyNamespace(&root, n, ns, w2); err == nil {
						t.Fatalf("n=%d ns %d: range with a foreign share accepted", n, q)
					}
				}
			}
		}
	}
}

// TestNamespaceProofLeftNodesRunOut is GHSA-r9fq-g486-v8pg: a proof that
// claims a range starting later than the true first leaf of ns, but
// supplies a right-side node in place of the left ones, must be rejected.
func TestNamespaceProofLeftNodesRunOut(t *testing.T) {
	h := da.NewNMTHasher()
	var ns1, ns2 da.Namespace
	ns1[28], ns2[28] = 2, 4
	shares := make([]da.Share, 8)
	leaves := make([]da.NMTNode, 8)
	for i := range shares {
		ns := ns1
		if i >= 4 {
			ns = ns2
		}
		copy(shares[i][:], ns[:])
		shares[i][100] = byte(i)
		leaves[i] = h.Leaf(&ns, shares[i][:])
	}
	root, _ := h.NMTRoot(leaves)
	good, err := ProveNamespace(h, leaves, ns2)
	if err != nil || good.Start != 4 || good.End != 8 {
		t.Fatalf("proof %+v, %v", good, err)
	}
	if err := good.VerifyNamespace(&root, 8, ns2, shares[4:]); err != nil {
		t.Fatal(err)
	}
	// Prove only [6,8) for ns2 while [4,6) also holds ns2.
	part, _ := ProveRange(h, leaves, 6, 8)
	if err := part.VerifyNamespace(&root, 8, ns2, shares[6:]); !errors.Is(err, ErrNamespaceIncomplete) {
		t.Fatalf("partial range: %v, want ErrNamespaceIncomplete", err)
	}
	// Too few nodes for the claimed range.
	short := NMTProof{Start: 6, End: 8, Nodes: part.Nodes[1:]}
	if err := short.VerifyNamespace(&root, 8, ns2, shares[6:]); !errors.Is(err, ErrProofShape) && !errors.Is(err, ErrNamespaceIncomplete) {
		t.Fatalf("nodes running out: %v, want a rejection", err)
	}
}

func TestNMTProofRejectsMalformed(t *testing.T) {
	h := da.NewNMTHasher()
	rng := rand.New(rand.NewPCG(5, 6))
	leaves, _, _ := randomSortedLeaves(rng, h, 16)
	root, _ := h.NMTRoot(leaves)
	p, err := ProveRange(h, leaves, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	bad := p
	bad.Nodes = append([]da.NMTNode{}, p.Nodes...)
	// min > max in a node.
	bad.Nodes[0][0] = 0xFF
	if err := bad.VerifyLeaves(&root, 16, leaves[3:4]); !errors.Is(err, ErrProofShape) || !errors.Is(err, da.ErrNMTNode) {
		t.Fatalf("malformed node: %v", err)
	}
	badRoot := root
	badRoot[0] = 0xFF
	if err := p.VerifyLeaves(&badRoot, 16, leaves[3:4]); !errors.Is(err, ErrProofShape) {
		t.Fatalf("malformed root: %v", err)
	}
	for _, c := range []struct{ start, end, total int }{
		{-1, 0, 16}, {3, 3, 16}, {4, 3, 16}, {3, 4, 0}, {3, 4, MaxProofLeaves + 1}, {15, 17, 16},
	} {
		q := NMTProof{Start: c.start, End: c.end, Nodes: p.Nodes}
		n := max(0, min(c.end-c.start, 1))
		if err := q.VerifyLeaves(&root, c.total, leaves[3:3+n]); !errors.Is(err, ErrProofShape) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	many := NMTProof{Start: 3, End: 4, Nodes: make([]da.NMTNode, maxRangeNodes(16)+1)}
	if err := many.VerifyLeaves(&root, 16, leaves[3:4]); !errors.Is(err, ErrProofShape) {
		t.Fatalf("too many nodes: %v", err)
	}
	lh := leaves[3]
	abs := p
	abs.LeafHash = &lh
	if err := abs.VerifyLeaves(&root, 16, leaves[3:4]); !errors.Is(err, ErrProofShape) {
		t.Fatalf("absence proof as inclusion: %v", err)
	}
	if _, err := ProveRange(h, []da.NMTNode{leaves[5], leaves[0]}, 0, 1); err == nil && !bytes.Equal(leaves[5][:29], leaves[0][:29]) {
		t.Fatal("unsorted leaves accepted by ProveRange")
	}
}
