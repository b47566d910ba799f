package da_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

func TestValidateMaxSquareWidth(t *testing.T) {
	for _, w := range []int{1, 2, 4, 64, 128, 256, 512} {
		if err := da.ValidateMaxSquareWidth(w); err != nil {
			t.Errorf("%d rejected: %v", w, err)
		}
		if _, err := da.NewSquareBuilder(w); err != nil {
			t.Errorf("NewSquareBuilder(%d): %v", w, err)
		}
	}
	for _, w := range []int{-1, 0, 3, 100, 129, 1024, 1 << 20} {
		if err := da.ValidateMaxSquareWidth(w); !errors.Is(err, da.ErrSquareWidth) {
			t.Errorf("%d: got %v", w, err)
		}
		if _, err := da.NewSquareBuilder(w); !errors.Is(err, da.ErrSquareWidth) {
			t.Errorf("NewSquareBuilder(%d): got %v", w, err)
		}
	}
}

func TestEmptySquare(t *testing.T) {
	sq, err := da.BuildSquare(nil, da.DefaultMaxSquareWidth)
	if err != nil {
		t.Fatal(err)
	}
	if sq.Width != 1 || len(sq.Shares) != 1 || sq.Shares[0] != da.TailPaddingShare() || len(sq.BlobStarts) != 0 {
		t.Fatalf("empty square: width %d, %d shares", sq.Width, len(sq.Shares))
	}
}

// A layout worked out by hand: a 1-share v1 blob sorts first, the 65-share
// blob needs width-2 alignment, so one namespace-padding share (v1, the
// first blob's namespace) sits between them; worst case 1 + 66 = 67 shares
// gives k = 16.
func TestSquareLayoutByHand(t *testing.T) {
	hi, lo := testNS(t, 0x20), testNS(t, 0x10)
	big := da.Blob{Namespace: hi, Data: make([]byte, 478+482*64)} // 65 shares
	small := da.Blob{Namespace: lo, Data: []byte("s"), ShareVersion: 1, Signer: testSigner}
	sq, err := da.BuildSquare([]da.Blob{big, small}, 16)
	if err != nil {
		t.Fatal(err)
	}
	if sq.Width != 16 || len(sq.Shares) != 256 {
		t.Fatalf("width %d, %d shares", sq.Width, len(sq.Shares))
	}
	if !slices.Equal(sq.BlobStarts, []int{2, 0}) {
		t.Fatalf("BlobStarts %v, want [2 0] (input order)", sq.BlobStarts)
	}
	if sq.Shares[1] != da.PaddingShare(lo, 1) {
		t.Fatalf("share 1 is %x, want namespace padding of the first blob", sq.Shares[1][:34])
	}
	for i := 67; i < 256; i++ {
		if sq.Shares[i] != da.TailPaddingShare() {
			t.Fatalf("share %d is not tail padding", i)
		}
	}
	if _, err := da.BuildSquare([]da.Blob{big, small}, 8); !errors.Is(err, da.ErrBlobTooLarge) {
		t.Fatalf("a 65-share blob in an 8×8 square: %v", err)
	}
	sb, _ := da.NewSquareBuilder(16)
	if err := sb.Append(big); err != nil {
		t.Fatal(err)
	}
	// 190 shares + 3 alignment = 193, alone it fits 256, not next to 66.
	if err := sb.Append(da.Blob{Namespace: lo, Data: make([]byte, 478+482*189)}); !errors.Is(err, da.ErrSquareFull) {
		t.Fatalf("193 worst-case shares next to 66 in a 16×16 square: %v", err)
	}
}

// randomBlob draws a blob whose share count is mostly small, sometimes
// above the threshold so that alignment matters.
func randomBlob(r *rand.Rand, namespaces []da.Namespace) da.Blob {
	b := da.Blob{Namespace: namespaces[r.IntN(len(namespaces))]}
	var n int
	switch r.IntN(4) {
	case 0:
		n = 1 + r.IntN(200)
	default:
		n = 1 + r.IntN(5)
	}
	size := 1 + r.IntN(478+482*(n-1))
	b.Data = randBytes(r, size)
	if r.IntN(3) == 0 {
		b.ShareVersion = 1
		b.Signer = testSigner
	}
	return b
}

func TestSquareBuilderProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	namespaces := make([]da.Namespace, 12)
	for i := range namespaces {
		namespaces[i] = testNS(t, byte(r.IntN(256)), byte(i))
	}
	var tooLarge, full, fits, aligned int
	defer func() {
		if tooLarge == 0 || full == 0 || fits == 0 || aligned == 0 {
			t.Errorf("cases not all exercised: %d too large, %d full, %d fit, %d needed alignment", tooLarge, full, fits, aligned)
		}
	}()
	for trial := range 60 {
		maxWidth := []int{1, 2, 8, 16, 32, 64}[r.IntN(6)]
		sb, err := da.NewSquareBuilder(maxWidth)
		if err != nil {
			t.Fatal(err)
		}
		var accepted []da.Blob
		worst := 0
		for range 1 + r.IntN(40) {
			b := randomBlob(r, namespaces)
			beforeLen, beforeWorst, beforeWidth := sb.Len(), sb.WorstCaseShares(), sb.Width()
			err := sb.Append(b)
			n := b.ShareCount()
			need := n + da.SubTreeWidth(n, da.SubtreeRootThreshold) - 1
			switch {
			case need > maxWidth*maxWidth:
				tooLarge++
				if !errors.Is(err, da.ErrBlobTooLarge) {
					t.Fatalf("trial %d: blob needing %d shares in a %d-wide square: %v", trial, need, maxWidth, err)
				}
			case worst+need > maxWidth*maxWidth:
				full++
				if !errors.Is(err, da.ErrSquareFull) {
					t.Fatalf("trial %d: blob needing %d with %d taken of %d: %v", trial, need, worst, maxWidth*maxWidth, err)
				}
			default:
				if err != nil {
					t.Fatalf("trial %d: %v", trial, err)
				}
				accepted = append(accepted, b)
				worst += need
				fits++
				if need > n {
					aligned++
				}
			}
			if err != nil && (sb.Len() != beforeLen || sb.WorstCaseShares() != beforeWorst || sb.Width() != beforeWidth) {
				t.Fatalf("trial %d: refused Append changed the builder", trial)
			}
		}
		sq, err := sb.Export()
		if err != nil {
			t.Fatal(err)
		}
		checkSquare(t, fmt.Sprintf("trial %d", trial), sq, accepted, worst, maxWidth)
		// Export leaves the builder as it was.
		again, err := sb.Export()
		if err != nil || !slices.Equal(again.Shares, sq.Shares) {
			t.Fatalf("trial %d: second Export differs (%v)", trial, err)
		}
	}
}

// checkSquare checks the layout invariants of sq built from blobs (in
// Append order) with the given worst-case share count.
func checkSquare(t *testing.T, name string, sq *da.Square, blobs []da.Blob, worst, maxWidth int) {
	t.Helper()
	k := 1
	for k*k < worst {
		k *= 2
	}
	if sq.Width != k || len(sq.Shares) != k*k || k > maxWidth {
		t.Fatalf("%s: width %d with %d shares, want k=%d for %d worst-case shares", name, sq.Width, len(sq.Shares), k, worst)
	}
	for i := 1; i < len(sq.Shares); i++ {
		if sq.Shares[i].Namespace().Less(sq.Shares[i-1].Namespace()) {
			t.Fatalf("%s: namespace decreases at share %d", name, i)
		}
	}
	if len(sq.BlobStarts) != len(blobs) {
		t.Fatalf("%s: %d starts for %d blobs", name, len(sq.BlobStarts), len(blobs))
	}
	for i := range blobs {
		n := blobs[i].ShareCount()
		if s := sq.BlobStarts[i]; s%da.SubTreeWidth(n, da.SubtreeRootThreshold) != 0 {
			t.Fatalf("%s: blob %d of %d shares starts at %d, not aligned", name, i, n, s)
		}
		want, _ := blobs[i].Shares()
		if !slices.Equal(sq.Shares[sq.BlobStarts[i]:sq.BlobStarts[i]+n], want) {
			t.Fatalf("%s: blob %d's shares are not at its start", name, i)
		}
	}
	// Parsing the square gives the blobs back in stable namespace order.
	sorted := slices.Clone(blobs)
	starts := slices.Clone(sq.BlobStarts)
	idx := make([]int, len(blobs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return blobs[a].Namespace.Compare(blobs[b].Namespace) })
	for j, i := range idx {
		sorted[j], starts[j] = blobs[i], sq.BlobStarts[i]
	}
	got, err := da.BlobsFromShares(sq.Shares)
	if err != nil {
		t.Fatalf("%s: parsing the square: %v", name, err)
	}
	if len(got) != len(sorted) {
		t.Fatalf("%s: parsed %d blobs, want %d", name, len(got), len(sorted))
	}
	for j := range got {
		if got[j].Start != starts[j] || !blobEqual(&got[j].Blob, &sorted[j]) {
			t.Fatalf("%s: parsed blob %d differs (start %d, want %d)", name, j, got[j].Start, starts[j])
		}
	}
}

// MaxBlobDataSize is exactly the edge between a blob that fits an empty
// square and ErrBlobTooLarge.
func TestMaxBlobDataSize(t *testing.T) {
	ns := testNS(t, 0x33)
	for _, w := range []int{1, 2, 8, 64, 128} {
		for _, version := range []uint8{0, 1} {
			max, err := da.MaxBlobDataSize(w, version)
			if err != nil {
				t.Fatal(err)
			}
			var signer []byte
			if version == 1 {
				signer = testSigner
			}
			sb, _ := da.NewSquareBuilder(w)
			if err := sb.Append(da.Blob{Namespace: ns, Data: make([]byte, max), ShareVersion: version, Signer: signer}); err != nil {
				t.Fatalf("w=%d v%d: %d bytes refused: %v", w, version, max, err)
			}
			sq, err := sb.Export()
			if err != nil || sq.Width != w {
				t.Fatalf("w=%d v%d: square width %d (%v)", w, version, sq.Width, err)
			}
			sb, _ = da.NewSquareBuilder(w)
			if err := sb.Append(da.Blob{Namespace: ns, Data: make([]byte, max+1), ShareVersion: version, Signer: signer}); !errors.Is(err, da.ErrBlobTooLarge) {
				t.Fatalf("w=%d v%d: %d bytes: %v", w, version, max+1, err)
			}
		}
	}
	// Width 128: 16257 shares + 127 alignment = 16384.
	if got, _ := da.MaxBlobDataSize(128, 0); got != 478+482*16256 {
		t.Fatalf("MaxBlobDataSize(128, 0) = %d", got)
	}
	if _, err := da.MaxBlobDataSize(100, 0); !errors.Is(err, da.ErrSquareWidth) {
		t.Fatalf("width 100: %v", err)
	}
	if _, err := da.MaxBlobDataSize(128, 2); !errors.Is(err, da.ErrShareVersion) {
		t.Fatalf("version 2: %v", err)
	}
}

func TestSquareBuilderRejectsInvalidBlob(t *testing.T) {
	sb, _ := da.NewSquareBuilder(4)
	if err := sb.Append(da.Blob{Namespace: testNS(t, 1)}); !errors.Is(err, da.ErrBlobEmpty) {
		t.Fatalf("empty blob: %v", err)
	}
	if err := sb.Append(da.Blob{Namespace: da.PayForBlobNamespace, Data: []byte{1}}); !errors.Is(err, da.ErrNamespaceReserved) {
		t.Fatalf("PFB namespace: %v", err)
	}
	if sb.Len() != 0 || sb.WorstCaseShares() != 0 {
		t.Fatal("refused blobs changed the builder")
	}
}

func BenchmarkSquareExport(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{16, 128} {
		sb, _ := da.NewSquareBuilder(k)
		for {
			ns := testNS(b, byte(r.IntN(256)), byte(r.IntN(256)))
			if sb.Append(da.Blob{Namespace: ns, Data: randBytes(r, 1+r.IntN(20000))}) != nil {
				break
			}
		}
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sb.Export(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The ods-v1 vector squares are blob-only squares that need no alignment,
// and three quarters full, so the builder lays their blobs out exactly as
// the vectors do: same k, same shares (checked against ods_sha256 computed
// by Celestia's code).
func TestSquareBuilderReproducesODSVectors(t *testing.T) {
	for _, k := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			var v struct {
				Input struct {
					ODSSHA256 string `json:"ods_sha256"`
				} `json:"input"`
			}
			vectors.Load(t, fmt.Sprintf("eds/k%03d.json", k), &v)
			blobs, starts := odsV1Blobs(vectors.Seed, k)
			// Reverse the input: the builder must sort.
			slices.Reverse(blobs)
			slices.Reverse(starts)
			sq, err := da.BuildSquare(blobs, da.MaxSquareWidthCap)
			if err != nil {
				t.Fatal(err)
			}
			if sq.Width != k {
				t.Fatalf("width %d, want %d", sq.Width, k)
			}
			if got := vectors.SharesHash(sq.Shares); hex.EncodeToString(got[:]) != v.Input.ODSSHA256 {
				t.Fatalf("square hash %x, want %s", got, v.Input.ODSSHA256)
			}
			if !slices.Equal(sq.BlobStarts, starts) {
				t.Fatal("blob starts differ from the vector layout")
			}
		})
	}
}
