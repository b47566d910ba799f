package consensus

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// Transactions. A block's txs are tx[0], the data commitment, then one
// per submission: a reference to the blob transaction by its key, which
// validators hold in their mempools, or (in blocks of earlier versions)
// the blob transaction itself. Every format starts with a magic so a
// transaction of one kind is never read as another.
var (
	blobTxMagic = []byte("TBLB")
	dataTxMagic = []byte("TDAC")
	refTxMagic  = []byte("TREF")
)

const (
	// RefTxSize is the size of a reference: magic ‖ key.
	RefTxSize     = 4 + 32
	dataTxVersion = 1
	// DataTxSize is the size of tx[0].
	DataTxSize = 4 + 1 + 2 + 32
	// MaxBlobsPerTx bounds the blobs of one submission.
	MaxBlobsPerTx = 4096
)

// Errors of transaction decoding; wrapped with details, test with errors.Is.
var (
	ErrBlobTx         = errors.New("consensus: malformed blob transaction")
	ErrDataCommitment = errors.New("consensus: malformed data commitment (tx[0])")
)

// BlobTx encodes the blobs of one submission as a transaction: the magic,
// then the da blob list. The encoding is canonical, so its hash
// (TxKey) identifies the content: the same blobs submitted twice are the
// same transaction. The blobs must be valid.
func BlobTx(blobs []da.Blob) []byte {
	b := make([]byte, 0, len(blobTxMagic)+da.BlobListSize(blobs))
	return da.AppendBlobList(append(b, blobTxMagic...), blobs)
}

// ParseBlobTx decodes a blob transaction from untrusted bytes, with at
// most maxData bytes of blob data. The blobs refer to tx.
func ParseBlobTx(tx []byte, maxData int) ([]da.Blob, error) {
	if !bytes.HasPrefix(tx, blobTxMagic) {
		return nil, fmt.Errorf("%w: does not start with %q", ErrBlobTx, blobTxMagic)
	}
	blobs, err := da.UnmarshalBlobList(tx[len(blobTxMagic):], da.BlobListLimits{MaxBlobs: MaxBlobsPerTx, MaxDataSize: maxData})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBlobTx, err)
	}
	return blobs, nil
}

// RefTx is the reference a block carries to the blob transaction with
// this key. A block of references is a few kilobytes whatever its square,
// so CometBFT gossips, logs and stores no blob bytes: validators have the
// blob transactions from their mempools' relay already.
func RefTx(key [32]byte) []byte {
	return append(append(make([]byte, 0, RefTxSize), refTxMagic...), key[:]...)
}

// ParseRefTx reads the key of a reference; ok is false when tx is not
// one.
func ParseRefTx(tx []byte) (key [32]byte, ok bool) {
	if len(tx) != RefTxSize || !bytes.HasPrefix(tx, refTxMagic) {
		return key, false
	}
	copy(key[:], tx[len(refTxMagic):])
	return key, true
}

// TxKey identifies a transaction by its content, as CometBFT's mempool
// does: SHA-256 of its bytes.
func TxKey(tx []byte) [32]byte { return sha256.Sum256(tx) }

// DataCommitment is tx[0] of every block: the square's width and data
// root. Its Merkle proof to the CometBFT header's DataHash binds the data
// root to the signed header without changing CometBFT.
type DataCommitment struct {
	SquareWidth uint16
	DataRoot    [32]byte
}

// Marshal encodes the commitment: magic ‖ version(1) ‖ width(2, BE) ‖
// data root(32), DataTxSize bytes.
func (c DataCommitment) Marshal() []byte {
	b := make([]byte, 0, DataTxSize)
	b = append(b, dataTxMagic...)
	b = append(b, dataTxVersion)
	b = binary.BigEndian.AppendUint16(b, c.SquareWidth)
	return append(b, c.DataRoot[:]...)
}

// ParseDataCommitment decodes tx[0] from untrusted bytes.
func ParseDataCommitment(b []byte) (DataCommitment, error) {
	var c DataCommitment
	switch {
	case len(b) != DataTxSize:
		return c, fmt.Errorf("%w: %d bytes, want %d", ErrDataCommitment, len(b), DataTxSize)
	case !bytes.HasPrefix(b, dataTxMagic):
		return c, fmt.Errorf("%w: does not start with %q", ErrDataCommitment, dataTxMagic)
	case b[4] != dataTxVersion:
		return c, fmt.Errorf("%w: version %d, want %d", ErrDataCommitment, b[4], dataTxVersion)
	}
	c.SquareWidth = binary.BigEndian.Uint16(b[5:])
	copy(c.DataRoot[:], b[7:])
	if w := c.SquareWidth; w == 0 || w > 512 || w&(w-1) != 0 {
		return c, fmt.Errorf("%w: square width %d is not a power of two in [1, 512]", ErrDataCommitment, w)
	}
	return c, nil
}
