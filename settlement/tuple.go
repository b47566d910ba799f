package settlement

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Commitment windows: validators attest ranges of DefaultWindow heights
// unless configured otherwise, never more than MaxWindow (a tuple proof
// then stays under 14 hashes).
const (
	DefaultWindow = 100
	MaxWindow     = 10_000
)

// Tuple is Blobstream's DataRootTuple: a height and its data root.
type Tuple struct {
	Height   uint64
	DataRoot [32]byte
}

// TupleSize is the length of an encoded tuple.
const TupleSize = 64

// Encode is abi.encode(uint256 height, bytes32 dataRoot), the leaf of the
// tuple tree: the height big-endian in 32 bytes, then the data root.
func (t Tuple) Encode() [TupleSize]byte {
	var b [TupleSize]byte
	binary.BigEndian.PutUint64(b[24:32], t.Height)
	copy(b[32:], t.DataRoot[:])
	return b
}

// ErrRange: tuples that do not form one contiguous range of heights of an
// allowed size.
var ErrRange = errors.New("settlement: not a contiguous range of heights")

// CheckRange checks that tuples are the heights [start, start+n), n in
// [1, MaxWindow], in order.
func CheckRange(tuples []Tuple) error {
	if len(tuples) == 0 || len(tuples) > MaxWindow {
		return fmt.Errorf("%w: %d tuples, want 1 to %d", ErrRange, len(tuples), MaxWindow)
	}
	for i, t := range tuples {
		if t.Height != tuples[0].Height+uint64(i) {
			return fmt.Errorf("%w: tuple %d has height %d, want %d", ErrRange, i, t.Height, tuples[0].Height+uint64(i))
		}
	}
	if tuples[0].Height == 0 {
		return fmt.Errorf("%w: heights start at 1", ErrRange)
	}
	return nil
}

func leafHashes(tuples []Tuple) [][32]byte {
	out := make([][32]byte, len(tuples))
	for i, t := range tuples {
		leaf := t.Encode()
		out[i] = da.MerkleLeafHash(leaf[:])
	}
	return out
}

// TupleRoot is the data commitment of a range: the RFC-6962 (SHA-256)
// root over the encoded tuples, as Blobstream's dataCommitment.
func TupleRoot(tuples []Tuple) ([32]byte, error) {
	if err := CheckRange(tuples); err != nil {
		return [32]byte{}, err
	}
	return da.MerkleRootOfHashes(leafHashes(tuples)), nil
}

// ProveTuple proves tuples[i] to TupleRoot(tuples): Blobstream's
// BinaryMerkleProof (key = i, numLeaves = len(tuples), sideNodes = the
// aunts bottom-up).
func ProveTuple(tuples []Tuple, i int) (erasure.MerkleProof, error) {
	if err := CheckRange(tuples); err != nil {
		return erasure.MerkleProof{}, err
	}
	return erasure.ProveMerkle(leafHashes(tuples), i)
}

// VerifyTuple checks a tuple's proof to a data commitment.
func VerifyTuple(root [32]byte, t Tuple, p *erasure.MerkleProof) error {
	leaf := t.Encode()
	return p.Verify(root, leaf[:])
}
