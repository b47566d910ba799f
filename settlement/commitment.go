package settlement

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Commitment is what validators attest for the heights [Start, End): the
// root of their tuples, under a nonce that orders commitments (the
// oracle's proofNonce).
type Commitment struct {
	Nonce      uint64
	Start, End uint64
	TupleRoot  [32]byte
}

// Domain binds an attestation to one oracle contract on one EVM chain and
// to one Tartan chain, so that a signature is good nowhere else.
type Domain struct {
	ChainID    string // Tartan's chain id
	EVMChainID uint64
	Oracle     common.Address
}

// The EIP-712 names the oracle contract checks signatures under.
const (
	DomainName    = "TartanDataRootOracle"
	DomainVersion = "1"
	// CommitmentType is the signed struct: a range [startBlock, endBlock)
	// of the Tartan chain tartanChainId and its tuple root.
	CommitmentType = "DataCommitment(string tartanChainId,uint256 nonce,uint64 startBlock,uint64 endBlock,bytes32 dataCommitment)"
	// AttesterSetType is the signed struct of an attester set change: the
	// set's nonce and keccak256(abi.encode(attesters)).
	AttesterSetType = "AttesterSet(string tartanChainId,uint256 setNonce,bytes32 attestersHash)"
	domainType      = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

var (
	domainTypeHash      = crypto.Keccak256Hash([]byte(domainType))
	commitmentTypeHash  = crypto.Keccak256Hash([]byte(CommitmentType))
	attesterSetTypeHash = crypto.Keccak256Hash([]byte(AttesterSetType))
)

// word is v as a 32-byte big-endian ABI word.
func word(v uint64) []byte { return common.LeftPadBytes(new(big.Int).SetUint64(v).Bytes(), 32) }

// Separator is the EIP-712 domain separator.
func (d Domain) Separator() [32]byte {
	return crypto.Keccak256Hash(domainTypeHash[:], crypto.Keccak256([]byte(DomainName)), crypto.Keccak256([]byte(DomainVersion)),
		word(d.EVMChainID), common.LeftPadBytes(d.Oracle[:], 32))
}

// Digest is the EIP-712 hash a validator signs for c:
// keccak256(0x1901 ‖ separator ‖ hashStruct(c)).
func (d Domain) Digest(c Commitment) [32]byte {
	sep := d.Separator()
	structHash := crypto.Keccak256Hash(commitmentTypeHash[:], crypto.Keccak256([]byte(d.ChainID)),
		word(c.Nonce), word(c.Start), word(c.End), c.TupleRoot[:])
	return crypto.Keccak256Hash([]byte{0x19, 0x01}, sep[:], structHash[:])
}

// AttesterSetDigest is the EIP-712 hash the current attesters sign to
// replace their set with the one hashing to attestersHash.
func (d Domain) AttesterSetDigest(setNonce uint64, attestersHash [32]byte) [32]byte {
	sep := d.Separator()
	structHash := crypto.Keccak256Hash(attesterSetTypeHash[:], crypto.Keccak256([]byte(d.ChainID)), word(setNonce), attestersHash[:])
	return crypto.Keccak256Hash([]byte{0x19, 0x01}, sep[:], structHash[:])
}

// SignatureSize is r ‖ s ‖ v.
const SignatureSize = 65

// Sign signs c's digest with key: r ‖ s ‖ v, v being 27 or 28 as
// Solidity's ecrecover takes it.
func (d Domain) Sign(key *ecdsa.PrivateKey, c Commitment) ([]byte, error) {
	return SignDigest(key, d.Digest(c))
}

// SignDigest signs an EIP-712 digest: r ‖ s ‖ v, v 27 or 28.
func SignDigest(key *ecdsa.PrivateKey, digest [32]byte) ([]byte, error) {
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return nil, fmt.Errorf("settlement: signing: %w", err)
	}
	sig[64] += 27
	return sig, nil
}

// ErrSignature: a signature that is malformed or not by the expected key.
var ErrSignature = errors.New("settlement: bad signature")

// Signer recovers the address that signed c, refusing malleable (high-s)
// signatures as the oracle does.
func (d Domain) Signer(c Commitment, sig []byte) (common.Address, error) {
	if len(sig) != SignatureSize {
		return common.Address{}, fmt.Errorf("%w: %d bytes, want %d", ErrSignature, len(sig), SignatureSize)
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return common.Address{}, fmt.Errorf("%w: v = %d, want 27 or 28", ErrSignature, v)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(v-27, r, s, true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range (or s in the upper half)", ErrSignature)
	}
	digest := d.Digest(c)
	plain := append(append([]byte(nil), sig[:64]...), v-27)
	pub, err := crypto.SigToPub(digest[:], plain)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}
