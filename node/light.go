package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// Light-node sampling (DESIGN.md §7): the pure state machines of package
// sampling decide which heights and cells to ask for; this file turns what
// they say into requests, timers and storage writes.
//
// Persistence (meta keys of the store):
//
//	sampling/session/<h>      the session snapshot (sampling.Session
//	                          MarshalBinary), written before the first
//	                          request and after every answered batch, so a
//	                          restart asks the same cells and never re-rolls
//	sampling/verdict/<h>      status byte ‖ unix nanoseconds (8, big-endian)
//	                          of the last verdict; fed back into the
//	                          scheduler at start so verified heights are not
//	                          sampled again
//	sampling/sample/<h>/<r>/<c> a verified sample (erasure.Sample
//	                          MarshalBinary), served by /v1/shares

// sampleRequestTimeout bounds one samples request to one peer.
const sampleRequestTimeout = 10 * time.Second

// emptyDataRoot is the data root of the empty block's 1×1 square of tail
// padding (SPEC §9: 3d96b7d2…0353), computed once.
var emptyDataRoot = sync.OnceValue(func() [32]byte {
	eds, err := erasure.Extend([]da.Share{da.TailPaddingShare()})
	if err != nil {
		panic(fmt.Sprintf("node: extending the empty square: %v", err))
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		panic(fmt.Sprintf("node: committing to the empty square: %v", err))
	}
	return dah.DataRoot()
})

// isEmptyBlock reports whether h's square is the empty block's, which is
// available without sampling.
func isEmptyBlock(h *da.Header) bool {
	return h.SquareWidth == 1 && h.DataRoot == emptyDataRoot()
}

// contiguousKey holds the highest height h such that every height from
// the floor to h was available (8 bytes, big-endian): restart reads one
// key for that stretch instead of a verdict per height.
const contiguousKey = "sampling/contiguous"

func sessionKey(h uint64) string { return "sampling/session/" + strconv.FormatUint(h, 10) }
func verdictKey(h uint64) string { return "sampling/verdict/" + strconv.FormatUint(h, 10) }
func sampleKey(h uint64, row, col int) string {
	return fmt.Sprintf("sampling/sample/%d/%d/%d", h, row, col)
}

// samplingConfig maps the node's config onto sampling's.
func samplingConfig(c *Config, tune func(*sampling.Config)) sampling.Config {
	sc := sampling.DefaultConfig()
	if c.Confidence > 0 && c.Confidence < 1 {
		sc.Confidence = c.Confidence
	}
	sc.Samples = c.Samples
	if tune != nil {
		tune(&sc)
	}
	return sc
}

// sampler is a light node's sampling state: the scheduler, the sessions of
// the heights being (or last) sampled, and what the API reports.
type sampler struct {
	n   *Node
	cfg sampling.Config

	mu       sync.Mutex // guards the fields below and every session
	sched    *sampling.Scheduler
	sessions map[uint64]*sampling.Session // running or unavailable heights
	updated  map[uint64]time.Time         // last status change, this process
	started  map[uint64]int               // sessions run per height (Options.countSampling)
	requests map[uint64]int               // samples requests per height (Options.countSampling)
	done     chan struct{}                // a worker finished (buffered 1)
}

func newSampler(n *Node) (*sampler, error) {
	cfg := samplingConfig(n.cfg, n.opts.tuneSampling)
	sched, err := sampling.NewScheduler(1, cfg)
	if err != nil {
		return nil, err
	}
	return &sampler{n: n, cfg: cfg, sched: sched,
		sessions: map[uint64]*sampling.Session{}, updated: map[uint64]time.Time{},
		started: map[uint64]int{}, requests: map[uint64]int{}, done: make(chan struct{}, 1)}, nil
}

// restore feeds the stored verdicts of heights up to local back into the
// scheduler. It reads one key per height; a checkpoint of the sampled head
// would spare that on long chains.
func (s *sampler) restore(ctx context.Context, local uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sched.SetHead(local)
	// Every height up to the stored contiguous mark is available: no need
	// to read their verdicts one by one.
	from := s.sched.Floor()
	if b, err := s.n.store.Meta(ctx, contiguousKey); err == nil && len(b) == 8 {
		c := min(binary.BigEndian.Uint64(b), local)
		for h := from; h <= c; h++ {
			_ = s.sched.Done(h, sampling.StatusAvailable, time.Now())
		}
		from = max(from, c+1)
	}
	for h := from; h <= local; h++ {
		st, at, err := s.n.loadVerdict(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.sched.Done(h, st, at); err != nil {
			return err
		}
		if st != sampling.StatusAvailable {
			s.updated[h] = at
		}
	}
	return nil
}

func (n *Node) loadVerdict(ctx context.Context, h uint64) (sampling.Status, time.Time, error) {
	b, err := n.store.Meta(ctx, verdictKey(h))
	if err != nil {
		return 0, time.Time{}, err
	}
	if len(b) != 9 || !sampling.Status(b[0]).Valid() {
		return 0, time.Time{}, fmt.Errorf("%w: stored verdict of height %d is %x", store.ErrNotFound, h, b)
	}
	return sampling.Status(b[0]), time.Unix(0, int64(binary.BigEndian.Uint64(b[1:]))), nil
}

func (n *Node) putVerdict(ctx context.Context, h uint64, st sampling.Status, at time.Time) error {
	b := binary.BigEndian.AppendUint64([]byte{byte(st)}, uint64(at.UnixNano()))
	return n.store.PutMeta(ctx, verdictKey(h), b)
}

// lightLoop samples every height of the chain (RoleLight).
func (n *Node) lightLoop(ctx context.Context) error {
	s := n.sampler
	local, _ := n.chain.Heights()
	if err := s.restore(ctx, local); err != nil {
		return err
	}
	s.applyStoredFraud() // proofs win over the verdicts restored (fraud.go)
	var wg sync.WaitGroup
	defer wg.Wait()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		changed := n.chain.Changed()
		local, _ := n.chain.Heights()
		now := time.Now()
		s.mu.Lock()
		s.sched.SetHead(local)
		_, floor := s.pruneFloor(ctx, local)
		next := s.sched.Next(now)
		for _, h := range next {
			s.updated[h] = now
		}
		due, waiting := s.sched.NextRetry()
		s.mu.Unlock()
		s.purge(ctx, floor)
		for _, h := range next {
			wg.Go(func() { s.sampleHeight(ctx, h) })
		}
		if waiting {
			retry.Reset(max(time.Until(due), time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-s.done:
		case <-retry.C:
		}
	}
}

// windowFloor is the lowest height from lo up to local whose header is
// inside the storage window (local+1 if none; lo if the node is
// archival): the heights below it have left every full node's window.
func (n *Node) windowFloor(ctx context.Context, lo, local uint64) uint64 {
	if n.cfg.Archival {
		return lo
	}
	old := func(h uint64) bool {
		hd, err := n.chain.Header(ctx, h)
		return err == nil && n.outsideWindow(hd)
	}
	if lo > local || !old(lo) {
		return lo
	}
	hi := local + 1
	for lo < hi { // headers are in time order: binary search
		mid := lo + (hi-lo)/2
		if old(mid) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// pruneFloor raises the scheduler's floor past the heights whose squares
// have left the storage window: full nodes no longer hold them, so they
// are pruned rather than unavailable. It returns the old and new floor.
// Called with s.mu held.
func (s *sampler) pruneFloor(ctx context.Context, local uint64) (from, to uint64) {
	from = s.sched.Floor()
	to = s.n.windowFloor(ctx, from, local)
	if to <= from {
		return from, from
	}
	for _, h := range s.sched.SetFloor(to) {
		delete(s.sessions, h)
	}
	for h := from; h < to; h++ {
		delete(s.updated, h)
	}
	return from, to
}

// purgeKey records the height below which a light node has deleted its
// sampling records.
const purgeKey = "sampling/purged"

// purge deletes the stored session, samples and verdict of every height
// below floor not yet purged, at most maxPurge heights a call, so a node
// back after long downtime catches up over several wakes.
func (s *sampler) purge(ctx context.Context, floor uint64) {
	const maxPurge = 1000
	n := s.n
	from := uint64(1)
	if b, err := n.store.Meta(ctx, purgeKey); err == nil && len(b) == 8 {
		from = binary.BigEndian.Uint64(b)
	}
	to := min(floor, from+maxPurge)
	if to <= from {
		return
	}
	for h := from; h < to && ctx.Err() == nil; h++ {
		if b, err := n.store.Meta(ctx, sessionKey(h)); err == nil {
			if sess, err := sampling.RestoreSession(b, s.cfg, time.Now()); err == nil {
				for _, c := range sess.Cells() {
					_ = n.store.DeleteMeta(ctx, sampleKey(h, int(c.Row), int(c.Col)))
				}
			}
		}
		_ = n.store.DeleteMeta(ctx, sessionKey(h))
		_ = n.store.DeleteMeta(ctx, verdictKey(h))
	}
	if ctx.Err() == nil {
		if err := n.store.PutMeta(ctx, purgeKey, binary.BigEndian.AppendUint64(nil, to)); err != nil {
			n.log.Warn("recording purged sampling records", "err", err)
		}
	}
}

// finish records a verdict for h and wakes the loop.
func (s *sampler) finish(ctx context.Context, h uint64, st sampling.Status) {
	now := time.Now()
	s.mu.Lock()
	err := s.sched.Done(h, st, now)
	var contiguous uint64 // the end of the available run from the floor
	if cur, _ := s.sched.Status(h); err == nil && cur == sampling.StatusFraud {
		st = sampling.StatusFraud // a proof came while sampling: keep its verdict
	}
	if err == nil {
		s.updated[h] = now
		if st == sampling.StatusAvailable {
			// Final: the stored verdict keeps the time; memory keeps
			// only what is still moving.
			delete(s.sessions, h)
			delete(s.updated, h)
		}
		if sum := s.sched.Summary(); len(sum.Available) > 0 && sum.Available[0].From == s.sched.Floor() {
			contiguous = sum.Available[0].To
		}
	}
	s.mu.Unlock()
	if contiguous > 0 {
		if perr := s.n.store.PutMeta(ctx, contiguousKey, binary.BigEndian.AppendUint64(nil, contiguous)); perr != nil && ctx.Err() == nil {
			s.n.log.Warn("storing the sampled head", "err", perr)
		}
	}
	if err != nil {
		s.n.log.Debug("sampling verdict dropped", "height", h, "err", err)
	} else {
		if perr := s.n.putVerdict(ctx, h, st, now); perr != nil && ctx.Err() == nil {
			s.n.log.Warn("storing sampling verdict", "height", h, "err", perr)
		}
		if av, aerr := s.n.availability(ctx, h); aerr == nil {
			s.n.events.add(api.Event{Type: api.EventAvailability, Height: h, Data: av})
		}
	}
	select {
	case s.done <- struct{}{}:
	default:
	}
}

// session returns the session of h: the one in memory (an unavailable
// height being retried: a new round over the same cells), the stored one
// (after a restart), or a new one whose cells are persisted before it is
// returned.
func (s *sampler) session(ctx context.Context, h *da.Header) (*sampling.Session, error) {
	now := time.Now()
	s.mu.Lock()
	sess := s.sessions[h.Height]
	if sess != nil && sess.Verdict() == sampling.StatusUnavailable {
		_ = sess.Retry(now)
	}
	s.mu.Unlock()
	if sess != nil {
		return sess, nil
	}
	if isEmptyBlock(h) {
		sess = sampling.NewEmptySession(h.Height)
	} else if b, err := s.n.store.Meta(ctx, sessionKey(h.Height)); err == nil {
		sess, err = sampling.RestoreSession(b, s.cfg, now)
		if err == nil && (sess.Height() != h.Height || sess.Width() != int(h.SquareWidth)) {
			err = fmt.Errorf("%w: snapshot of height %d width %d for header %d width %d",
				sampling.ErrSnapshot, sess.Height(), sess.Width(), h.Height, h.SquareWidth)
		}
		if err != nil {
			s.n.log.Warn("stored sampling session unusable, sampling afresh", "height", h.Height, "err", err)
			sess = nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if sess == nil {
		var err error
		sess, err = sampling.StartSession(rand.New(sampling.CryptoSource()), h.Height, int(h.SquareWidth), s.cfg, now)
		if err != nil {
			return nil, err
		}
		if err := s.persist(ctx, sess); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.sessions[h.Height] = sess
	s.mu.Unlock()
	return sess, nil
}

func (s *sampler) persist(ctx context.Context, sess *sampling.Session) error {
	s.mu.Lock()
	b, err := sess.MarshalBinary()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.n.store.PutMeta(ctx, sessionKey(sess.Height()), b)
}

// batchResult is one samples request's outcome.
type batchResult struct {
	cells   []sampling.Cell
	samples []*erasure.Sample // verified, one per cell, on success
	failed  sampling.Failure  // why, when samples is nil
	culprit peer.ID           // the peer that served invalid samples
}

// sampleHeight runs h's session to a verdict.
func (s *sampler) sampleHeight(ctx context.Context, height uint64) {
	n := s.n
	if s.n.opts.countSampling {
		s.mu.Lock()
		s.started[height]++
		s.mu.Unlock()
	}
	h, err := n.chain.Header(ctx, height)
	var sess *sampling.Session
	if err == nil {
		sess, err = s.session(ctx, h)
	}
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("sampling not started", "height", height, "err", err)
		}
		// Back off a little so a failing store does not spin the loop.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		s.mu.Lock()
		s.sched.Abort(height)
		s.mu.Unlock()
		select {
		case s.done <- struct{}{}:
		default:
		}
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan batchResult)
	bad := map[peer.ID]bool{} // peers that served this height invalid samples
	deadline := time.NewTimer(time.Hour)
	defer deadline.Stop()
	misses := 0
	for {
		// With no peer to ask, wait for one rather than spend attempts.
		peers := s.usablePeers(bad)
		s.mu.Lock()
		verdict := sess.Tick(time.Now())
		var cells []sampling.Cell
		if verdict == sampling.StatusSampling && len(peers) > 0 {
			cells = sess.Next(s.cfg.MaxInFlight)
		}
		dl := sess.Deadline()
		s.mu.Unlock()
		if verdict != sampling.StatusSampling {
			if verdict == sampling.StatusUnavailable {
				n.log.Debug("sampling gave up", "height", height, "err", sess.Err()) // the verdict itself is logged with the event (verdictLog)
			}
			s.finish(ctx, height, verdict)
			return
		}
		s.dispatch(rctx, h, cells, peers, results)
		wait := time.Hour
		if !dl.IsZero() {
			wait = max(time.Until(dl), time.Millisecond)
		}
		if len(peers) == 0 {
			wait = min(wait, 250*time.Millisecond)
		}
		deadline.Reset(wait)
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.sched.Abort(height)
			s.mu.Unlock()
			return
		case <-deadline.C:
		case r := <-results:
			if r.culprit != "" {
				bad[r.culprit] = true
			}
			s.record(ctx, height, sess, r)
			if r.samples == nil && r.failed == sampling.FailureMissing {
				// Nobody had the cells through fetchBatch's grace: wait
				// longer each time before the next attempt.
				misses++
				pause(ctx, 250*time.Millisecond<<min(misses-1, 4))
			}
		}
	}
}

// dispatch spreads cells over the usable peers in batches of at most
// p2p.MaxSamplesPerRequest, one goroutine per batch, and returns how many
// batches it started.
func (s *sampler) dispatch(ctx context.Context, h *da.Header, cells []sampling.Cell, peers []peer.ID, results chan<- batchResult) int {
	if len(cells) == 0 {
		return 0
	}
	// One batch per peer (up to four), so no single peer sees every cell
	// and a slow peer delays only its share.
	batches := max(1, min(len(peers), 4))
	size := min(p2p.MaxSamplesPerRequest, (len(cells)+batches-1)/batches)
	started := 0
	for i := 0; i < len(cells); i += size {
		batch := cells[i:min(i+size, len(cells))]
		order := rotate(peers, started)
		if s.n.opts.countSampling {
			s.mu.Lock()
			s.requests[h.Height]++
			s.mu.Unlock()
		}
		go func() {
			for _, r := range s.fetchBatch(ctx, h, batch, order) {
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
		started++
	}
	return started
}

// usablePeers are the connected peers, in random order, that are not
// banned and have not served this session invalid samples.
func (s *sampler) usablePeers(bad map[peer.ID]bool) []peer.ID {
	var out []peer.ID
	for _, p := range s.n.peersInRandomOrder() {
		// Only peers that serve squares: other light nodes, which a light
		// node also meets, would only answer "not found".
		if !bad[p] && !s.n.host.Blocked(p) && s.n.host.ServesSquares(p) {
			out = append(out, p)
		}
	}
	return out
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func rotate(ps []peer.ID, by int) []peer.ID {
	if len(ps) == 0 {
		return nil
	}
	by %= len(ps)
	return append(append([]peer.ID{}, ps[by:]...), ps[:by]...)
}

// fetchBatch asks the peers in order for cells until one answers with
// samples that all verify. A peer lacking the height (or not serving
// samples, as light nodes do not) is skipped; one whose samples do not
// verify is penalised and the batch fails as invalid so the session counts
// the attempt and asks again elsewhere.
//
// Samples are answered all or none, so a batch still missing after the
// grace is asked for cell by cell: one withheld cell must not keep the
// batch's other cells from being verified.
func (s *sampler) fetchBatch(ctx context.Context, h *da.Header, cells []sampling.Cell, peers []peer.ID) []batchResult {
	// A header can reach this node a moment before any peer has stored
	// its square (a validator stores the header first; full nodes fetch
	// the square after the header): when every peer lacks the cells, ask
	// them all again for a short grace period before the session counts
	// a failure.
	start := time.Now()
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		res := s.askPeers(ctx, h, cells, peers)
		if res.samples != nil || res.failed != sampling.FailureMissing {
			return []batchResult{res}
		}
		if time.Since(start)+wait > missingGrace {
			return s.cellByCell(ctx, h, res, peers)
		}
		pause(ctx, wait)
		if ctx.Err() != nil {
			return []batchResult{res}
		}
	}
}

// cellByCell asks once more for each cell of a missing batch on its own
// and returns the verified cells as one result, the still missing ones as
// another, and invalid or timed-out answers as they came.
func (s *sampler) cellByCell(ctx context.Context, h *da.Header, missing batchResult, peers []peer.ID) []batchResult {
	if len(missing.cells) < 2 {
		return []batchResult{missing}
	}
	found := batchResult{}
	still := batchResult{failed: sampling.FailureMissing}
	var out []batchResult
	for _, c := range missing.cells {
		if ctx.Err() != nil {
			still.cells = append(still.cells, c)
			continue
		}
		r := s.askPeers(ctx, h, []sampling.Cell{c}, peers)
		switch {
		case r.samples != nil:
			found.cells, found.samples = append(found.cells, c), append(found.samples, r.samples[0])
		case r.failed == sampling.FailureMissing:
			still.cells = append(still.cells, c)
		default:
			out = append(out, r)
			if r.culprit != "" { // ask it nothing more for this batch
				peers = slices.DeleteFunc(slices.Clone(peers), func(p peer.ID) bool { return p == r.culprit })
			}
		}
	}
	if found.samples != nil {
		out = append(out, found)
	}
	if still.cells != nil {
		out = append(out, still)
	}
	return out
}

// missingGrace bounds how long fetchBatch re-asks peers that all lack the
// cells before reporting them missing.
const missingGrace = 2 * time.Second

// askPeers asks the peers in turn for the cells, as fetchBatch describes.
func (s *sampler) askPeers(ctx context.Context, h *da.Header, cells []sampling.Cell, peers []peer.ID) batchResult {
	n := s.n
	res := batchResult{cells: cells, failed: sampling.FailureMissing}
	pc := make([]p2p.Cell, len(cells))
	for i, c := range cells {
		pc[i] = p2p.Cell{Row: c.Row, Col: c.Col}
	}
	for _, p := range peers {
		if ctx.Err() != nil {
			res.failed = sampling.FailureTimeout
			return res
		}
		rctx, cancel := context.WithTimeout(ctx, sampleRequestTimeout)
		asked := time.Now()
		ss, err := n.host.RequestSamples(rctx, p, h.Height, pc)
		timedOut := rctx.Err() != nil
		cancel()
		if err != nil {
			if timedOut || errors.Is(err, p2p.ErrTimeout) {
				res.failed = sampling.FailureTimeout
			}
			n.log.Debug("samples request failed", "height", h.Height, "peer", p, "err", err)
			continue // lacks the height, does not serve samples, or went away
		}
		for i, smp := range ss {
			if err = verifySample(smp, h, cells[i]); err != nil {
				break
			}
		}
		if err != nil {
			n.metrics.SamplesFailed.Add(uint64(len(cells)))
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			res.failed, res.culprit = sampling.FailureInvalid, p
			return res
		}
		n.metrics.SampleLatencySeconds.ObserveDuration(time.Since(asked))
		n.metrics.SamplesVerified.Add(uint64(len(ss)))
		res.samples = ss
		return res
	}
	return res
}

// verifySample checks that smp is cell c of h's square and proves to h's
// data root.
func verifySample(smp *erasure.Sample, h *da.Header, c sampling.Cell) error {
	if smp.Row != int(c.Row) || smp.Col != int(c.Col) {
		return fmt.Errorf("sample of cell (%d,%d), asked for %v", smp.Row, smp.Col, c)
	}
	return smp.Verify(h.DataRoot, int(h.SquareWidth))
}

// record applies one batch's outcome to the session, stores the verified
// samples and the new snapshot.
func (s *sampler) record(ctx context.Context, height uint64, sess *sampling.Session, r batchResult) {
	for i, smp := range r.samples {
		if b, err := smp.MarshalBinary(); err == nil {
			if err := s.n.store.PutMeta(ctx, sampleKey(height, smp.Row, smp.Col), b); err != nil && ctx.Err() == nil {
				s.n.log.Warn("storing a sample", "height", height, "err", err)
			}
		}
		s.mu.Lock()
		_ = sess.Verified(r.cells[i])
		s.mu.Unlock()
	}
	if r.samples == nil {
		s.mu.Lock()
		for _, c := range r.cells {
			_ = sess.Failed(c, r.failed)
		}
		s.mu.Unlock()
		return
	}
	if err := s.persist(ctx, sess); err != nil && ctx.Err() == nil {
		s.n.log.Warn("storing a sampling session", "height", height, "err", err)
	}
}

// lightSample serves a sample this light node verified.
func (n *Node) lightSample(ctx context.Context, height uint64, row, col int) (*erasure.Sample, error) {
	if _, err := n.header(ctx, height); err != nil {
		return nil, err
	}
	b, err := n.store.Meta(ctx, sampleKey(height, row, col))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: this light node did not sample cell (%d, %d) at height %d", api.ErrNotServed, row, col, height)
	}
	if err != nil {
		return nil, err
	}
	smp := new(erasure.Sample)
	if err := smp.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("node: stored sample (%d, %d) at height %d: %w", row, col, height, err)
	}
	return smp, nil
}

// sampledHead is the highest height up to which every height has a
// verdict.
func (s *sampler) sampledHead() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.SampledHead()
}
