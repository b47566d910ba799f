package da

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Share sizes and layout (SPEC §3).
const (
	ShareSize        = 512
	ShareInfoSize    = 1
	SequenceLenSize  = 4
	SignerSize       = 20
	MaxShareVersion  = 127
	ShareVersionZero = 0
	ShareVersionOne  = 1
	ShareVersionTwo  = 2

	// FirstSparseShareContentSize is the blob payload of a v0 first share.
	FirstSparseShareContentSize = ShareSize - NamespaceSize - ShareInfoSize - SequenceLenSize // 478
	// FirstSparseShareContentSizeWithSigner is the payload of a v1 first share.
	FirstSparseShareContentSizeWithSigner = FirstSparseShareContentSize - SignerSize // 458
	// ContinuationSparseShareContentSize is the payload of every continuation share.
	ContinuationSparseShareContentSize = ShareSize - NamespaceSize - ShareInfoSize // 482

	compactReservedSize = 4
	// FirstCompactShareContentSize and ContinuationCompactShareContentSize
	// are the payloads of compact shares (SPEC §3.4); Tartan only reads them.
	FirstCompactShareContentSize        = FirstSparseShareContentSize - compactReservedSize        // 474
	ContinuationCompactShareContentSize = ContinuationSparseShareContentSize - compactReservedSize // 478
)

// Errors for malformed shares; wrapped with details, test with errors.Is.
var (
	ErrShareLength       = errors.New("da: share has wrong length")
	ErrShareVersion      = errors.New("da: unsupported share version")
	ErrShareSequence     = errors.New("da: malformed share sequence")
	ErrShareNamespace    = errors.New("da: share namespace does not match")
	ErrSignerLength      = errors.New("da: signer has wrong length")
	ErrBlobEmpty         = errors.New("da: blob data is empty")
	ErrUnsortedNamespace = errors.New("da: namespaces are not sorted")
)

// Share is one 512-byte cell of a data square. Cells of the original square
// start with a namespace and an info byte; parity cells are raw code symbols
// with no structure (SPEC §3.6), so the accessors below only mean something
// for original shares.
type Share [ShareSize]byte

// ShareFromBytes copies b into a Share after checking its length.
func ShareFromBytes(b []byte) (Share, error) {
	var s Share
	if len(b) != ShareSize {
		return s, fmt.Errorf("%w: got %d bytes, want %d", ErrShareLength, len(b), ShareSize)
	}
	copy(s[:], b)
	return s, nil
}

// Namespace is the share's first 29 bytes.
func (s *Share) Namespace() Namespace {
	var ns Namespace
	copy(ns[:], s[:NamespaceSize])
	return ns
}

// InfoByte is byte 29: share version << 1 | sequence start.
func (s *Share) InfoByte() byte { return s[NamespaceSize] }

// Version is the share version from the info byte.
func (s *Share) Version() uint8 { return s[NamespaceSize] >> 1 }

// IsSequenceStart reports whether the share opens a sequence.
func (s *Share) IsSequenceStart() bool { return s[NamespaceSize]&1 == 1 }

// SequenceLen is the sequence length carried by a first share (bytes 30‥33).
// It is meaningless on continuation shares.
func (s *Share) SequenceLen() uint32 {
	return binary.BigEndian.Uint32(s[NamespaceSize+ShareInfoSize:])
}

// IsCompact reports whether the share belongs to a compact (Tx/PFB) sequence.
func (s *Share) IsCompact() bool { return s.Namespace().IsCompact() }

// IsPadding reports whether the share is a padding share: a sequence start
// of length zero, or a share in a padding namespace (SPEC §3.5).
func (s *Share) IsPadding() bool {
	if s.IsSequenceStart() && s.SequenceLen() == 0 {
		return true
	}
	ns := s.Namespace()
	return ns == TailPaddingNamespace || ns == PrimaryReservedPaddingNamespace
}

// Validate checks the structure of an original (non-parity) share: a valid
// namespace and a supported share version.
func (s *Share) Validate() error {
	if err := s.Namespace().Validate(); err != nil {
		return err
	}
	if v := s.Version(); v > ShareVersionTwo {
		return fmt.Errorf("%w: %d", ErrShareVersion, v)
	}
	return nil
}

// InfoByte builds an info byte.
func InfoByte(version uint8, sequenceStart bool) (byte, error) {
	if version > MaxShareVersion {
		return 0, fmt.Errorf("%w: %d exceeds %d", ErrShareVersion, version, MaxShareVersion)
	}
	b := version << 1
	if sequenceStart {
		b |= 1
	}
	return b, nil
}

// PaddingShare is a padding share of namespace ns and share version v:
// ns ‖ info(start) ‖ be32(0) ‖ zeros.
func PaddingShare(ns Namespace, version uint8) Share {
	var s Share
	copy(s[:], ns[:])
	s[NamespaceSize] = version<<1 | 1
	return s
}

// TailPaddingShare fills the square after the last blob.
func TailPaddingShare() Share { return PaddingShare(TailPaddingNamespace, ShareVersionZero) }
