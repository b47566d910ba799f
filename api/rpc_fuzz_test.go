package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// The JSON-RPC's decoders of untrusted bytes: whatever they accept
// re-encodes to what decodes to the same value, and a blob they accept is
// one a square can hold, with its own commitment.

func FuzzCelestiaBlobJSON(f *testing.F) {
	f.Add([]byte(`{"namespace":"AAAAAAAAAAAAAAAAAAAAAAAAAPssFdFYQ7tYQ7c=","data":"Hx1KGfc=","share_version":0,"commitment":"QmMrtOME4HtXUTmzmhND438VVU4GXcmsrKEkkHZ8HnA=","index":-1}`))
	f.Add([]byte(`{"namespace":"AAAAAAAAAAAAAAAAAAAAAAAAAPssFdFYQ7tYQ7c=","data":"Hx1KGfc=","share_version":1,"signer":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"namespace":"AAAA","data":""}`))
	f.Add([]byte(`{"namespace":"//////////////////////////////////////8=","data":"AA=="}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b CelestiaBlob
		if err := json.Unmarshal(raw, &b); err != nil {
			return
		}
		if err := b.Blob.Validate(); err != nil {
			t.Fatalf("accepted an invalid blob: %v", err)
		}
		if c, err := da.CreateCommitment(&b.Blob); err != nil || c != b.Commitment {
			t.Fatalf("commitment %x, the blob's is %x (%v)", b.Commitment, c, err)
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var again CelestiaBlob
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if again.Commitment != b.Commitment || again.Index != b.Index || !bytes.Equal(again.Blob.Data, b.Blob.Data) ||
			again.Blob.Namespace != b.Blob.Namespace || again.Blob.ShareVersion != b.Blob.ShareVersion || !bytes.Equal(again.Blob.Signer, b.Blob.Signer) {
			t.Fatalf("round trip changed the blob: %s", out)
		}
	})
}

func FuzzCelestiaProofJSON(f *testing.F) {
	node := bytes.Repeat([]byte{1}, da.NMTNodeSize)
	seed, _ := json.Marshal([]CelestiaNMTProof{{Start: 1, End: 3, Nodes: [][]byte{node}, IsMaxNamespaceIgnored: true}, {End: 2, LeafHash: node}})
	f.Add(seed)
	f.Add([]byte(`[{"start":"1"}]`))
	f.Add([]byte(`[{"start":5,"end":2}]`))
	f.Add([]byte(`{"start":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ps []*CelestiaNMTProof
		if err := json.Unmarshal(raw, &ps); err != nil {
			return
		}
		for _, p := range ps {
			if p == nil {
				continue
			}
			np, err := p.NMTProof()
			if err != nil {
				continue
			}
			if np.Start < 0 || np.End < np.Start || len(np.Nodes) != len(p.Nodes) {
				t.Fatalf("accepted a proof of range [%d, %d) with %d nodes from %d", np.Start, np.End, len(np.Nodes), len(p.Nodes))
			}
			back := NewCelestiaNMTProof(&np)
			if back.Start != p.Start || back.End != p.End || !bytes.Equal(back.LeafHash, p.LeafHash) {
				t.Fatalf("round trip changed the proof: %+v → %+v", p, back)
			}
		}
	})
}

func FuzzHeightParam(f *testing.F) {
	for _, s := range []string{`7`, `{"height":"7"}`, `{"header":{"height":7}}`, `"7"`, `{"height":"x"}`, `-1`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var h HeightParam
		if err := json.Unmarshal(raw, &h); err != nil {
			return
		}
		var n uint64
		if json.Unmarshal(raw, &n) == nil && uint64(h) != n {
			t.Fatalf("%s: height %d, the number says %d", raw, h, n)
		}
	})
}
