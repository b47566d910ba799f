// Package relay moves the validators' data commitments from a Tartan
// node to the TartanDataRootOracle contract on Ethereum (issue 11), and
// deploys the contracts for a devnet.
//
// The oracle's own state is the relayer's only memory: each round reads
// proofNonce at the L1 head and posts the commitment after it, once a
// node holds more than 2/3 of the attesting power's signatures for it.
// A post is followed through to K confirmations before the next, and a
// relayer that starts with its own transactions still pending waits for
// them first, so a restart or a reorg re-posts what the chain lost and
// nothing twice.
package relay
