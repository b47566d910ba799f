package erasure

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/klauspost/reedsolomon"
	"github.com/tartan-da/tartan/da"
)

// Extender extends original squares and commits to them, keeping what is
// worth keeping from one block to the next: a leopard codec per width, the
// leopard work buffers, per-worker hashing scratch and the leaf-digest
// table. A validator keeps one Extender; a full node checking squares it
// downloads keeps one too (Commit).
//
// Each call spreads its work over the Extender's workers (goroutines) and
// waits for all of them before returning. An Extender is not safe for
// concurrent use: give each goroutine that extends squares its own. The
// zero Extender is ready to use, with runtime.GOMAXPROCS(0) workers.
//
// Every EDS and DAH an Extender returns is owned by the caller: the
// Extender keeps no reference to it, unless the caller hands the square
// back with Recycle. The ODS passed in is only read, and only during the
// call.
type Extender struct {
	workers int
	codecs  map[int]reedsolomon.Encoder
	work    *workPool
	ws      []*extWorker
	// leaves holds the leaf digest of every cell of the square being
	// committed (see extJob.leafAt). It is scratch: reused by the next call.
	leaves [][32]byte
	// spare is a square handed back by Recycle, reused by the next
	// extension.
	spare []da.Share
	// spares are squares handed back by others (UseSpares), taken when
	// spare is not there.
	spares *Spares
}

// NewExtender returns an Extender spreading each call over workers
// goroutines; workers ≤ 0 means runtime.GOMAXPROCS(0). It starts nothing.
func NewExtender(workers int) *Extender {
	return &Extender{workers: workers}
}

// Extend computes the EDS of an ODS given as k² shares, row-major, for an
// allowed k (SPEC §7). It is the package-level Extend with reused state.
func (x *Extender) Extend(ods []da.Share) (*EDS, error) {
	e, _, err := x.run(ods, nil, false)
	return e, err
}

// Commit computes the DAH of an EDS (SPEC §6, §7.3), typically one received
// from the network. It fails, naming the axis and index, if a Q0 row or
// column has namespaces out of order (da.ErrUnsortedNamespace).
func (x *Extender) Commit(e *EDS) (*DAH, error) {
	_, d, err := x.run(nil, e, true)
	return d, err
}

// ExtendAndCommit extends an ODS of k² shares (row-major) and computes its
// DAH in one pass: each cell is hashed once, while it is still in cache
// from being coded. The data root is d.DataRoot(). It fails like Extend on
// a share count that is not k² for an allowed k, and like Commit on Q0
// namespaces out of order, in which case it returns no square.
func (x *Extender) ExtendAndCommit(ods []da.Share) (*EDS, *DAH, error) {
	return x.run(ods, nil, true)
}

// Recycle hands back a square the caller is done with, so that the next
// Extend or ExtendAndCommit writes into its memory instead of allocating
// (2k)² shares afresh: at k = 512 that saves paging in 512 MiB, about a
// fifth of the work. After the call the caller must not use e, nor any
// slice or share obtained from it. The Extender keeps one square (the
// largest it was given) until a call needs it; nil is ignored.
func (x *Extender) Recycle(e *EDS) {
	if e == nil || len(e.shares) <= cap(x.spare) {
		return
	}
	x.spare = e.shares[:0]
	e.shares, e.k = nil, 0
}

// UseSpares has the Extender extend into squares handed back to s when it
// has none of its own (Recycle), so that squares done with elsewhere, by
// other goroutines, are reused.
func (x *Extender) UseSpares(s *Spares) { x.spares = s }

// cells returns n shares for a new square, recycled ones if there are
// enough. Every share is overwritten by the extension.
func (x *Extender) cells(n int) []da.Share {
	if cap(x.spare) >= n {
		s := x.spare[:n]
		x.spare = nil
		return s
	}
	if s := x.spares.take(n); s != nil {
		return s
	}
	return make([]da.Share, n)
}

// Spares holds the memory of squares their users are done with, for the
// Extenders that use it (UseSpares) to extend new squares into. A new
// square's memory costs more than its size suggests: at k = 256 zeroing
// and paging in 128 MiB took a tenth of the square's extension, and
// under load the runtime hands freed squares back to the system before
// the next one is made. Spares keeps at most the number of squares it
// was made for, the largest. It is safe for concurrent use.
type Spares struct {
	mu   sync.Mutex
	max  int
	kept [][]da.Share
}

// NewSpares returns Spares keeping at most max squares.
func NewSpares(max int) *Spares { return &Spares{max: max} }

// Put hands back a square for reuse. After the call the caller must not
// use e, nor any slice or share obtained from it. nil is ignored.
func (s *Spares) Put(e *EDS) {
	if s == nil || e == nil || e.shares == nil {
		return
	}
	cells := e.shares[:0]
	e.shares, e.k = nil, 0
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = append(s.kept, cells)
	slices.SortFunc(s.kept, func(a, b []da.Share) int { return cmp.Compare(cap(b), cap(a)) })
	for len(s.kept) > s.max {
		s.kept[len(s.kept)-1] = nil
		s.kept = s.kept[:len(s.kept)-1]
	}
}

// take returns n shares of the smallest square kept that has as many,
// nil if none has. A square of more than 4n is not taken: a small square
// would hold its memory for as long as it is served.
func (s *Spares) take(n int) []da.Share {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.kept) - 1; i >= 0; i-- {
		if c := s.kept[i]; cap(c) >= n && cap(c) <= 4*n {
			s.kept = slices.Delete(s.kept, i, i+1)
			return c[:n]
		}
	}
	return nil
}

// Len is the number of squares kept.
func (s *Spares) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.kept)
}

// codec returns the leopard code Celestia uses for width k (SPEC §7.1),
// created once per width.
func (x *Extender) codec(k int) (reedsolomon.Encoder, error) {
	if enc, ok := x.codecs[k]; ok {
		return enc, nil
	}
	if x.codecs == nil {
		x.codecs, x.work = map[int]reedsolomon.Encoder{}, &workPool{}
	}
	enc, err := reedsolomon.New(k, k, reedsolomon.WithLeopardGF(true), reedsolomon.WithWorkAllocator(x.work))
	if err != nil {
		return nil, fmt.Errorf("erasure: codec for k=%d: %w", k, err)
	}
	x.codecs[k] = enc
	return enc, nil
}

// run extends ods (when not nil) or takes e, and commits when asked.
//
// The work goes in four parallel phases, each a list of tasks the workers
// take in turn. Coding follows SPEC §7.2 except that Q3 comes from the rows
// of Q2, which the linear code makes equal to rsmt2d's result:
//
//	A. row r < k: copy the ODS row into Q0 and code Q1 from it in place;
//	   hash the row's 2k leaves and build the row's tree.
//	B. G columns c < k (G = tileWidth): code their Q2 cells from their Q0
//	   cells (see extJob.q0Columns); hash the Q2 cells and build the
//	   columns' trees.
//	C. row r ≥ k: code Q3 from Q2 in place; hash the Q3 cells and build
//	   the row's tree.
//	D. G columns c ≥ k: build their trees from the leaf digests.
//
// A cell's leaf is the same in its row tree and its column tree (SPEC §6),
// so each of the 4k² cells is hashed exactly once, by the phase that wrote
// it, while it is still in cache.
func (x *Extender) run(ods []da.Share, e *EDS, commit bool) (*EDS, *DAH, error) {
	j := &extJob{}
	if ods != nil {
		k, err := WidthOf(len(ods))
		if err != nil {
			return nil, nil, err
		}
		enc, err := x.codec(k)
		if err != nil {
			return nil, nil, err
		}
		j.k, j.ods, j.enc = k, ods, enc
		j.cells = x.cells(4 * k * k)
	} else {
		if !ValidWidth(e.k) || len(e.shares) != 4*e.k*e.k {
			return nil, nil, fmt.Errorf("%w: square of width %d with %d shares", ErrWidth, e.k, len(e.shares))
		}
		j.k, j.cells = e.k, e.shares
	}
	k := j.k
	j.w, j.g = 2*k, tileWidth(k)
	if commit {
		n := j.w * j.w
		if cap(x.leaves) < n {
			x.leaves = make([][32]byte, n)
		}
		j.leaves = x.leaves[:n]
		j.dah = &DAH{RowRoots: make([]da.NMTNode, j.w), ColRoots: make([]da.NMTNode, j.w)}
	}
	x.parallel(k, j.upperRow)
	x.parallel(k/j.g, j.q0Columns)
	x.parallel(k, j.lowerRow)
	if commit {
		x.parallel(k/j.g, j.parityColumns)
	}
	if j.err != nil {
		return nil, nil, j.err
	}
	return &EDS{k: k, shares: j.cells}, j.dah, nil
}

// parallel runs task(w, i) for i in [0, n) over the workers, the calling
// goroutine being one of them, and returns when all tasks are done.
func (x *Extender) parallel(n int, task func(w *extWorker, i int)) {
	if x.workers <= 0 {
		x.workers = runtime.GOMAXPROCS(0)
	}
	nw := min(x.workers, n)
	for len(x.ws) < nw {
		x.ws = append(x.ws, newExtWorker())
	}
	var next atomic.Int64
	loop := func(w *extWorker) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			task(w, i)
		}
	}
	var wg sync.WaitGroup
	for _, w := range x.ws[1:nw] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(w)
		}()
	}
	loop(x.ws[0])
	wg.Wait()
}

// extJob is one call's square and results, shared by the workers. Tasks
// write disjoint parts of cells, leaves and dah.
type extJob struct {
	k, w, g int
	ods     []da.Share          // nil: the square is given, not extended
	enc     reedsolomon.Encoder // nil when ods is nil
	cells   []da.Share          // (2k)², row-major
	leaves  [][32]byte          // leaf digests in tiles (leafAt); nil: no commit
	dah     *DAH                // nil: no commit

	mu      sync.Mutex // guards err and errRank
	err     error      // the error of the lowest rank seen
	errRank int
}

// tileWidth is G, how many adjacent columns a column task takes: enough
// that it copies whole 4 KiB runs of a row and that the codec works on
// 4 KiB shards, where leopard is fastest; no more, so that the coding
// buffer (2k·G shares per worker) stays small.
func tileWidth(k int) int { return min(8, k) }

// leafAt is the index of cell (r, c)'s digest in extJob.leaves. The table
// is cut into tiles of G columns, each tile row-major and contiguous, so
// that a row task writes runs of G digests and a column task reads its G
// columns from one contiguous block rather than one page per row.
func (j *extJob) leafAt(r, c int) int {
	return (c/j.g)*j.w*j.g + r*j.g + c%j.g
}

// fail records err unless one of lower rank is already recorded. Ranks
// follow the reference order (row 0, column 0, row 1, …) so that the error
// returned does not depend on scheduling; codec errors rank first.
func (j *extJob) fail(rank int, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil || rank < j.errRank {
		j.err, j.errRank = err, rank
	}
}

// encode codes one codeword of shards in place.
func (j *extJob) encode(shards [][]byte, what string, idx int) bool {
	if err := j.enc.Encode(shards); err != nil {
		j.fail(-1, fmt.Errorf("erasure: encoding %s %d: %w", what, idx, err))
		return false
	}
	return true
}

// storeRow files the digests of row r's cells [c0, c0+len(dig)), c0 a
// multiple of G, in the tiled table.
func (j *extJob) storeRow(r, c0 int, dig [][32]byte) {
	for c := 0; c < len(dig); c += j.g {
		i := j.leafAt(r, c0+c)
		copy(j.leaves[i:i+j.g], dig[c:c+j.g])
	}
}

// upperRow is phase A for row r < k.
func (j *extJob) upperRow(w *extWorker, r int) {
	k, n := j.k, j.w
	row := j.cells[r*n : (r+1)*n]
	if j.ods != nil {
		copy(row[:k], j.ods[r*k:(r+1)*k])
		for i := range row {
			w.vec[i] = row[i][:]
		}
		if !j.encode(w.vec[:n], "row", r) {
			return
		}
	}
	if j.dah == nil {
		return
	}
	dig := w.dig[:n]
	nodes := w.nodes[:k]
	for c := range k {
		dig[c] = w.leafQ0(&row[c])
		setLeafNode(&nodes[c], row[c][:extNS], &dig[c])
	}
	for c := k; c < n; c++ {
		dig[c] = w.leafParity(row[c][:])
	}
	j.storeRow(r, 0, dig)
	if err := w.q0Root(&j.dah.RowRoots[r], nodes, dig[k:]); err != nil {
		j.fail(2*r, fmt.Errorf("erasure: %s %d: %w", Row, r, err))
	}
}

// q0Columns is phase B for the columns [t·G, (t+1)·G), all < k.
//
// Coding a column in place would hand the codec 512-byte shards 2k·512
// bytes apart: they all map to the same cache sets and leopard thrashes.
// So the tile's Q0 cells are copied, one G-cell run of an ODS row at a
// time, into a buffer whose stride is not a multiple of 4 KiB, coded there
// as G-cell shards (each byte, or 64-byte block in GF(2^16), is coded on
// its own, SPEC §7.1, so G columns code as one codeword of longer shards),
// and the Q2 runs copied back. The Q2 leaves are hashed from that buffer
// while it is in cache.
func (j *extJob) q0Columns(w *extWorker, t int) {
	k, n, g := j.k, j.w, j.g
	c0 := t * g
	const cs = da.ShareSize
	// upper[r] and lower[r] hold the runs of rows r and k+r.
	var upper, lower [][]byte
	if j.ods != nil {
		stride := g*cs + 64
		if len(w.colBuf) < n*stride {
			w.colBuf = make([]byte, n*stride)
		}
		for r := range n {
			w.vec[r] = w.colBuf[r*stride : r*stride+g*cs]
		}
		upper, lower = w.vec[:k], w.vec[k:n]
		for r := range k {
			for i, cell := range j.ods[r*k+c0 : r*k+c0+g] {
				copy(upper[r][i*cs:], cell[:])
			}
		}
		// Code in slices of at most 8 cells: beyond 4 KiB shards leopard's
		// working set leaves the L2 cache.
		for s0 := 0; s0 < g; s0 += 8 {
			s1 := min(g, s0+8)
			for r := range n {
				w.sub[r] = w.vec[r][s0*cs : s1*cs]
			}
			if !j.encode(w.sub[:n], "column", c0+s0) {
				return
			}
		}
		for r := range k {
			for i := range g {
				copy(j.cells[(k+r)*n+c0+i][:], lower[r][i*cs:])
			}
		}
	}
	if j.dah == nil {
		return
	}
	dig := w.dig[:g]
	for r := range k {
		for i := range g {
			if lower != nil {
				dig[i] = w.leafParity(lower[r][i*cs : (i+1)*cs])
			} else {
				dig[i] = w.leafParity(j.cells[(k+r)*n+c0+i][:])
			}
		}
		j.storeRow(k+r, c0, dig)
	}
	tile := j.leaves[t*n*g : (t+1)*n*g]
	col := w.dig[:n]
	nodes := w.nodes[:k]
	for i := range g {
		for r := range n {
			col[r] = tile[r*g+i]
		}
		for r := range k {
			var ns []byte
			if upper != nil {
				ns = upper[r][i*cs : i*cs+extNS]
			} else {
				ns = j.cells[r*n+c0+i][:extNS]
			}
			setLeafNode(&nodes[r], ns, &col[r])
		}
		c := c0 + i
		if err := w.q0Root(&j.dah.ColRoots[c], nodes, col[k:]); err != nil {
			j.fail(2*c+1, fmt.Errorf("erasure: %s %d: %w", Col, c, err))
		}
	}
}

// lowerRow is phase C for row k + i: Q3 is coded from Q2 in place, and all
// the row's leaves carry the parity namespace (SPEC §6).
func (j *extJob) lowerRow(w *extWorker, i int) {
	k, n := j.k, j.w
	r := k + i
	row := j.cells[r*n : (r+1)*n]
	if j.ods != nil {
		for c := range row {
			w.vec[c] = row[c][:]
		}
		if !j.encode(w.vec[:n], "row", r) {
			return
		}
	}
	if j.dah == nil {
		return
	}
	dig := w.dig[:n]
	for c := 0; c < k; c += j.g {
		at := j.leafAt(r, c)
		copy(dig[c:c+j.g], j.leaves[at:at+j.g])
	}
	for c := k; c < n; c++ {
		dig[c] = w.leafParity(row[c][:])
	}
	j.storeRow(r, k, dig[k:])
	setParityNode(&j.dah.RowRoots[r], w.parityRoot(dig))
}

// parityColumns is phase D for the columns [k + t·G, k + (t+1)·G): their
// leaves all carry the parity namespace and are hashed already.
func (j *extJob) parityColumns(w *extWorker, t int) {
	n, g := j.w, j.g
	t += j.k / g
	tile := j.leaves[t*n*g : (t+1)*n*g]
	col := w.dig[:n]
	for i := range g {
		for r := range n {
			col[r] = tile[r*g+i]
		}
		setParityNode(&j.dah.ColRoots[t*g+i], w.parityRoot(col))
	}
}

// workPool hands leopard its work buffers (reedsolomon.WorkAllocator) and
// keeps them for the next call, instead of a sync.Pool that a collection
// empties: at k = 128 one encode asks for 8 MiB. A set is only handed out
// again for the same buffer size: leopard wants its buffers contiguous, and
// 512-byte buffers cut from a set of 4 KiB ones would all share cache sets.
type workPool struct {
	mu   sync.Mutex // guards free
	free [][][]byte
}

// Get returns n buffers of size bytes.
func (p *workPool) Get(n, size int) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		if w := p.free[i]; len(w) == n && n > 0 && len(w[0]) == size {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return w
		}
	}
	return reedsolomon.AllocAligned(n, size)
}

// maxFreeWork bounds the sets a workPool keeps: enough for every worker on
// a couple of shard sizes.
const maxFreeWork = 16

// Put keeps w for a later Get, dropping the oldest set beyond maxFreeWork.
func (p *workPool) Put(w [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) >= maxFreeWork {
		p.free = append(p.free[:0], p.free[1:]...)
	}
	p.free = append(p.free, w)
}
