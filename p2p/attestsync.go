package p2p

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Attestation sync (issue 11): a validator's attestation of a range is
// gossiped once, when signed; a node that was away then (restarted,
// joined later) asks a peer for the attestations of a nonce. Attestations
// are opaque here, of one fixed size the caller gives (node checks each
// against its headers and penalises a peer that sends a wrong one).
//
//	request  nonce(8), ≥ 1
//	answer   count(1) ‖ count × attestation, at most MaxAttestations

// MaxAttestations is the most attestations of one nonce an answer holds.
const MaxAttestations = 255

// AttestationSource is what a host serving attestations reads from;
// Attestations returns ErrNotFound (wrapped) when it holds none.
type AttestationSource interface {
	Attestations(ctx context.Context, nonce uint64) ([][]byte, error)
}

func (h *Host) attestationsProtocol(size int) Protocol {
	return Protocol{ID: h.ProtocolID("attestations", "v1"), MaxRequestSize: 8, MaxResponseSize: 1 + MaxAttestations*size}
}

// ServeAttestations registers the attestations protocol, for attestations
// of size bytes.
func (h *Host) ServeAttestations(size int, src AttestationSource) {
	h.Handle(h.attestationsProtocol(size), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		if len(b) != 8 || binary.BigEndian.Uint64(b) == 0 {
			return nil, fmt.Errorf("%w: attestations request of %d bytes, want a nonce ≥ 1", ErrMalformed, len(b))
		}
		ats, err := src.Attestations(ctx, binary.BigEndian.Uint64(b))
		if err != nil {
			return nil, err
		}
		ats = ats[:min(len(ats), MaxAttestations)]
		out := append(make([]byte, 0, 1+len(ats)*size), byte(len(ats)))
		for _, a := range ats {
			if len(a) != size {
				return nil, fmt.Errorf("p2p: an attestation of %d bytes, want %d", len(a), size)
			}
			out = append(out, a...)
		}
		return out, nil
	})
}

// RequestAttestations asks a peer for the attestations it holds of a
// nonce, unverified.
func (h *Host) RequestAttestations(ctx context.Context, to peer.ID, nonce uint64, size int) ([][]byte, error) {
	if nonce == 0 || size <= 0 {
		return nil, fmt.Errorf("p2p: bad attestations request: nonce %d, size %d", nonce, size)
	}
	var out [][]byte
	err := h.call(ctx, to, h.attestationsProtocol(size), binary.BigEndian.AppendUint64(nil, nonce), func(b []byte) (err error) {
		out, err = DecodeAttestations(b, size)
		return err
	})
	return out, err
}

// DecodeAttestations splits an attestations answer from untrusted bytes:
// a count, then exactly that many attestations of size bytes.
func DecodeAttestations(b []byte, size int) ([][]byte, error) {
	if len(b) < 1 || size <= 0 {
		return nil, fmt.Errorf("%w: empty attestations answer", ErrMalformed)
	}
	n := int(b[0])
	if len(b) != 1+n*size {
		return nil, fmt.Errorf("%w: attestations answer of %d in %d bytes, want %d", ErrMalformed, n, len(b), 1+n*size)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = b[1+i*size : 1+(i+1)*size : 1+(i+1)*size]
	}
	return out, nil
}
