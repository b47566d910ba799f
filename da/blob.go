package da

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// FibreBlobDataSize is the data size of every share-version-2 (Fibre)
// blob: be32(fibre blob version) ‖ 32-byte commitment (SPEC §3.3).
const FibreBlobDataSize = 36

// Errors about blobs, besides those shared with shares (ErrBlobEmpty,
// ErrSignerLength, ErrShareVersion); wrapped with details, test with
// errors.Is.
var (
	// ErrBlobTooLarge: the blob cannot be laid out even in an empty square
	// of the largest allowed width (or its length does not fit the 32-bit
	// sequence length). Retrying cannot help; an API answers 413.
	ErrBlobTooLarge = errors.New("da: blob too large")
	// ErrFibreBlob: a share-version-2 blob does not have the fixed shape
	// (20-byte signer, 36 bytes of data, one share).
	ErrFibreBlob = errors.New("da: malformed share-version-2 (Fibre) blob")
)

// Blob is a namespaced payload as it is laid out in a square (SPEC §3.3).
//
// ShareVersion 0 blobs have no Signer. Version 1 (authored) blobs carry a
// 20-byte Signer in their first share. Version 2 (Fibre system blobs) also
// carry a Signer and exactly FibreBlobDataSize bytes of Data; Tartan never
// produces them but reads them back from Celestia squares.
//
// A Blob refers to its Data and Signer slices without copying them: callers
// must not modify them while the blob is in use.
type Blob struct {
	Namespace    Namespace
	Data         []byte
	ShareVersion uint8
	Signer       []byte
}

// NewBlob builds a blob a user may post: share version 0 (signer must be
// empty) or 1 (signer of SignerSize bytes), a namespace that passes
// ValidateForBlob, non-empty data. The blob keeps data and signer without
// copying them.
func NewBlob(ns Namespace, data []byte, shareVersion uint8, signer []byte) (Blob, error) {
	b := Blob{Namespace: ns, Data: data, ShareVersion: shareVersion, Signer: signer}
	if shareVersion != ShareVersionZero && shareVersion != ShareVersionOne {
		return Blob{}, fmt.Errorf("%w: %d (blobs may use share version 0 or 1)", ErrShareVersion, shareVersion)
	}
	if err := b.Validate(); err != nil {
		return Blob{}, err
	}
	return b, nil
}

// Validate checks that the blob can be split into shares: namespace valid
// for blobs, share version 0, 1 or 2 with the matching signer length,
// non-empty data whose length fits the 32-bit sequence length, and the fixed
// size of version-2 data. It accepts every blob a valid square can hold;
// NewBlob is stricter about versions.
func (b *Blob) Validate() error {
	if err := b.Namespace.ValidateForBlob(); err != nil {
		return err
	}
	switch b.ShareVersion {
	case ShareVersionZero:
		if len(b.Signer) != 0 {
			return fmt.Errorf("%w: share version 0 takes no signer, got %d bytes", ErrSignerLength, len(b.Signer))
		}
	case ShareVersionOne, ShareVersionTwo:
		if len(b.Signer) != SignerSize {
			return fmt.Errorf("%w: share version %d needs a %d-byte signer, got %d bytes", ErrSignerLength, b.ShareVersion, SignerSize, len(b.Signer))
		}
	default:
		return fmt.Errorf("%w: %d (only 0, 1 and 2 exist)", ErrShareVersion, b.ShareVersion)
	}
	if len(b.Data) == 0 {
		return ErrBlobEmpty
	}
	if uint64(len(b.Data)) > math.MaxUint32 {
		return fmt.Errorf("%w: %d bytes exceeds the 32-bit sequence length", ErrBlobTooLarge, len(b.Data))
	}
	if b.ShareVersion == ShareVersionTwo && len(b.Data) != FibreBlobDataSize {
		return fmt.Errorf("%w: %d bytes of data, want %d", ErrFibreBlob, len(b.Data), FibreBlobDataSize)
	}
	return nil
}

// firstShareContentSize is the payload of a first sparse share: versions 1
// and 2 give 20 bytes of it to the signer.
func firstShareContentSize(shareVersion uint8) int {
	if shareVersion == ShareVersionZero {
		return FirstSparseShareContentSize
	}
	return FirstSparseShareContentSizeWithSigner
}

// SparseShareCount is the number of sparse shares holding dataLen bytes of
// blob data with the given share version (SPEC §3.3): 1 up to the first
// share's capacity (478, or 458 with a signer), then one more per 482
// bytes. It is 0 for dataLen ≤ 0.
func SparseShareCount(dataLen int, shareVersion uint8) int {
	if dataLen <= 0 {
		return 0
	}
	first := firstShareContentSize(shareVersion)
	if dataLen <= first {
		return 1
	}
	return 1 + (dataLen-first+ContinuationSparseShareContentSize-1)/ContinuationSparseShareContentSize
}

// ShareCount is the number of shares the blob takes.
func (b *Blob) ShareCount() int { return SparseShareCount(len(b.Data), b.ShareVersion) }

// Shares splits the blob into sparse shares (SPEC §3.3) after validating it.
func (b *Blob) Shares() ([]Share, error) {
	return b.AppendShares(nil)
}

// AppendShares appends the blob's sparse shares to dst and returns the
// extended slice. On error dst is returned unchanged.
func (b *Blob) AppendShares(dst []Share) ([]Share, error) {
	if err := b.Validate(); err != nil {
		return dst, err
	}
	return b.appendShares(dst), nil
}

// appendShares writes the shares of a validated blob in place at the end
// of dst, so no 512-byte share is copied twice.
func (b *Blob) appendShares(dst []Share) []Share {
	n := b.ShareCount()
	i := len(dst)
	dst = slices.Grow(dst, n)[:i+n]
	for j := range n {
		b.writeShare(j, &dst[i+j])
	}
	return dst
}

// writeShare writes share i of the validated blob b into s (SPEC §3.3), so
// a commitment can hash the shares one by one without holding them all.
func (b *Blob) writeShare(i int, s *Share) {
	copy(s[:], b.Namespace[:])
	off := NamespaceSize + ShareInfoSize
	var data []byte
	if i == 0 {
		s[NamespaceSize] = b.ShareVersion<<1 | 1
		binary.BigEndian.PutUint32(s[off:], uint32(len(b.Data)))
		off += SequenceLenSize
		if b.ShareVersion != ShareVersionZero {
			off += copy(s[off:], b.Signer)
		}
		data = b.Data[:min(len(b.Data), ShareSize-off)]
	} else {
		s[NamespaceSize] = b.ShareVersion << 1
		start := firstShareContentSize(b.ShareVersion) + (i-1)*ContinuationSparseShareContentSize
		data = b.Data[start:min(len(b.Data), start+ContinuationSparseShareContentSize)]
	}
	clear(s[off+copy(s[off:], data):])
}

// ParsedBlob is a blob read back from a run of shares, with the index of
// its first share in that run.
type ParsedBlob struct {
	Blob
	Start int
}

// BlobsFromShares reads the blobs out of a run of original shares: a whole
// ODS in row-major order, or any contiguous part of one (say, all the shares
// of one namespace). It skips padding shares (Share.IsPadding) and compact
// shares (Tx, PFB, PayForFibre namespaces), and returns the blobs in order
// with their first-share index in shares. Share-version-2 (Fibre) blobs are
// returned like the others, with their 36 data bytes and signer.
//
// It is strict, so that splitting the returned blobs again reproduces
// every non-padding, non-compact share byte for byte. It fails, naming the
// share, when a share is malformed (namespace, share version), when
// namespaces decrease (ErrUnsortedNamespace), when a blob's namespace is
// not one a blob may use, and on every malformed sequence (ErrShareSequence):
// a continuation share without a start, a sequence cut short by the end of
// the run or by another share, a share version or namespace (then
// ErrShareNamespace) changing inside a sequence, non-zero bytes after the
// data, a sequence length that is not that of a valid blob.
//
// The returned blobs own their Data and Signer (they do not alias shares).
func BlobsFromShares(shares []Share) ([]ParsedBlob, error) {
	var out []ParsedBlob
	var prev Namespace
	lastEnd := -1 // index just after the last blob, to explain stray continuations
	for i := 0; i < len(shares); {
		s := &shares[i]
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("share %d: %w", i, err)
		}
		ns := s.Namespace()
		if i > 0 && ns.Less(prev) {
			return nil, fmt.Errorf("%w: share %d has namespace %s after %s", ErrUnsortedNamespace, i, ns, prev)
		}
		prev = ns
		if ns.IsCompact() || s.IsPadding() {
			i++
			continue
		}
		if !s.IsSequenceStart() {
			if i == lastEnd && len(out) > 0 && out[len(out)-1].Namespace == ns {
				p := out[len(out)-1]
				return nil, fmt.Errorf("%w: share %d continues the blob at share %d, whose sequence length %d accounts for %d shares only",
					ErrShareSequence, i, p.Start, len(p.Data), i-p.Start)
			}
			return nil, fmt.Errorf("%w: share %d continues a sequence that never started", ErrShareSequence, i)
		}
		b, n, err := parseSequence(shares, i)
		if err != nil {
			return nil, err
		}
		out = append(out, ParsedBlob{Blob: b, Start: i})
		i += n
		lastEnd = i
		prev = ns
	}
	return out, nil
}

// parseSequence reads the sparse sequence starting at shares[start] (a
// validated sequence-start share that is not padding) and returns the blob
// and its share count.
func parseSequence(shares []Share, start int) (Blob, int, error) {
	first := &shares[start]
	b := Blob{Namespace: first.Namespace(), ShareVersion: first.Version()}
	if err := b.Namespace.ValidateForBlob(); err != nil {
		return Blob{}, 0, fmt.Errorf("share %d: blob namespace: %w", start, err)
	}
	seqLen := first.SequenceLen()
	if b.ShareVersion == ShareVersionTwo && seqLen != FibreBlobDataSize {
		return Blob{}, 0, fmt.Errorf("%w: share %d: sequence length %d, want %d", ErrFibreBlob, start, seqLen, FibreBlobDataSize)
	}
	// Compare against what remains before allocating: a forged sequence
	// length must not make us allocate gigabytes.
	n := SparseShareCount(int(seqLen), b.ShareVersion)
	if n > len(shares)-start {
		return Blob{}, 0, fmt.Errorf("%w: blob at share %d has sequence length %d, which needs %d shares; only %d remain",
			ErrShareSequence, start, seqLen, n, len(shares)-start)
	}
	for j := start + 1; j < start+n; j++ {
		s := &shares[j]
		switch {
		case s.Namespace() != b.Namespace:
			return Blob{}, 0, fmt.Errorf("%w: share %d has namespace %s inside the blob of namespace %s at share %d (sequence length %d needs %d shares)",
				ErrShareNamespace, j, s.Namespace(), b.Namespace, start, seqLen, n)
		case s.IsSequenceStart():
			return Blob{}, 0, fmt.Errorf("%w: share %d starts a sequence inside the blob at share %d (sequence length %d needs %d shares)",
				ErrShareSequence, j, start, seqLen, n)
		case s.Version() != b.ShareVersion:
			return Blob{}, 0, fmt.Errorf("%w: share %d has share version %d inside the version-%d blob at share %d",
				ErrShareSequence, j, s.Version(), b.ShareVersion, start)
		}
	}
	off := NamespaceSize + ShareInfoSize + SequenceLenSize
	if b.ShareVersion != ShareVersionZero {
		b.Signer = append([]byte(nil), first[off:off+SignerSize]...)
		off += SignerSize
	}
	b.Data = make([]byte, seqLen)
	rest := b.Data[copy(b.Data, first[off:]):]
	for j := start + 1; j < start+n; j++ {
		rest = rest[copy(rest, shares[j][NamespaceSize+ShareInfoSize:]):]
	}
	// The bytes after the data in the last share must be the zero padding
	// the splitter writes, or re-splitting would not give the same shares.
	last := &shares[start+n-1]
	used := off + int(seqLen) // bytes used when the blob fits in the first share
	if n > 1 {
		used = NamespaceSize + ShareInfoSize + (int(seqLen)-(ShareSize-off))%ContinuationSparseShareContentSize
		if used == NamespaceSize+ShareInfoSize {
			used = ShareSize
		}
	}
	for _, c := range last[used:] {
		if c != 0 {
			return Blob{}, 0, fmt.Errorf("%w: share %d: non-zero bytes after the end of the blob at share %d", ErrShareSequence, start+n-1, start)
		}
	}
	return b, n, nil
}
