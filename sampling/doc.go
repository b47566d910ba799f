// Package sampling is the deterministic core of light-node data-availability
// sampling (DESIGN.md §7): which cells of an extended data square to ask
// for, what confidence the answers give, the per-height session state
// machine that turns results into a verdict, and the catch-up scheduler that
// says which heights to sample next.
//
// It is a library of state machines in the manner of etcd's raft: nothing
// here starts a goroutine, reads the clock, draws from a global random
// source, logs or touches the network or the disk. Randomness comes in as
// a *rand.Rand (math/rand/v2), the time as a time.Time, sample results as
// method calls; node turns what a Session or Scheduler says into requests,
// timers and storage writes. The one concession is CryptoSource, which
// returns a rand.Source over crypto/rand for production callers to pass
// back in; the package's own logic never calls it.
//
// sampling imports only the standard library. It must not import net,
// os, log, context, sync, math/rand (v1) or any package above it (p2p, api,
// node); layering_test.go in the module root enforces this.
package sampling
