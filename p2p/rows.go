package p2p

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Committed-square protocols (DESIGN.md §5): what a full node needs to
// judge a square whose ODS does not reproduce its header's data root. The
// ODS alone cannot tell a peer's lie from the validators' badly encoded
// square; the roots and the extended rows as committed can, and they prove
// themselves without any per-cell proof: the 4k roots hash to the data
// root, and each whole row hashes to its root. Both are served by the
// validators and full nodes from squares they hold.
//
// Requests, integers big-endian, height 0 malformed:
//
//	dah   height(8)
//	rows  height(8) ‖ first(2) ‖ count(2)   rows [first, first+count) of the EDS
//
// Answers:
//
//	dah   the 2k row roots then the 2k column roots, 90 bytes each (k from the length)
//	rows  count × 2k cells of 512 bytes, row-major
//
// As with the square protocols, answers are checked here for shape only;
// the caller verifies them (DAH.DataRoot against the header, each row's
// NMT root against the DAH) and penalises a peer whose answer does not
// verify with OffenceInvalid.

const (
	dahRequestSize  = 8
	rowsRequestSize = 8 + 2 + 2
	// maxDAHAnswer is the DAH of the largest square.
	maxDAHAnswer = 4 * erasure.MaxWidth * da.NMTNodeSize
	// maxRowsAnswer bounds one rows answer: 64 rows at the largest width.
	maxRowsAnswer = 8 << 20
)

// MaxRowsPerRequest is the most rows of a square of width k that one rows
// request may ask for (at least 1, at most the 2k rows of the square).
func MaxRowsPerRequest(k int) int {
	if k < 1 {
		return 1
	}
	return max(1, min(2*k, maxRowsAnswer/(2*k*da.ShareSize)))
}

// RowSource is what a host serving committed squares reads from; node
// implements it over the squares it holds, exactly as committed. Each
// method returns an error wrapping ErrNotFound when the host does not hold
// the height, ErrMalformed when the rows asked lie outside the square (the
// requester knew the width and is penalised).
type RowSource interface {
	// DAH is the square's 4k committed roots.
	DAH(ctx context.Context, height uint64) (*erasure.DAH, error)
	// Rows returns k and rows [first, first+count) of the extended
	// square, 2k cells each, row-major.
	Rows(ctx context.Context, height uint64, first, count int) (k int, cells []da.Share, err error)
}

func (h *Host) dahProtocol(limit int) Protocol {
	return Protocol{ID: h.ProtocolID("dah", "v1"), MaxRequestSize: dahRequestSize, MaxResponseSize: limit}
}

func (h *Host) rowsProtocol(limit int) Protocol {
	return Protocol{
		ID:              h.ProtocolID("rows", "v1"),
		MaxRequestSize:  rowsRequestSize,
		MaxResponseSize: limit,
		Timeout:         h.bulkTimeout(),
		// Each stream may hold 8 MiB twice: a few at once.
		MaxConcurrent: min(h.cfg.MaxConcurrentRequests, 8),
	}
}

// RowsRequest asks for rows [First, First+Count) of the EDS at Height.
type RowsRequest struct {
	Height       uint64
	First, Count int
}

// check bounds the request by the largest square; the server checks it
// against the square it holds.
func (r RowsRequest) check() error {
	if err := checkHeight(r.Height); err != nil {
		return err
	}
	if r.Count < 1 || r.First < 0 || r.First+r.Count > 2*erasure.MaxWidth {
		return fmt.Errorf("%w: rows [%d,%d) of at most %d", ErrMalformed, r.First, r.First+r.Count, 2*erasure.MaxWidth)
	}
	return nil
}

// MarshalBinary encodes the request; it fails for an out-of-bounds one.
func (r RowsRequest) MarshalBinary() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	b := binary.BigEndian.AppendUint64(make([]byte, 0, rowsRequestSize), r.Height)
	b = binary.BigEndian.AppendUint16(b, uint16(r.First))
	return binary.BigEndian.AppendUint16(b, uint16(r.Count)), nil
}

// UnmarshalBinary decodes a request from untrusted bytes (ErrMalformed).
func (r *RowsRequest) UnmarshalBinary(b []byte) error {
	if len(b) != rowsRequestSize {
		return fmt.Errorf("%w: rows request of %d bytes, want %d", ErrMalformed, len(b), rowsRequestSize)
	}
	out := RowsRequest{Height: binary.BigEndian.Uint64(b),
		First: int(binary.BigEndian.Uint16(b[8:])), Count: int(binary.BigEndian.Uint16(b[10:]))}
	if err := out.check(); err != nil {
		return err
	}
	*r = out
	return nil
}

func decodeDAHRequest(b []byte) (uint64, error) {
	if len(b) != dahRequestSize {
		return 0, fmt.Errorf("%w: dah request of %d bytes, want %d", ErrMalformed, len(b), dahRequestSize)
	}
	height := binary.BigEndian.Uint64(b)
	return height, checkHeight(height)
}

// encodeDAH writes the row roots then the column roots.
func encodeDAH(d *erasure.DAH) ([]byte, error) {
	if d == nil {
		return nil, fmt.Errorf("p2p: row source returned no DAH")
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("p2p: row source returned a bad DAH: %w", err)
	}
	b := make([]byte, 0, 2*len(d.RowRoots)*da.NMTNodeSize)
	for i := range d.RowRoots {
		b = append(b, d.RowRoots[i][:]...)
	}
	for i := range d.ColRoots {
		b = append(b, d.ColRoots[i][:]...)
	}
	return b, nil
}

// DecodeDAH decodes a DAH answer for a square of width k from untrusted
// bytes: exactly 4k well-formed roots. It does not check them against a
// data root.
func DecodeDAH(b []byte, k int) (*erasure.DAH, error) {
	if !erasure.ValidWidth(k) {
		return nil, fmt.Errorf("p2p: DAH of width %d: %w", k, erasure.ErrWidth)
	}
	if len(b) != 4*k*da.NMTNodeSize {
		return nil, fmt.Errorf("%w: dah answer of %d bytes, want %d for width %d", ErrMalformed, len(b), 4*k*da.NMTNodeSize, k)
	}
	d := &erasure.DAH{RowRoots: make([]da.NMTNode, 2*k), ColRoots: make([]da.NMTNode, 2*k)}
	for i := range 4 * k {
		dst := &d.RowRoots[i%(2*k)]
		if i >= 2*k {
			dst = &d.ColRoots[i-2*k]
		}
		copy(dst[:], b[i*da.NMTNodeSize:])
		if err := dst.Validate(); err != nil {
			return nil, fmt.Errorf("%w: dah root %d: %v", ErrMalformed, i, err)
		}
	}
	return d, nil
}

// decodeRows decodes a rows answer of count rows of a square of width k.
func decodeRows(b []byte, k, count int) ([]da.Share, error) {
	n := count * 2 * k
	if len(b) != n*da.ShareSize {
		return nil, fmt.Errorf("%w: rows answer of %d bytes, want %d for %d rows of width %d", ErrMalformed, len(b), n*da.ShareSize, count, 2*k)
	}
	out := make([]da.Share, n)
	for i := range out {
		copy(out[i][:], b[i*da.ShareSize:])
	}
	return out, nil
}

// ServeRows registers the dah and rows protocols over src.
func (h *Host) ServeRows(src RowSource) {
	h.Handle(h.dahProtocol(maxDAHAnswer), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, err := decodeDAHRequest(b)
		if err != nil {
			return nil, err
		}
		d, err := src.DAH(ctx, height)
		if err != nil {
			return nil, err
		}
		return encodeDAH(d)
	})
	h.Handle(h.rowsProtocol(maxRowsAnswer), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		var r RowsRequest
		if err := r.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		k, cells, err := src.Rows(ctx, r.Height, r.First, r.Count)
		if err != nil {
			return nil, err
		}
		if r.First+r.Count > 2*k || r.Count > MaxRowsPerRequest(k) {
			return nil, fmt.Errorf("%w: rows [%d,%d) of a square of width %d (at most %d a request)", ErrMalformed, r.First, r.First+r.Count, 2*k, MaxRowsPerRequest(k))
		}
		if len(cells) != r.Count*2*k {
			return nil, fmt.Errorf("p2p: row source returned %d cells for %d rows of width %d", len(cells), r.Count, 2*k)
		}
		out := make([]byte, 0, len(cells)*da.ShareSize)
		for i := range cells {
			out = append(out, cells[i][:]...)
		}
		return out, nil
	})
}

// RequestDAH fetches the committed roots of a height whose header says
// width k, checked for shape only: the caller compares DataRoot with the
// header's and penalises a peer whose DAH does not match (OffenceInvalid).
func (h *Host) RequestDAH(ctx context.Context, to peer.ID, height uint64, k int) (*erasure.DAH, error) {
	if !erasure.ValidWidth(k) {
		return nil, fmt.Errorf("p2p: dah request for width %d: %w", k, erasure.ErrWidth)
	}
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad dah request: %v", err)
	}
	var out *erasure.DAH
	err := h.call(ctx, to, h.dahProtocol(4*k*da.NMTNodeSize), binary.BigEndian.AppendUint64(nil, height), func(b []byte) (err error) {
		out, err = DecodeDAH(b, k)
		return err
	})
	return out, err
}

// RequestRows fetches rows [first, first+count) of the extended square of
// a height whose header says width k (count at most MaxRowsPerRequest(k)),
// 2k cells a row, row-major. They are checked for shape only: the caller
// checks each row against its root in the DAH and penalises a peer whose
// row does not match (OffenceInvalid).
func (h *Host) RequestRows(ctx context.Context, to peer.ID, height uint64, k, first, count int) ([]da.Share, error) {
	if !erasure.ValidWidth(k) {
		return nil, fmt.Errorf("p2p: rows request for width %d: %w", k, erasure.ErrWidth)
	}
	if first < 0 || count < 1 || first+count > 2*k || count > MaxRowsPerRequest(k) {
		return nil, fmt.Errorf("p2p: bad rows request: rows [%d,%d) of width %d, at most %d a request", first, first+count, 2*k, MaxRowsPerRequest(k))
	}
	req, err := RowsRequest{Height: height, First: first, Count: count}.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("p2p: bad rows request: %v", err)
	}
	var out []da.Share
	err = h.call(ctx, to, h.rowsProtocol(count*2*k*da.ShareSize), req, func(b []byte) (err error) {
		out, err = decodeRows(b, k, count)
		return err
	})
	return out, err
}
