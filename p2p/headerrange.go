package p2p

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
)

// Header-range protocol, /tartan/<chain-id>/header-range/v1: the request
// asks for up to Count headers from height From; the answer is the headers
// the server has, in height order starting at From, possibly fewer than
// asked (the server's head, or its Config.MaxHeaderRange), never none: a
// server without the header at From answers not found.
//
// Request: From (8 bytes, big-endian) ‖ Count (4 bytes, big-endian).
// Response: uvarint n ‖ n × (uvarint length ‖ da.Header binary).

// HeaderRangeMaxCount is the most headers one request may ask for; a
// request for more is malformed.
const HeaderRangeMaxCount = 256

const (
	headerRangeRequestSize = 8 + 4
	// Each header: its length prefix (2 bytes for any length up to
	// HeaderMaxSize) and its bytes; plus the count prefix.
	headerRangeMaxResponse = binary.MaxVarintLen16 + HeaderRangeMaxCount*(binary.MaxVarintLen16+da.HeaderMaxSize)
)

// HeaderRangeRequest asks for Count headers starting at height From.
type HeaderRangeRequest struct {
	From  uint64
	Count uint32
}

// MarshalBinary encodes r; it never fails.
func (r HeaderRangeRequest) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, headerRangeRequestSize), r.From)
	return binary.BigEndian.AppendUint32(b, r.Count), nil
}

// UnmarshalBinary decodes a request from untrusted bytes and checks its
// bounds: From ≥ 1, 1 ≤ Count ≤ HeaderRangeMaxCount, no overflow.
func (r *HeaderRangeRequest) UnmarshalBinary(b []byte) error {
	if len(b) != headerRangeRequestSize {
		return fmt.Errorf("%w: header-range request of %d bytes, want %d", ErrMalformed, len(b), headerRangeRequestSize)
	}
	out := HeaderRangeRequest{From: binary.BigEndian.Uint64(b), Count: binary.BigEndian.Uint32(b[8:])}
	if err := out.check(); err != nil {
		return err
	}
	*r = out
	return nil
}

func (r HeaderRangeRequest) check() error {
	switch {
	case r.From == 0:
		return fmt.Errorf("%w: header range from height 0 (the first block is height 1)", ErrMalformed)
	case r.Count == 0 || r.Count > HeaderRangeMaxCount:
		return fmt.Errorf("%w: header range of %d headers, want 1 to %d", ErrMalformed, r.Count, HeaderRangeMaxCount)
	case r.From+uint64(r.Count)-1 < r.From:
		return fmt.Errorf("%w: header range from %d overflows", ErrMalformed, r.From)
	}
	return nil
}

// encodeHeaders encodes a header-range answer.
func encodeHeaders(hs []*da.Header) ([]byte, error) {
	// A typical header is a kilobyte or two; the limit, a certificate of
	// a few hundred validators, is far above it: grow as needed.
	b := binary.AppendUvarint(make([]byte, 0, len(hs)*2048), uint64(len(hs)))
	for _, h := range hs {
		hb, err := h.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = appendFrame(b, hb)
	}
	return b, nil
}

// decodeHeaders decodes an answer to req from untrusted bytes: 1 to
// req.Count headers, each well formed, of chain, at heights req.From,
// req.From+1, …; nothing after them.
func decodeHeaders(b []byte, req HeaderRangeRequest, chain string) ([]*da.Header, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, fmt.Errorf("%w: header-range answer has no valid count", ErrMalformed)
	}
	if n == 0 || n > uint64(req.Count) {
		return nil, fmt.Errorf("%w: header-range answer has %d headers, asked for 1 to %d", ErrMalformed, n, req.Count)
	}
	b = b[k:]
	hs := make([]*da.Header, 0, n)
	for i := range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > da.HeaderMaxSize || l > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: header %d of the answer has a bad length", ErrMalformed, i)
		}
		h := new(da.Header)
		if err := h.UnmarshalBinary(b[k : k+int(l)]); err != nil {
			return nil, fmt.Errorf("%w: header %d of the answer: %v", ErrMalformed, i, err)
		}
		if h.ChainID != chain || h.Height != req.From+i {
			return nil, fmt.Errorf("%w: header %d of the answer is height %d of chain %q, want height %d of %q",
				ErrMalformed, i, h.Height, h.ChainID, req.From+i, chain)
		}
		hs = append(hs, h)
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last header", ErrMalformed, len(b))
	}
	return hs, nil
}

// HeaderSource is what a header-range server reads from; the node
// implements it over its header store. Headers returns the headers from
// height from on, in order, at most count; none, or an error wrapping
// ErrNotFound, if it does not have height from.
type HeaderSource interface {
	Headers(ctx context.Context, from uint64, count int) ([]*da.Header, error)
}

func (h *Host) headerRange() Protocol {
	return Protocol{
		ID:              h.ProtocolID("header-range", "v1"),
		MaxRequestSize:  headerRangeRequestSize,
		MaxResponseSize: headerRangeMaxResponse,
	}
}

// ServeHeaders serves the header-range protocol from src.
func (h *Host) ServeHeaders(src HeaderSource) {
	h.Handle(h.headerRange(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		var req HeaderRangeRequest
		if err := req.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		count := min(int(req.Count), h.cfg.MaxHeaderRange)
		hs, err := src.Headers(ctx, req.From, count)
		if err != nil {
			return nil, err
		}
		if len(hs) == 0 {
			return nil, fmt.Errorf("%w: header %d", ErrNotFound, req.From)
		}
		// A source that answers more or other than asked is a bug here,
		// not the requester's fault: fail rather than send it.
		if len(hs) > count {
			return nil, fmt.Errorf("p2p: header source returned %d headers, asked for %d", len(hs), count)
		}
		for i, hd := range hs {
			if hd.Height != req.From+uint64(i) {
				return nil, fmt.Errorf("p2p: header source returned height %d at position %d from %d", hd.Height, i, req.From)
			}
		}
		return encodeHeaders(hs)
	})
}

// RequestHeaders asks to for up to count headers from height from. The
// answer is checked for shape (well-formed headers of this chain, at
// contiguous heights from from, no more than asked); the caller verifies
// certificates and links (node does, with package consensus). An answer that
// fails the check penalises the peer and is ErrMalformed.
func (h *Host) RequestHeaders(ctx context.Context, to peer.ID, from uint64, count int) ([]*da.Header, error) {
	if count <= 0 || count > HeaderRangeMaxCount {
		return nil, fmt.Errorf("p2p: header range of %d headers, want 1 to %d", count, HeaderRangeMaxCount)
	}
	req := HeaderRangeRequest{From: from, Count: uint32(count)}
	if err := req.check(); err != nil {
		return nil, fmt.Errorf("p2p: bad header range request: %v", err) // not the peer's fault
	}
	b, _ := req.MarshalBinary()
	var hs []*da.Header
	err := h.call(ctx, to, h.headerRange(), b, func(resp []byte) (err error) {
		hs, err = decodeHeaders(resp, req, h.cfg.ChainID)
		return err
	})
	return hs, err
}
