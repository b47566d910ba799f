// Package settlement is Tartan's side of settling rollups on Ethereum:
// Blobstream's data-root tuples and the commitments over ranges of them
// that validators attest, their EIP-712 digests, and the validators'
// secp256k1 settlement keys.
//
// It imports go-ethereum (keys, Keccak-256, signature recovery), so it is
// a package tree of its own that only node and cmd import: da, erasure,
// sampling, p2p and api stay free of go-ethereum (the layering test keeps
// them so). Byte layouts follow Blobstream, so contracts written against
// it read Tartan's commitments unchanged.
package settlement
