// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BinaryMerkleProof} from "./DataRootTuple.sol";

/// RFC-6962 Merkle trees over SHA-256, as Tartan and Celestia build them
/// (SPEC §1): a leaf hashes as sha256(0x00 ‖ leaf), an inner node as
/// sha256(0x01 ‖ left ‖ right), and a tree of n leaves splits at the
/// largest power of two below n.
library BinaryMerkle {
    /// sha256(0x01 ‖ a ‖ b), an RFC-6962 inner node. Hashed in memory past
    /// the free pointer, which is left where it is: no allocation per
    /// node (abi.encodePacked's buffer cost more than the hash).
    function inner(bytes32 a, bytes32 b) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), a)
            mstore(add(p, 33), b)
            if iszero(staticcall(gas(), 2, p, 65, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// The root that leafHash and its proof hash to; ok is false when the
    /// proof has the wrong number of side nodes for its key and size.
    function rootOf(bytes32 leafHash, uint256 key, uint256 numLeaves, bytes32[] memory sideNodes)
        internal
        view
        returns (bytes32 root, bool ok)
    {
        if (numLeaves == 0 || key >= numLeaves) {
            return (bytes32(0), false);
        }
        uint256 depth;
        uint256 right;
        (depth, right) = path(key, numLeaves);
        if (sideNodes.length != depth) {
            return (bytes32(0), false);
        }
        root = leafHash;
        for (uint256 i = 0; i < depth; i++) {
            bytes32 side = sideNodes[i];
            if ((right >> (depth - 1 - i)) & 1 == 1) {
                root = inner(side, root);
            } else {
                root = inner(root, side);
            }
        }
        return (root, true);
    }

    /// The shape of leaf key's path in a tree of numLeaves > key leaves:
    /// its depth, and bit d of right set when at depth d (from the root)
    /// it lies in the right subtree.
    function path(uint256 key, uint256 numLeaves) internal pure returns (uint256 depth, uint256 right) {
        uint256 lo;
        uint256 size = numLeaves;
        while (size > 1) {
            // The largest power of two below size: the bit below size - 1's
            // highest set bit (CLZ, EIP-7939, is an Osaka opcode).
            uint256 split;
            assembly {
                split := shl(sub(255, clz(sub(size, 1))), 1)
            }
            if (key - lo >= split) {
                right |= uint256(1) << depth;
                lo += split;
                size -= split;
            } else {
                size = split;
            }
            depth++;
        }
    }

    /// Whether leaf is at proof.key among proof.numLeaves leaves under root.
    function verify(bytes32 root, BinaryMerkleProof memory proof, bytes memory leaf) internal view returns (bool) {
        (bytes32 got, bool ok) =
            rootOf(sha256(abi.encodePacked(bytes1(0x00), leaf)), proof.key, proof.numLeaves, proof.sideNodes);
        return ok && got == root;
    }
}
