// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// A height of the Tartan chain and its data root: Blobstream's
/// DataRootTuple, field for field, so that contracts written against
/// Blobstream read Tartan's oracle unchanged.
struct DataRootTuple {
    uint256 height;
    bytes32 dataRoot;
}

/// An RFC-6962 inclusion proof: the siblings bottom-up, the leaf's index
/// and the number of leaves (Blobstream's BinaryMerkleProof).
struct BinaryMerkleProof {
    bytes32[] sideNodes;
    uint256 key;
    uint256 numLeaves;
}

/// Blobstream's read interface.
interface IDAOracle {
    function verifyAttestation(uint256 _tupleRootNonce, DataRootTuple memory _tuple, BinaryMerkleProof memory _proof)
        external
        view
        returns (bool);
}
