package p2p

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/erasure"
)

// Held-samples protocol (DESIGN.md §2, §5): a light node keeps the cells
// it sampled, each verified against the data root, and hands them all over
// on request. A full node that finds no peer serving a square's ODS (the
// validators are gone, say) collects these from every peer and rebuilds the
// square from their union.
//
//	request  height(8), big-endian; height 0 is malformed
//	answer   erasure sample batch (version 2) of the held samples, at most
//	         MaxSamplesPerRequest, each cell once; not-found when none
//
// As with the samples protocol the answer is checked here for shape only
// (it decodes, its count is bounded, no cell repeats); the caller verifies
// each sample with Sample.Verify against the header and penalises a peer
// sending an invalid one with OffenceInvalid.

const heldRequestSize = 8

func (h *Host) heldProtocol() Protocol {
	return Protocol{
		ID:             h.ProtocolID("held", "v1"),
		MaxRequestSize: heldRequestSize,
		// A full batch at the largest width, checked before the frame
		// is allocated.
		MaxResponseSize: erasure.MaxSampleBatchSize(MaxSamplesPerRequest),
	}
}

// HeldSource is what a host serving held samples reads from; node
// implements it over a light node's stored samples. Held returns the
// verified samples held at height (any number: the server sends at most
// MaxSamplesPerRequest of them), or an error wrapping ErrNotFound.
type HeldSource interface {
	Held(ctx context.Context, height uint64) ([]*erasure.Sample, error)
}

func decodeHeldRequest(b []byte) (uint64, error) {
	if len(b) != heldRequestSize {
		return 0, fmt.Errorf("%w: held request of %d bytes, want %d", ErrMalformed, len(b), heldRequestSize)
	}
	height := binary.BigEndian.Uint64(b)
	return height, checkHeight(height)
}

// distinctCells fails when a cell appears twice in ss.
func distinctCells(ss []*erasure.Sample) error {
	seen := make(map[[2]int]bool, len(ss))
	for i, s := range ss {
		c := [2]int{s.Row, s.Col}
		if seen[c] {
			return fmt.Errorf("sample %d repeats cell (%d,%d)", i, s.Row, s.Col)
		}
		seen[c] = true
	}
	return nil
}

// encodeHeld encodes a source's answer; what it cannot encode is the
// source's fault, not the requester's.
func encodeHeld(ss []*erasure.Sample) ([]byte, error) {
	ss = ss[:min(len(ss), MaxSamplesPerRequest)]
	for i, s := range ss {
		if s == nil {
			return nil, fmt.Errorf("p2p: held source returned a nil sample %d", i)
		}
	}
	if err := distinctCells(ss); err != nil {
		return nil, fmt.Errorf("p2p: held source: %v", err)
	}
	b, err := erasure.AppendSampleBatch(nil, ss)
	if err != nil {
		return nil, fmt.Errorf("p2p: held samples: %w", err)
	}
	return b, nil
}

// decodeHeld decodes an answer from untrusted bytes: a well-formed batch
// of at most MaxSamplesPerRequest samples, no cell twice. The proofs are
// not verified.
func decodeHeld(b []byte) ([]*erasure.Sample, error) {
	ss, err := erasure.DecodeSampleBatchUpTo(b, MaxSamplesPerRequest)
	if err != nil {
		return nil, fmt.Errorf("%w: held answer: %w", ErrMalformed, err)
	}
	if err := distinctCells(ss); err != nil {
		return nil, fmt.Errorf("%w: held answer: %v", ErrMalformed, err)
	}
	return ss, nil
}

// ServeHeld registers the held protocol, served from src.
func (h *Host) ServeHeld(src HeldSource) {
	h.Handle(h.heldProtocol(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, err := decodeHeldRequest(b)
		if err != nil {
			return nil, err
		}
		ss, err := src.Held(ctx, height)
		if err != nil {
			return nil, err
		}
		if len(ss) == 0 {
			return nil, fmt.Errorf("%w: no samples held at height %d", ErrNotFound, height)
		}
		return encodeHeld(ss)
	})
}

// RequestHeld fetches every sample peer to holds at height (at most
// MaxSamplesPerRequest), ErrNotFound when it holds none. The samples are
// decoded but not verified: the caller verifies each with
// Sample.Verify(dataRoot, k) and penalises an invalid one with
// Penalize(to, OffenceInvalid, err).
func (h *Host) RequestHeld(ctx context.Context, to peer.ID, height uint64) ([]*erasure.Sample, error) {
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad held request: %v", err)
	}
	var out []*erasure.Sample
	err := h.call(ctx, to, h.heldProtocol(), binary.BigEndian.AppendUint64(nil, height), func(b []byte) (err error) {
		out, err = decodeHeld(b)
		return err
	})
	return out, err
}
