// Package consensus runs Tartan's validators on CometBFT (DESIGN.md §2a):
// the ABCI application that turns mempool blob transactions into data
// squares, the embedded CometBFT node that orders them, and the Tartan
// header that carries CometBFT's signed header, commit and the proof that
// binds a square's data root to it, with its light verification.
//
// It is the only package that imports CometBFT. It imports da and erasure
// below it; only node imports it. It does no storage of its own: the node
// hands it a Store for what must outlive a crash.
package consensus
