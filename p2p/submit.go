package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/tartan-da/tartan/da"
)

// Blob submission, /tartan/<chain-id>/submit/v1 (DESIGN.md §5, §8): a node
// that is not a validator forwards its clients' blobs to a validator and
// waits for their inclusion. Only validators serve the protocol, so
// SubmitPeers (identify's protocol list) tells a forwarder where to go.
//
// Request: a da blob list (da.AppendBlobList), the same bytes a
// consensus blob transaction carries.
//
// Every blob must pass da.Blob.Validate; a request that does not decode is
// malformed and costs the sender a penalty.
//
// Answer (status OK at the framework level; the validator's verdict is in
// the payload, so that refusing blobs never penalises the forwarder, who
// relays its clients' input):
//
//	result(1) ‖ height(8)           result 0: included at height ≥ 1
//	result(1) ‖ reason(≤ 256 bytes) results 1–4, reason is UTF-8 for logs
const (
	// SubmitMaxBlobs is the most blobs one submission may carry.
	SubmitMaxBlobs = 4096
	// SubmitMaxDataSize bounds the total blob data of one submission.
	SubmitMaxDataSize = 32 << 20

	submitMaxRequest  = 1 + 2 + SubmitMaxBlobs*(da.NamespaceSize+1+4+da.SignerSize) + SubmitMaxDataSize
	submitMaxReason   = 256
	submitMaxResponse = 1 + max(8, submitMaxReason)
	// submitTimeout is the stream deadline: inclusion may take several
	// blocks; the caller's ctx still ends a submission early.
	submitTimeout = 10 * time.Minute
)

// Submission results.
const (
	submitIncluded byte = 0
	submitPoolFull byte = 1
	submitInvalid  byte = 2
	submitTooLarge byte = 3
	submitTimedOut byte = 4
)

// Submission errors; wrapped with details, test with errors.Is.
var (
	// ErrPoolFull: the validator cannot take more blobs now; nothing was
	// kept. A BlobSink returns it (wrapped) when its pool is full; at the
	// forwarding node it comes back wrapping both ErrPoolFull and ErrBusy:
	// retry later (HTTP 503).
	ErrPoolFull = errors.New("p2p: the validator's mempool is full")
	// ErrSubmitRejected: the blobs are refused and retrying cannot help
	// (HTTP 400; also wrapping da.ErrBlobTooLarge when they are too large,
	// HTTP 413). A BlobSink returns it, or a da validation error, for blobs
	// it refuses; SubmitBlobs also returns it for blobs it will not send.
	ErrSubmitRejected = errors.New("p2p: blob submission rejected")
)

// BlobSink accepts blob submissions (a validator). Submit blocks until
// the blobs are included and returns the height. Its errors reach the
// submitting node as: ErrPoolFull → ErrPoolFull and ErrBusy;
// da.ErrBlobTooLarge → ErrSubmitRejected and da.ErrBlobTooLarge;
// ErrSubmitRejected or a da blob or namespace error → ErrSubmitRejected;
// context.DeadlineExceeded → ErrTimeout; anything else → ErrPeerFailed.
type BlobSink interface {
	Submit(ctx context.Context, blobs []da.Blob) (uint64, error)
}

func (h *Host) submitProtocol() Protocol {
	return Protocol{
		ID:              h.ProtocolID("submit", "v1"),
		MaxRequestSize:  submitMaxRequest,
		MaxResponseSize: submitMaxResponse,
		Timeout:         max(h.cfg.StreamTimeout, submitTimeout),
	}
}

// checkSubmission checks what the request format bounds: 1 to
// SubmitMaxBlobs blobs of at most SubmitMaxDataSize bytes in all, each
// valid.
func checkSubmission(blobs []da.Blob) error {
	if len(blobs) == 0 || len(blobs) > SubmitMaxBlobs {
		return fmt.Errorf("%d blobs, want 1 to %d", len(blobs), SubmitMaxBlobs)
	}
	total := 0
	for i := range blobs {
		if err := blobs[i].Validate(); err != nil {
			return fmt.Errorf("blob %d: %w", i, err)
		}
		if total += len(blobs[i].Data); total > SubmitMaxDataSize {
			return fmt.Errorf("%w: more than %d bytes of blob data in one submission", da.ErrBlobTooLarge, SubmitMaxDataSize)
		}
	}
	return nil
}

// encodeSubmission encodes blobs that passed checkSubmission.
func encodeSubmission(blobs []da.Blob) []byte {
	return da.AppendBlobList(make([]byte, 0, da.BlobListSize(blobs)), blobs)
}

// decodeSubmission decodes a request from untrusted bytes. The blobs refer
// to b without copying it.
func decodeSubmission(b []byte) ([]da.Blob, error) {
	blobs, err := da.UnmarshalBlobList(b, da.BlobListLimits{MaxBlobs: SubmitMaxBlobs, MaxDataSize: SubmitMaxDataSize})
	if err != nil {
		return nil, fmt.Errorf("%w: submission: %w", ErrMalformed, err)
	}
	return blobs, nil
}

// blobRefusals are the errors of da that mean the blobs themselves are
// refused.
var blobRefusals = []error{
	da.ErrBlobEmpty, da.ErrSignerLength, da.ErrShareVersion, da.ErrFibreBlob,
	da.ErrNamespaceLength, da.ErrNamespaceVersion, da.ErrNamespacePrefix, da.ErrNamespaceReserved,
}

// encodeSubmitResult turns the sink's answer into the protocol's answer;
// errors that are none of the verdicts fail the request.
func encodeSubmitResult(height uint64, err error) ([]byte, error) {
	if err == nil {
		if height == 0 {
			return nil, errors.New("p2p: blob sink reported inclusion at height 0")
		}
		return binary.BigEndian.AppendUint64([]byte{submitIncluded}, height), nil
	}
	result := byte(0xff)
	switch {
	case errors.Is(err, ErrPoolFull):
		result = submitPoolFull
	case errors.Is(err, da.ErrBlobTooLarge):
		result = submitTooLarge
	case errors.Is(err, ErrSubmitRejected):
		result = submitInvalid
	case errors.Is(err, context.DeadlineExceeded):
		result = submitTimedOut
	default:
		for _, r := range blobRefusals {
			if errors.Is(err, r) {
				result = submitInvalid
			}
		}
	}
	if result == 0xff {
		return nil, err
	}
	return append([]byte{result}, truncateUTF8(strings.ToValidUTF8(err.Error(), "?"), submitMaxReason)...), nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// decodeSubmitResult decodes the validator's answer from untrusted bytes.
// It returns the height, or the validator's verdict as an error; a bad
// answer is ErrMalformed.
func decodeSubmitResult(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty submission answer", ErrMalformed)
	}
	reason := b[1:]
	if b[0] != submitIncluded && (len(reason) > submitMaxReason || !utf8.Valid(reason)) {
		return 0, fmt.Errorf("%w: submission answer's reason is %d bytes or not UTF-8", ErrMalformed, len(reason))
	}
	switch b[0] {
	case submitIncluded:
		if len(b) != 9 {
			return 0, fmt.Errorf("%w: inclusion answer of %d bytes, want 9", ErrMalformed, len(b))
		}
		height := binary.BigEndian.Uint64(b[1:])
		if height == 0 {
			return 0, fmt.Errorf("%w: inclusion at height 0", ErrMalformed)
		}
		return height, nil
	case submitPoolFull:
		return 0, fmt.Errorf("%w (%w): %q", ErrPoolFull, ErrBusy, reason)
	case submitInvalid:
		return 0, fmt.Errorf("%w: %q", ErrSubmitRejected, reason)
	case submitTooLarge:
		return 0, fmt.Errorf("%w: %w: %q", ErrSubmitRejected, da.ErrBlobTooLarge, reason)
	case submitTimedOut:
		return 0, fmt.Errorf("%w: the validator did not include the blobs in time: %q", ErrTimeout, reason)
	}
	return 0, fmt.Errorf("%w: unknown submission result %d", ErrMalformed, b[0])
}

// ServeSubmissions registers the blob-submission protocol on a validator.
// The sink is called with the stream's context, which ends at the
// protocol's deadline (10 minutes) or when the host closes.
func (h *Host) ServeSubmissions(sink BlobSink) {
	h.Handle(h.submitProtocol(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		blobs, err := decodeSubmission(b)
		if err != nil {
			return nil, err
		}
		return encodeSubmitResult(sink.Submit(ctx, blobs))
	})
}

// SubmitBlobs forwards blobs to the validator to and waits for their
// inclusion, until ctx ends (or the protocol's 10-minute deadline). Blobs
// that do not validate, more than SubmitMaxBlobs of them or more than
// SubmitMaxDataSize bytes are refused here with ErrSubmitRejected (and
// da.ErrBlobTooLarge for the sizes), without a request. See BlobSink for
// how the validator's refusals come back.
func (h *Host) SubmitBlobs(ctx context.Context, to peer.ID, blobs []da.Blob) (uint64, error) {
	if err := checkSubmission(blobs); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrSubmitRejected, err)
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	var watch sync.WaitGroup
	watch.Go(func() { h.watchLiveness(callCtx, to, cancel) })
	var height uint64
	err := h.call(callCtx, to, h.submitProtocol(), encodeSubmission(blobs), func(b []byte) (err error) {
		height, err = decodeSubmitResult(b)
		return err
	})
	cancel(nil)
	watch.Wait()
	if gone := context.Cause(callCtx); err != nil && ctx.Err() == nil && errors.Is(gone, ErrPeerGone) {
		err = gone
	}
	return height, err
}

// A validator answers a submission only once its blobs are in a block,
// seconds later, and a validator that dies meanwhile may go unnoticed:
// QUIC learns of a dead peer only at its idle timeout, so the forward
// would wait for the client's whole deadline. While it waits, the
// submitter pings the validator every submitPingEvery; no answer within
// submitPingTimeout ends the attempt with ErrPeerGone, and the forwarder
// tries another validator.
const (
	submitPingEvery   = 2 * time.Second
	submitPingTimeout = 3 * time.Second
)

// ErrPeerGone: the peer stopped answering pings while a request waited
// for it.
var ErrPeerGone = errors.New("p2p: peer stopped answering pings")

// watchLiveness pings p until ctx ends, and cancels ctx with ErrPeerGone
// when a ping fails or does not come back in time.
func (h *Host) watchLiveness(ctx context.Context, p peer.ID, gone context.CancelCauseFunc) {
	pongs := ping.Ping(ctx, h.host, p)
	next := time.NewTimer(submitPingEvery)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		}
		// The pinger sends its next ping as soon as the last answer is
		// taken, so this waits for a ping in flight since then.
		late := time.NewTimer(submitPingTimeout)
		select {
		case <-ctx.Done():
			late.Stop()
			return
		case r, ok := <-pongs:
			late.Stop()
			if ctx.Err() != nil {
				return
			}
			if !ok || r.Error != nil {
				why := "the ping stream closed"
				if ok {
					why = r.Error.Error()
				}
				gone(fmt.Errorf("%w: %s: %s", ErrPeerGone, p, why))
				return
			}
		case <-late.C:
			gone(fmt.Errorf("%w: %s: no answer within %s", ErrPeerGone, p, submitPingTimeout))
			return
		}
		next.Reset(submitPingEvery)
	}
}

// SubmitPeers are the peers known to serve blob submissions (identify
// listed the protocol), connected ones first, each group in random order
// so that forwarders spread their load over the validators. Banned peers
// are left out. A peer identify has not yet answered for is not listed.
func (h *Host) SubmitPeers() []peer.ID { return h.peersServing(h.submitProtocol().ID) }

// peersServing are the peers identify says serve protocol id, connected
// ones first, each group in random order.
func (h *Host) peersServing(id protocol.ID) []peer.ID {
	ps := h.host.Peerstore()
	var connected, known []peer.ID
	for _, p := range ps.Peers() {
		if p == h.host.ID() || h.Blocked(p) {
			continue
		}
		if got, err := ps.SupportsProtocols(p, id); err != nil || len(got) == 0 {
			continue
		}
		if h.host.Network().Connectedness(p) == network.Connected {
			connected = append(connected, p)
		} else {
			known = append(known, p)
		}
	}
	shuffle := func(s []peer.ID) { rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] }) }
	shuffle(connected)
	shuffle(known)
	return append(connected, known...)
}
