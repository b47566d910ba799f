package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/sampling"
)

// The api.Availability of every role (API.md "Availability").
//
// Light nodes answer from their sampling scheduler and sessions. Full
// nodes and validators verify whole squares: a height whose square is
// stored is "available" with confidence 1 and samples
// {requested: 4k², verified: 4k²} (every cell of the extended square was
// checked against the data root); a stored header whose square is not
// yet stored is "sampling" on a full node (its square loop is fetching
// it) and "pending" on a validator; a height whose square left the
// storage window is "pruned". Heights above the network head are
// api.ErrNotFound; heights above the local head are "pending".

// maxEvents bounds the in-memory event log; older events are replayed
// from the store (headers and light-node verdicts).
const maxEvents = 10000

type availabilityService struct{ n *Node }

func (s availabilityService) Availability(ctx context.Context, height uint64) (api.HeightAvailability, error) {
	return s.n.availability(ctx, height)
}

func (s availabilityService) Summary(ctx context.Context) (api.AvailabilitySummary, error) {
	return s.n.availabilitySummary(), nil
}

// FraudProof serves GET /v1/fraud/{height} (api.FraudProofs).
func (s availabilityService) FraudProof(_ context.Context, height uint64) (*erasure.BadEncodingProof, error) {
	return s.n.FraudProof(height)
}

func (s availabilityService) Events(ctx context.Context, from uint64, types map[string]bool) (<-chan api.Event, error) {
	return s.n.events.subscribe(ctx, s.n, from, nil, types), nil
}

func (s availabilityService) EventsAfter(ctx context.Context, after api.EventCursor, types map[string]bool) (<-chan api.Event, error) {
	return s.n.events.subscribe(ctx, s.n, max(after.Floor, 1), &after, types), nil
}

// unsettled is the lowest height whose availability may still change
// (fraud proofs aside): the floor of the event cursors.
func (n *Node) unsettled() uint64 {
	if s := n.sampler; s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sched.Unsettled()
	}
	t := n.tracker
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.next, t.sched.Floor())
}

// fullTracker records which heights a full node or a validator holds
// whole: a sampling.Scheduler used only for its verdict bookkeeping and
// summary (Next is never called).
type fullTracker struct {
	mu      sync.Mutex
	sched   *sampling.Scheduler
	next    uint64 // lowest height not yet judged
	updated map[uint64]time.Time
}

func newFullTracker() (*fullTracker, error) {
	sched, err := sampling.NewScheduler(1, sampling.DefaultConfig())
	if err != nil {
		return nil, err
	}
	return &fullTracker{sched: sched, next: 1, updated: map[uint64]time.Time{}}, nil
}

// sampledHead is the highest height up to which every square is held
// (or was pruned): a full node's equivalent of a light node's sampled head.
func (t *fullTracker) sampledHead() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next - 1
}

// sampledHead is the height up to which this node has a verdict for
// every height: sampled (light) or held whole (full, validator).
func (n *Node) sampledHead() uint64 {
	if n.sampler != nil {
		return n.sampler.sampledHead()
	}
	return n.tracker.sampledHead()
}

// initAvailability prepares what the Availability service needs; New
// calls it before services().
func (n *Node) initAvailability() error {
	var err error
	if n.events, err = newEventLog(n.unsettled); err != nil {
		return err
	}
	verdicts := &verdictLog{log: n.log, off: map[uint64]string{}}
	n.events.observe = func(e api.Event) {
		if av, ok := e.Data.(api.HeightAvailability); ok && e.Type == api.EventAvailability && isVerdict(av.Status) {
			n.metrics.Verdict(av.Status)
			verdicts.observe(av)
		}
	}
	if n.cfg.Role == RoleLight {
		s, err := newSampler(n)
		if err != nil {
			return err
		}
		n.sampler = s
		return nil
	}
	n.tracker, err = newFullTracker()
	return err
}

func (n *Node) outsideWindow(h *da.Header) bool {
	return !n.cfg.Archival && h.Time.Before(time.Now().Add(-n.cfg.Window.D()))
}

// availLoop emits header events as the local chain grows and, on full
// nodes and validators, marks the heights whose squares are stored.
func (n *Node) availLoop(ctx context.Context) error {
	emitted, _ := n.chain.Heights() // older heights are replayed from the store
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		changed := n.chain.Changed()
		local, _ := n.chain.Heights()
		for ; emitted < local && ctx.Err() == nil; emitted++ {
			h, err := n.chain.Header(ctx, emitted+1)
			if err != nil {
				break
			}
			n.events.add(api.Event{Type: api.EventHeader, Height: h.Height, Data: n.headerJSON(ctx, h)})
		}
		n.checkPendingFraud(ctx)
		if n.tracker != nil {
			n.trackSquares(ctx, local)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}

// trackSquares judges the heights after the last judged one, in order,
// up to the first whose square is not stored yet.
func (n *Node) trackSquares(ctx context.Context, local uint64) {
	t := n.tracker
	t.mu.Lock()
	t.sched.SetHead(local)
	var avail []uint64
	// At most a batch per call, so a restart over a long chain does not
	// hold the lock (and the API) for long; the ticker brings the rest.
	for limit := t.next + 1000; t.next <= local && t.next < limit && ctx.Err() == nil; {
		h := t.next
		if n.fraudAt(h) { // badly encoded: judged, never held (fraud.go)
			_ = t.sched.Done(h, sampling.StatusFraud, time.Now())
			t.next++
			continue
		}
		ok, err := n.store.HasSquare(ctx, h)
		if err != nil {
			break
		}
		if ok {
			_ = t.sched.Done(h, sampling.StatusAvailable, time.Now())
			t.updated[h] = time.Now()
			avail = append(avail, h)
			t.next++
			continue
		}
		hd, err := n.chain.Header(ctx, h)
		if err != nil || !n.outsideWindow(hd) {
			break
		}
		t.next++
	}
	// Squares that left the storage window since are pruned: raise the
	// floor over them.
	if old, f := t.sched.Floor(), n.windowFloor(ctx, t.sched.Floor(), min(local, t.next)); f > old {
		t.sched.SetFloor(f)
		for h := old; h < f; h++ {
			delete(t.updated, h)
		}
	}
	t.mu.Unlock()
	for _, h := range avail {
		if av, err := n.availability(ctx, h); err == nil {
			n.events.add(api.Event{Type: api.EventAvailability, Height: h, Data: av})
		}
	}
}

// availability answers one height for any role.
func (n *Node) availability(ctx context.Context, height uint64) (api.HeightAvailability, error) {
	local, network := n.chain.Heights()
	if height == 0 || height > network {
		return api.HeightAvailability{}, fmt.Errorf("%w: height %d is above the network head %d", api.ErrNotFound, height, network)
	}
	out := api.HeightAvailability{Height: height, Status: sampling.StatusPending.String()}
	if height > local {
		return out, nil // the header is not stored here yet
	}
	h, err := n.chain.Header(ctx, height)
	if errors.Is(err, store.ErrNotFound) {
		if height < n.chain.Base() { // below a trusted checkpoint (checkpoint.go)
			out.Status = sampling.StatusPruned.String()
		}
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.SquareWidth = int(h.SquareWidth)
	out.Updated = h.Time.UTC()
	if n.sampler != nil {
		out, err = n.sampler.availability(ctx, h, out)
	} else {
		out, err = n.fullAvailability(ctx, h, out)
	}
	if err == nil && n.fraudAt(height) && out.Status != sampling.StatusPruned.String() {
		// A valid fraud proof wins over any verdict (fraud.go): whatever
		// was sampled or held, the square is not what the header says.
		out.Status, out.Confidence = sampling.StatusFraud.String(), 0
	}
	return out, err
}

func (n *Node) fullAvailability(ctx context.Context, h *da.Header, out api.HeightAvailability) (api.HeightAvailability, error) {
	t := n.tracker
	t.mu.Lock()
	st, _ := t.sched.Status(h.Height)
	if at, ok := t.updated[h.Height]; ok {
		out.Updated = at.UTC()
	}
	t.mu.Unlock()
	if st != sampling.StatusAvailable || n.outsideWindow(h) {
		ok, err := n.store.HasSquare(ctx, h.Height)
		switch {
		case err != nil:
			return out, err
		case ok:
			st = sampling.StatusAvailable
		case n.outsideWindow(h):
			st = sampling.StatusPruned
		case n.cfg.Role == RoleFull:
			st = sampling.StatusSampling
		default:
			st = sampling.StatusPending
		}
	}
	out.Status = st.String()
	out.Bound = sampling.Bound
	if isEmptyBlock(h) {
		out.Bound = sampling.BoundEmpty
	}
	if st == sampling.StatusAvailable {
		all := 4 * int(h.SquareWidth) * int(h.SquareWidth)
		out.Samples = api.SampleCounts{Requested: all, Verified: all}
		out.Confidence = 1
	}
	return out, nil
}

// availability answers one stored height of a light node.
func (s *sampler) availability(ctx context.Context, h *da.Header, out api.HeightAvailability) (api.HeightAvailability, error) {
	s.mu.Lock()
	st, ok := s.sched.Status(h.Height)
	if !ok {
		st = sampling.StatusPending // stored, but the loop has not seen it yet
	}
	sess := s.sessions[h.Height]
	var prog sampling.Progress
	var cells []api.SampledCell
	if sess != nil {
		prog = sess.Progress()
		cells = sampledCells(sess)
	}
	at, hasAt := s.updated[h.Height]
	s.mu.Unlock()
	if hasAt {
		out.Updated = at.UTC()
	}
	out.Status = st.String()
	k := int(h.SquareWidth)
	if isEmptyBlock(h) {
		out.Bound = sampling.BoundEmpty
		if st == sampling.StatusAvailable {
			out.Confidence = 1
		}
		return out, nil
	}
	out.Bound = sampling.Bound
	if sess == nil && st != sampling.StatusPending && st != sampling.StatusPruned {
		// Not in memory (verified before a restart, or sampled to a
		// verdict): the stored snapshot has the counts.
		if b, err := s.n.store.Meta(ctx, sessionKey(h.Height)); err == nil {
			if rs, err := sampling.RestoreSession(b, s.cfg, time.Now()); err == nil {
				prog = rs.Progress()
				cells = sampledCells(rs)
			}
		}
		if !hasAt {
			if _, vt, err := s.n.loadVerdict(ctx, h.Height); err == nil {
				out.Updated = vt.UTC()
			}
		}
	}
	if prog.Requested == 0 {
		prog.Requested = sampling.SampleCount(k, s.cfg)
	}
	out.Samples = api.SampleCounts{Requested: prog.Requested, Verified: prog.Verified}
	out.Cells = cells
	// The confidence the verified cells give: the target once all are in.
	out.Confidence = sampling.AssuranceFor(k, prog.Verified).Confidence
	if prog.Verified == 0 {
		out.Confidence = 0
	}
	return out, nil
}

// sampledCells lists a session's cells for the API; the caller holds
// what guards the session.
func sampledCells(sess *sampling.Session) []api.SampledCell {
	if sess.Empty() {
		return nil
	}
	verified := sess.CellsVerified()
	out := make([]api.SampledCell, len(verified))
	for i, c := range sess.Cells() {
		out[i] = api.SampledCell{Row: int(c.Row), Col: int(c.Col), Verified: verified[i]}
	}
	return out
}

// availabilitySummary is GET /v1/availability for any role.
func (n *Node) availabilitySummary() api.AvailabilitySummary {
	var sum sampling.Summary
	var floor uint64
	if n.sampler != nil {
		n.sampler.mu.Lock()
		sum, floor = n.sampler.sched.Summary(), n.sampler.sched.Floor()
		n.sampler.mu.Unlock()
	} else {
		n.tracker.mu.Lock()
		sum, floor = n.tracker.sched.Summary(), n.tracker.sched.Floor()
		n.tracker.mu.Unlock()
	}
	_, network := n.chain.Heights()
	out := api.AvailabilitySummary{
		NetworkHead: max(network, sum.NetworkHead),
		SampledHead: sum.SampledHead,
		Available:   make([][2]uint64, len(sum.Available)),
		Unavailable: sum.Unavailable,
		Fraud:       sum.Fraud,
		CatchingUp:  sum.CatchingUp || network > sum.NetworkHead,
	}
	// Proofs the scheduler has not seen yet (a height above its head);
	// pruned heights stay pruned.
	for _, h := range n.fraudHeights() {
		if !slices.Contains(out.Fraud, h) && h >= floor && h <= out.NetworkHead {
			out.Fraud = append(out.Fraud, h)
		}
	}
	slices.Sort(out.Fraud)
	for i, r := range sum.Available {
		out.Available[i] = [2]uint64{r.From, r.To}
	}
	return out
}

// eventLog is the node's recent events, append-only and bounded, with a
// sequence number per event so subscribers neither miss nor repeat one.
// Each event's id is an api.EventCursor naming this log (boot, random
// per process) and the event's sequence, so a client that reconnects
// resumes exactly where it was.
type eventLog struct {
	boot    string
	floor   func() uint64 // the lowest height whose events may still change
	mu      sync.Mutex
	events  []api.Event // events[i] has sequence base+i
	base    uint64
	changed chan struct{} // closed at the next add
	// observe, when set, sees every event as it is added (metrics).
	observe func(api.Event)
}

func newEventLog(floor func() uint64) (*eventLog, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("node: event log id: %w", err)
	}
	return &eventLog{boot: hex.EncodeToString(b[:]), floor: floor, changed: make(chan struct{})}, nil
}

func (l *eventLog) add(e api.Event) {
	if l.observe != nil {
		l.observe(e)
	}
	floor := l.floor() // before l.mu: it takes the sampler's lock
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ID = api.EventCursor{Floor: floor, Seq: l.base + uint64(len(l.events)), Boot: l.boot}.String()
	if len(l.events) == maxEvents {
		drop := maxEvents / 10 // amortise the copy
		l.events = append(l.events[:0], l.events[drop:]...)
		l.base += uint64(drop)
	}
	l.events = append(l.events, e)
	close(l.changed)
	l.changed = make(chan struct{})
}

// since returns the events from sequence seq on, the sequence after them,
// the channel closed at the next add, and the lowest height held (0 when
// empty).
func (l *eventLog) since(seq uint64) ([]api.Event, uint64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq = max(seq, l.base) // events older than the log are gone
	out := append([]api.Event(nil), l.events[seq-l.base:]...)
	return out, l.base + uint64(len(l.events)), l.changed
}

// snapshotStart returns the sequence of the log's first event, the one
// after its last, and the lowest height the log holds for each event type
// in it.
func (l *eventLog) snapshotStart() (seq, next uint64, lowest map[string]uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lowest = map[string]uint64{}
	for _, e := range l.events {
		if v, ok := lowest[e.Type]; !ok || e.Height < v {
			lowest[e.Type] = e.Height
		}
	}
	return l.base, l.base + uint64(len(l.events)), lowest
}

// subscribe streams the events at heights ≥ from of the wanted types:
// first those older than the in-memory log, replayed from the store, then
// the log, then new events until ctx ends. With a cursor from this log
// that the log still holds, it streams the log from just after it
// instead, whatever the heights.
func (l *eventLog) subscribe(ctx context.Context, n *Node, from uint64, after *api.EventCursor, types map[string]bool) <-chan api.Event {
	ch := make(chan api.Event, 64)
	want := func(t string) bool { return len(types) == 0 || types[t] }
	seq, next, lowest := l.snapshotStart()
	exact := false
	if after != nil && after.Boot == l.boot && after.Seq+1 >= seq && after.Seq < next {
		seq, exact, from = after.Seq+1, true, 0
	}
	go func() {
		defer close(ch)
		send := func(e api.Event) bool {
			select {
			case ch <- e:
				return true
			case <-ctx.Done():
				return false
			}
		}
		// Replay what the log no longer (or never) held.
		var hdrEnd, avEnd, fraudEnd uint64 // nothing to replay after an exact cursor
		if !exact {
			local, _ := n.chain.Heights()
			hdrEnd, avEnd, fraudEnd = local+1, local+1, local+1
			if v, ok := lowest[api.EventHeader]; ok {
				hdrEnd = v
			}
			if v, ok := lowest[api.EventAvailability]; ok {
				avEnd = v
			}
			if v, ok := lowest[api.EventFraud]; ok {
				fraudEnd = v
			}
		}
		// Replayed events have no place in the log: their cursor sends a
		// client that reconnects mid-replay back to a replay from the
		// lowest height that could still have changed. That height never
		// goes down, so the one read before the replay is a safe floor.
		var unsettled uint64
		if !exact {
			unsettled = n.unsettled()
		}
		replayID := func(h uint64) string { return api.EventCursor{Floor: min(unsettled, h)}.String() }
		replayed := uint64(0) // header events up to here were replayed
		for h := max(from, 1); h < max(hdrEnd, avEnd, fraudEnd) && ctx.Err() == nil; h++ {
			if want(api.EventHeader) && h < hdrEnd {
				replayed = h
				if hd, err := n.chain.Header(ctx, h); err == nil && !send(api.Event{Type: api.EventHeader, Height: h, Data: n.headerJSON(ctx, hd), ID: replayID(h)}) {
					return
				}
			}
			if want(api.EventFraud) && h < fraudEnd && n.fraudAt(h) {
				if p, err := n.FraudProof(h); err == nil {
					e := fraudEvent(h, p)
					e.ID = replayID(h)
					if !send(e) {
						return
					}
				}
			}
			if want(api.EventAvailability) && h < avEnd {
				if av, err := n.availability(ctx, h); err == nil && isVerdict(av.Status) && !send(api.Event{Type: api.EventAvailability, Height: h, Data: av, ID: replayID(h)}) {
					return
				}
			}
		}
		for {
			evs, next, changed := l.since(seq)
			seq = next
			for _, e := range evs {
				if e.Type == api.EventHeader && e.Height <= replayed {
					continue // logged while the replay read the store
				}
				if e.Height >= from && want(e.Type) && !send(e) {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}()
	return ch
}

func isVerdict(status string) bool {
	return status == sampling.StatusAvailable.String() || status == sampling.StatusUnavailable.String() ||
		status == sampling.StatusFraud.String()
}

// verdictLog logs, at info, every verdict but the routine first
// "available": each unavailable and fraud, and a height that comes back
// available after one of those.
type verdictLog struct {
	log *slog.Logger
	mu  sync.Mutex
	off map[uint64]string // heights whose last verdict was not available
}

// maxOffVerdicts bounds what verdictLog remembers; past it the oldest
// heights are forgotten (their recovery is then logged as routine).
const maxOffVerdicts = 4096

func (v *verdictLog) observe(av api.HeightAvailability) {
	v.mu.Lock()
	defer v.mu.Unlock()
	was, off := v.off[av.Height]
	switch {
	case av.Status == sampling.StatusAvailable.String() && !off:
		return // routine
	case av.Status == sampling.StatusAvailable.String():
		delete(v.off, av.Height)
		v.log.Info("verdict changed", "height", av.Height, "from", was, "to", av.Status, "samples", av.Samples.Verified)
		return
	}
	if len(v.off) >= maxOffVerdicts && !off {
		oldest := av.Height
		for h := range v.off {
			oldest = min(oldest, h)
		}
		delete(v.off, oldest)
	}
	v.off[av.Height] = av.Status
	args := []any{"height", av.Height, "verdict", av.Status, "square_width", av.SquareWidth,
		"samples_requested", av.Samples.Requested, "samples_verified", av.Samples.Verified}
	if off {
		args = append(args, "was", was)
	}
	if av.Status == sampling.StatusFraud.String() {
		v.log.Warn("height judged fraudulent: its square is badly encoded", args...)
		return
	}
	v.log.Warn("height judged unavailable", args...)
}
