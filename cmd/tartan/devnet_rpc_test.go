package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/filecoin-project/go-jsonrpc"

	"github.com/tartan-da/tartan/da"
)

// The Celestia JSON-RPC of a devnet (issue 12), driven as ev-node drives
// it: go-jsonrpc clients over WebSocket, one per namespace of methods,
// blobs and commitments built on the client, IDs of height ‖ commitment.
// The wire types below are written from shared/CELESTIA-RPC.md, not taken
// from package api.

type rpcBlob struct {
	Namespace    []byte `json:"namespace"`
	Data         []byte `json:"data"`
	ShareVersion uint8  `json:"share_version"`
	Commitment   []byte `json:"commitment"`
	Index        int    `json:"index"`
}

type rpcProof struct {
	Start                 int      `json:"start,omitempty"`
	End                   int      `json:"end,omitempty"`
	Nodes                 [][]byte `json:"nodes,omitempty"`
	LeafHash              []byte   `json:"leaf_hash,omitempty"`
	IsMaxNamespaceIgnored bool     `json:"is_max_namespace_ignored,omitempty"`
}

type rpcRawHeader struct {
	ChainID string    `json:"chain_id"`
	Height  uint64    `json:"height"`
	Time    time.Time `json:"time"`
}

type rpcHeader struct {
	Header rpcRawHeader `json:"header"`
	Commit struct {
		Height uint64 `json:"height"`
	} `json:"commit"`
	DAH *struct {
		RowRoots [][]byte `json:"row_roots"`
	} `json:"dah"`
	Height uint64 `json:"height,string"`
}

type rpcSubscription struct {
	Blobs  []*rpcBlob    `json:"blobs"`
	Height uint64        `json:"height"`
	Header *rpcRawHeader `json:"header"`
}

type rpcBlobAPI struct {
	Submit    func(context.Context, []*rpcBlob, map[string]any) (uint64, error)
	Get       func(context.Context, uint64, []byte, []byte) (*rpcBlob, error)
	GetAll    func(context.Context, uint64, [][]byte) ([]*rpcBlob, error)
	GetProof  func(context.Context, uint64, []byte, []byte) ([]*rpcProof, error)
	Included  func(context.Context, uint64, []byte, []*rpcProof, []byte) (bool, error)
	Subscribe func(context.Context, []byte) (<-chan *rpcSubscription, error)
}

type rpcHeaderAPI struct {
	GetByHeight func(context.Context, uint64) (*rpcHeader, error)
	NetworkHead func(context.Context) (*rpcHeader, error)
}

// dialRPC opens ev-node's two connections to url.
func dialRPC(t *testing.T, ctx context.Context, url string) (*rpcBlobAPI, *rpcHeaderAPI) {
	t.Helper()
	ws := "ws" + strings.TrimPrefix(url, "http")
	var b rpcBlobAPI
	var h rpcHeaderAPI
	for ns, api := range map[string]any{"blob": &b, "header": &h} {
		closer, err := jsonrpc.NewClient(ctx, ws, ns, api, http.Header{})
		if err != nil {
			t.Fatalf("dial %s (%s): %v", ws, ns, err)
		}
		t.Cleanup(closer)
	}
	return &b, &h
}

func TestDevnetCelestiaRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	dir := t.TempDir()
	base := freeBase(t, 3)
	p := startDevnetProc(t, "--dir", dir, "--validators", "1", "--fulls", "1", "--lights", "1", "--block-time", "300ms", "--api-port", fmt.Sprint(base))
	d := p.waitJSON(t, dir, nil)
	rpcOf := map[string]string{}
	for _, n := range d.Nodes {
		if n.RPC != fmt.Sprintf("http://127.0.0.1:%d", base+devnetRPCOffset+len(rpcOf)) {
			t.Fatalf("%s: rpc %q in devnet.json", n.Name, n.RPC)
		}
		// The table is printed just after devnet.json is written.
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stdout.String(), n.RPC) && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(p.stdout.String(), n.RPC) {
			t.Fatalf("the devnet table does not list %s's JSON-RPC %s:\n%s", n.Name, n.RPC, p.stdout)
		}
		rpcOf[n.Role] = n.RPC
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fullBlob, fullHeader := dialRPC(t, ctx, rpcOf["full"])
	lightBlob, lightHeader := dialRPC(t, ctx, rpcOf["light"])

	sum := sha256.Sum256([]byte("evtest"))
	ns, _ := da.NewV0Namespace(sum[:10])
	sub, err := fullBlob.Subscribe(ctx, ns[:])
	if err != nil {
		t.Fatal(err)
	}

	// Three submissions through the light node (it forwards to a
	// validator), each one call and so one height.
	var heights []uint64
	var sent [][]*rpcBlob
	for i := range 3 {
		var blobs []*rpcBlob
		for j := range i + 1 {
			data := []byte(strings.Repeat(fmt.Sprintf("ev-node block %d part %d; ", i, j), 20*(j+1)))
			b, err := da.NewBlob(ns, data, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := da.CreateCommitment(&b)
			blobs = append(blobs, &rpcBlob{Namespace: ns[:], Data: data, Commitment: c[:], Index: -1})
		}
		h, err := lightBlob.Submit(ctx, blobs, map[string]any{})
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		heights = append(heights, h)
		sent = append(sent, blobs)
	}

	// The subscription sends every height after it began, in order, with
	// this namespace's blobs (none at heights between submissions).
	got := map[uint64]*rpcSubscription{}
	var last uint64
	for last < heights[2] {
		select {
		case resp := <-sub:
			if resp == nil {
				t.Fatal("the subscription closed")
			}
			if last != 0 && resp.Height != last+1 {
				t.Fatalf("subscription sent height %d after %d", resp.Height, last)
			}
			if resp.Header == nil || resp.Header.Height != resp.Height || resp.Header.Time.IsZero() {
				t.Fatalf("subscription height %d: header %+v", resp.Height, resp.Header)
			}
			last = resp.Height
			got[resp.Height] = resp
		case <-ctx.Done():
			t.Fatalf("subscription stopped at height %d, want up to %d", last, heights[2])
		}
	}

	for i, h := range heights {
		if r := got[h]; r == nil || len(r.Blobs) != len(sent[i]) {
			t.Fatalf("subscription at height %d: %+v, want %d blobs", h, got[h], len(sent[i]))
		}
		for _, cl := range []*rpcBlobAPI{fullBlob, lightBlob} {
			all, err := cl.GetAll(ctx, h, [][]byte{ns[:]})
			if err != nil || len(all) != len(sent[i]) {
				t.Fatalf("GetAll at %d: %d blobs, %v", h, len(all), err)
			}
			for j, b := range all {
				if !bytes.Equal(b.Data, sent[i][j].Data) || !bytes.Equal(b.Commitment, sent[i][j].Commitment) || !bytes.Equal(got[h].Blobs[j].Data, b.Data) {
					t.Fatalf("height %d blob %d differs from what was sent", h, j)
				}
			}
		}
		for _, b := range sent[i] {
			one, err := fullBlob.Get(ctx, h, ns[:], b.Commitment)
			if err != nil || !bytes.Equal(one.Data, b.Data) {
				t.Fatalf("Get at %d: %v", h, err)
			}
			proof, err := fullBlob.GetProof(ctx, h, ns[:], b.Commitment)
			if err != nil || len(proof) == 0 {
				t.Fatalf("GetProof at %d: %v", h, err)
			}
			for _, cl := range []*rpcBlobAPI{fullBlob, lightBlob} {
				if ok, err := cl.Included(ctx, h, ns[:], proof, b.Commitment); err != nil || !ok {
					t.Fatalf("Included at %d: %v, %v", h, ok, err)
				}
			}
			proof[0].Start++
			if ok, err := fullBlob.Included(ctx, h, ns[:], proof, b.Commitment); err != nil || ok {
				t.Fatalf("Included with a shifted proof: %v, %v", ok, err)
			}
		}
	}

	// Every height has a header, with the DAH where the node keeps one.
	for h := uint64(1); h <= heights[2]; h++ {
		fh, err := fullHeader.GetByHeight(ctx, h)
		if err != nil || fh.Height != h || fh.Header.Height != h || fh.Commit.Height != h || fh.DAH == nil || len(fh.DAH.RowRoots) == 0 {
			t.Fatalf("full node header %d: %+v, %v", h, fh, err)
		}
		lh, err := lightHeader.GetByHeight(ctx, h)
		if err != nil || lh.Height != h || !lh.Header.Time.Equal(fh.Header.Time) {
			t.Fatalf("light node header %d: %+v, %v", h, lh, err)
		}
	}
	head, err := fullHeader.NetworkHead(ctx)
	if err != nil || head.Height < heights[2] {
		t.Fatalf("NetworkHead: %+v, %v", head, err)
	}
	if _, err := fullBlob.GetAll(ctx, head.Height+1000, [][]byte{ns[:]}); err == nil || !strings.Contains(err.Error(), "given height is from the future") {
		t.Fatalf("GetAll above the head: %v", err)
	}
	p.stop(t)
}
