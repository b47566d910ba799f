package da_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

type commitmentVector struct {
	BlobIndex      uint32   `json:"blob_index"`
	DataLen        int      `json:"data_len"`
	DataSHA256     string   `json:"data_sha256"`
	Namespace      string   `json:"namespace"`
	ShareVersion   uint8    `json:"share_version"`
	Signer         string   `json:"signer"`
	Threshold      int      `json:"subtree_root_threshold"`
	ShareCount     int      `json:"share_count"`
	SubtreeWidth   int      `json:"subtree_width"`
	MMRTreeSizes   []int    `json:"mmr_tree_sizes"`
	SubtreeRoots   []string `json:"subtree_roots"`
	FirstShareHex  string   `json:"first_share_hex"`
	ShareCommitmnt string   `json:"share_commitment"`
}

type commitmentFile struct {
	Seed    string             `json:"seed"`
	Vectors []commitmentVector `json:"vectors"`
}

// commitmentBlob rebuilds vector j's blob from the formula in the vectors
// README ("Blob share commitment formula").
func commitmentBlob(seed string, v *commitmentVector) da.Blob {
	j := v.BlobIndex
	var ns da.Namespace
	h := vectors.HBlock(seed, "cns", j, 0)
	copy(ns[1+da.NamespaceV0PrefixSize:], h[:da.NamespaceV0UserSize])
	b := da.Blob{Namespace: ns, Data: vectors.Stream(seed, "cblob", j, v.DataLen), ShareVersion: v.ShareVersion}
	if v.ShareVersion == 1 {
		s := vectors.HBlock(seed, "signer", j, 0)
		b.Signer = s[:da.SignerSize]
	}
	return b
}

func loadCommitments(t *testing.T) commitmentFile {
	var f commitmentFile
	vectors.Load(t, "commitments.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("commitments.json holds no vectors")
	}
	return f
}

func TestCommitmentVectors(t *testing.T) {
	f := loadCommitments(t)
	for _, v := range f.Vectors {
		t.Run(fmt.Sprintf("blob=%d/len=%d/v%d", v.BlobIndex, v.DataLen, v.ShareVersion), func(t *testing.T) {
			b := commitmentBlob(f.Seed, &v)
			if got := sha256.Sum256(b.Data); hex.EncodeToString(got[:]) != v.DataSHA256 {
				t.Fatalf("data hash %x, want %s: the input formula is wrong", got, v.DataSHA256)
			}
			if got := b.Namespace.String(); got != v.Namespace {
				t.Fatalf("namespace %s, want %s", got, v.Namespace)
			}
			if v.ShareVersion == 1 && hex.EncodeToString(b.Signer) != v.Signer {
				t.Fatalf("signer %x, want %s", b.Signer, v.Signer)
			}
			if v.Threshold != da.SubtreeRootThreshold {
				t.Fatalf("vector threshold %d, ours %d", v.Threshold, da.SubtreeRootThreshold)
			}
			shares, err := b.Shares()
			if err != nil {
				t.Fatal(err)
			}
			if len(shares) != v.ShareCount || b.ShareCount() != v.ShareCount || da.SparseShareCount(v.DataLen, v.ShareVersion) != v.ShareCount {
				t.Fatalf("share count %d (ShareCount %d), want %d", len(shares), b.ShareCount(), v.ShareCount)
			}
			if got := hex.EncodeToString(shares[0][:]); got != v.FirstShareHex {
				t.Fatalf("first share\n got %s\nwant %s", got, v.FirstShareHex)
			}
			w := da.SubTreeWidth(v.ShareCount, v.Threshold)
			if w != v.SubtreeWidth {
				t.Fatalf("subtree width %d, want %d", w, v.SubtreeWidth)
			}
			if got := da.MountainSizes(v.ShareCount, w); !slices.Equal(got, v.MMRTreeSizes) {
				t.Fatalf("mountain sizes %v, want %v", got, v.MMRTreeSizes)
			}
			roots, err := da.BlobSubtreeRoots(&b)
			if err != nil {
				t.Fatal(err)
			}
			if len(roots) != len(v.SubtreeRoots) {
				t.Fatalf("%d subtree roots, want %d", len(roots), len(v.SubtreeRoots))
			}
			for i := range roots {
				if got := hex.EncodeToString(roots[i][:]); got != v.SubtreeRoots[i] {
					t.Fatalf("subtree root %d\n got %s\nwant %s", i, got, v.SubtreeRoots[i])
				}
			}
			c, err := da.CreateCommitment(&b)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(c[:]); got != v.ShareCommitmnt {
				t.Fatalf("commitment %s, want %s", got, v.ShareCommitmnt)
			}
		})
	}
}

// The commitment must be the root over the subtree roots computed by the
// generic NMT code too, not only by the perfect-tree folding in
// SubtreeRoots.
func TestSubtreeRootsMatchNMTRoot(t *testing.T) {
	ns, _ := da.NewV0Namespace([]byte("roots"))
	for _, n := range []int{1, 3, 64, 65, 172, 300} {
		data := make([]byte, 478+482*(n-1))
		for i := range data {
			data[i] = byte(i * 7)
		}
		b := da.Blob{Namespace: ns, Data: data}
		shares, err := b.Shares()
		if err != nil {
			t.Fatal(err)
		}
		roots := da.SubtreeRoots(ns, shares, da.SubtreeRootThreshold)
		sizes := da.MountainSizes(n, da.SubTreeWidth(n, da.SubtreeRootThreshold))
		h := da.NewNMTHasher()
		start := 0
		for i, size := range sizes {
			leaves := make([]da.NMTNode, size)
			for j := range leaves {
				leaves[j] = h.Leaf(&ns, shares[start+j][:])
			}
			want, err := h.NMTRoot(leaves)
			if err != nil {
				t.Fatal(err)
			}
			if roots[i] != want {
				t.Fatalf("n=%d: subtree root %d differs from NMTRoot", n, i)
			}
			start += size
		}
		leaves := make([][]byte, len(roots))
		for i := range roots {
			leaves[i] = roots[i][:]
		}
		c, err := da.CreateCommitment(&b)
		if err != nil {
			t.Fatal(err)
		}
		if c != da.MerkleRoot(leaves) {
			t.Fatalf("n=%d: commitment is not MerkleRoot over the subtree roots", n)
		}
	}
}

func TestSubTreeWidth(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, 1}, {1, 1}, {64, 1}, {65, 2}, {128, 2}, {129, 4}, {172, 4}, {256, 4}, {257, 8},
		{1024, 16}, {1025, 32}, {4096, 64}, {4097, 128}, {4150, 128}, {8192, 128}, {8193, 128},
		{16384, 128}, {16385, 256}, {65536, 256}, {65537, 512}, {262144, 512},
	} {
		if got := da.SubTreeWidth(c.n, da.SubtreeRootThreshold); got != c.want {
			t.Errorf("SubTreeWidth(%d, 64) = %d, want %d", c.n, got, c.want)
		}
	}
	if got := da.SubTreeWidth(9, 2); got != 4 {
		t.Errorf("SubTreeWidth(9, 2) = %d, want min(roundUp(5)=8, minSquare(9)=4) = 4", got)
	}
}

func TestMountainSizes(t *testing.T) {
	for _, c := range []struct {
		n, w int
		want []int
	}{
		{0, 1, nil},
		{1, 1, []int{1}},
		{5, 1, []int{1, 1, 1, 1, 1}},
		{7, 4, []int{4, 2, 1}},
		{8, 4, []int{4, 4}},
		{11, 8, []int{8, 2, 1}},
		{4150, 128, append(slices.Repeat([]int{128}, 32), 32, 16, 4, 2)},
	} {
		if got := da.MountainSizes(c.n, c.w); !slices.Equal(got, c.want) {
			t.Errorf("MountainSizes(%d, %d) = %v, want %v", c.n, c.w, got, c.want)
		}
	}
	// Property: sizes sum to n, never exceed w, are powers of two and do
	// not increase.
	for n := 1; n < 3000; n += 37 {
		w := da.SubTreeWidth(n, da.SubtreeRootThreshold)
		sizes := da.MountainSizes(n, w)
		sum := 0
		for i, s := range sizes {
			if s > w || s&(s-1) != 0 || (i > 0 && s > sizes[i-1]) {
				t.Fatalf("n=%d w=%d: bad sizes %v", n, w, sizes)
			}
			sum += s
		}
		if sum != n {
			t.Fatalf("n=%d: sizes sum to %d", n, sum)
		}
	}
}

func TestCreateCommitmentRejectsInvalidBlob(t *testing.T) {
	ns, _ := da.NewV0Namespace([]byte{1})
	if _, err := da.CreateCommitment(&da.Blob{Namespace: ns}); err == nil {
		t.Fatal("empty blob committed")
	}
	if _, err := da.CreateCommitment(&da.Blob{Namespace: da.TxNamespace, Data: []byte{1}}); err == nil {
		t.Fatal("blob in the Tx namespace committed")
	}
}

func BenchmarkCreateCommitment(b *testing.B) {
	ns, _ := da.NewV0Namespace([]byte("bench"))
	for _, n := range []int{1, 64, 128, 1024, 8192} {
		data := make([]byte, 478+482*(n-1))
		for i := range data {
			data[i] = byte(i)
		}
		blob := da.Blob{Namespace: ns, Data: data}
		b.Run(fmt.Sprintf("shares=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := da.CreateCommitment(&blob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
