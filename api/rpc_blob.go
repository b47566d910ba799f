package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tartan-da/tartan/da"
)

// rpcBlob serves the "blob" namespace. Every exported method is a
// JSON-RPC method (go-jsonrpc registers them by reflection).
type rpcBlob struct{ s *Server }

// Submit includes the blobs in one block and returns its height, as
// blob.Submit does: synchronously, all blobs at one height. options
// (celestia's gas and fee settings) are accepted and ignored: Tartan has
// no fees.
func (b *rpcBlob) Submit(ctx context.Context, blobs []*CelestiaBlob, options json.RawMessage) (uint64, error) {
	s := b.s
	if permOf(ctx) != permWrite {
		return 0, fmt.Errorf("missing permission to invoke 'blob.Submit' (need 'write'): %s", tokenHint)
	}
	if s.svc.Blobs == nil {
		return 0, errors.New(message(ErrNotServed))
	}
	if len(blobs) == 0 {
		return 0, errors.New("blob: no blobs to submit")
	}
	list := make([]da.Blob, len(blobs))
	for i, bl := range blobs {
		if bl == nil {
			return 0, fmt.Errorf("blob: blob %d is null", i)
		}
		list[i] = bl.Blob
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SubmitTimeout)
	defer cancel()
	height, err := s.svc.Blobs.Submit(ctx, list)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		// Clients back off and resubmit, which never includes a blob twice.
		return 0, fmt.Errorf("timed out waiting for tx to be included in a block (after %s)", s.cfg.SubmitTimeout)
	}
	return height, s.rpcError(ctx, err, 0)
}

// tokenHint tells a client without a token how to get one.
const tokenHint = "send Authorization: Bearer <token>, a token the node's operator creates with `tartan auth token create --dir <node dir>`"

// Get returns the blob with this commitment, or the error "blob: not
// found"; never null, which clients would skip silently.
func (b *rpcBlob) Get(ctx context.Context, height uint64, ns CelestiaNamespace, commitment []byte) (*CelestiaBlob, error) {
	bl, k, err := b.find(ctx, height, ns.Namespace, commitment)
	if err != nil {
		return nil, err
	}
	return celestiaBlob(bl, k), nil
}

// GetAll returns the blobs of the namespaces at a height, in the order
// the namespaces are given and each in square order; an empty list when
// there are none.
func (b *rpcBlob) GetAll(ctx context.Context, height uint64, namespaces []CelestiaNamespace) ([]*CelestiaBlob, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	if len(namespaces) == 0 {
		return nil, errors.New("blob: no namespaces given")
	}
	out := []*CelestiaBlob{}
	for _, ns := range namespaces {
		_, k, blobs, err := b.s.readBlobs(ctx, height, ns.Namespace)
		if err != nil {
			return nil, b.s.rpcError(ctx, err, height)
		}
		for _, bl := range blobs {
			out = append(out, celestiaBlob(bl, k))
		}
	}
	return out, nil
}

// GetProof returns the NMT proofs of the blob's shares, one per row it
// spans, each against that row's root.
func (b *rpcBlob) GetProof(ctx context.Context, height uint64, ns CelestiaNamespace, commitment []byte) ([]*CelestiaNMTProof, error) {
	bl, _, err := b.find(ctx, height, ns.Namespace, commitment)
	if err != nil {
		return nil, err
	}
	p, err := b.s.svc.Blobs.BlobProof(ctx, height, bl.Start, bl.Start+bl.ShareCount())
	if err != nil {
		return nil, b.s.rpcError(ctx, err, height)
	}
	out := make([]*CelestiaNMTProof, len(p.Rows))
	for i := range p.Rows {
		out[i] = NewCelestiaNMTProof(&p.Rows[i].Proof)
	}
	return out, nil
}

// GetCommitmentProof proves the blob's commitment to the data root: its
// subtree roots, their proofs to the row roots (the NMT range proofs of
// its shares, row by row) and the rows' proofs to the data root.
func (b *rpcBlob) GetCommitmentProof(ctx context.Context, height uint64, ns CelestiaNamespace, commitment []byte) (*CelestiaCommitmentProof, error) {
	bl, _, err := b.find(ctx, height, ns.Namespace, commitment)
	if err != nil {
		return nil, err
	}
	roots, err := da.BlobSubtreeRoots(&bl.Blob)
	if err != nil {
		return nil, errors.New(message(err))
	}
	p, err := b.s.svc.Blobs.BlobProof(ctx, height, bl.Start, bl.Start+bl.ShareCount())
	if err != nil {
		return nil, b.s.rpcError(ctx, err, height)
	}
	return NewCelestiaCommitmentProof(roots, p), nil
}

// Included reports whether proof is the proof of the blob with this
// commitment at height: false, not an error, for an unknown blob or a
// proof that differs. Like celestia-node it derives the proof afresh and
// compares, field by field rather than byte for byte, since clients send
// back their own re-encoding.
func (b *rpcBlob) Included(ctx context.Context, height uint64, ns CelestiaNamespace, proof []*CelestiaNMTProof, commitment []byte) (bool, error) {
	want, err := b.GetProof(ctx, height, ns, commitment)
	if err != nil {
		if errors.Is(err, errBlobNotFound) {
			return false, nil
		}
		return false, err
	}
	if len(proof) != len(want) {
		return false, nil
	}
	for i, p := range proof {
		w := want[i]
		if p == nil || p.Start != w.Start || p.End != w.End || !bytes.Equal(p.LeafHash, w.LeafHash) || len(p.Nodes) != len(w.Nodes) {
			return false, nil
		}
		for j := range p.Nodes {
			if !bytes.Equal(p.Nodes[j], w.Nodes[j]) {
				return false, nil
			}
		}
	}
	return true, nil
}

// CelestiaSubscription is one height's blobs of a subscribed namespace,
// with the header fields clients read (celestia-node ≥ v0.29.1).
type CelestiaSubscription struct {
	Blobs  []*CelestiaBlob    `json:"blobs"`
	Height uint64             `json:"height"`
	Header *CelestiaRawHeader `json:"header,omitempty"`
}

// Subscribe sends, for every height after the current head, in order and
// without gaps, that height's blobs of the namespace (an empty list when
// it has none). It needs a WebSocket: over HTTP go-jsonrpc refuses methods
// that return channels. The channel closes when the client cancels or
// disconnects, or when a height's blobs cannot be read.
func (b *rpcBlob) Subscribe(ctx context.Context, ns CelestiaNamespace) (<-chan *CelestiaSubscription, error) {
	s := b.s
	if s.svc.Availability == nil || s.svc.Headers == nil || s.svc.Blobs == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	from := uint64(1)
	if h, err := s.svc.Headers.Head(ctx); err == nil {
		from = h.Height + 1
	}
	events, err := s.svc.Availability.Events(ctx, from, map[string]bool{EventHeader: true})
	if err != nil {
		return nil, errors.New(message(err))
	}
	out := make(chan *CelestiaSubscription, rpcSubscribeBuffer)
	started := s.goRPC(func() {
		defer close(out)
		next := from
		for ev := range events {
			if ev.Height < next {
				continue // a replayed duplicate
			}
			for ; next <= ev.Height; next++ {
				resp, err := b.subscription(ctx, next, ns.Namespace)
				if err != nil {
					if ctx.Err() == nil {
						s.log.Warn("blob subscription ended", "namespace", ns.Namespace.String(), "height", next, "err", err)
					}
					return
				}
				select {
				case out <- resp:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	if !started {
		return nil, errors.New("the node is stopping")
	}
	return out, nil
}

// subscription reads one height for Subscribe, waiting while the node has
// its header but not yet its data.
func (b *rpcBlob) subscription(ctx context.Context, height uint64, ns da.Namespace) (*CelestiaSubscription, error) {
	wait := 50 * time.Millisecond
	for {
		_, k, blobs, err := b.s.readBlobs(ctx, height, ns)
		if err == nil {
			h, err := b.s.svc.Headers.Header(ctx, height)
			if err != nil {
				return nil, err
			}
			resp := &CelestiaSubscription{Blobs: make([]*CelestiaBlob, len(blobs)), Height: height,
				Header: &CelestiaRawHeader{ChainID: h.ChainID, Height: h.Height, Time: h.Time.UTC()}}
			for i, bl := range blobs {
				resp.Blobs[i] = celestiaBlob(bl, k)
			}
			return resp, nil
		}
		if !errors.Is(err, ErrNotYet) && !errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// errBlobNotFound is the text clients match on for a blob that is not
// there (CELESTIA-RPC.md §4).
var errBlobNotFound = errors.New("blob: not found")

// find looks a blob up by its commitment.
func (b *rpcBlob) find(ctx context.Context, height uint64, ns da.Namespace, commitment []byte) (blobAt, int, error) {
	if err := checkHeight(height); err != nil {
		return blobAt{}, 0, err
	}
	if len(commitment) != 32 {
		return blobAt{}, 0, fmt.Errorf("blob: commitment has %d bytes, want 32 (standard base64)", len(commitment))
	}
	_, k, blobs, err := b.s.readBlobs(ctx, height, ns)
	if err != nil {
		return blobAt{}, 0, b.s.rpcError(ctx, err, height)
	}
	for _, bl := range blobs {
		if bytes.Equal(bl.Commitment[:], commitment) {
			return bl, k, nil
		}
	}
	return blobAt{}, 0, fmt.Errorf("%w: no blob with commitment %x in namespace %s at height %d", errBlobNotFound, commitment, ns, height)
}

// celestiaBlob converts a blob read from a square of width k; its index
// counts in the extended square, as celestia-node's does.
func celestiaBlob(b blobAt, k int) *CelestiaBlob {
	return &CelestiaBlob{Blob: b.Blob, Commitment: b.Commitment, Index: b.Start/k*2*k + b.Start%k}
}
