// Package altda tests Tartan's OP Stack alt-DA server (API.md §2 "OP Stack
// alt-DA") with the OP Stack's own client, op-alt-da's DAClient, against a
// real devnet of tartan processes built from this repository.
//
// It is a module of its own so that the main module does not depend on the
// Optimism monorepo; it does not import the main module either, and talks
// to the nodes only over HTTP, as op-node and op-batcher do. Run it with
// `go test ./...` in this directory (it needs the go command, to build
// cmd/tartan).
package altda
