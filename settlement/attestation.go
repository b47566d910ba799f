package settlement

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Address is an Ethereum address, so that packages above use one without
// importing go-ethereum.
type Address = common.Address

// Params are a chain's settlement parameters, fixed by its genesis: where
// attestations are checked (the domain) and how many heights each covers.
type Params struct {
	Domain
	Window uint64
}

// Validate checks the window.
func (p Params) Validate() error {
	if p.Window == 0 || p.Window > MaxWindow {
		return fmt.Errorf("settlement: window %d: want 1 to %d heights", p.Window, MaxWindow)
	}
	return nil
}

// Range is the heights [start, end) of commitment nonce n ≥ 1: nonce 1
// starts at height 1, each covers Window heights (nonce 0 is the
// oracle's initial attester set, as Blobstream's).
func (p Params) Range(nonce uint64) (start, end uint64) {
	start = (nonce-1)*p.Window + 1
	return start, start + p.Window
}

// NonceOf is the nonce of the commitment that covers height ≥ 1.
func (p Params) NonceOf(height uint64) uint64 { return (height-1)/p.Window + 1 }

// Attestation is one validator's signature over a commitment; the
// signer is recovered from it (Domain.Signer).
type Attestation struct {
	Commitment
	Signature []byte
}

// AttestationSize is the fixed size of an encoded attestation: nonce,
// start and end (8 bytes each, big-endian), tuple root, signature.
const AttestationSize = 3*8 + 32 + SignatureSize

// ErrEncoding: bytes that are not an attestation.
var ErrEncoding = errors.New("settlement: malformed attestation")

// MarshalBinary encodes a for gossip and storage.
func (a *Attestation) MarshalBinary() ([]byte, error) {
	if len(a.Signature) != SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrEncoding, len(a.Signature))
	}
	b := make([]byte, 0, AttestationSize)
	b = binary.BigEndian.AppendUint64(b, a.Nonce)
	b = binary.BigEndian.AppendUint64(b, a.Start)
	b = binary.BigEndian.AppendUint64(b, a.End)
	b = append(b, a.TupleRoot[:]...)
	return append(b, a.Signature...), nil
}

// UnmarshalBinary decodes an attestation, checking its length and that
// its range is one a commitment may have. Whether it is the range of its
// nonce and who signed it are for the caller (Params.Range,
// Domain.Signer).
func (a *Attestation) UnmarshalBinary(b []byte) error {
	if len(b) != AttestationSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrEncoding, len(b), AttestationSize)
	}
	c := Commitment{Nonce: binary.BigEndian.Uint64(b), Start: binary.BigEndian.Uint64(b[8:]), End: binary.BigEndian.Uint64(b[16:])}
	copy(c.TupleRoot[:], b[24:56])
	if c.Nonce == 0 || c.Start == 0 || c.End <= c.Start || c.End-c.Start > MaxWindow {
		return fmt.Errorf("%w: nonce %d, heights [%d, %d)", ErrEncoding, c.Nonce, c.Start, c.End)
	}
	*a = Attestation{Commitment: c, Signature: append([]byte(nil), b[56:]...)}
	return nil
}
