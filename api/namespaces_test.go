package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// listingChain is the test chain with a namespace list per height, as a
// full node reads it from its square.
type listingChain struct {
	*chain
	list map[uint64][]da.Namespace
}

func (c listingChain) Namespaces(_ context.Context, height uint64) ([]da.Namespace, error) {
	if _, _, err := c.at(height); err != nil {
		return nil, err
	}
	return c.list[height], nil
}

func TestBlobNamespaces(t *testing.T) {
	c := newChain(t)
	lc := listingChain{chain: c, list: map[uint64][]da.Namespace{}}
	ts := newTestServer(t, Services{Node: c, Headers: c, Shares: c, Blobs: lc})
	a, b := "74617274616e2d616161", "74617274616e2d626262"
	big := strings.Repeat("tartan ", 300)
	var res SubmitResult
	if code, _ := call(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{a, "hello"}, [2]string{b, big}, [2]string{a, "again"}), &res); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	nsA, _ := da.ParseNamespace(a)
	nsB, _ := da.ParseNamespace(b)
	lc.list[res.Height] = []da.Namespace{nsA, nsB}
	var got NamespacesJSON
	if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/blobs/%d/namespaces", ts.URL, res.Height), "", &got); code != http.StatusOK {
		t.Fatalf("namespaces: %d", code)
	}
	if got.Height != res.Height || got.Truncated || len(got.Namespaces) != 2 ||
		got.Namespaces[0].Namespace != nsA.String() || got.Namespaces[1].Namespace != nsB.String() {
		t.Fatalf("namespaces answered %+v", got)
	}
	sizes := map[string]int{res.Commitments[0]: 5, res.Commitments[1]: len(big), res.Commitments[2]: 5}
	seen := 0
	for _, nb := range got.Namespaces {
		for _, br := range nb.Blobs {
			if sizes[br.Commitment] != br.Size || br.ShareVersion != 0 {
				t.Errorf("namespace %s: blob %+v, want one submitted with its size", nb.Namespace, br)
			}
			// The commitment leads to the blob.
			var one BlobJSON
			if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/blobs/%d/%s/%s", ts.URL, res.Height, nb.Namespace, br.Commitment), "", &one); code != 200 || one.Index != br.Index {
				t.Errorf("blob %s: %d, index %d, want 200 at %d", br.Commitment, code, one.Index, br.Index)
			}
			seen++
		}
	}
	if seen != 3 {
		t.Fatalf("listed %d blobs, want 3", seen)
	}
	// An empty listing is [], and a backend that cannot list says so.
	var empty NamespacesJSON
	if code, _ := call(t, "GET", ts.URL+"/v1/blobs/1/namespaces", "", &empty); code != 200 || empty.Namespaces == nil || len(empty.Namespaces) != 0 {
		t.Fatalf("height 1: %d %+v, want 200 with []", code, empty)
	}
	plain := newTestServer(t, allServices(c))
	if code, _ := call(t, "GET", plain.URL+"/v1/blobs/1/namespaces", "", nil); code != http.StatusNotImplemented {
		t.Fatalf("without a lister: %d, want 501", code)
	}
	if code, _ := call(t, "GET", ts.URL+"/v1/blobs/0/namespaces", "", nil); code != http.StatusBadRequest {
		t.Fatalf("height 0: %d, want 400", code)
	}
}
