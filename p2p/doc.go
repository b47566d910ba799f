// Package p2p is Tartan's networking: the libp2p host, the gossipsub topics
// for headers and fraud proofs, and the request/response protocols for
// header ranges, samples, squares, namespace data, blob submission and
// validators' pending transactions (DESIGN.md §5).
//
// A Host runs TCP and QUIC with Noise and yamux, a resource manager with
// explicit limits, a connection manager, and a connection gater that
// refuses banned peers. Peers come from bootstrap addresses and a Kademlia
// DHT under /tartan/<chain-id>, where DHT servers (full nodes, the
// validators) advertise themselves. The resource manager's use, limits and
// refusals are exported, per host, to the Prometheus registerer in
// Config.Metrics (metrics.go).
//
// Every request/response protocol is a Protocol value (ID
// /tartan/<chain-id>/<name>/<version>, size limits, deadline, concurrency)
// served with Host.Handle and called with Host.Request: one length-prefixed
// frame each way, the length checked before allocating, a deadline on every
// stream, Reset on any error. Peers that send malformed or oversized
// messages, or that a consumer reports with Penalize, lose points and are
// banned at a threshold; a peer that lacks data is not.
//
// Lifecycle: New starts only what libp2p itself runs; register topics and
// handlers, then Run(ctx); Close stops everything and waits.
//
// p2p must not import sampling or node: consumers declare the small
// interfaces they need and node plugs p2p's implementations in; p2p in
// turn declares what it needs from them (HeaderSource, validators).
package p2p
