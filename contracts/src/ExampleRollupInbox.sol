// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDAOracle} from "./DataRootTuple.sol";
import {BlobProof, NamespaceProof, TartanBlobVerifier} from "./TartanBlobVerifier.sol";

/// A rollup's inbox on Ethereum: it accepts a batch only with a proof that
/// the batch is a blob in the rollup's namespace at a Tartan height whose
/// data root the oracle's attesters committed to. The batch is read out of
/// the proven shares (share version 0, SPEC §3), so what is accepted is
/// exactly what was published.
contract ExampleRollupInbox {
    IDAOracle public immutable oracle;
    bytes29 public immutable namespace;

    /// keccak256 of each accepted batch's bytes → the Tartan height it was
    /// published at.
    mapping(bytes32 => uint256) public batches;

    /// Heights whose whole content in the namespace was proven →
    /// keccak256 of its shares (of nothing: the namespace was empty).
    mapping(uint256 => bytes32) public namespaceContent;

    event BatchAccepted(bytes32 indexed batchHash, uint256 height, uint256 size);
    /// A height's namespace holds exactly `shares` shares hashing to
    /// sharesHash: the rollup posted nothing else there.
    event NamespaceProven(uint256 indexed height, uint256 shares, bytes32 sharesHash);

    error NotABlobStart();
    error BadSequence();

    constructor(IDAOracle oracle_, bytes29 namespace_) {
        oracle = oracle_;
        namespace = namespace_;
    }

    /// Verifies the proof and records the blob's data; returns its hash.
    function submitBatch(BlobProof calldata proof) external returns (bytes32 batchHash) {
        TartanBlobVerifier.verify(oracle, namespace, proof);
        bytes memory data = blobData(proof.shares);
        batchHash = keccak256(data);
        batches[batchHash] = proof.tuple.height;
        emit BatchAccepted(batchHash, proof.tuple.height, data.length);
    }

    /// Checks a batch's proof as submitBatch does, recording nothing: the
    /// hash the batch would be accepted under.
    function verifyBatch(BlobProof calldata proof) external view returns (bytes32 batchHash) {
        TartanBlobVerifier.verify(oracle, namespace, proof);
        return keccak256(blobData(proof.shares));
    }

    /// Records everything the rollup's namespace holds at a height, which
    /// may be nothing (an absence proof): a fault proof can then rely on
    /// there being no other batch at that height.
    function proveNamespace(NamespaceProof calldata proof) external returns (bytes32 sharesHash) {
        uint256 n = TartanBlobVerifier.verifyNamespace(oracle, namespace, proof);
        sharesHash = keccak256(proof.shares);
        namespaceContent[proof.tuple.height] = sharesHash;
        emit NamespaceProven(proof.tuple.height, n, sharesHash);
    }

    /// The data of the share-version-0 blob that starts at the first share
    /// and fills the rest: its first share holds the sequence length.
    function blobData(bytes calldata shares) private pure returns (bytes memory data) {
        // Byte 29 is (share version << 1) | sequence start.
        if (uint8(shares[29]) != 1) {
            revert NotABlobStart();
        }
        uint256 size = uint32(bytes4(shares[30:34]));
        uint256 n = shares.length / 512;
        // Version 0: 478 bytes in the first share, 482 in each other.
        uint256 room = 478 + (n - 1) * 482;
        if (size > room || size + 482 <= room) {
            revert BadSequence();
        }
        data = new bytes(size);
        uint256 take = size < 478 ? size : 478;
        copy(data, 0, shares[34:34 + take]);
        uint256 pos = take;
        for (uint256 i = 1; pos < size; i++) {
            if (uint8(shares[i * 512 + 29]) != 0) {
                revert BadSequence();
            }
            take = size - pos < 482 ? size - pos : 482;
            copy(data, pos, shares[i * 512 + 30:i * 512 + 30 + take]);
            pos += take;
        }
    }

    function copy(bytes memory dst, uint256 pos, bytes calldata src) private pure {
        assembly {
            calldatacopy(add(add(dst, 32), pos), src.offset, src.length)
        }
    }
}
