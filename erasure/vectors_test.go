package erasure

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/tartan-da/tartan/internal/vectors"
)

type edsVector struct {
	K     int `json:"k"`
	Input struct {
		ODSSHA256 string `json:"ods_sha256"`
	} `json:"input"`
	EDSSHA256 string            `json:"eds_sha256"`
	RowRoots  []string          `json:"row_roots"`
	ColRoots  []string          `json:"col_roots"`
	DataRoot  string            `json:"data_root"`
	Pitfalls  map[string]string `json:"pitfalls"`
}

func TestEDSVectors(t *testing.T) {
	// One Extender for every width, as a producer whose square size
	// changes from block to block would use it.
	x := NewExtender(0)
	for _, k := range []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			if k >= 256 && testing.Short() {
				t.Skip("large square skipped in -short mode")
			}
			var v edsVector
			vectors.Load(t, fmt.Sprintf("eds/k%03d.json", k), &v)
			ods := vectors.ODS(vectors.Seed, k)
			if got := vectors.SharesHash(ods); hex.EncodeToString(got[:]) != v.Input.ODSSHA256 {
				t.Fatalf("ODS hash %x, want %s: the input formula is wrong", got, v.Input.ODSSHA256)
			}
			eds, err := Extend(ods)
			if err != nil {
				t.Fatal(err)
			}
			if got := vectors.SharesHash(eds.Shares()); hex.EncodeToString(got[:]) != v.EDSSHA256 {
				t.Fatalf("EDS hash %x, want %s: erasure coding differs from rsmt2d", got, v.EDSSHA256)
			}
			dah, err := Commit(eds)
			if err != nil {
				t.Fatal(err)
			}
			for i := range dah.RowRoots {
				if got := hex.EncodeToString(dah.RowRoots[i][:]); got != v.RowRoots[i] {
					t.Fatalf("row root %d\n got %s\nwant %s", i, got, v.RowRoots[i])
				}
				if got := hex.EncodeToString(dah.ColRoots[i][:]); got != v.ColRoots[i] {
					t.Fatalf("column root %d\n got %s\nwant %s", i, got, v.ColRoots[i])
				}
			}
			root := dah.DataRoot()
			got := hex.EncodeToString(root[:])
			if got != v.DataRoot {
				t.Fatalf("data root %s, want %s", got, v.DataRoot)
			}
			for name, bad := range v.Pitfalls {
				if got == bad {
					t.Fatalf("data root equals pitfall %s", name)
				}
			}
			// The one-pass path gives the same square and roots.
			e2, dah2, err := x.ExtendAndCommit(ods)
			if err != nil {
				t.Fatal(err)
			}
			if got := vectors.SharesHash(e2.Shares()); hex.EncodeToString(got[:]) != v.EDSSHA256 {
				t.Fatalf("ExtendAndCommit: EDS hash %x, want %s", got, v.EDSSHA256)
			}
			if root2 := dah2.DataRoot(); hex.EncodeToString(root2[:]) != v.DataRoot {
				t.Fatalf("ExtendAndCommit: data root %x, want %s", root2, v.DataRoot)
			}
			x.Recycle(e2)
		})
	}
}
