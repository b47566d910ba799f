// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BinaryMerkle} from "./BinaryMerkle.sol";
import {BinaryMerkleProof, DataRootTuple, IDAOracle} from "./DataRootTuple.sol";

/// The data roots Tartan's validators attested, for rollup contracts to
/// check blobs against. Its read side is Blobstream's (verifyAttestation,
/// latestBlock, DataCommitmentStored), so a contract written for
/// Blobstream takes this one's address unchanged.
///
/// Each commitment covers `window` heights: nonce n covers
/// [(n-1)·window + 1, n·window + 1), and its value is the RFC-6962 root of
/// the abi.encode(height, dataRoot) tuples of that range. Anyone may post
/// the next one with the attesters' EIP-712 signatures over it; more than
/// 2/3 of the attesting power must have signed. The attester set is kept
/// as a hash and passed in with each call, and changes only with the
/// current set's signatures. A guardian can freeze writes.
contract TartanDataRootOracle is IDAOracle {
    /// One attester: its settlement address and voting power.
    struct Attester {
        address addr;
        uint256 power;
    }

    /// An ECDSA signature; v = 0 marks an attester that did not sign.
    struct Signature {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant COMMITMENT_TYPEHASH = keccak256(
        "DataCommitment(string tartanChainId,uint256 nonce,uint64 startBlock,uint64 endBlock,bytes32 dataCommitment)"
    );
    bytes32 private constant ATTESTERS_TYPEHASH =
        keccak256("AttesterSet(string tartanChainId,uint256 setNonce,bytes32 attestersHash)");
    /// Half the secp256k1 group order: higher s values are malleable.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 private immutable domainSeparator;
    bytes32 private immutable chainIdHash;
    /// Heights per commitment, as the Tartan chain's genesis says.
    uint64 public immutable window;
    /// May freeze and unfreeze the oracle's writes.
    address public immutable guardian;

    /// The latest stored commitment's nonce (0: none yet).
    uint64 public proofNonce;
    /// The height after the latest stored range: the next range starts here.
    uint64 public latestBlock;
    bool public frozen;
    /// keccak256(abi.encode(attesters)) of the current attester set.
    bytes32 public attestersHash;
    uint256 public attesterSetNonce;
    mapping(uint256 => bytes32) public dataCommitments;

    event DataCommitmentStored(
        uint256 proofNonce, uint64 indexed startBlock, uint64 indexed endBlock, bytes32 indexed dataCommitment
    );
    event AttestersUpdated(uint256 setNonce, bytes32 attestersHash);
    event FrozenSet(bool frozen);

    error Frozen();
    error NotGuardian();
    error NotNextRange(uint64 wantStart, uint64 wantEnd);
    error WrongAttesterSet();
    error BadAttesterSet();
    error SignatureCount(uint256 attesters, uint256 signatures);
    error BadSignature(uint256 index);
    error NoQuorum(uint256 signedPower, uint256 totalPower);

    constructor(string memory tartanChainId, uint64 window_, Attester[] memory attesters, address guardian_) {
        if (window_ == 0 || window_ > 10_000) {
            revert NotNextRange(1, 1);
        }
        checkSet(attesters);
        chainIdHash = keccak256(bytes(tartanChainId));
        domainSeparator = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("TartanDataRootOracle"), keccak256("1"), block.chainid, address(this)
            )
        );
        window = window_;
        guardian = guardian_;
        latestBlock = 1;
        attestersHash = keccak256(abi.encode(attesters));
        emit AttestersUpdated(0, attestersHash);
    }

    /// Stores the next range's commitment: heights [startBlock, endBlock)
    /// must be the range after the latest stored one.
    function commitRange(
        uint64 startBlock,
        uint64 endBlock,
        bytes32 dataCommitment,
        Attester[] calldata attesters,
        Signature[] calldata signatures
    ) external {
        if (frozen) {
            revert Frozen();
        }
        uint64 start = latestBlock;
        if (startBlock != start || endBlock != start + window) {
            revert NotNextRange(start, start + window);
        }
        if (keccak256(abi.encode(attesters)) != attestersHash) {
            revert WrongAttesterSet();
        }
        uint64 nonce = proofNonce + 1;
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                domainSeparator,
                keccak256(abi.encode(COMMITMENT_TYPEHASH, chainIdHash, nonce, startBlock, endBlock, dataCommitment))
            )
        );
        checkQuorum(digest, attesters, signatures);
        dataCommitments[nonce] = dataCommitment;
        proofNonce = nonce;
        latestBlock = endBlock;
        emit DataCommitmentStored(nonce, startBlock, endBlock, dataCommitment);
    }

    /// Replaces the attester set, with more than 2/3 of the current set's
    /// power signing the new set's hash.
    function updateAttesters(
        Attester[] calldata next,
        Attester[] calldata current,
        Signature[] calldata signatures
    ) external {
        if (frozen) {
            revert Frozen();
        }
        if (keccak256(abi.encode(current)) != attestersHash) {
            revert WrongAttesterSet();
        }
        checkSet(next);
        uint256 setNonce = attesterSetNonce + 1;
        bytes32 nextHash = keccak256(abi.encode(next));
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01", domainSeparator, keccak256(abi.encode(ATTESTERS_TYPEHASH, chainIdHash, setNonce, nextHash))
            )
        );
        checkQuorum(digest, current, signatures);
        attestersHash = nextHash;
        attesterSetNonce = setNonce;
        emit AttestersUpdated(setNonce, nextHash);
    }

    /// Stops (true) or resumes (false) commitments and set changes.
    function setFrozen(bool frozen_) external {
        if (msg.sender != guardian) {
            revert NotGuardian();
        }
        frozen = frozen_;
        emit FrozenSet(frozen_);
    }

    /// Whether _tuple is at _proof.key in the range of nonce
    /// _tupleRootNonce, under its stored commitment.
    function verifyAttestation(uint256 _tupleRootNonce, DataRootTuple memory _tuple, BinaryMerkleProof memory _proof)
        external
        view
        returns (bool)
    {
        if (_tupleRootNonce == 0 || _tupleRootNonce > proofNonce || _proof.numLeaves != window) {
            return false;
        }
        if (_tuple.height != (_tupleRootNonce - 1) * window + 1 + _proof.key) {
            return false;
        }
        return BinaryMerkle.verify(dataCommitments[_tupleRootNonce], _proof, abi.encode(_tuple));
    }

    /// The EIP-712 digest attesters sign for nonce's range.
    function commitmentDigest(uint256 nonce, uint64 startBlock, uint64 endBlock, bytes32 dataCommitment)
        external
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encodePacked(
                "\x19\x01",
                domainSeparator,
                keccak256(abi.encode(COMMITMENT_TYPEHASH, chainIdHash, nonce, startBlock, endBlock, dataCommitment))
            )
        );
    }

    function checkSet(Attester[] memory set) private pure {
        if (set.length == 0) {
            revert BadAttesterSet();
        }
        for (uint256 i = 0; i < set.length; i++) {
            if (set[i].addr == address(0) || set[i].power == 0) {
                revert BadAttesterSet();
            }
        }
    }

    function checkQuorum(bytes32 digest, Attester[] calldata set, Signature[] calldata sigs) private pure {
        if (sigs.length != set.length) {
            revert SignatureCount(set.length, sigs.length);
        }
        uint256 total;
        uint256 signed;
        for (uint256 i = 0; i < set.length; i++) {
            total += set[i].power;
            Signature calldata sig = sigs[i];
            if (sig.v == 0) {
                continue;
            }
            if (uint256(sig.s) > HALF_N || (sig.v != 27 && sig.v != 28)) {
                revert BadSignature(i);
            }
            address who = ecrecover(digest, sig.v, sig.r, sig.s);
            if (who == address(0) || who != set[i].addr) {
                revert BadSignature(i);
            }
            signed += set[i].power;
        }
        if (3 * signed <= 2 * total) {
            revert NoQuorum(signed, total);
        }
    }
}
