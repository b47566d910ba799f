// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BinaryMerkle} from "./BinaryMerkle.sol";
import {BinaryMerkleProof, DataRootTuple, IDAOracle} from "./DataRootTuple.sol";

/// One row's part of a blob proof: the NMT range proof of the blob's
/// shares in that row (nodes: the roots of the subtrees outside the range,
/// left to right, 90 bytes each), the row's root, and that root's
/// RFC-6962 proof to the data root (its index is the row, of 4k leaves).
struct RowProof {
    uint256 row;
    uint256 start;
    uint256 end;
    bytes nodes;
    bytes rowRoot;
    bytes32[] rootAunts;
}

/// A blob's shares (512 bytes each, in square order) with what proves
/// them to an attested data root: one RowProof per row they span, the
/// square's width k, the height's tuple and its proof to commitment
/// `nonce` in the oracle.
struct BlobProof {
    bytes shares;
    RowProof[] rows;
    uint256 squareWidth;
    uint256 nonce;
    DataRootTuple tuple;
    BinaryMerkleProof tupleProof;
}

/// A row root next to a namespace's run of rows, with its RFC-6962 proof
/// to the data root: its namespace range shows that the run ends there.
struct RowBound {
    uint256 row;
    bytes rowRoot;
    bytes32[] rootAunts;
}

/// One row of a namespace's run: the NMT namespace proof of its shares of
/// the namespace, [start, end) of the row (nodes as in RowProof), or, when
/// the row's range contains the namespace but no share carries it, the
/// absence proof: leafNode is then the 90-byte node of the first leaf
/// above the namespace, at [start, start + 1).
struct NamespaceRowProof {
    uint256 row;
    uint256 start;
    uint256 end;
    bytes nodes;
    bytes leafNode;
    bytes rowRoot;
    bytes32[] rootAunts;
}

/// Every share of a namespace at a height (none for an absence proof),
/// in square order, with what shows nothing is left out (SPEC §11.1; the
/// design note of erasure/namespace.go): the run of rows whose namespace
/// range contains it, each with a namespace proof, and the rows just
/// above and below the run, whose ranges lie wholly below and above it
/// (left out at the square's edges).
struct NamespaceProof {
    bytes shares;
    NamespaceRowProof[] rows;
    bool hasBelow;
    RowBound below;
    bool hasAbove;
    RowBound above;
    uint256 squareWidth;
    uint256 nonce;
    DataRootTuple tuple;
    BinaryMerkleProof tupleProof;
}

/// Checks that shares were published on Tartan (SPEC §5, §11): each row's
/// shares hash with the proof's nodes to a namespaced Merkle root, each
/// such row root is in the data root, and the data root is one the
/// oracle's attesters committed to. It is written from SPEC.md for gas:
/// shares and nodes are read where they lie in calldata, never copied.
library TartanBlobVerifier {
    uint256 internal constant SHARE_SIZE = 512;
    uint256 internal constant NS_SIZE = 29;
    uint256 internal constant NODE_SIZE = 90;
    bytes29 internal constant PARITY_NS = bytes29(0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffff);

    error BadProof(string why);

    /// A namespaced Merkle node: the least and greatest namespace below
    /// it, and its digest.
    struct Node {
        bytes29 min;
        bytes29 max;
        bytes32 digest;
    }

    /// Proves that p.shares are consecutive shares of the original square,
    /// all of namespace ns, at height p.tuple.height whose data root the
    /// oracle's attesters committed to. Reverts with the reason otherwise.
    function verify(IDAOracle oracle, bytes29 ns, BlobProof calldata p) internal view {
        uint256 k = p.squareWidth;
        if (k == 0 || k & (k - 1) != 0 || k > 512) {
            revert BadProof("square width");
        }
        uint256 n = p.shares.length / SHARE_SIZE;
        if (n == 0 || p.shares.length != n * SHARE_SIZE || p.rows.length == 0) {
            revert BadProof("shares");
        }
        uint256 used;
        for (uint256 i = 0; i < p.rows.length; i++) {
            RowProof calldata r = p.rows[i];
            // The rows are consecutive rows of the original square, and the
            // shares run on from one to the next: a contiguous range.
            if (r.row >= k || r.end > k || r.start >= r.end || (i > 0 && (r.start != 0 || r.row != p.rows[i - 1].row + 1))
                    || (i + 1 < p.rows.length && r.end != k)) {
                revert BadProof("row layout");
            }
            uint256 count = r.end - r.start;
            if (used + count > n || r.rowRoot.length != NODE_SIZE) {
                revert BadProof("row size");
            }
            bytes calldata shares = p.shares[used * SHARE_SIZE:(used + count) * SHARE_SIZE];
            used += count;
            uint256 cursor;
            Node memory root;
            (root, cursor) = subtree(ns, shares, r.nodes, r.start, r.end, 0, 2 * k, 0);
            if (cursor != r.nodes.length) {
                revert BadProof("extra nodes");
            }
            if (root.min != bytes29(r.rowRoot[0:29]) || root.max != bytes29(r.rowRoot[29:58])
                    || root.digest != bytes32(r.rowRoot[58:90])) {
                revert BadProof("row root");
            }
            bytes32 dataRoot = merkleRoot(sha256(abi.encodePacked(bytes1(0x00), r.rowRoot)), r.row, 4 * k, r.rootAunts);
            if (dataRoot != p.tuple.dataRoot) {
                revert BadProof("data root");
            }
        }
        if (used != n) {
            revert BadProof("unproven shares");
        }
        if (!oracle.verifyAttestation(p.nonce, p.tuple, p.tupleProof)) {
            revert BadProof("attestation");
        }
    }

    /// Proves that p.shares are all the shares of namespace ns in the
    /// original square at height p.tuple.height, whose data root the
    /// oracle's attesters committed to: no shares at all proves the
    /// namespace absent. Returns the number of shares.
    function verifyNamespace(IDAOracle oracle, bytes29 ns, NamespaceProof calldata p)
        internal
        view
        returns (uint256 n)
    {
        uint256 k = p.squareWidth;
        if (k == 0 || k & (k - 1) != 0 || k > 512) {
            revert BadProof("square width");
        }
        if (ns == PARITY_NS) {
            revert BadProof("namespace");
        }
        n = p.shares.length / SHARE_SIZE;
        if (p.shares.length != n * SHARE_SIZE || p.rows.length > k) {
            revert BadProof("shares");
        }
        bytes32 dataRoot = p.tuple.dataRoot;
        // The run's rows follow the row below it, or start the square.
        uint256 next;
        if (p.hasBelow) {
            rowRootIn(p.below.row, k, p.below.rowRoot, p.below.rootAunts, dataRoot);
            if (bytes29(p.below.rowRoot[29:58]) >= ns) {
                revert BadProof("row below");
            }
            next = p.below.row + 1;
        }
        uint256 used;
        for (uint256 i = 0; i < p.rows.length; i++) {
            NamespaceRowProof calldata r = p.rows[i];
            if (r.row != next) {
                revert BadProof("row layout");
            }
            next++;
            rowRootIn(r.row, k, r.rowRoot, r.rootAunts, dataRoot);
            if (bytes29(r.rowRoot[0:29]) > ns || bytes29(r.rowRoot[29:58]) < ns) {
                revert BadProof("row range");
            }
            uint256 count;
            if (r.leafNode.length == 0) {
                if (r.start >= r.end || r.end > k) {
                    revert BadProof("row layout");
                }
                count = r.end - r.start;
            } else if (r.leafNode.length != NODE_SIZE || r.end != r.start + 1 || r.end > k
                    || bytes29(r.leafNode[0:29]) <= ns || bytes29(r.leafNode[29:58]) != bytes29(r.leafNode[0:29])) {
                revert BadProof("absence leaf");
            }
            if (used + count > n) {
                revert BadProof("row size");
            }
            bytes calldata shares = p.shares[used * SHARE_SIZE:(used + count) * SHARE_SIZE];
            used += count;
            NsWalk memory w = NsWalk(ns, r.start, r.end, count == 0, Node(0, 0, 0));
            if (count == 0) {
                w.leaf = Node(bytes29(r.leafNode[0:29]), bytes29(r.leafNode[29:58]), bytes32(r.leafNode[58:90]));
            }
            (Node memory root, uint256 cursor) = nsSubtree(w, shares, r.nodes, 0, 2 * k, 0);
            if (cursor != r.nodes.length) {
                revert BadProof("extra nodes");
            }
            if (root.min != bytes29(r.rowRoot[0:29]) || root.max != bytes29(r.rowRoot[29:58])
                    || root.digest != bytes32(r.rowRoot[58:90])) {
                revert BadProof("row root");
            }
        }
        if (used != n) {
            revert BadProof("unproven shares");
        }
        // The run ends at the row above it, or at the square's end.
        if (p.hasAbove) {
            if (p.above.row != next) {
                revert BadProof("row layout");
            }
            rowRootIn(p.above.row, k, p.above.rowRoot, p.above.rootAunts, dataRoot);
            if (bytes29(p.above.rowRoot[0:29]) <= ns) {
                revert BadProof("row above");
            }
        } else if (next != k) {
            revert BadProof("rows left out");
        }
        if (!oracle.verifyAttestation(p.nonce, p.tuple, p.tupleProof)) {
            revert BadProof("attestation");
        }
    }

    /// Reverts unless rowRoot is ODS row `row`'s root under dataRoot.
    function rowRootIn(uint256 row, uint256 k, bytes calldata rowRoot, bytes32[] calldata aunts, bytes32 dataRoot)
        private
        view
    {
        if (row >= k || rowRoot.length != NODE_SIZE || bytes29(rowRoot[0:29]) > bytes29(rowRoot[29:58])) {
            revert BadProof("row root");
        }
        if (merkleRoot(sha256(abi.encodePacked(bytes1(0x00), rowRoot)), row, 4 * k, aunts) != dataRoot) {
            revert BadProof("data root");
        }
    }

    /// What a namespace proof's walk over one row carries down: kept in
    /// memory, as the walk's calldata slices fill the stack.
    struct NsWalk {
        bytes29 ns;
        uint256 start;
        uint256 end;
        bool absent;
        Node leaf; // the absence proof's leaf node
    }

    /// subtree for a namespace proof: the leaves in range are the shares,
    /// or the absence proof's leaf node, and every node taken from the
    /// proof must lie wholly below ns (left of the range) or above it
    /// (right of it), which is what shows the range holds all of ns.
    function nsSubtree(NsWalk memory w, bytes calldata shares, bytes calldata nodes, uint256 lo, uint256 hi, uint256 cursor)
        private
        view
        returns (Node memory node, uint256)
    {
        if (hi <= w.start || lo >= w.end) {
            if (cursor + NODE_SIZE > nodes.length) {
                revert BadProof("missing nodes");
            }
            bytes calldata b = nodes[cursor:cursor + NODE_SIZE];
            node = Node(bytes29(b[0:29]), bytes29(b[29:58]), bytes32(b[58:90]));
            if (node.min > node.max || (hi <= w.start ? node.max >= w.ns : node.min <= w.ns)) {
                revert BadProof("incomplete");
            }
            return (node, cursor + NODE_SIZE);
        }
        if (hi - lo == 1) {
            if (w.absent) {
                return (w.leaf, cursor);
            }
            bytes calldata share = shares[(lo - w.start) * SHARE_SIZE:(lo - w.start + 1) * SHARE_SIZE];
            if (bytes29(share[0:29]) != w.ns) {
                revert BadProof("namespace");
            }
            return (Node(w.ns, w.ns, nmtLeaf(share)), cursor);
        }
        uint256 mid = lo + (hi - lo) / 2;
        Node memory l;
        Node memory r;
        (l, cursor) = nsSubtree(w, shares, nodes, lo, mid, cursor);
        (r, cursor) = nsSubtree(w, shares, nodes, mid, hi, cursor);
        if (r.min < l.max) {
            revert BadProof("namespace order");
        }
        bytes29 max = r.min == PARITY_NS ? l.max : r.max;
        return (Node(l.min, max, nmtInner(l, r)), cursor);
    }

    /// sha256(0x01 ‖ l ‖ r) of two namespaced nodes (SPEC §5.3), hashed
    /// past the free memory pointer without allocating.
    function nmtInner(Node memory l, Node memory r) private view returns (bytes32 h) {
        bytes29 lmin = l.min;
        bytes29 lmax = l.max;
        bytes32 ld = l.digest;
        bytes29 rmin = r.min;
        bytes29 rmax = r.max;
        bytes32 rd = r.digest;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            // Each namespace is 29 bytes left-aligned in its word: the next
            // store overwrites the three zero bytes after it.
            mstore(add(p, 1), lmin)
            mstore(add(p, 30), lmax)
            mstore(add(p, 59), ld)
            mstore(add(p, 91), rmin)
            mstore(add(p, 120), rmax)
            mstore(add(p, 149), rd)
            if iszero(staticcall(gas(), 2, p, 181, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// sha256(0x00 ‖ namespace ‖ share) of a share in calldata (SPEC §5.2).
    function nmtLeaf(bytes calldata share) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x00)
            calldatacopy(add(p, 1), share.offset, 29)
            calldatacopy(add(p, 30), share.offset, 512)
            if iszero(staticcall(gas(), 2, p, 542, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// The node over leaves [lo, hi) of a row's tree, whose leaves
    /// [start, end) are the shares and whose other subtrees are taken from
    /// nodes in order (cursor: the next node's offset).
    function subtree(
        bytes29 ns,
        bytes calldata shares,
        bytes calldata nodes,
        uint256 start,
        uint256 end,
        uint256 lo,
        uint256 hi,
        uint256 cursor
    ) private view returns (Node memory node, uint256) {
        if (hi <= start || lo >= end) {
            if (cursor + NODE_SIZE > nodes.length) {
                revert BadProof("missing nodes");
            }
            bytes calldata b = nodes[cursor:cursor + NODE_SIZE];
            return (Node(bytes29(b[0:29]), bytes29(b[29:58]), bytes32(b[58:90])), cursor + NODE_SIZE);
        }
        if (hi - lo == 1) {
            bytes calldata share = shares[(lo - start) * SHARE_SIZE:(lo - start + 1) * SHARE_SIZE];
            if (bytes29(share[0:29]) != ns) {
                revert BadProof("namespace");
            }
            return (Node(ns, ns, nmtLeaf(share)), cursor);
        }
        uint256 mid = lo + (hi - lo) / 2;
        Node memory l;
        Node memory r;
        (l, cursor) = subtree(ns, shares, nodes, start, end, lo, mid, cursor);
        (r, cursor) = subtree(ns, shares, nodes, start, end, mid, hi, cursor);
        if (r.min < l.max) {
            revert BadProof("namespace order");
        }
        bytes29 max = r.min == PARITY_NS ? l.max : r.max;
        return (Node(l.min, max, nmtInner(l, r)), cursor);
    }

    /// The RFC-6962 root leafHash and its aunts (bottom-up) give at index
    /// key of numLeaves leaves; reverts on a proof of the wrong length.
    function merkleRoot(bytes32 leafHash, uint256 key, uint256 numLeaves, bytes32[] calldata aunts)
        internal
        view
        returns (bytes32 root)
    {
        (uint256 depth, uint256 right) = BinaryMerkle.path(key, numLeaves);
        if (aunts.length != depth) {
            revert BadProof("aunts");
        }
        root = leafHash;
        for (uint256 i = 0; i < depth; i++) {
            if ((right >> (depth - 1 - i)) & 1 == 1) {
                root = BinaryMerkle.inner(aunts[i], root);
            } else {
                root = BinaryMerkle.inner(root, aunts[i]);
            }
        }
    }
}
