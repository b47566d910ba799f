// Package erasure turns an original data square (ODS) into the extended
// data square (EDS) and commits to it: 2D Reed-Solomon extension with
// leopard codes, namespaced Merkle trees over every row and column, the data
// root over those roots, proofs (samples, namespaces, blobs), repair of a
// partial square, and bad-encoding fraud proofs.
//
// Everything is byte-compatible with Celestia's rsmt2d, nmt and
// celestia-app (shared/SPEC.md §5–§13).
//
// erasure is pure: it imports only da, the standard library and
// klauspost/reedsolomon, and does no networking, storage, clock or logging.
// The one liberty it takes is spreading a single call's work over the CPU
// cores; every goroutine it starts has finished when the call returns.
package erasure
