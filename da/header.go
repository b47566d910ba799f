package da

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Header is Tartan's compact view of a block: what sampling, storage and
// the API work from. It commits to the data root only, not to the 4k row
// and column roots, so a light node following the chain downloads little
// per block (DESIGN.md §2, §3).
//
// What makes it trustworthy is its Certificate: the consensus engine's
// evidence that the block is final (CometBFT's signed header and commit,
// and tx[0] with its proof to the header's DataHash; see package
// consensus). da keeps it as opaque bytes; a node has it verified and
// checked against the compact fields before it trusts a header.
type Header struct {
	ChainID     string
	Height      uint64
	Time        time.Time
	PrevHash    [32]byte // BlockHash of the header at Height−1; zero at height 1
	SquareWidth uint16   // k, the ODS width
	DataRoot    [32]byte
	// BlockHash identifies the block: the consensus engine's hash of its
	// header, which the next height's PrevHash names.
	BlockHash [32]byte
	// Certificate is the consensus evidence, opaque here.
	Certificate []byte
}

// Header limits and encoding constants.
const (
	headerVersion    = 2
	MaxChainIDLength = 50 // CometBFT's limit, so every chain id fits both
	// MaxCertificateSize bounds a header's consensus evidence: a commit
	// and a validator set of a few hundred validators.
	MaxCertificateSize = 128 << 10
	headerFixedSize    = 1 + 1 + 8 + 8 + 32 + 2 + 32 + 32 + 4
	// HeaderMaxSize bounds an encoded header, for decoders of network input.
	HeaderMaxSize = headerFixedSize + MaxChainIDLength + MaxCertificateSize
)

// Errors for bad headers; wrapped with details, test with errors.Is.
var (
	ErrHeaderMalformed = errors.New("da: malformed header")
	ErrHeaderSequence  = errors.New("da: header does not follow its predecessor")
)

// Hash identifies the header: its BlockHash.
func (h *Header) Hash() [32]byte { return h.BlockHash }

// Validate checks the fields' shapes (not the certificate).
func (h *Header) Validate() error {
	switch {
	case h.ChainID == "" || len(h.ChainID) > MaxChainIDLength:
		return fmt.Errorf("%w: chain id has %d bytes, want 1 to %d", ErrHeaderMalformed, len(h.ChainID), MaxChainIDLength)
	case h.Height == 0:
		return fmt.Errorf("%w: height 0 (the first block is height 1)", ErrHeaderMalformed)
	case h.SquareWidth == 0 || h.SquareWidth > 512 || h.SquareWidth&(h.SquareWidth-1) != 0:
		return fmt.Errorf("%w: square width %d is not a power of two in [1, 512]", ErrHeaderMalformed, h.SquareWidth)
	case len(h.Certificate) == 0 || len(h.Certificate) > MaxCertificateSize:
		return fmt.Errorf("%w: certificate of %d bytes, want 1 to %d", ErrHeaderMalformed, len(h.Certificate), MaxCertificateSize)
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

// VerifySuccessor checks that h directly follows prev on the same chain:
// same chain id, next height, prev hash linking, time not going backwards.
// The certificate is checked by the consensus package.
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

// EqualFields reports whether h and o agree on every compact field (the
// certificate aside): a node checks a decoded certificate's fields this
// way.
func (h *Header) EqualFields(o *Header) bool {
	return h.ChainID == o.ChainID && h.Height == o.Height && h.Time.Equal(o.Time) && h.PrevHash == o.PrevHash &&
		h.SquareWidth == o.SquareWidth && h.DataRoot == o.DataRoot && h.BlockHash == o.BlockHash
}

// MarshalBinary encodes the header, integers big-endian:
//
//	version(1)=2 ‖ len(1) ‖ chain id ‖ height(8) ‖ time(8, Unix ns) ‖ prev hash(32)
//	‖ square width(2) ‖ data root(32) ‖ block hash(32) ‖ len(4) ‖ certificate
func (h *Header) MarshalBinary() ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, headerFixedSize+len(h.ChainID)+len(h.Certificate))
	b = append(b, headerVersion, byte(len(h.ChainID)))
	b = append(b, h.ChainID...)
	b = binary.BigEndian.AppendUint64(b, h.Height)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Time.UnixNano()))
	b = append(b, h.PrevHash[:]...)
	b = binary.BigEndian.AppendUint16(b, h.SquareWidth)
	b = append(b, h.DataRoot[:]...)
	b = append(b, h.BlockHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.Certificate)))
	return append(b, h.Certificate...), nil
}

// UnmarshalBinary decodes a header from untrusted bytes, checking every
// length and rejecting trailing bytes. It does not verify the certificate.
func (h *Header) UnmarshalBinary(b []byte) error {
	if len(b) > HeaderMaxSize {
		return fmt.Errorf("%w: %d bytes exceeds %d", ErrHeaderMalformed, len(b), HeaderMaxSize)
	}
	if len(b) < headerFixedSize {
		return fmt.Errorf("%w: %d bytes is too short", ErrHeaderMalformed, len(b))
	}
	if b[0] != headerVersion {
		return fmt.Errorf("%w: encoding version %d, want %d", ErrHeaderMalformed, b[0], headerVersion)
	}
	n := int(b[1])
	if len(b) < headerFixedSize+n {
		return fmt.Errorf("%w: %d bytes is too short for a %d-byte chain id", ErrHeaderMalformed, len(b), n)
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
	copy(out.BlockHash[:], p[66:])
	p = p[98:]
	if l := binary.BigEndian.Uint32(p); uint64(l) != uint64(len(p)-4) {
		return fmt.Errorf("%w: certificate length %d, %d bytes follow", ErrHeaderMalformed, l, len(p)-4)
	}
	out.Certificate = bytes.Clone(p[4:])
	if err := out.Validate(); err != nil {
		return err
	}
	*h = out
	return nil
}
