// Package sampling decides what a light node samples and what the answers
// mean: which cells of an extended square to ask for, the confidence those
// samples give, and the per-height verdict state machine.
//
// It is pure, like da and erasure: randomness, time and results come in as
// arguments. It must not import networking, storage, the clock or logging.
package sampling
