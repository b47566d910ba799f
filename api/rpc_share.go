package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tartan-da/tartan/erasure"
)

// rpcShare serves the "share" namespace: the REST API's cells, namespace
// data and share-range proofs in Celestia's shapes.
type rpcShare struct{ s *Server }

// SharesAvailable returns nil once this node holds the height as
// available (light nodes: sampled), waiting while the verdict is pending,
// and an error naming the verdict otherwise.
func (r *rpcShare) SharesAvailable(ctx context.Context, height uint64) error {
	if err := checkHeight(height); err != nil {
		return err
	}
	if r.s.svc.Availability == nil {
		return errors.New(message(ErrNotServed))
	}
	wait := 50 * time.Millisecond
	for {
		a, err := r.s.svc.Availability.Availability(ctx, height)
		if errors.Is(err, ErrNotFound) {
			return r.s.fromFuture(ctx, height)
		}
		if err != nil {
			return errors.New(message(err))
		}
		switch a.Status {
		case "available":
			return nil
		case "pending", "sampling":
		default:
			return fmt.Errorf("share: data not available: height %d is %s", height, a.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// GetShare returns one cell of the extended square.
func (r *rpcShare) GetShare(ctx context.Context, height uint64, row, col int) ([]byte, error) {
	s, err := r.sample(ctx, height, SampleCoords{Row: row, Col: col})
	if err != nil {
		return nil, err
	}
	return s.Share[:], nil
}

// SampleCoords names a cell of the extended square.
type SampleCoords struct {
	Row int `json:"row"`
	Col int `json:"col"`
}

// HeightParam is a height given as a number or, as older celestia-node
// clients of share.GetSamples send it, as the whole header.
type HeightParam uint64

// UnmarshalJSON reads a number or a header's height.
func (h *HeightParam) UnmarshalJSON(raw []byte) error {
	var n uint64
	if err := json.Unmarshal(raw, &n); err == nil {
		*h = HeightParam(n)
		return nil
	}
	var hdr struct {
		Height json.Number `json:"height"`
		Header struct {
			Height json.Number `json:"height"`
		} `json:"header"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return fmt.Errorf("height: want a number or a header: %w", err)
	}
	v := hdr.Height
	if v == "" {
		v = hdr.Header.Height
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return fmt.Errorf("height: the header has no height %q", string(v))
	}
	*h = HeightParam(n)
	return nil
}

// GetSamples returns cells with their NMT proofs to a row or column root,
// in the order asked.
func (r *rpcShare) GetSamples(ctx context.Context, height HeightParam, coords []SampleCoords) ([]CelestiaSample, error) {
	out := make([]CelestiaSample, len(coords))
	for i, c := range coords {
		s, err := r.sample(ctx, uint64(height), c)
		if err != nil {
			return nil, err
		}
		out[i] = NewCelestiaSample(s)
	}
	return out, nil
}

func (r *rpcShare) sample(ctx context.Context, height uint64, c SampleCoords) (*erasure.Sample, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	if r.s.svc.Shares == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	if c.Row < 0 || c.Col < 0 || c.Row >= 2*erasure.MaxWidth || c.Col >= 2*erasure.MaxWidth {
		return nil, fmt.Errorf("share: coordinates (%d, %d) are outside the square", c.Row, c.Col)
	}
	s, err := r.s.svc.Shares.Sample(ctx, height, c.Row, c.Col)
	if err != nil {
		return nil, r.s.rpcError(ctx, err, height)
	}
	return s, nil
}

// GetNamespaceData returns a namespace's shares at a height, row by row,
// each with its NMT proof to the row root; the proofs of the rows around
// them show nothing is left out.
func (r *rpcShare) GetNamespaceData(ctx context.Context, height uint64, ns CelestiaNamespace) ([]CelestiaRowNamespaceData, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	if r.s.svc.Blobs == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	nd, err := r.s.svc.Blobs.NamespaceData(ctx, height, ns.Namespace)
	if err != nil {
		return nil, r.s.rpcError(ctx, err, height)
	}
	return NewCelestiaNamespaceData(nd), nil
}

// CelestiaRangeResult answers share.GetRange: celestia-node's Go struct
// has no JSON tags, hence the capitals.
type CelestiaRangeResult struct {
	Shares [][]byte            `json:"Shares"`
	Proof  *CelestiaShareProof `json:"Proof"`
}

// GetRange returns ODS shares [start, end), all of one namespace, with
// their proof to the data root.
func (r *rpcShare) GetRange(ctx context.Context, height uint64, start, end int) (*CelestiaRangeResult, error) {
	if err := checkHeight(height); err != nil {
		return nil, err
	}
	if r.s.svc.Blobs == nil {
		return nil, errors.New(message(ErrNotServed))
	}
	if start < 0 || end <= start {
		return nil, fmt.Errorf("share: range [%d, %d) is empty or negative", start, end)
	}
	p, err := r.s.svc.Blobs.BlobProof(ctx, height, start, end)
	if err != nil {
		return nil, r.s.rpcError(ctx, err, height)
	}
	sp := NewCelestiaShareProof(p)
	return &CelestiaRangeResult{Shares: sp.Data, Proof: sp}, nil
}
