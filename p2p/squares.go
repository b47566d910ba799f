package p2p

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Square protocols (DESIGN.md §5), served by full nodes and validators
// from verified squares. Every answer is checked here for shape only (sizes,
// that it answers the question asked); the caller verifies it against the
// header's data root and reports a bad proof with Penalize(p,
// OffenceInvalid, err).
//
// Requests have fixed layouts, integers big-endian; height 0 (no block) is
// malformed everywhere:
//
//	ods            height(8)
//	samples        height(8) ‖ count(2) ‖ count × (row(2) ‖ col(2))
//	namespace-data height(8) ‖ namespace(29)
//	blob-proof     height(8) ‖ start(4) ‖ end(4)
//
// Answers:
//
//	ods            the k² ODS shares, row-major, nothing else (k from the length)
//	samples        erasure sample batch (version 2: compact nodes, shared aunts)
//	namespace-data erasure.NamespaceData binary
//	blob-proof     erasure.BlobProof binary

// Cell is one cell of an extended square.
type Cell struct{ Row, Col uint16 }

// MaxSamplesPerRequest is the most cells one samples request may ask for.
const MaxSamplesPerRequest = 256

const (
	odsRequestSize       = 8
	namespaceRequestSize = 8 + da.NamespaceSize
	blobProofRequestSize = 8 + 4 + 4
	sampleCellSize       = 4

	samplesMaxRequest = 8 + 2 + MaxSamplesPerRequest*sampleCellSize

	// maxODSResponse is the original square of the largest width.
	maxODSResponse = erasure.MaxWidth * erasure.MaxWidth * da.ShareSize

	// Encoded proof parts for squares of width up to erasure.MaxWidth: a
	// root proof has at most log2(4·MaxWidth) = 11 aunts, an NMT proof over
	// 2·MaxWidth leaves at most 2·log2(2·MaxWidth) = 20 nodes and possibly
	// an absence leaf.
	maxRootProofSize = 2 + 2 + 1 + 11*32
	maxNMTProofSize  = 2 + 2 + 1 + da.NMTNodeSize + 1 + 20*da.NMTNodeSize
	// A namespace's rows: row(2) ‖ root ‖ root proof ‖ NMT proof ‖
	// share count(2); a bound: row(2) ‖ root ‖ root proof.
	nsRowOverhead      = 2 + da.NMTNodeSize + maxRootProofSize + maxNMTProofSize + 2
	nsBoundSize        = 2 + da.NMTNodeSize + maxRootProofSize
	maxNamespaceAnswer = 1 + da.NamespaceSize + 1 + 2*nsBoundSize + 2 +
		erasure.MaxWidth*nsRowOverhead + erasure.MaxWidth*erasure.MaxWidth*da.ShareSize
	// A blob proof: header, its shares, and a row part per row spanned.
	blobProofHeader   = 1 + da.NamespaceSize + 4 + 4 + 2
	blobRowOverhead   = 2 + da.NMTNodeSize + maxRootProofSize + maxNMTProofSize
	maxBlobProofShare = erasure.MaxWidth * erasure.MaxWidth
)

// samplesResponseLimit is the largest answer for n cells.
func samplesResponseLimit(n int) int { return erasure.MaxSampleBatchSize(n) }

// blobProofResponseLimit is the largest answer for n shares: they span at
// most n rows and at most MaxWidth.
func blobProofResponseLimit(n int) int {
	return blobProofHeader + n*da.ShareSize + min(n, erasure.MaxWidth)*blobRowOverhead
}

// bulkTimeout is the stream deadline of the protocols whose answers reach
// a whole square (128 MiB at the largest width): the default stream
// deadline is sized for small messages.
func (h *Host) bulkTimeout() time.Duration { return max(h.cfg.StreamTimeout, time.Minute) }

func (h *Host) odsProtocol(limit int) Protocol {
	return Protocol{
		ID:              h.ProtocolID("ods", "v1"),
		MaxRequestSize:  odsRequestSize,
		MaxResponseSize: limit,
		Timeout:         h.bulkTimeout(),
		// Each stream may hold a whole square in memory twice (the answer
		// and its frame): a few at once.
		MaxConcurrent: min(h.cfg.MaxConcurrentRequests, 8),
	}
}

func (h *Host) samplesProtocol(n int) Protocol {
	return Protocol{
		ID:              h.ProtocolID("samples", "v2"),
		MaxRequestSize:  samplesMaxRequest,
		MaxResponseSize: samplesResponseLimit(n),
	}
}

func (h *Host) namespaceProtocol() Protocol {
	return Protocol{
		ID:              h.ProtocolID("namespace-data", "v1"),
		MaxRequestSize:  namespaceRequestSize,
		MaxResponseSize: maxNamespaceAnswer,
		Timeout:         h.bulkTimeout(),
	}
}

func (h *Host) blobProofProtocol(limit int) Protocol {
	return Protocol{
		ID:              h.ProtocolID("blob-proof", "v1"),
		MaxRequestSize:  blobProofRequestSize,
		MaxResponseSize: limit,
		Timeout:         h.bulkTimeout(),
	}
}

// SquareSource is what a host serving squares reads from; node implements
// it over verified squares. Each method returns an error wrapping
// ErrNotFound when the host does not hold the height (never penalised), an
// error wrapping ErrMalformed when the request cannot be answered from a
// square the host holds (cells or shares outside it: the requester knew
// the width and is penalised).
type SquareSource interface {
	// ODS returns the original square's k² shares, row-major, as bytes
	// (erasure.EDS.ODSBytes): the wire form, so serving a square copies
	// it once.
	ODS(ctx context.Context, height uint64) ([]byte, error)
	Samples(ctx context.Context, height uint64, cells []Cell) ([]*erasure.Sample, error)
	NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error)
	BlobProof(ctx context.Context, height uint64, start, end int) (*erasure.BlobProof, error)
}

// --- requests ---

func checkHeight(height uint64) error {
	if height == 0 {
		return fmt.Errorf("%w: height 0 (the first block is height 1)", ErrMalformed)
	}
	return nil
}

func encodeODSRequest(height uint64) []byte { return binary.BigEndian.AppendUint64(nil, height) }

func decodeODSRequest(b []byte) (uint64, error) {
	if len(b) != odsRequestSize {
		return 0, fmt.Errorf("%w: ods request of %d bytes, want %d", ErrMalformed, len(b), odsRequestSize)
	}
	height := binary.BigEndian.Uint64(b)
	return height, checkHeight(height)
}

// checkCells checks a cell list's length and that each cell lies within
// the largest square.
func checkCells(cells []Cell) error {
	if len(cells) == 0 || len(cells) > MaxSamplesPerRequest {
		return fmt.Errorf("%w: %d cells, want 1 to %d", ErrMalformed, len(cells), MaxSamplesPerRequest)
	}
	for i, c := range cells {
		if c.Row >= 2*erasure.MaxWidth || c.Col >= 2*erasure.MaxWidth {
			return fmt.Errorf("%w: cell %d at (%d,%d) is outside the largest square", ErrMalformed, i, c.Row, c.Col)
		}
	}
	return nil
}

func encodeSamplesRequest(height uint64, cells []Cell) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 10+len(cells)*sampleCellSize), height)
	b = binary.BigEndian.AppendUint16(b, uint16(len(cells)))
	for _, c := range cells {
		b = binary.BigEndian.AppendUint16(b, c.Row)
		b = binary.BigEndian.AppendUint16(b, c.Col)
	}
	return b
}

func decodeSamplesRequest(b []byte) (uint64, []Cell, error) {
	if len(b) < 10 {
		return 0, nil, fmt.Errorf("%w: samples request of %d bytes, at least 10", ErrMalformed, len(b))
	}
	height := binary.BigEndian.Uint64(b)
	n := int(binary.BigEndian.Uint16(b[8:]))
	if n == 0 || n > MaxSamplesPerRequest {
		return 0, nil, fmt.Errorf("%w: samples request for %d cells, want 1 to %d", ErrMalformed, n, MaxSamplesPerRequest)
	}
	if len(b) != 10+n*sampleCellSize {
		return 0, nil, fmt.Errorf("%w: samples request for %d cells in %d bytes, want %d", ErrMalformed, n, len(b), 10+n*sampleCellSize)
	}
	if err := checkHeight(height); err != nil {
		return 0, nil, err
	}
	cells := make([]Cell, n)
	for i := range cells {
		cells[i] = Cell{binary.BigEndian.Uint16(b[10+4*i:]), binary.BigEndian.Uint16(b[12+4*i:])}
	}
	if err := checkCells(cells); err != nil {
		return 0, nil, err
	}
	return height, cells, nil
}

// checkNamespace accepts any well-formed namespace but parity, which has
// no data.
func checkNamespace(ns da.Namespace) error {
	if err := ns.Validate(); err != nil {
		return fmt.Errorf("%w: namespace: %v", ErrMalformed, err)
	}
	if ns == da.ParityNamespace {
		return fmt.Errorf("%w: the parity namespace has no data", ErrMalformed)
	}
	return nil
}

func encodeNamespaceRequest(height uint64, ns da.Namespace) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, namespaceRequestSize), height)
	return append(b, ns[:]...)
}

func decodeNamespaceRequest(b []byte) (uint64, da.Namespace, error) {
	var ns da.Namespace
	if len(b) != namespaceRequestSize {
		return 0, ns, fmt.Errorf("%w: namespace-data request of %d bytes, want %d", ErrMalformed, len(b), namespaceRequestSize)
	}
	height := binary.BigEndian.Uint64(b)
	copy(ns[:], b[8:])
	if err := checkHeight(height); err != nil {
		return 0, ns, err
	}
	if err := checkNamespace(ns); err != nil {
		return 0, ns, err
	}
	return height, ns, nil
}

// checkShareRange checks [start, end) is a non-empty range of the largest
// ODS.
func checkShareRange(start, end int) error {
	if start < 0 || start >= end || end > maxBlobProofShare {
		return fmt.Errorf("%w: share range [%d,%d), want 0 ≤ start < end ≤ %d", ErrMalformed, start, end, maxBlobProofShare)
	}
	return nil
}

func encodeBlobProofRequest(height uint64, start, end int) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, blobProofRequestSize), height)
	b = binary.BigEndian.AppendUint32(b, uint32(start))
	return binary.BigEndian.AppendUint32(b, uint32(end))
}

func decodeBlobProofRequest(b []byte) (height uint64, start, end int, err error) {
	if len(b) != blobProofRequestSize {
		return 0, 0, 0, fmt.Errorf("%w: blob-proof request of %d bytes, want %d", ErrMalformed, len(b), blobProofRequestSize)
	}
	height = binary.BigEndian.Uint64(b)
	start, end = int(binary.BigEndian.Uint32(b[8:])), int(binary.BigEndian.Uint32(b[12:]))
	if err := checkHeight(height); err != nil {
		return 0, 0, 0, err
	}
	if err := checkShareRange(start, end); err != nil {
		return 0, 0, 0, err
	}
	return height, start, end, nil
}

// --- answers ---

// decodeODS decodes the answer for a square of width k.
func decodeODS(b []byte, k int) ([]da.Share, error) {
	if len(b) != k*k*da.ShareSize {
		return nil, fmt.Errorf("%w: ods answer of %d bytes, want %d for width %d", ErrMalformed, len(b), k*k*da.ShareSize, k)
	}
	out := make([]da.Share, k*k)
	for i := range out {
		copy(out[i][:], b[i*da.ShareSize:])
	}
	return out, nil
}

// encodeSamples encodes the answer to a request for cells; a source that
// answers other cells is a bug here, not the requester's fault.
func encodeSamples(ss []*erasure.Sample, cells []Cell) ([]byte, error) {
	if len(ss) != len(cells) {
		return nil, fmt.Errorf("p2p: square source returned %d samples for %d cells", len(ss), len(cells))
	}
	for i, s := range ss {
		if s == nil || s.Row != int(cells[i].Row) || s.Col != int(cells[i].Col) {
			return nil, fmt.Errorf("p2p: square source returned a wrong sample for cell %d", i)
		}
	}
	b, err := erasure.AppendSampleBatch(nil, ss)
	if err != nil {
		return nil, fmt.Errorf("p2p: samples: %w", err)
	}
	return b, nil
}

// decodeSamples decodes an answer to a request for cells from untrusted
// bytes: exactly one well-formed sample per cell, in order, nothing after.
// The proofs are not verified.
func decodeSamples(b []byte, cells []Cell) ([]*erasure.Sample, error) {
	out, err := erasure.DecodeSampleBatch(b, len(cells))
	if err != nil {
		return nil, fmt.Errorf("%w: samples answer: %w", ErrMalformed, err)
	}
	for i, c := range cells {
		if s := out[i]; s.Row != int(c.Row) || s.Col != int(c.Col) {
			return nil, fmt.Errorf("%w: sample %d is cell (%d,%d), asked for (%d,%d)", ErrMalformed, i, s.Row, s.Col, c.Row, c.Col)
		}
	}
	return out, nil
}

func decodeNamespaceData(b []byte, ns da.Namespace) (*erasure.NamespaceData, error) {
	nd := new(erasure.NamespaceData)
	if err := nd.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: namespace data: %w", ErrMalformed, err)
	}
	if nd.Namespace != ns {
		return nil, fmt.Errorf("%w: namespace data for %s, asked for %s", ErrMalformed, nd.Namespace, ns)
	}
	return nd, nil
}

func decodeBlobProof(b []byte, start, end int) (*erasure.BlobProof, error) {
	bp := new(erasure.BlobProof)
	if err := bp.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: blob proof: %w", ErrMalformed, err)
	}
	if bp.Start != start || bp.End != end {
		return nil, fmt.Errorf("%w: blob proof of shares [%d,%d), asked for [%d,%d)", ErrMalformed, bp.Start, bp.End, start, end)
	}
	return bp, nil
}

// --- serving ---

// ServeSquares registers the ods, samples, namespace-data and blob-proof
// protocols, served from src.
func (h *Host) ServeSquares(src SquareSource) {
	h.Handle(h.odsProtocol(maxODSResponse), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, err := decodeODSRequest(b)
		if err != nil {
			return nil, err
		}
		ods, err := src.ODS(ctx, height)
		if err != nil {
			return nil, err
		}
		if _, err := erasure.WidthOf(len(ods) / da.ShareSize); err != nil || len(ods)%da.ShareSize != 0 {
			return nil, fmt.Errorf("p2p: square source returned %d bytes for height %d, not a square of shares", len(ods), height)
		}
		return ods, nil
	})
	h.Handle(h.samplesProtocol(MaxSamplesPerRequest), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, cells, err := decodeSamplesRequest(b)
		if err != nil {
			return nil, err
		}
		ss, err := src.Samples(ctx, height, cells)
		if err != nil {
			return nil, err
		}
		return encodeSamples(ss, cells)
	})
	h.Handle(h.namespaceProtocol(), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, ns, err := decodeNamespaceRequest(b)
		if err != nil {
			return nil, err
		}
		// Requests for the same namespace in flight share one answer: a
		// burst of readers costs one encoding, not one each. The handler
		// ctx ends only at the deadline or Close, never because one
		// requester left, so sharing it is safe.
		v, err, _ := h.nsAnswers.Do(string(b), func() (any, error) {
			nd, err := src.NamespaceData(ctx, height, ns)
			if err != nil {
				return nil, err
			}
			if nd == nil || nd.Namespace != ns {
				return nil, fmt.Errorf("p2p: square source returned data of another namespace for %s", ns)
			}
			return nd.MarshalBinary()
		})
		if err != nil {
			return nil, err
		}
		return v.([]byte), nil
	})
	h.Handle(h.blobProofProtocol(blobProofResponseLimit(maxBlobProofShare)), func(ctx context.Context, _ peer.ID, b []byte) ([]byte, error) {
		height, start, end, err := decodeBlobProofRequest(b)
		if err != nil {
			return nil, err
		}
		bp, err := src.BlobProof(ctx, height, start, end)
		if err != nil {
			return nil, err
		}
		if bp == nil || bp.Start != start || bp.End != end {
			return nil, fmt.Errorf("p2p: square source returned a proof of another range for [%d,%d)", start, end)
		}
		return bp.MarshalBinary()
	})
}

// --- requesting ---

// RequestODS fetches the original square of a height whose header says
// width k; the answer may be at most k²·512 bytes, checked before anything
// is allocated. It is checked for shape only: the caller checks it against
// the data root (extend and commit) and penalises a peer whose square does
// not match with OffenceInvalid.
func (h *Host) RequestODS(ctx context.Context, to peer.ID, height uint64, k int) ([]da.Share, error) {
	if !erasure.ValidWidth(k) {
		return nil, fmt.Errorf("p2p: ods request for width %d: %w", k, erasure.ErrWidth)
	}
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad ods request: %v", err) // not the peer's fault
	}
	var out []da.Share
	err := h.call(ctx, to, h.odsProtocol(k*k*da.ShareSize), encodeODSRequest(height), func(b []byte) (err error) {
		out, err = decodeODS(b, k)
		return err
	})
	return out, err
}

// RequestSamples fetches many cells of one height in one request (1 to
// MaxSamplesPerRequest). The answer holds exactly the cells asked, in
// order, or the whole request fails (ErrNotFound if the peer lacks the
// height). Each sample is decoded but not verified: the caller verifies it
// with Sample.Verify(dataRoot, k) and reports an invalid one with
// Penalize(p, OffenceInvalid, err).
func (h *Host) RequestSamples(ctx context.Context, to peer.ID, height uint64, cells []Cell) ([]*erasure.Sample, error) {
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad samples request: %v", err)
	}
	if err := checkCells(cells); err != nil {
		return nil, fmt.Errorf("p2p: bad samples request: %v", err)
	}
	var out []*erasure.Sample
	err := h.call(ctx, to, h.samplesProtocol(len(cells)), encodeSamplesRequest(height, cells), func(b []byte) (err error) {
		out, err = decodeSamples(b, cells)
		return err
	})
	return out, err
}

// RequestNamespaceData fetches every share of ns at height with the proofs
// of completeness. The answer is checked for shape and namespace; the
// caller verifies it with NamespaceData.Verify(dataRoot, k).
func (h *Host) RequestNamespaceData(ctx context.Context, to peer.ID, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad namespace-data request: %v", err)
	}
	if err := checkNamespace(ns); err != nil {
		return nil, fmt.Errorf("p2p: bad namespace-data request: %v", err)
	}
	var out *erasure.NamespaceData
	err := h.call(ctx, to, h.namespaceProtocol(), encodeNamespaceRequest(height, ns), func(b []byte) (err error) {
		out, err = decodeNamespaceData(b, ns)
		return err
	})
	return out, err
}

// RequestBlobProof fetches the proof of ODS shares [start, end) (row-major
// over k²) at height. The answer is checked for shape and range; the
// caller verifies it with BlobProof.Verify(dataRoot, k).
func (h *Host) RequestBlobProof(ctx context.Context, to peer.ID, height uint64, start, end int) (*erasure.BlobProof, error) {
	if err := checkHeight(height); err != nil {
		return nil, fmt.Errorf("p2p: bad blob-proof request: %v", err)
	}
	if err := checkShareRange(start, end); err != nil {
		return nil, fmt.Errorf("p2p: bad blob-proof request: %v", err)
	}
	var out *erasure.BlobProof
	err := h.call(ctx, to, h.blobProofProtocol(blobProofResponseLimit(end-start)), encodeBlobProofRequest(height, start, end), func(b []byte) (err error) {
		out, err = decodeBlobProof(b, start, end)
		return err
	})
	return out, err
}

// ServesSquares reports whether p is known (from identify) to serve the
// square protocols: validators and full nodes do, light nodes do not.
// Asking only such peers spares a light node a walk through every other
// light node it is connected to.
func (h *Host) ServesSquares(p peer.ID) bool {
	ok, err := h.host.Peerstore().SupportsProtocols(p, h.samplesProtocol(1).ID)
	return err == nil && len(ok) > 0
}
