package da

import "crypto/sha256"

// RFC-6962 binary Merkle tree with SHA-256 (SPEC §8), as CometBFT's
// crypto/merkle builds it: used for the data root over the 4k row and column
// roots and for blob commitments over subtree roots.

const (
	merkleLeafPrefix  = 0x00
	merkleInnerPrefix = 0x01
)

// MerkleLeafHash is SHA256(0x00 ‖ leaf).
func MerkleLeafHash(leaf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{merkleLeafPrefix})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// MerkleInnerHash is SHA256(0x01 ‖ l ‖ r).
func MerkleInnerHash(l, r [32]byte) [32]byte {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = merkleInnerPrefix
	copy(buf[1:], l[:])
	copy(buf[1+sha256.Size:], r[:])
	return sha256.Sum256(buf[:])
}

// MerkleRootOfHashes builds the tree over leaf hashes already computed.
// An empty list hashes to SHA256("").
func MerkleRootOfHashes(leafHashes [][32]byte) [32]byte {
	switch len(leafHashes) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leafHashes[0]
	}
	s := SplitPoint(len(leafHashes))
	return MerkleInnerHash(MerkleRootOfHashes(leafHashes[:s]), MerkleRootOfHashes(leafHashes[s:]))
}

// MerkleRoot is the RFC-6962 root over the given leaves.
func MerkleRoot(leaves [][]byte) [32]byte {
	hashes := make([][32]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = MerkleLeafHash(l)
	}
	return MerkleRootOfHashes(hashes)
}
