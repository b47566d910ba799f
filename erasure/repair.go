package erasure

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// Repair of a partial extended data square (SPEC §12): iterative row and
// column decoding, every decoded axis checked against its root, every axis
// of the result checked against its root and shown to be a codeword.

// Errors of Repair; wrapped with details, test with errors.Is.
var (
	// ErrUnrepairable: the cells present do not determine the square (a
	// whole pass decoded nothing). Fetch more cells and call Repair again:
	// the cells it did restore stay in place.
	ErrUnrepairable = errors.New("erasure: square cannot be repaired from the cells present")
	// ErrByzantineData is what a *ByzantineError wraps: some row or column
	// contradicts its root or is not a Reed-Solomon codeword. Build a
	// BadEncodingProof from the *ByzantineError to find out whether the
	// validators are at fault (it is only if the proof can be built).
	ErrByzantineData = errors.New("erasure: cells contradict the roots or the code")
	// ErrCellIndex: a cell coordinate outside the 2k × 2k square.
	ErrCellIndex = errors.New("erasure: cell outside the square")
)

// PartialEDS is an extended data square with cells missing: what a node
// holds while it collects shares. Set adds a cell, Has tells whether one is
// present, Repair restores the others in place. A PartialEDS trusts nothing
// it is given: Repair checks every cell against the DAH. It is not safe for
// concurrent use.
type PartialEDS struct {
	k       int
	shares  []da.Share // (2k)², row-major; an absent cell's content is meaningless
	have    []bool     // (2k)², row-major
	missing int
}

// NewPartialEDS returns an empty square of width k (2k × 2k cells, none
// present).
func NewPartialEDS(k int) (*PartialEDS, error) {
	if !ValidWidth(k) {
		return nil, fmt.Errorf("%w: got %d", ErrWidth, k)
	}
	n := 4 * k * k
	return &PartialEDS{k: k, shares: make([]da.Share, n), have: make([]bool, n), missing: n}, nil
}

// PartialFromEDS returns a PartialEDS holding a copy of every cell of e.
// Repair on it checks the whole square against a DAH and says which axis is
// wrong, if any.
func PartialFromEDS(e *EDS) *PartialEDS {
	n := len(e.Shares())
	p := &PartialEDS{k: e.Width(), shares: make([]da.Share, n), have: make([]bool, n)}
	copy(p.shares, e.Shares())
	for i := range p.have {
		p.have[i] = true
	}
	return p
}

// Width is k, the width of the original square.
func (p *PartialEDS) Width() int { return p.k }

// Set stores a copy of s at (row, col), both in [0, 2k), replacing any cell
// already there.
func (p *PartialEDS) Set(row, col int, s *da.Share) error {
	w := 2 * p.k
	if row < 0 || row >= w || col < 0 || col >= w {
		return fmt.Errorf("%w: (%d,%d) in a %d×%d square", ErrCellIndex, row, col, w, w)
	}
	i := row*w + col
	p.shares[i] = *s
	if !p.have[i] {
		p.have[i] = true
		p.missing--
	}
	return nil
}

// Has reports whether cell (row, col) is present; false outside the square.
func (p *PartialEDS) Has(row, col int) bool {
	w := 2 * p.k
	return row >= 0 && row < w && col >= 0 && col < w && p.have[row*w+col]
}

// Cell is the cell at (row, col), or nil when it is absent or outside the
// square. It aliases the square: callers must not modify it.
func (p *PartialEDS) Cell(row, col int) *da.Share {
	if !p.Has(row, col) {
		return nil
	}
	return &p.shares[row*2*p.k+col]
}

// Missing is the number of absent cells.
func (p *PartialEDS) Missing() int { return p.missing }

// EDS returns the square once every cell is present, nil before. The EDS
// shares p's memory: do not Set cells afterwards. It is checked against a
// DAH only if Repair returned nil.
func (p *PartialEDS) EDS() *EDS {
	if p.missing != 0 {
		return nil
	}
	e, err := NewEDS(p.k, p.shares)
	if err != nil {
		return nil // unreachable: the width was checked at construction
	}
	return e
}

// ByzantineError reports the row or column Index of Axis that contradicts
// the DAH: its cells hash to another root, its Q0 namespaces are unsorted,
// or it is not a codeword. It wraps ErrByzantineData.
//
// Shares has 2k entries, one per position along the axis, each a copy:
//   - for an axis Repair decoded, the cells present before decoding, nil
//     where a cell was missing (rsmt2d HEAD's semantics). Decoding at least k
//     of them gave cells that do not hash to the axis's root;
//   - for an axis that was complete (given whole, or filled by decoding the
//     orthogonal axes), all 2k cells.
//
// On its own the error does not prove the validators wrong: a peer's bad cell
// causes it too. NewBadEncodingProof turns it into a proof, and fails when
// the evidence does not show bad encoding.
type ByzantineError struct {
	Axis   Axis
	Index  int
	Shares []*da.Share
	// Reason says which check failed, for logs.
	Reason string
}

func (e *ByzantineError) Error() string {
	return fmt.Sprintf("%v: %s %d: %s", ErrByzantineData, e.Axis, e.Index, e.Reason)
}

// Unwrap lets errors.Is(err, ErrByzantineData) match.
func (e *ByzantineError) Unwrap() error { return ErrByzantineData }

// Repair restores the missing cells of p in place from the cells present,
// checked against dah (SPEC §12). It returns nil when every cell is present
// and the square is exactly the one dah commits to: each of the 4k axes
// hashes to its root, and every axis is a Reed-Solomon codeword.
//
// Otherwise it returns a *ByzantineError (see there) or an error wrapping
// ErrUnrepairable. In both cases p keeps every cell Repair restored, and
// only those: a decoded cell is marked present only after its axis matched
// its root. Repair keeps decoding the other axes after finding a bad one,
// so that p holds as much evidence as possible for a fraud proof; the error
// names the first bad axis found (rows before columns within a pass, then
// by index), so it is the same on every run.
//
// How this follows SPEC §12 while running axes in parallel: each pass
// handles all rows, then all columns. An axis already complete (the
// pre-check) or completed by the previous phase's decoding (rsmt2d's
// orthogonal check) is checked against its root; an axis with at least k
// cells is decoded and checked. Encodings are checked once the square is
// complete, by re-encoding the axes whose encoding does not already follow
// from how they were decoded (codewordPlan), and, when the square cannot be
// completed, by re-encoding every complete axis.
//
// The work is spread over runtime.GOMAXPROCS(0) goroutines, all finished
// when Repair returns.
func (p *PartialEDS) Repair(dah *DAH) error {
	if err := dah.Validate(); err != nil {
		return err
	}
	if dah.Width() != p.k {
		return fmt.Errorf("%w: square of width %d, DAH of width %d", ErrWidth, p.k, dah.Width())
	}
	r := newRepairer(p, dah)
	return r.run()
}

// axisState is what Repair knows about one row or column.
type axisState uint8

const (
	axisVerified axisState = 1 << iota // complete and hashing to its root
	axisCodeword                       // known to be a codeword
	axisBad                            // reported: never used again
)

// repairer holds one Repair call's state. Within a phase, tasks touch only
// their own axis's cells, leaves and flags, so they run in parallel; counts
// and presence are updated between phases.
type repairer struct {
	p     *PartialEDS
	dah   *DAH // nil for Reconstruct: axes are checked as codewords only
	k, w  int
	state [2][]axisState
	count [2][]int // cells present per row / column
	// digests[i] is the leaf digest of cell i when hashed[i]. A cell's
	// leaf is the same in its row and its column tree (SPEC §6), so each
	// cell is hashed once per Repair; the namespaces are rebuilt from the
	// cell, which costs less than keeping them.
	digests [][32]byte
	hashed  []bool
	workers []*repairWorker
	first   *ByzantineError // first failure, in phase order
}

// repairWorker is one goroutine's scratch space.
type repairWorker struct {
	h      *da.NMTHasher
	enc    reedsolomon.Encoder
	shards [][]byte
	leaves []da.NMTNode // one axis
	tree   []da.NMTNode // inner levels, w nodes
	parity []da.Share   // re-encoding for the codeword check
	col    []int        // flat cell indices of the axis
}

func newRepairer(p *PartialEDS, dah *DAH) *repairer {
	k, w := p.k, 2*p.k
	r := &repairer{
		p: p, dah: dah, k: k, w: w,
		digests: make([][32]byte, w*w),
		hashed:  make([]bool, w*w),
	}
	for a := range 2 {
		r.state[a] = make([]axisState, w)
		r.count[a] = make([]int, w)
	}
	for row := range w {
		for col := range w {
			if p.have[row*w+col] {
				r.count[Row][row]++
				r.count[Col][col]++
			}
		}
	}
	n := runtime.GOMAXPROCS(0)
	r.workers = make([]*repairWorker, n)
	for i := range r.workers {
		r.workers[i] = &repairWorker{h: da.NewNMTHasher()}
	}
	return r
}

// worker i's scratch, allocated on first use so that idle workers cost
// nothing.
func (r *repairer) worker(i int) (*repairWorker, error) {
	rw := r.workers[i]
	if rw.enc == nil {
		enc, err := reedsolomon.New(r.k, r.k, reedsolomon.WithLeopardGF(true), reedsolomon.WithWorkAllocator(&repairWork{}))
		if err != nil {
			return nil, fmt.Errorf("erasure: codec for k=%d: %w", r.k, err)
		}
		rw.enc = enc
		rw.shards = make([][]byte, r.w)
		rw.leaves = make([]da.NMTNode, r.w)
		rw.tree = make([]da.NMTNode, r.w)
		rw.parity = make([]da.Share, r.k)
		rw.col = make([]int, r.w)
	}
	return rw, nil
}

// cellIndex is the row-major index of position pos along axis a, index i.
func cellIndex(w int, a Axis, i, pos int) int {
	if a == Row {
		return i*w + pos
	}
	return pos*w + i
}

// cells fills rw.col with the flat indices of the cells of axis a, index i.
func (r *repairer) cells(rw *repairWorker, a Axis, i int) []int {
	idx := rw.col[:r.w]
	for j := range idx {
		idx[j] = cellIndex(r.w, a, i, j)
	}
	return idx
}

// taskResult is what one phase task reports back.
type taskResult struct {
	index   int
	decoded bool // the missing cells were restored and verified
	ok      bool // the axis is now verified
	cw      bool // ... and known to be a codeword
	err     *ByzantineError
}

// parallel runs task(rw, t) for t in [0, n) on the workers and waits for
// all of them.
func (r *repairer) parallel(n int, task func(rw *repairWorker, t int) error) error {
	nw := min(len(r.workers), n)
	errs := make([]error, nw)
	var next atomic.Int64
	var wg sync.WaitGroup
	for wi := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rw, err := r.worker(wi)
			if err != nil {
				errs[wi] = err
				return
			}
			for {
				t := int(next.Add(1)) - 1
				if t >= n {
					return
				}
				if err := task(rw, t); err != nil {
					errs[wi] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *repairer) run() error {
	for {
		progress := false
		for _, a := range []Axis{Row, Col} {
			moved, err := r.phase(a)
			if err != nil {
				return err
			}
			progress = progress || moved
		}
		if !progress {
			break
		}
	}
	if r.p.missing > 0 {
		// Like rsmt2d's pre-check: a complete axis that is not a codeword is
		// better evidence than "too few cells".
		if err := r.checkCodewords(r.unknownComplete(Row), r.unknownComplete(Col)); err != nil {
			return err
		}
		if r.first != nil {
			return r.first
		}
		return fmt.Errorf("%w: %d of %d cells missing", ErrUnrepairable, r.p.missing, r.w*r.w)
	}
	if r.first != nil {
		return r.first
	}
	return r.checkCodewords(r.codewordPlan())
}

// phase handles every axis of direction a that can move: a complete axis
// not yet verified is checked against its root; an incomplete one with at
// least k cells is decoded, then checked. It reports whether anything
// changed.
func (r *repairer) phase(a Axis) (bool, error) {
	var todo []int
	for i := range r.w {
		st := r.state[a][i]
		if st&(axisVerified|axisBad) == 0 && r.count[a][i] >= r.k {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return false, nil
	}
	results := make([]taskResult, len(todo))
	err := r.parallel(len(todo), func(rw *repairWorker, t int) error {
		res, err := r.solve(rw, a, todo[t])
		results[t] = res
		return err
	})
	if err != nil {
		return false, err
	}
	orth := Col
	if a == Col {
		orth = Row
	}
	for t := range results {
		res := &results[t]
		i := res.index
		switch {
		case res.err != nil:
			r.state[a][i] |= axisBad
			if r.first == nil {
				r.first = res.err
			}
			continue
		case !res.ok:
			continue
		}
		r.state[a][i] |= axisVerified
		if res.cw {
			r.state[a][i] |= axisCodeword
		}
		if !res.decoded {
			continue
		}
		for j := range r.w {
			if c := cellIndex(r.w, a, i, j); !r.p.have[c] {
				r.p.have[c] = true
				r.p.missing--
				r.count[orth][j]++
			}
		}
		r.count[a][i] = r.w
	}
	return true, nil
}

// solve checks or decodes one axis. It writes decoded values straight into
// the square's absent cells (leopard reuses a missing shard's capacity), but
// marking them present is left to phase, after the root matched.
func (r *repairer) solve(rw *repairWorker, a Axis, i int) (taskResult, error) {
	res := taskResult{index: i}
	idx := r.cells(rw, a, i)
	present := r.count[a][i]
	if present < r.w {
		dataOnly := true
		for j, c := range idx {
			s := r.p.shares[c][:]
			if r.p.have[c] {
				rw.shards[j] = s
				dataOnly = dataOnly && j < r.k
			} else {
				rw.shards[j] = s[:0]
				dataOnly = dataOnly && j >= r.k
			}
		}
		// Leopard wants shards of one size, a multiple of 64 bytes (512
		// is), missing ones of length 0 and at least k present; it writes a
		// missing shard into its spare capacity, here the absent cell.
		var err error
		if dataOnly {
			// Exactly the first half: decoding is encoding, which leopard
			// does about three times faster.
			for j := r.k; j < r.w; j++ {
				rw.shards[j] = rw.shards[j][:da.ShareSize]
			}
			err = rw.enc.Encode(rw.shards)
		} else {
			err = rw.enc.Reconstruct(rw.shards)
		}
		if err != nil {
			return res, fmt.Errorf("erasure: decoding %s %d: %w", a, i, err)
		}
		for j, c := range idx {
			if !r.p.have[c] {
				if &rw.shards[j][0] != &r.p.shares[c][0] {
					// Defensive: a codec that allocated its own output.
					copy(r.p.shares[c][:], rw.shards[j])
				}
				r.hashed[c] = false
			}
		}
		res.decoded = true
		// From exactly k cells the decoder returns the one codeword
		// through them; from more, an inconsistent input could give a
		// vector that is not one.
		res.cw = present == r.k
	}
	reason := ""
	if r.dah != nil { // Reconstruct: no roots, the codeword checks decide
		reason = r.checkRoot(rw, a, i, idx)
	}
	if reason == "" {
		res.ok = true
		return res, nil
	}
	res.decoded, res.cw = false, false
	shares := make([]*da.Share, r.w)
	for j, c := range idx {
		if r.p.have[c] {
			s := r.p.shares[c]
			shares[j] = &s
		} else {
			r.hashed[c] = false // the leaf of a rejected decoded cell
		}
	}
	res.err = &ByzantineError{Axis: a, Index: i, Shares: shares, Reason: reason}
	return res, nil
}

// checkRoot hashes the axis (leaves from the cache where possible) and
// compares with the DAH; it returns "" on a match, else the reason.
func (r *repairer) checkRoot(rw *repairWorker, a Axis, i int, idx []int) string {
	const nsSize = da.NamespaceSize
	for j, c := range idx {
		leaf := &rw.leaves[j]
		s := &r.p.shares[c]
		if !r.hashed[c] {
			ns := da.ParityNamespace
			if i < r.k && j < r.k {
				ns = da.Namespace(s[:nsSize])
			}
			rw.h.LeafInto(leaf, &ns, s[:])
			r.digests[c] = [32]byte(leaf[2*nsSize:])
			r.hashed[c] = true
			continue
		}
		if i < r.k && j < r.k {
			copy(leaf[:nsSize], s[:nsSize])
			copy(leaf[nsSize:2*nsSize], s[:nsSize])
		} else {
			copy(leaf[:2*nsSize], parityPair[:])
		}
		copy(leaf[2*nsSize:], r.digests[c][:])
	}
	root, err := axisNodeRoot(rw.h, rw.leaves, rw.tree)
	if err != nil {
		return err.Error()
	}
	if root != *r.dah.Root(a, i) {
		return "cells do not hash to the axis root"
	}
	return ""
}

// parityPair is the namespace range of a parity leaf.
var parityPair = func() (b [2 * da.NamespaceSize]byte) {
	copy(b[:], da.ParityNamespace[:])
	copy(b[da.NamespaceSize:], da.ParityNamespace[:])
	return b
}()

// axisNodeRoot is the NMT root of a power-of-two number of leaves built
// locally. Leaves in a namespace order the NMT accepts are exactly those
// with non-decreasing namespaces (parity sorts last), so that is checked
// once here and the inner nodes need no checks (SPEC §5.3, §5.4).
func axisNodeRoot(h *da.NMTHasher, leaves, tree []da.NMTNode) (da.NMTNode, error) {
	for j := 1; j < len(leaves); j++ {
		if bytes.Compare(leaves[j][:da.NamespaceSize], leaves[j-1][:da.NamespaceSize]) < 0 {
			return da.NMTNode{}, fmt.Errorf("%w: leaf %d", da.ErrUnsortedNamespace, j)
		}
	}
	// Each level goes into tree right after the previous one: w/2 + w/4 +
	// … + 1 < w nodes in all.
	cur := leaves
	for len(cur) > 1 {
		next := tree[:len(cur)/2]
		tree = tree[len(next):]
		for j := range next {
			h.InnerInto(&next[j], &cur[2*j], &cur[2*j+1])
		}
		cur = next
	}
	return cur[0], nil
}

// unknownComplete lists the verified axes of direction a not known to be
// codewords.
func (r *repairer) unknownComplete(a Axis) []int {
	var out []int
	for i, st := range r.state[a] {
		if st&axisVerified != 0 && st&(axisCodeword|axisBad) == 0 {
			out = append(out, i)
		}
	}
	return out
}

// codewordPlan picks the fewest re-encodings that prove the complete,
// verified square is a valid EDS. If every column is a codeword and at
// least k rows are, every row is too: each row is a fixed linear combination
// of any k rows (the interpolation that rebuilds a column from k of its
// cells), and a combination of codewords is a codeword. Symmetrically with
// rows and columns swapped.
func (r *repairer) codewordPlan() (rows, cols []int) {
	unknown := [2][]int{r.unknownComplete(Row), r.unknownComplete(Col)}
	known := [2]int{r.w - len(unknown[Row]), r.w - len(unknown[Col])}
	// Plan a: every row, then columns up to k. Plan b: the reverse.
	cost := func(all, some Axis) int { return len(unknown[all]) + max(0, r.k-known[some]) }
	all, some := Row, Col
	if cost(Col, Row) < cost(Row, Col) {
		all, some = Col, Row
	}
	plan := [2][]int{}
	plan[all] = unknown[all]
	plan[some] = unknown[some][:max(0, r.k-known[some])]
	return plan[Row], plan[Col]
}

// checkCodewords re-encodes the first half of each listed complete axis and
// compares with its second half (SPEC §12 step 1); the first failure, rows
// before columns then by index, becomes a *ByzantineError.
func (r *repairer) checkCodewords(rows, cols []int) error {
	type job struct {
		a Axis
		i int
	}
	jobs := make([]job, 0, len(rows)+len(cols))
	for _, i := range rows {
		jobs = append(jobs, job{Row, i})
	}
	for _, i := range cols {
		jobs = append(jobs, job{Col, i})
	}
	if len(jobs) == 0 {
		return nil
	}
	bad := make([]bool, len(jobs))
	err := r.parallel(len(jobs), func(rw *repairWorker, t int) error {
		idx := r.cells(rw, jobs[t].a, jobs[t].i)
		for j, c := range idx[:r.k] {
			rw.shards[j] = r.p.shares[c][:]
		}
		for j := range r.k {
			rw.shards[r.k+j] = rw.parity[j][:]
		}
		if err := rw.enc.Encode(rw.shards); err != nil {
			return fmt.Errorf("erasure: encoding %s %d: %w", jobs[t].a, jobs[t].i, err)
		}
		for j, c := range idx[r.k:] {
			if rw.parity[j] != r.p.shares[c] {
				bad[t] = true
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for t, j := range jobs {
		if !bad[t] {
			r.state[j.a][j.i] |= axisCodeword
			continue
		}
		r.state[j.a][j.i] |= axisBad
		if r.first == nil {
			shares := make([]*da.Share, r.w)
			for pos := range r.w {
				s := r.p.shares[cellIndex(r.w, j.a, j.i, pos)]
				shares[pos] = &s
			}
			r.first = &ByzantineError{Axis: j.a, Index: j.i, Shares: shares, Reason: "not a codeword: re-encoding the first half does not give the second"}
		}
	}
	if r.first != nil {
		return r.first
	}
	return nil
}

// repairWork keeps leopard's work buffers for one worker's encoder, which
// only that worker uses, so decoding a whole square allocates them once
// instead of once per axis.
type repairWork struct {
	mu   sync.Mutex // guards free; uncontended, the interface asks for safety
	free [][][]byte
}

func (a *repairWork) Get(n, size int) [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.free) - 1; i >= 0; i-- {
		w := a.free[i]
		if cap(w) < n || cap(w[0]) < size {
			continue
		}
		a.free = append(a.free[:i], a.free[i+1:]...)
		w = w[:n]
		for j := range w {
			w[j] = w[j][:size]
		}
		return w
	}
	return reedsolomon.AllocAligned(n, size)
}

func (a *repairWork) Put(w [][]byte) {
	if len(w) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.free = append(a.free, w)
}
