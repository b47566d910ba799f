// Package da defines Tartan's data formats below the block header:
// namespaces, shares, blobs, the square layout, blob share commitments, the
// hashing rules of namespaced Merkle trees and RFC-6962 trees, and headers.
//
// Every format is byte-compatible with Celestia's (shared/SPEC.md), so
// commitments computed by Celestia tooling match the ones Tartan reports.
//
// da is the bottom of the import graph. It uses the standard library only
// and does no I/O: no networking, storage, clock, goroutines or logging.
// Anything that needs those lives in node.
package da
