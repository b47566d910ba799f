package erasure

import (
	"encoding/binary"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// Blob (share) proofs (SPEC §11.3): a run of ODS shares, all of one
// namespace, proven to the data root. The run is split per ODS row; each
// row part carries an NMT range proof against its row root (on intermediate
// rows the range runs to k, not 2k: the parity half is never part of a
// blob), the row root, and the root's RFC-6962 proof. This is an inclusion
// proof, as celestia-app's ShareProof: it says nothing about other blobs of
// the namespace (NamespaceData does).

// BlobRow is the part of a blob proof for one row.
type BlobRow struct {
	Row       int
	Proof     NMTProof // range [Start, End) within the row
	Root      da.NMTNode
	RootProof MerkleProof
}

// BlobProof proves that Shares are the ODS shares [Start, End) (row-major
// indexes over k²) of the square, all under Namespace.
type BlobProof struct {
	Namespace  da.Namespace
	Start, End int
	Shares     []da.Share
	Rows       []BlobRow
}

// BlobProof proves the ODS shares [start, end), which must all carry one
// namespace (as a blob's shares do).
func (p *Prover) BlobProof(start, end int) (*BlobProof, error) {
	k := p.k
	if start < 0 || end > k*k || start >= end {
		return nil, fmt.Errorf("%w: share range [%d,%d) in a square of %d shares", ErrProofShape, start, end, k*k)
	}
	out := &BlobProof{Start: start, End: end, Shares: make([]da.Share, 0, end-start)}
	for i := start; i < end; i++ {
		out.Shares = append(out.Shares, *p.eds.Cell(i/k, i%k))
	}
	out.Namespace = out.Shares[0].Namespace()
	for i := range out.Shares {
		if out.Shares[i].Namespace() != out.Namespace {
			return nil, fmt.Errorf("%w: share %d has namespace %x, share %d has %x", ErrProofShape, start+i, out.Shares[i].Namespace(), start, out.Namespace)
		}
	}
	for r := start / k; r <= (end-1)/k; r++ {
		lo, hi := blobRowRange(k, r, start, end)
		t, err := p.tree(Row, r)
		if err != nil {
			return nil, err
		}
		proof, err := t.proveRange(lo, hi)
		if err != nil {
			return nil, err
		}
		rp, err := p.RootProof(Row, r)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, BlobRow{Row: r, Proof: proof, Root: p.dah.RowRoots[r], RootProof: rp})
	}
	return out, nil
}

// NewBlobProof is Prover.BlobProof for a single query.
func NewBlobProof(e *EDS, d *DAH, start, end int) (*BlobProof, error) {
	p, err := NewProver(e, d)
	if err != nil {
		return nil, err
	}
	return p.BlobProof(start, end)
}

// blobRowRange is the part of ODS shares [start, end) in row r, as
// positions within the row.
func blobRowRange(k, r, start, end int) (lo, hi int) {
	lo = max(start, r*k) - r*k
	hi = min(end, (r+1)*k) - r*k
	return lo, hi
}

// Verify checks the proof against the data root of a square of width k:
// the rows are exactly those the range spans, in order, each proof covers
// exactly that row's part of the range, the shares all carry Namespace and
// hash (as Q0 leaves, SPEC §6) to the row roots, and each row root sits at
// its index of the data root.
func (b *BlobProof) Verify(dataRoot [32]byte, k int) error {
	if !ValidWidth(k) {
		return fmt.Errorf("%w: got %d", ErrWidth, k)
	}
	if b.Start < 0 || b.End > k*k || b.Start >= b.End {
		return fmt.Errorf("%w: share range [%d,%d) in a square of %d shares", ErrProofShape, b.Start, b.End, k*k)
	}
	if len(b.Shares) != b.End-b.Start {
		return fmt.Errorf("%w: %d shares for range [%d,%d)", ErrProofShape, len(b.Shares), b.Start, b.End)
	}
	first, last := b.Start/k, (b.End-1)/k
	if len(b.Rows) != last-first+1 {
		return fmt.Errorf("%w: %d row proofs for rows %d..%d", ErrProofShape, len(b.Rows), first, last)
	}
	for i := range b.Shares {
		if da.Namespace(b.Shares[i][:da.NamespaceSize]) != b.Namespace {
			return fmt.Errorf("%w: share %d has namespace %x, want %x", ErrProofShape, b.Start+i, b.Shares[i].Namespace(), b.Namespace)
		}
	}
	for i := range b.Rows {
		row := &b.Rows[i]
		r := first + i
		if row.Row != r {
			return fmt.Errorf("%w: proof for row %d where row %d must come", ErrProofShape, row.Row, r)
		}
		lo, hi := blobRowRange(k, r, b.Start, b.End)
		if row.Proof.Start != lo || row.Proof.End != hi {
			return fmt.Errorf("%w: row %d proof covers [%d,%d), want [%d,%d)", ErrProofShape, r, row.Proof.Start, row.Proof.End, lo, hi)
		}
		if err := verifyRowRoot(dataRoot, k, r, &row.Root, &row.RootProof); err != nil {
			return err
		}
		off := r*k + lo - b.Start
		if err := row.Proof.VerifyShares(&row.Root, 2*k, b.Namespace, b.Shares[off:off+hi-lo]); err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
	}
	return nil
}

// Binary form, version 1. Integers are big-endian; proofs as in
// nmtproof.go and merkleproof.go:
//
//	version(1)=1 ‖ namespace(29) ‖ start(4) ‖ end(4) ‖ shares(512·(end−start)) ‖
//	rowCount(2) ‖ rows, row = row(2) ‖ root(90) ‖ MerkleProof ‖ NMTProof
const blobProofVersion = 1

// MarshalBinary encodes b (version 1).
func (b *BlobProof) MarshalBinary() ([]byte, error) {
	if b.Start < 0 || b.End < b.Start || b.End > MaxWidth*MaxWidth || len(b.Shares) != b.End-b.Start || len(b.Rows) > MaxWidth {
		return nil, fmt.Errorf("%w: range [%d,%d) with %d shares and %d rows", ErrProofEncoding, b.Start, b.End, len(b.Shares), len(b.Rows))
	}
	out := make([]byte, 0, 1+da.NamespaceSize+8+len(b.Shares)*da.ShareSize+2+len(b.Rows)*(2+da.NMTNodeSize+200))
	out = append(out, blobProofVersion)
	out = append(out, b.Namespace[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(b.Start))
	out = binary.BigEndian.AppendUint32(out, uint32(b.End))
	for i := range b.Shares {
		out = append(out, b.Shares[i][:]...)
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.Rows)))
	var err error
	for i := range b.Rows {
		row := &b.Rows[i]
		if row.Row < 0 || row.Row > 0xFFFF {
			return nil, fmt.Errorf("%w: row %d", ErrProofEncoding, row.Row)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(row.Row))
		out = append(out, row.Root[:]...)
		if out, err = row.RootProof.appendBinary(out); err != nil {
			return nil, err
		}
		if out, err = row.Proof.appendBinary(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UnmarshalBinary decodes a version-1 encoding, checking the format
// (lengths before allocating, node formats, no trailing bytes), not the
// proofs: call Verify.
func (b *BlobProof) UnmarshalBinary(data []byte) error {
	r := byteReader{b: data}
	if v := r.u8("version"); r.err == nil && v != blobProofVersion {
		return fmt.Errorf("%w: blob proof version %d, want %d", ErrProofEncoding, v, blobProofVersion)
	}
	var out BlobProof
	copy(out.Namespace[:], r.take(da.NamespaceSize, "namespace"))
	out.Start = r.u32("start")
	out.End = r.u32("end")
	if r.err == nil && (out.End < out.Start || out.End > MaxWidth*MaxWidth) {
		r.fail("share range [%d,%d)", out.Start, out.End)
	}
	if r.err == nil {
		n := out.End - out.Start
		if raw := r.take(n*da.ShareSize, "shares"); raw != nil && n > 0 {
			out.Shares = make([]da.Share, n)
			for i := range out.Shares {
				copy(out.Shares[i][:], raw[i*da.ShareSize:])
			}
		}
	}
	rows := r.u16("row count")
	if rows > MaxWidth {
		r.fail("%d rows, at most %d", rows, MaxWidth)
	}
	for i := 0; i < rows && r.err == nil; i++ {
		row := BlobRow{Row: r.u16("row")}
		row.Root = r.node("row root")
		row.RootProof = r.merkleProof()
		row.Proof = r.nmtProof()
		if r.err == nil {
			out.Rows = append(out.Rows, row)
		}
	}
	if err := r.done(); err != nil {
		return err
	}
	*b = out
	return nil
}
