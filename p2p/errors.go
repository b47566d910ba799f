package p2p

import "errors"

// Errors callers act on; wrapped with details, test with errors.Is.
var (
	// ErrConfig: a Config setting cannot work; fix the configuration.
	ErrConfig = errors.New("p2p: invalid config")
	// ErrTooLarge: a message exceeds its protocol's limit. Received from a
	// peer, the peer has been penalised; ask another.
	ErrTooLarge = errors.New("p2p: message too large")
	// ErrMalformed: a peer sent bytes that do not decode, or an answer
	// that does not match the question. The peer has been penalised and its
	// answer discarded; ask another.
	ErrMalformed = errors.New("p2p: malformed message")
	// ErrNotFound: the peer does not have what was asked. It is not
	// penalised; ask another peer or later.
	ErrNotFound = errors.New("p2p: not found")
	// ErrBusy: the peer serves as many requests of this protocol as it
	// allows; ask another peer or later.
	ErrBusy = errors.New("p2p: peer busy")
	// ErrRejected: the peer considers the request invalid. This host sent
	// something its peers do not accept: a bug or a version mismatch.
	ErrRejected = errors.New("p2p: request rejected by peer")
	// ErrPeerFailed: the stream failed (reset, closed early, protocol not
	// supported, or the peer reported an internal error). Not penalised;
	// ask another peer.
	ErrPeerFailed = errors.New("p2p: peer failed to answer")
	// ErrTimeout: the stream deadline passed before the answer arrived;
	// ask another peer.
	ErrTimeout = errors.New("p2p: stream deadline exceeded")
	// ErrBlocked: the peer is banned for misbehaving; it will be accepted
	// again once its ban expires.
	ErrBlocked = errors.New("p2p: peer is blocked")
	// ErrClosed: the host is closed, or its Run has returned.
	ErrClosed = errors.New("p2p: host closed")
	// ErrRunning: the call is only allowed before Run (topics are joined
	// when Run starts) or Run was called twice.
	ErrRunning = errors.New("p2p: host already running")
)
