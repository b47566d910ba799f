package p2p

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/erasure"
)

// Fraud-proof sync (DESIGN.md §5): a fraud proof is gossiped once, when it
// is built; a node that was away then (restarted, caught up later, joined
// after) asks its peers which heights have a proof and fetches the proofs
// it lacks. Every role serves the proofs it verified.
//
// Requests, integers big-endian:
//
//	fraud-heights  from(8)       heights ≥ from with a proof
//	fraud-proof    height(8)     the proof of one height (height ≥ 1)
//
// Answers:
//
//	fraud-heights  count(2) ‖ count × height(8), ascending, at most MaxFraudHeights
//	fraud-proof    the erasure.BadEncodingProof binary
//
// Answers are checked for shape only; the caller verifies each proof
// against its header and penalises a peer whose proof is invalid
// (OffenceInvalid).

// MaxFraudHeights is the most heights one fraud-heights answer lists.
const MaxFraudHeights = 256

const fraudRequestSize = 8

// FraudSource is what a host serving fraud proofs reads from. FraudProof
// returns an error wrapping ErrNotFound when the host holds no proof for
// the height.
type FraudSource interface {
	// FraudHeights lists, ascending, at most max heights ≥ from with a
	// proof.
	FraudHeights(ctx context.Context, from uint64, max int) ([]uint64, error)
	FraudProof(ctx context.Context, height uint64) ([]byte, error)
}

func (h *Host) fraudHeightsProtocol() Protocol {
	return Protocol{ID: h.ProtocolID("fraud-heights", "v1"), MaxRequestSize: fraudRequestSize, MaxResponseSize: 2 + 8*MaxFraudHeights}
}

func (h *Host) fraudProofProtocol() Protocol {
	return Protocol{ID: h.ProtocolID("fraud-proof", "v1"), MaxRequestSize: fraudRequestSize,
		MaxResponseSize: erasure.MaxBadEncodingProofSize, Timeout: h.bulkTimeout()}
}

func decodeFraudRequest(b []byte, what string) (uint64, error) {
	if len(b) != fraudRequestSize {
		return 0, fmt.Errorf("%w: %s request of %d bytes, want %d", ErrMalformed, what, len(b), fraudRequestSize)
	}
	return binary.BigEndian.Uint64(b), nil
}

func encodeFraudHeights(hs []uint64) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+8*len(hs)), uint16(len(hs)))
	for _, h := range hs {
		b = binary.BigEndian.AppendUint64(b, h)
	}
	return b
}

// DecodeFraudHeights decodes a fraud-heights answer to a request from
// height from, from untrusted bytes: at most MaxFraudHeights heights, each
// ≥ max(from, 1), strictly ascending, nothing after.
func DecodeFraudHeights(b []byte, from uint64) ([]uint64, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: fraud-heights answer of %d bytes has no count", ErrMalformed, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > MaxFraudHeights || len(b) != 2+8*n {
		return nil, fmt.Errorf("%w: fraud-heights answer of %d heights in %d bytes (at most %d)", ErrMalformed, n, len(b), MaxFraudHeights)
	}
	out := make([]uint64, n)
	prev := max(from, 1) - 1
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[2+8*i:])
		if out[i] <= prev {
			return nil, fmt.Errorf("%w: fraud height %d after %d (asked from %d)", ErrMalformed, out[i], prev, from)
		}
		prev = out[i]
	}
	return out, nil
}

// ServeFraud registers the fraud-heights and fraud-proof protocols over
// src.
func (h *Host) ServeFraud(src FraudSource) {
	h.Handle(h.fraudHeightsProtocol(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		from, err := decodeFraudRequest(b, "fraud-heights")
		if err != nil {
			return nil, err
		}
		hs, err := src.FraudHeights(ctx, from, MaxFraudHeights)
		if err != nil {
			return nil, err
		}
		if len(hs) > MaxFraudHeights {
			hs = hs[:MaxFraudHeights]
		}
		return encodeFraudHeights(hs), nil
	})
	h.Handle(h.fraudProofProtocol(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, err := decodeFraudRequest(b, "fraud-proof")
		if err != nil {
			return nil, err
		}
		if err := checkHeight(height); err != nil {
			return nil, err
		}
		return src.FraudProof(ctx, height)
	})
}

// RequestFraudHeights asks a peer which heights ≥ from have a fraud proof.
func (h *Host) RequestFraudHeights(ctx context.Context, to peer.ID, from uint64) ([]uint64, error) {
	var out []uint64
	err := h.call(ctx, to, h.fraudHeightsProtocol(), binary.BigEndian.AppendUint64(nil, from), func(b []byte) (err error) {
		out, err = DecodeFraudHeights(b, from)
		return err
	})
	return out, err
}

// RequestFraudProof fetches the encoded fraud proof of a height, unverified
// (at most erasure.MaxBadEncodingProofSize bytes, checked before anything
// is allocated).
func (h *Host) RequestFraudProof(ctx context.Context, to peer.ID, height uint64) ([]byte, error) {
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad fraud-proof request: %v", err)
	}
	return h.Request(ctx, to, h.fraudProofProtocol(), binary.BigEndian.AppendUint64(nil, height))
}
