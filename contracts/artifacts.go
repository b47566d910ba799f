// Package contracts holds Tartan's settlement contracts: the Solidity
// sources (src/), the pinned solc-js build (package.json, build.js) and
// the compiled artifacts, embedded here for the Go side (settlement/oracle)
// to deploy and call. It imports nothing.
package contracts

import "embed"

// Artifacts are artifacts/<Contract>.json: contractName, abi, bytecode,
// deployedBytecode, as build.js writes them.
//
//go:embed artifacts/*.json
var Artifacts embed.FS
