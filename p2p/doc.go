// Package p2p is Tartan's networking: the libp2p host, the gossipsub topics
// for headers and fraud proofs, and the request/response protocols for
// header ranges, samples, squares, namespace data and blob submission.
//
// p2p must not import sampling or node: consumers declare the small
// interfaces they need and node plugs p2p's implementations in.
package p2p
