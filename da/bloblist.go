package da

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A blob list is the wire form of the blobs of one submission, shared by
// the p2p submission protocol and the consensus blob transaction so both
// carry the same canonical bytes (one encoding of a list, so its hash keys
// the content). Integers are big-endian:
//
//	version(1)=1 ‖ count(2) ‖ count × blob
//	blob = namespace(29) ‖ shareVersion(1) ‖ [signer(20) if shareVersion ≠ 0] ‖ dataLen(4) ‖ data
const (
	blobListVersion = 1
	// blobListHeader is a blob's fixed part, without signer and data.
	blobListHeader = NamespaceSize + 1 + 4
)

// ErrBlobListMalformed reports bytes that are not a valid blob list.
var ErrBlobListMalformed = errors.New("da: malformed blob list")

// BlobListLimits bound what UnmarshalBlobList accepts.
type BlobListLimits struct {
	MaxBlobs    int // at most 65535, the count field's range
	MaxDataSize int // total blob data
}

// BlobListSize is the encoded size of blobs.
func BlobListSize(blobs []Blob) int {
	n := 3
	for i := range blobs {
		n += blobListHeader + len(blobs[i].Signer) + len(blobs[i].Data)
	}
	return n
}

// AppendBlobList appends the encoding of blobs to dst. The blobs must be
// valid (Blob.Validate) and at most 65535.
func AppendBlobList(dst []byte, blobs []Blob) []byte {
	dst = append(dst, blobListVersion)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(blobs)))
	for i := range blobs {
		bl := &blobs[i]
		dst = append(dst, bl.Namespace[:]...)
		dst = append(dst, bl.ShareVersion)
		if bl.ShareVersion != ShareVersionZero {
			dst = append(dst, bl.Signer...)
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(bl.Data)))
		dst = append(dst, bl.Data...)
	}
	return dst
}

// UnmarshalBlobList decodes a blob list from untrusted bytes, checking
// every length before it allocates and every blob with Validate. The blobs
// refer to b without copying it.
func UnmarshalBlobList(b []byte, lim BlobListLimits) ([]Blob, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBlobListMalformed, len(b))
	}
	if b[0] != blobListVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBlobListMalformed, b[0], blobListVersion)
	}
	n := int(binary.BigEndian.Uint16(b[1:]))
	b = b[3:]
	// Every blob takes at least its header and one byte of data: check
	// the count against what is left before allocating.
	if n == 0 || n > lim.MaxBlobs || n*(blobListHeader+1) > len(b) {
		return nil, fmt.Errorf("%w: %d blobs in %d bytes, want 1 to %d", ErrBlobListMalformed, n, len(b), lim.MaxBlobs)
	}
	blobs := make([]Blob, n)
	total := 0
	for i := range blobs {
		bl := &blobs[i]
		if len(b) < NamespaceSize+1 {
			return nil, fmt.Errorf("%w: ends inside blob %d", ErrBlobListMalformed, i)
		}
		copy(bl.Namespace[:], b)
		bl.ShareVersion = b[NamespaceSize]
		b = b[NamespaceSize+1:]
		if bl.ShareVersion != ShareVersionZero {
			if bl.ShareVersion != ShareVersionOne && bl.ShareVersion != ShareVersionTwo {
				return nil, fmt.Errorf("%w: blob %d: share version %d", ErrBlobListMalformed, i, bl.ShareVersion)
			}
			if len(b) < SignerSize {
				return nil, fmt.Errorf("%w: ends inside blob %d's signer", ErrBlobListMalformed, i)
			}
			bl.Signer = b[:SignerSize:SignerSize]
			b = b[SignerSize:]
		}
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: ends inside blob %d's length", ErrBlobListMalformed, i)
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(l) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: blob %d of %d bytes, %d left", ErrBlobListMalformed, i, l, len(b))
		}
		if total += int(l); total > lim.MaxDataSize {
			return nil, fmt.Errorf("%w: %w: more than %d bytes of blob data", ErrBlobListMalformed, ErrBlobTooLarge, lim.MaxDataSize)
		}
		bl.Data = b[:l:l]
		b = b[l:]
		if err := bl.Validate(); err != nil {
			return nil, fmt.Errorf("%w: blob %d: %w", ErrBlobListMalformed, i, err)
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last blob", ErrBlobListMalformed, len(b))
	}
	return blobs, nil
}
