package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Request/response framework (DESIGN.md §5, shaped like go-libp2p's ping):
// one stream per request. The requester writes one frame and closes its
// write side; the server answers one frame whose first byte is a status and
// closes the stream. A frame is a uvarint length then that many bytes; the
// length is checked against the protocol's limit before anything is
// allocated. Both sides set a deadline on the stream and reset it on any
// error.

// Protocol is one request/response protocol: its ID and its limits, which
// both sides apply.
type Protocol struct {
	ID protocol.ID
	// MaxRequestSize and MaxResponseSize bound the payloads, excluding the
	// length prefix and the status byte.
	MaxRequestSize, MaxResponseSize int
	// Timeout is the requester's stream deadline (the server's is a
	// tenth longer, so a slow handler ends as the requester's timeout);
	// zero means Config.StreamTimeout.
	Timeout time.Duration
	// MaxConcurrent bounds the streams served at once; zero means
	// Config.MaxConcurrentRequests.
	MaxConcurrent int
}

// Handler answers one request. from is the requesting peer; ctx ends at the
// stream deadline or when the host closes. Return ErrNotFound (wrapped) if
// this host lacks the data, ErrMalformed (wrapped) if the request does not
// decode or is out of the protocol's bounds (the requester is penalised),
// ErrBusy to shed load; any other error is reported to the requester as a
// failure without details.
type Handler func(ctx context.Context, from peer.ID, req []byte) ([]byte, error)

// Response status, the first byte of every response frame.
const (
	statusOK         byte = 0
	statusNotFound   byte = 1
	statusBadRequest byte = 2
	statusBusy       byte = 3
	statusFailed     byte = 4
)

// maxVarintLen is the longest uvarint a frame length may use.
const maxVarintLen = binary.MaxVarintLen64

// appendFrame appends payload as one frame.
func appendFrame(dst, payload []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// readFrame reads one frame of at most limit bytes from r. It reads the
// length one byte at a time so that nothing past the frame is consumed and
// nothing is allocated until the length is known to be within limit. An
// error from r is returned as is (io.EOF only if r ended before the first
// byte); bytes that cannot be a frame are ErrMalformed; a length over the
// limit is ErrTooLarge.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var b [1]byte
	var n uint64
	for i := 0; ; i++ {
		if i == maxVarintLen {
			return nil, fmt.Errorf("%w: frame length does not end within %d bytes", ErrMalformed, maxVarintLen)
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: stream ended inside a frame length", ErrMalformed)
			}
			return nil, err
		}
		if i == maxVarintLen-1 && b[0] > 1 {
			return nil, fmt.Errorf("%w: frame length overflows 64 bits", ErrMalformed)
		}
		n |= uint64(b[0]&0x7f) << (7 * i)
		if b[0] < 0x80 {
			if b[0] == 0 && i > 0 {
				return nil, fmt.Errorf("%w: frame length is not minimally encoded", ErrMalformed)
			}
			break
		}
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: frame of %d bytes, limit %d", ErrTooLarge, n, limit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: stream ended inside a frame of %d bytes", ErrMalformed, n)
		}
		return nil, err
	}
	return buf, nil
}

func (h *Host) limits(p Protocol) Protocol {
	if p.Timeout <= 0 {
		p.Timeout = h.cfg.StreamTimeout
	}
	if p.MaxConcurrent <= 0 {
		p.MaxConcurrent = h.cfg.MaxConcurrentRequests
	}
	return p
}

// Handle serves p with handler, replacing any previous handler of p.ID.
// Streams are served from the moment Handle returns until Close.
func (h *Host) Handle(p Protocol, handler Handler) {
	p = h.limits(p)
	slots := make(chan struct{}, p.MaxConcurrent)
	h.host.SetStreamHandler(p.ID, func(s network.Stream) {
		if !h.enter() {
			_ = s.Reset()
			return
		}
		defer h.handlers.Done()
		h.serve(s, p, slots, handler)
	})
}

func (h *Host) serve(s network.Stream, p Protocol, slots chan struct{}, handler Handler) {
	from := s.Conn().RemotePeer()
	if h.Blocked(from) {
		_ = s.Reset()
		return
	}
	// A little past the requester's deadline, so that a handler that runs
	// out of time is the requester's timeout, not a failure it reports.
	deadline := time.Now().Add(p.Timeout + p.Timeout/10)
	if err := s.SetDeadline(deadline); err != nil {
		_ = s.Reset()
		return
	}
	select {
	case slots <- struct{}{}:
	default:
		h.respond(s, statusBusy, nil)
		return
	}
	var freed sync.Once
	release := func() { freed.Do(func() { <-slots }) }
	defer release()
	req, err := readFrame(s, p.MaxRequestSize)
	if err != nil {
		_ = s.Reset()
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
			h.Penalize(from, OffenceMalformed, fmt.Errorf("request on %s: %w", p.ID, err))
		}
		return
	}
	ctx, cancel := context.WithDeadline(context.WithValue(h.life, slotKey{}, release), deadline)
	defer cancel()
	resp, err := handler(ctx, from, req)
	switch {
	case err == nil && len(resp) > p.MaxResponseSize:
		h.log.Error("handler answer over the protocol limit", "protocol", p.ID, "size", len(resp), "limit", p.MaxResponseSize)
		h.respond(s, statusFailed, nil)
	case err == nil:
		h.respond(s, statusOK, resp)
	case errors.Is(err, ErrNotFound):
		h.respond(s, statusNotFound, nil)
	case errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge):
		h.Penalize(from, OffenceMalformed, fmt.Errorf("request on %s: %w", p.ID, err))
		h.respond(s, statusBadRequest, nil)
	case errors.Is(err, ErrBusy):
		h.respond(s, statusBusy, nil)
	default:
		h.log.Debug("handler failed", "protocol", p.ID, "from", from, "err", err)
		h.respond(s, statusFailed, nil)
	}
}

type slotKey struct{}

// ReleaseSlot stops counting the request whose handler was given ctx
// against its protocol's MaxConcurrent, for a handler that goes on
// waiting once its costly part is done: a submission, once in the
// mempool, waits seconds for its block, holding nothing the mempool's
// own bound does not cover, and a validator with every slot held by such
// waits would turn new submissions away as busy. Later calls, and calls
// with any other ctx, do nothing.
func ReleaseSlot(ctx context.Context) {
	if release, ok := ctx.Value(slotKey{}).(func()); ok {
		release()
	}
}

// respond writes the status and payload as one frame and closes s.
func (h *Host) respond(s network.Stream, status byte, payload []byte) {
	frame := make([]byte, 0, maxVarintLen+1+len(payload))
	frame = binary.AppendUvarint(frame, uint64(1+len(payload)))
	frame = append(frame, status)
	frame = append(frame, payload...)
	if _, err := s.Write(frame); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// Request sends req to peer on p and returns the answer's payload. It
// returns when ctx ends, at p's deadline, or when the answer is in. An
// oversized or malformed answer penalises the peer (ErrTooLarge,
// ErrMalformed); ErrNotFound, ErrBusy, ErrPeerFailed and ErrTimeout do not.
func (h *Host) Request(ctx context.Context, to peer.ID, p Protocol, req []byte) ([]byte, error) {
	p = h.limits(p)
	if len(req) > p.MaxRequestSize {
		return nil, fmt.Errorf("%w: request of %d bytes on %s, limit %d", ErrTooLarge, len(req), p.ID, p.MaxRequestSize)
	}
	if h.Blocked(to) {
		return nil, fmt.Errorf("%w: %s", ErrBlocked, to)
	}
	select {
	case <-h.life.Done():
		return nil, ErrClosed
	default:
	}
	sctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	deadline, _ := sctx.Deadline()
	// The stream deadline may fire a moment before ctx's own timer: when it
	// is ctx's deadline, report it as ctx's.
	callerDeadline, ok := ctx.Deadline()
	callerDeadline = func() time.Time {
		if ok && !callerDeadline.After(deadline) {
			return callerDeadline
		}
		return time.Time{}
	}()
	fail := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("p2p: %s to %s: %w", p.ID, to, ctx.Err())
		}
		// The clock, not only sctx: its timer may lag on a busy machine.
		if sctx.Err() != nil || isTimeout(err) || !time.Now().Before(deadline) {
			if !callerDeadline.IsZero() {
				return fmt.Errorf("p2p: %s to %s: %w", p.ID, to, context.DeadlineExceeded)
			}
			return fmt.Errorf("%w: %s to %s", ErrTimeout, p.ID, to)
		}
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
			err = fmt.Errorf("answer on %s from %s: %w", p.ID, to, err)
			h.Penalize(to, OffenceMalformed, err)
			return err
		}
		return fmt.Errorf("%w: %s from %s: %v", ErrPeerFailed, p.ID, to, err)
	}
	s, err := h.host.NewStream(sctx, to, p.ID)
	if err != nil {
		return nil, fail(err)
	}
	// Reset unblocks a read or write in flight when ctx ends early.
	stop := context.AfterFunc(sctx, func() { _ = s.Reset() })
	defer stop()
	if err := s.SetDeadline(deadline); err != nil {
		_ = s.Reset()
		return nil, fail(err)
	}
	if _, err := s.Write(appendFrame(make([]byte, 0, maxVarintLen+len(req)), req)); err != nil {
		_ = s.Reset()
		return nil, fail(err)
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, fail(err)
	}
	frame, err := readFrame(s, p.MaxResponseSize+1)
	if err == nil && len(frame) == 0 {
		err = fmt.Errorf("%w: empty response frame", ErrMalformed)
	}
	if err != nil {
		_ = s.Reset()
		if errors.Is(err, io.EOF) {
			err = errors.New("stream closed without an answer")
		}
		return nil, fail(err)
	}
	_ = s.Close()
	switch status, payload := frame[0], frame[1:]; status {
	case statusOK:
		return payload, nil
	case statusNotFound:
		return nil, fmt.Errorf("%w: %s at %s", ErrNotFound, p.ID, to)
	case statusBadRequest:
		return nil, fmt.Errorf("%w: %s at %s", ErrRejected, p.ID, to)
	case statusBusy:
		return nil, fmt.Errorf("%w: %s at %s", ErrBusy, p.ID, to)
	case statusFailed:
		return nil, fail(errors.New("peer reported a failure"))
	default:
		return nil, fail(fmt.Errorf("%w: unknown status %d", ErrMalformed, status))
	}
}

// isTimeout reports a deadline error from a stream or a dial.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &t) && t.Timeout())
}

// call is Request followed by decode; an answer that does not decode
// penalises the peer like a malformed frame.
func (h *Host) call(ctx context.Context, to peer.ID, p Protocol, req []byte, decode func([]byte) error) error {
	resp, err := h.Request(ctx, to, p, req)
	if err != nil {
		return err
	}
	if err := decode(resp); err != nil {
		err = fmt.Errorf("answer on %s from %s: %w", p.ID, to, err)
		if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
			h.Penalize(to, OffenceMalformed, err)
		}
		return err
	}
	return nil
}
