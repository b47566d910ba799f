package da

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Header is Tartan's compact signed block header: it commits to the data
// root only, not to the 4k row and column roots, so a light node following
// the chain downloads a few hundred bytes per block (DESIGN.md §2, §3).
type Header struct {
	ChainID     string
	Height      uint64
	Time        time.Time
	PrevHash    [32]byte // Hash of the header at Height−1; zero at height 1
	SquareWidth uint16   // k, the ODS width
	DataRoot    [32]byte
	Producer    ed25519.PublicKey // 32 bytes
	Signature   []byte            // 64 bytes over SignBytes
}

// Header limits and encoding constants.
const (
	headerVersion    = 1
	MaxChainIDLength = 64
	// HeaderMaxSize bounds an encoded header, for decoders of network input.
	HeaderMaxSize = 1 + 1 + MaxChainIDLength + 8 + 8 + 32 + 2 + 32 + ed25519.PublicKeySize + ed25519.SignatureSize
	// headerSignDomain separates Tartan header signatures from any other
	// use of the producer key.
	headerSignDomain = "tartan/header/v1\x00"
)

// Errors for bad headers; wrapped with details, test with errors.Is.
var (
	ErrHeaderMalformed = errors.New("da: malformed header")
	ErrHeaderSignature = errors.New("da: header signature does not verify")
	ErrHeaderSequence  = errors.New("da: header does not follow its predecessor")
)

// appendUnsigned appends every field but the signature.
func (h *Header) appendUnsigned(b []byte) []byte {
	b = append(b, headerVersion, byte(len(h.ChainID)))
	b = append(b, h.ChainID...)
	b = binary.BigEndian.AppendUint64(b, h.Height)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Time.UnixNano()))
	b = append(b, h.PrevHash[:]...)
	b = binary.BigEndian.AppendUint16(b, h.SquareWidth)
	b = append(b, h.DataRoot[:]...)
	return append(b, h.Producer...)
}

// SignBytes is what the producer signs: a domain tag, then every field but
// the signature.
func (h *Header) SignBytes() []byte {
	return h.appendUnsigned([]byte(headerSignDomain))
}

// Hash identifies the header: SHA-256 of SignBytes. It does not cover the
// signature, so it is known before signing and cannot be malleated by it.
func (h *Header) Hash() [32]byte { return sha256.Sum256(h.SignBytes()) }

// Sign sets Producer and Signature with key.
func (h *Header) Sign(key ed25519.PrivateKey) {
	h.Producer = key.Public().(ed25519.PublicKey)
	h.Signature = ed25519.Sign(key, h.SignBytes())
}

// Validate checks the fields' shapes (not the signature).
func (h *Header) Validate() error {
	switch {
	case h.ChainID == "" || len(h.ChainID) > MaxChainIDLength:
		return fmt.Errorf("%w: chain id has %d bytes, want 1 to %d", ErrHeaderMalformed, len(h.ChainID), MaxChainIDLength)
	case h.Height == 0:
		return fmt.Errorf("%w: height 0 (the first block is height 1)", ErrHeaderMalformed)
	case h.SquareWidth == 0 || h.SquareWidth > 512 || h.SquareWidth&(h.SquareWidth-1) != 0:
		return fmt.Errorf("%w: square width %d is not a power of two in [1, 512]", ErrHeaderMalformed, h.SquareWidth)
	case len(h.Producer) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: producer key has %d bytes, want %d", ErrHeaderMalformed, len(h.Producer), ed25519.PublicKeySize)
	case len(h.Signature) != ed25519.SignatureSize:
		return fmt.Errorf("%w: signature has %d bytes, want %d", ErrHeaderMalformed, len(h.Signature), ed25519.SignatureSize)
	case h.Height == 1 && h.PrevHash != [32]byte{}:
		return fmt.Errorf("%w: height 1 must have a zero previous hash", ErrHeaderMalformed)
	}
	for _, c := range []byte(h.ChainID) {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: chain id must be printable ASCII without spaces", ErrHeaderMalformed)
		}
	}
	return nil
}

// Verify checks the shape, that the header was signed by producer, and
// that the producer is the one expected.
func (h *Header) Verify(producer ed25519.PublicKey) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if !bytes.Equal(h.Producer, producer) {
		return fmt.Errorf("%w: signed by %x, the chain's producer is %x", ErrHeaderSignature, []byte(h.Producer), []byte(producer))
	}
	if !ed25519.Verify(producer, h.SignBytes(), h.Signature) {
		return fmt.Errorf("%w: height %d", ErrHeaderSignature, h.Height)
	}
	return nil
}

// VerifySuccessor checks that h directly follows prev on the same chain:
// same chain id, next height, prev hash linking, time not going backwards.
// Signatures are checked by Verify.
func (h *Header) VerifySuccessor(prev *Header) error {
	switch {
	case h.ChainID != prev.ChainID:
		return fmt.Errorf("%w: chain %q after chain %q", ErrHeaderSequence, h.ChainID, prev.ChainID)
	case h.Height != prev.Height+1:
		return fmt.Errorf("%w: height %d after %d", ErrHeaderSequence, h.Height, prev.Height)
	case h.PrevHash != prev.Hash():
		return fmt.Errorf("%w: height %d names previous hash %x, height %d hashes to %x", ErrHeaderSequence, h.Height, h.PrevHash, prev.Height, prev.Hash())
	case h.Time.Before(prev.Time):
		return fmt.Errorf("%w: height %d time %s is before its predecessor's %s", ErrHeaderSequence, h.Height, h.Time, prev.Time)
	}
	return nil
}

// MarshalBinary encodes the header with its signature.
func (h *Header) MarshalBinary() ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	b := h.appendUnsigned(make([]byte, 0, HeaderMaxSize))
	return append(b, h.Signature...), nil
}

// UnmarshalBinary decodes a header from untrusted bytes, checking every
// length and rejecting trailing bytes. It does not verify the signature.
func (h *Header) UnmarshalBinary(b []byte) error {
	if len(b) > HeaderMaxSize {
		return fmt.Errorf("%w: %d bytes exceeds %d", ErrHeaderMalformed, len(b), HeaderMaxSize)
	}
	if len(b) < 2 {
		return fmt.Errorf("%w: %d bytes is too short", ErrHeaderMalformed, len(b))
	}
	if b[0] != headerVersion {
		return fmt.Errorf("%w: encoding version %d, want %d", ErrHeaderMalformed, b[0], headerVersion)
	}
	n := int(b[1])
	want := 2 + n + 8 + 8 + 32 + 2 + 32 + ed25519.PublicKeySize + ed25519.SignatureSize
	if len(b) != want {
		return fmt.Errorf("%w: %d bytes, want %d for a %d-byte chain id", ErrHeaderMalformed, len(b), want, n)
	}
	p := b[2:]
	var out Header
	out.ChainID = string(p[:n])
	p = p[n:]
	out.Height = binary.BigEndian.Uint64(p)
	out.Time = time.Unix(0, int64(binary.BigEndian.Uint64(p[8:]))).UTC()
	p = p[16:]
	copy(out.PrevHash[:], p)
	out.SquareWidth = binary.BigEndian.Uint16(p[32:])
	copy(out.DataRoot[:], p[34:])
	p = p[66:]
	out.Producer = bytes.Clone(p[:ed25519.PublicKeySize])
	out.Signature = bytes.Clone(p[ed25519.PublicKeySize:])
	if err := out.Validate(); err != nil {
		return err
	}
	*h = out
	return nil
}
