package da

import "fmt"

// Blob share commitments (SPEC §10).

// SubtreeRootThreshold bounds the number of subtree roots of a blob
// commitment (celestia-app appconsts). Light clients hard-code it, so it is
// frozen.
const SubtreeRootThreshold = 64

// roundUpPow2 is the smallest power of two ≥ x, and 1 for x ≤ 1.
func roundUpPow2(x int) int {
	p := 1
	for p < x {
		p <<= 1
	}
	return p
}

// minSquareWidth is the width of the smallest square that could hold n
// shares: roundUpPow2(ceil(sqrt(n))), which is the smallest power of two p
// with p² ≥ n.
func minSquareWidth(n int) int {
	p := 1
	for p*p < n {
		p <<= 1
	}
	return p
}

// SubTreeWidth is the width of the subtrees a blob of shareCount shares is
// committed to, and the alignment of its first share in a square (SPEC §4,
// §10): min(roundUpPow2(ceil(shareCount/threshold)), roundUpPow2(ceil(sqrt(shareCount)))).
// It is 1 for shareCount ≤ threshold. threshold must be positive; Tartan
// always uses SubtreeRootThreshold.
func SubTreeWidth(shareCount, threshold int) int {
	if threshold < 1 {
		panic(fmt.Sprintf("da: SubTreeWidth threshold %d is not positive", threshold))
	}
	w := roundUpPow2((shareCount + threshold - 1) / threshold)
	return min(w, minSquareWidth(shareCount))
}

// MountainSizes cuts n leaves into a Merkle mountain range (SPEC §10.3):
// trees of w leaves while at least w remain, then trees whose sizes are
// the largest powers of two that fit, in decreasing order. w must be
// positive; n ≤ 0 gives no trees.
func MountainSizes(n, w int) []int {
	if w < 1 {
		panic(fmt.Sprintf("da: MountainSizes width %d is not positive", w))
	}
	if n <= 0 {
		return nil
	}
	sizes := make([]int, 0, n/w+bitsLen(w))
	for ; n >= w; n -= w {
		sizes = append(sizes, w)
	}
	for n > 0 {
		p := 1
		for p*2 <= n {
			p *= 2
		}
		sizes = append(sizes, p)
		n -= p
	}
	return sizes
}

func bitsLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

// SubtreeRoots returns the 90-byte NMT roots of the mountains (MountainSizes
// with width SubTreeWidth(len(shares), threshold)) over the shares of one
// blob of namespace ns, each leaf being ns ‖ share as in a square's row
// (SPEC §10.4). These are the leaves of the blob's commitment, and what a
// blob inclusion proof proves against the row roots.
func SubtreeRoots(ns Namespace, shares []Share, threshold int) []NMTNode {
	h := NewNMTHasher()
	return subtreeRoots(h, len(shares), threshold, func(i int, out *NMTNode) {
		h.LeafInto(out, &ns, shares[i][:])
	})
}

// BlobSubtreeRoots returns the subtree roots of the blob's shares with
// SubtreeRootThreshold, after validating it. It builds one share at a time
// rather than splitting the whole blob first.
func BlobSubtreeRoots(b *Blob) ([]NMTNode, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	h := NewNMTHasher()
	var s Share
	return subtreeRoots(h, b.ShareCount(), SubtreeRootThreshold, func(i int, out *NMTNode) {
		b.writeShare(i, &s)
		h.LeafInto(out, &b.Namespace, s[:])
	}), nil
}

// subtreeRoots computes the mountain roots over n leaves, leaf(i, out)
// writing the node of leaf i.
func subtreeRoots(h *NMTHasher, n, threshold int, leaf func(i int, out *NMTNode)) []NMTNode {
	w := SubTreeWidth(n, threshold)
	sizes := MountainSizes(n, w)
	roots := make([]NMTNode, len(sizes))
	nodes := make([]NMTNode, min(w, n))
	start := 0
	for i, size := range sizes {
		level := nodes[:size]
		for j := range level {
			leaf(start+j, &level[j])
		}
		// Every mountain is a perfect tree: fold pairs in place.
		for len(level) > 1 {
			for j := 0; j < len(level)/2; j++ {
				h.InnerInto(&level[j], &level[2*j], &level[2*j+1])
			}
			level = level[:len(level)/2]
		}
		roots[i] = level[0]
		start += size
	}
	return roots
}

// CommitmentFromSubtreeRoots is the RFC-6962 root over the 90-byte subtree
// roots (SPEC §10.5).
func CommitmentFromSubtreeRoots(roots []NMTNode) [32]byte {
	hashes := make([][32]byte, len(roots))
	for i := range roots {
		hashes[i] = MerkleLeafHash(roots[i][:])
	}
	return MerkleRootOfHashes(hashes)
}

// CreateCommitment is the blob's share commitment (SPEC §10), the value
// Celestia's inclusion.CreateCommitment gives with SubtreeRootThreshold. It
// does not depend on the square the blob lands in.
func CreateCommitment(b *Blob) ([32]byte, error) {
	roots, err := BlobSubtreeRoots(b)
	if err != nil {
		return [32]byte{}, err
	}
	return CommitmentFromSubtreeRoots(roots), nil
}
