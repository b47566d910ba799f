package erasure

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/tartan-da/tartan/da"
)

// Namespace data with completeness across rows (GET /v1/blobs/{height}
// ?namespace=NS&proof=true, and the p2p namespace-data protocol).
//
// Design. A verifier holds only the data root and k. A per-row namespace
// proof (SPEC §11.1) shows that a row holds exactly the listed shares of ns;
// what remains is to show that no other row holds any. The ODS rows' roots
// carry their namespace ranges [min, max] (parity ignored, SPEC §5.3), and
// those ranges are non-decreasing down the square in both ends: the square
// is sorted row-major, and even an adversarial square must keep every
// column's NMT sorted, which already gives minᵣ ≤ minᵣ₊₁ and
// maxᵣ ≤ maxᵣ₊₁ (row r's min and max are its first and last Q0 cells). So
// the rows that can hold ns form one run [first, last] of rows whose range
// contains ns, and the answer carries:
//
//   - for each row of the run: its Q0 shares of ns, its namespace proof
//     (presence, or absence when ns falls inside the row's range without a
//     share), its root and the root's RFC-6962 proof to the data root;
//   - Before: row first−1's root and proof, whose max < ns shows that no
//     earlier row holds ns (absent when first = 0);
//   - After: row last+1's root and proof, whose min > ns shows that no later
//     row does (absent when last = k−1).
//
// When no row's range contains ns the run is empty and Before and After
// are adjacent rows (or one of them is missing at the square's edge).
// Rows ≥ k hold only parity and are never part of the answer.

// NamespaceRow is one ODS row's part of a namespace: Shares are its Q0
// shares of the namespace (empty for an absence proof), at positions
// [Proof.Start, Proof.End) of the row.
type NamespaceRow struct {
	Row       int
	Shares    []da.Share
	Proof     NMTProof
	Root      da.NMTNode
	RootProof MerkleProof
}

// RowBound is a row root next to a namespace's run of rows, with its proof
// to the data root: its namespace range shows the run ends there.
type RowBound struct {
	Row       int
	Root      da.NMTNode
	RootProof MerkleProof
}

// NamespaceData is all of a namespace's shares in one square, row by row,
// with the evidence that nothing is left out.
type NamespaceData struct {
	Namespace da.Namespace
	Rows      []NamespaceRow
	Before    *RowBound
	After     *RowBound
}

// Shares returns the namespace's shares in square order (a new slice).
func (n *NamespaceData) Shares() []da.Share {
	var out []da.Share
	for i := range n.Rows {
		out = append(out, n.Rows[i].Shares...)
	}
	return out
}

// FirstIndex is the ODS share index (row-major, over k²) of the first share
// of the namespace, or -1 when it has none.
func (n *NamespaceData) FirstIndex(k int) int {
	for i := range n.Rows {
		if len(n.Rows[i].Shares) > 0 {
			return n.Rows[i].Row*k + n.Rows[i].Proof.Start
		}
	}
	return -1
}

// NamespaceData collects every share of ns with the proofs described
// above.
func (p *Prover) NamespaceData(ns da.Namespace) (*NamespaceData, error) {
	if ns == da.ParityNamespace {
		return nil, fmt.Errorf("%w: the parity namespace has no data", ErrProofShape)
	}
	k := p.k
	roots := p.dah.RowRoots
	first := 0
	for first < k && bytes.Compare(roots[first][da.NamespaceSize:2*da.NamespaceSize], ns[:]) < 0 {
		first++
	}
	last := first - 1
	for last+1 < k && bytes.Compare(roots[last+1][:da.NamespaceSize], ns[:]) <= 0 {
		last++
	}
	out := &NamespaceData{Namespace: ns}
	bound := func(r int) (*RowBound, error) {
		rp, err := p.RootProof(Row, r)
		if err != nil {
			return nil, err
		}
		return &RowBound{Row: r, Root: roots[r], RootProof: rp}, nil
	}
	var err error
	if first > 0 {
		if out.Before, err = bound(first - 1); err != nil {
			return nil, err
		}
	}
	if last+1 < k {
		if out.After, err = bound(last + 1); err != nil {
			return nil, err
		}
	}
	for r := first; r <= last; r++ {
		t, err := p.tree(Row, r)
		if err != nil {
			return nil, err
		}
		proof, err := t.proveNamespace(&ns)
		if err != nil {
			return nil, err
		}
		rp, err := p.RootProof(Row, r)
		if err != nil {
			return nil, err
		}
		row := NamespaceRow{Row: r, Proof: proof, Root: roots[r], RootProof: rp}
		if proof.LeafHash == nil && proof.End > proof.Start {
			row.Shares = append([]da.Share(nil), p.eds.Row(r)[proof.Start:proof.End]...)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// NewNamespaceData is Prover.NamespaceData for a single query.
func NewNamespaceData(e *EDS, d *DAH, ns da.Namespace) (*NamespaceData, error) {
	p, err := NewProver(e, d)
	if err != nil {
		return nil, err
	}
	return p.NamespaceData(ns)
}

// verifyRowRoot checks that root is row r's root under dataRoot.
func verifyRowRoot(dataRoot [32]byte, k, r int, root *da.NMTNode, rp *MerkleProof) error {
	if r < 0 || r >= k {
		return fmt.Errorf("%w: row %d is not an ODS row of width %d", ErrProofShape, r, k)
	}
	if err := validNode(root); err != nil {
		return fmt.Errorf("%w: row %d root: %w", ErrProofShape, r, err)
	}
	if rp.Index != r || rp.Total != 4*k {
		return fmt.Errorf("%w: row %d root proof for leaf %d of %d", ErrProofShape, r, rp.Index, rp.Total)
	}
	if err := rp.Verify(dataRoot, root[:]); err != nil {
		return fmt.Errorf("row %d root: %w", r, err)
	}
	return nil
}

// Verify checks, against the data root of a square of width k alone, that
// n.Rows holds every share of n.Namespace in the square and nothing else
// (see the design note above).
func (n *NamespaceData) Verify(dataRoot [32]byte, k int) error {
	if !ValidWidth(k) {
		return fmt.Errorf("%w: got %d", ErrWidth, k)
	}
	ns := n.Namespace
	if ns == da.ParityNamespace {
		return fmt.Errorf("%w: the parity namespace has no data", ErrProofShape)
	}
	if len(n.Rows) > k {
		return fmt.Errorf("%w: %d rows in a square of width %d", ErrProofShape, len(n.Rows), k)
	}
	// The run of rows and its bounds must be contiguous and reach the
	// square's edges where a bound is missing.
	next := 0 // the row the run must start at if there is no Before
	if n.Before != nil {
		b := n.Before
		if err := verifyRowRoot(dataRoot, k, b.Row, &b.Root, &b.RootProof); err != nil {
			return fmt.Errorf("row before: %w", err)
		}
		if bytes.Compare(b.Root[da.NamespaceSize:2*da.NamespaceSize], ns[:]) >= 0 {
			return fmt.Errorf("%w: row %d before the run has max namespace %x, not below %x", ErrNamespaceIncomplete, b.Row, b.Root.Max(), ns)
		}
		next = b.Row + 1
	}
	for i := range n.Rows {
		row := &n.Rows[i]
		if row.Row != next {
			return fmt.Errorf("%w: row %d where row %d must come", ErrNamespaceIncomplete, row.Row, next)
		}
		next++
		if err := verifyRowRoot(dataRoot, k, row.Row, &row.Root, &row.RootProof); err != nil {
			return err
		}
		if bytes.Compare(row.Root[:da.NamespaceSize], ns[:]) > 0 || bytes.Compare(row.Root[da.NamespaceSize:2*da.NamespaceSize], ns[:]) < 0 {
			return fmt.Errorf("%w: row %d's range does not contain %x", ErrProofShape, row.Row, ns)
		}
		if row.Proof.IsEmpty() {
			return fmt.Errorf("%w: empty proof for row %d whose range contains the namespace", ErrNamespaceIncomplete, row.Row)
		}
		if err := row.Proof.VerifyNamespace(&row.Root, 2*k, ns, row.Shares); err != nil {
			return fmt.Errorf("row %d: %w", row.Row, err)
		}
	}
	if n.After != nil {
		a := n.After
		if a.Row != next {
			return fmt.Errorf("%w: row %d after the run, want row %d", ErrNamespaceIncomplete, a.Row, next)
		}
		if err := verifyRowRoot(dataRoot, k, a.Row, &a.Root, &a.RootProof); err != nil {
			return fmt.Errorf("row after: %w", err)
		}
		if bytes.Compare(a.Root[:da.NamespaceSize], ns[:]) <= 0 {
			return fmt.Errorf("%w: row %d after the run has min namespace %x, not above %x", ErrNamespaceIncomplete, a.Row, a.Root.Min(), ns)
		}
	} else if next != k {
		return fmt.Errorf("%w: rows from %d on are not accounted for", ErrNamespaceIncomplete, next)
	}
	return nil
}

// Binary form, version 1 (p2p namespace-data protocol). Integers are
// big-endian; proofs are encoded as in nmtproof.go and merkleproof.go:
//
//	version(1)=1 ‖ namespace(29) ‖ bounds(1: bit 0 Before, bit 1 After) ‖
//	[Before] ‖ [After] ‖ rowCount(2) ‖ rows
//	bound = row(2) ‖ root(90) ‖ MerkleProof
//	row   = row(2) ‖ root(90) ‖ MerkleProof ‖ NMTProof ‖ shareCount(2) ‖ shares(512·n)
const namespaceDataVersion = 1

// MarshalBinary encodes n (version 1).
func (n *NamespaceData) MarshalBinary() ([]byte, error) {
	b := []byte{namespaceDataVersion}
	b = append(b, n.Namespace[:]...)
	var flags byte
	if n.Before != nil {
		flags |= 1
	}
	if n.After != nil {
		flags |= 2
	}
	b = append(b, flags)
	var err error
	for _, bd := range []*RowBound{n.Before, n.After} {
		if bd == nil {
			continue
		}
		if bd.Row < 0 || bd.Row > 0xFFFF {
			return nil, fmt.Errorf("%w: row %d", ErrProofEncoding, bd.Row)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(bd.Row))
		b = append(b, bd.Root[:]...)
		if b, err = bd.RootProof.appendBinary(b); err != nil {
			return nil, err
		}
	}
	if len(n.Rows) > MaxWidth {
		return nil, fmt.Errorf("%w: %d rows", ErrProofEncoding, len(n.Rows))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(n.Rows)))
	for i := range n.Rows {
		row := &n.Rows[i]
		if row.Row < 0 || row.Row > 0xFFFF || len(row.Shares) > MaxWidth {
			return nil, fmt.Errorf("%w: row %d with %d shares", ErrProofEncoding, row.Row, len(row.Shares))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(row.Row))
		b = append(b, row.Root[:]...)
		if b, err = row.RootProof.appendBinary(b); err != nil {
			return nil, err
		}
		if b, err = row.Proof.appendBinary(b); err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(row.Shares)))
		for j := range row.Shares {
			b = append(b, row.Shares[j][:]...)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a version-1 encoding. It checks the format (lengths
// before allocating, flags, node formats, no trailing bytes), not the proofs:
// call Verify.
func (n *NamespaceData) UnmarshalBinary(data []byte) error {
	r := byteReader{b: data}
	if v := r.u8("version"); r.err == nil && v != namespaceDataVersion {
		return fmt.Errorf("%w: namespace data version %d, want %d", ErrProofEncoding, v, namespaceDataVersion)
	}
	var out NamespaceData
	copy(out.Namespace[:], r.take(da.NamespaceSize, "namespace"))
	flags := r.u8("bounds")
	if flags > 3 {
		r.fail("bound flags %#x", flags)
	}
	bound := func() *RowBound {
		bd := &RowBound{Row: r.u16("bound row")}
		bd.Root = r.node("bound root")
		bd.RootProof = r.merkleProof()
		return bd
	}
	if flags&1 != 0 {
		out.Before = bound()
	}
	if flags&2 != 0 {
		out.After = bound()
	}
	rows := r.u16("row count")
	if rows > MaxWidth {
		r.fail("%d rows, at most %d", rows, MaxWidth)
	}
	for i := 0; i < rows && r.err == nil; i++ {
		row := NamespaceRow{Row: r.u16("row")}
		row.Root = r.node("row root")
		row.RootProof = r.merkleProof()
		row.Proof = r.nmtProof()
		m := r.u16("share count")
		if m > MaxWidth {
			r.fail("%d shares in a row, at most %d", m, MaxWidth)
		}
		if raw := r.take(m*da.ShareSize, "shares"); raw != nil && m > 0 {
			row.Shares = make([]da.Share, m)
			for j := range row.Shares {
				copy(row.Shares[j][:], raw[j*da.ShareSize:])
			}
		}
		if r.err == nil {
			out.Rows = append(out.Rows, row)
		}
	}
	if err := r.done(); err != nil {
		return err
	}
	*n = out
	return nil
}
