package sampling

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Scheduler says which heights a light node samples next (DESIGN.md §7,
// catch-up) and keeps the per-height statuses the API summarises. It is
// pure: node tells it the network head, the verdicts and the time, and
// starts a session for each height Next returns.
//
// Policy. Heights from the network head first seen onwards are new: Next
// hands out the newest pending one first, so a node that falls behind
// still reports on the blocks rollups are waiting for. Then unavailable
// heights whose backoff has run out, newest first. Then the past, from the
// floor upwards: ascending so that the sampled head (the contiguous
// prefix with a verdict) advances steadily, and so that the oldest heights
// are sampled before full nodes prune them at the edge of the storage
// window. At most Config.Workers heights run at once.
//
// A Scheduler is not safe for concurrent use.
type Scheduler struct {
	cfg      Config
	floor    uint64 // lowest tracked height; below it everything is pruned
	head     uint64 // network head
	headSet  bool
	liveFrom uint64 // heights from here up are new (sampled newest first)

	avail   rangeSet
	unavail map[uint64]retryState // unavailable, retried with backoff
	fraud   map[uint64]struct{}
	running map[uint64]struct{} // handed out by Next, no verdict yet

	low     uint64 // no height in [floor, low) is pending
	sampled uint64 // sampled head: [floor, sampled] all have verdicts
}

type retryState struct {
	n   int       // unavailable verdicts in a row
	due time.Time // when it may run again
}

// NewScheduler tracks heights from floor (a trusted checkpoint, or the
// oldest height of the storage window; at least 1) upwards. Call SetHead
// before Next.
func NewScheduler(floor uint64, cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if floor < 1 {
		return nil, fmt.Errorf("%w: floor 0, heights start at 1", ErrHeight)
	}
	return &Scheduler{
		cfg:      cfg,
		floor:    floor,
		head:     floor - 1,
		liveFrom: floor,
		unavail:  map[uint64]retryState{},
		fraud:    map[uint64]struct{}{},
		running:  map[uint64]struct{}{},
		low:      floor,
		sampled:  floor - 1,
	}, nil
}

// SetHead records the network head h (the highest verified header).
// Heads never go back: a lower h is ignored. The first head and every
// height above it count as new.
func (s *Scheduler) SetHead(h uint64) {
	if !s.headSet {
		s.headSet = true
		s.liveFrom = max(h, s.floor)
	}
	s.head = max(s.head, h)
}

// SetFloor moves the floor up to f (the storage window moved): heights
// below it are pruned and forgotten, and the head is raised to f−1 if it
// was below. It returns, ascending, the running
// heights it dropped, whose sessions node should stop; a Done for them
// is then refused.
func (s *Scheduler) SetFloor(f uint64) []uint64 {
	if f <= s.floor {
		return nil
	}
	s.floor = f
	s.avail.trimBelow(f)
	maps.DeleteFunc(s.unavail, func(h uint64, _ retryState) bool { return h < f })
	maps.DeleteFunc(s.fraud, func(h uint64, _ struct{}) bool { return h < f })
	var dropped []uint64
	for h := range s.running {
		if h < f {
			dropped = append(dropped, h)
			delete(s.running, h)
		}
	}
	slices.Sort(dropped)
	s.low = max(s.low, f)
	s.sampled = max(s.sampled, f-1)
	s.head = max(s.head, f-1)
	s.advance()
	return dropped
}

func (s *Scheduler) pending(h uint64) bool {
	if h < s.floor || h > s.head || s.avail.has(h) {
		return false
	}
	_, u := s.unavail[h]
	_, f := s.fraud[h]
	_, r := s.running[h]
	return !u && !f && !r
}

// Next returns the heights to start sampling now, in the order of the
// policy above, and marks them running; it returns nothing when
// Config.Workers heights are already running. now decides which retries
// are due.
func (s *Scheduler) Next(now time.Time) []uint64 {
	free := s.cfg.Workers - len(s.running)
	if free <= 0 || s.head < s.floor {
		return nil
	}
	var out []uint64
	take := func(h uint64) {
		s.running[h] = struct{}{}
		out = append(out, h)
		free--
	}
	// New heights, newest first.
	lo := max(s.liveFrom, s.floor)
	for h := s.head; h >= lo && free > 0; {
		if i, ok := s.avail.find(h); ok {
			h = s.avail[i].From - 1
			continue
		}
		if s.pending(h) {
			take(h)
		}
		h--
	}
	// Unavailable heights whose backoff has run out, newest first.
	if free > 0 {
		due := s.dueRetries(now)
		for _, h := range due[:min(free, len(due))] {
			take(h)
		}
	}
	// The past, oldest first.
	for s.low <= s.head && s.low < lo && !s.pending(s.low) {
		if i, ok := s.avail.find(s.low); ok {
			s.low = s.avail[i].To + 1
		} else {
			s.low++
		}
	}
	for h := s.low; h <= s.head && h < lo && free > 0; {
		if i, ok := s.avail.find(h); ok {
			h = s.avail[i].To + 1
			continue
		}
		if s.pending(h) {
			take(h)
		}
		h++
	}
	return out
}

// dueRetries lists, newest first, the unavailable heights not running
// whose backoff ends at or before now.
func (s *Scheduler) dueRetries(now time.Time) []uint64 {
	var due []uint64
	for h, r := range s.unavail {
		if _, run := s.running[h]; !run && !r.due.After(now) {
			due = append(due, h)
		}
	}
	slices.Sort(due)
	slices.Reverse(due)
	return due
}

// NextRetry is when the earliest waiting unavailable height becomes due,
// for node's timer; false when none waits.
func (s *Scheduler) NextRetry() (time.Time, bool) {
	var t time.Time
	found := false
	for h, r := range s.unavail {
		if _, run := s.running[h]; run {
			continue
		}
		if !found || r.due.Before(t) {
			t, found = r.due, true
		}
	}
	return t, found
}

// Done records the verdict for h: StatusAvailable, StatusUnavailable (the
// height is retried after Config's exponential backoff from now) or
// StatusFraud. h stops running. Done also seeds a restarted node with the
// verdicts it stored. A fraud verdict is final; so is available, except
// that a later fraud proof overrides it.
func (s *Scheduler) Done(h uint64, st Status, now time.Time) error {
	if st != StatusAvailable && st != StatusUnavailable && st != StatusFraud {
		return fmt.Errorf("%w: verdict %v for height %d", ErrStatus, st, h)
	}
	if err := s.tracked(h); err != nil {
		return err
	}
	delete(s.running, h)
	_, fraud := s.fraud[h]
	switch {
	case st == StatusFraud:
		s.markFraud(h)
	case fraud:
	case st == StatusAvailable:
		delete(s.unavail, h)
		s.avail.add(h)
	case !s.avail.has(h):
		r := s.unavail[h]
		r.n++
		r.due = now.Add(s.cfg.backoff(r.n))
		s.unavail[h] = r
	}
	s.advance()
	return nil
}

// Fraud records that a valid fraud proof exists for h. It overrides any
// other verdict and is final. A running session for h keeps its worker
// until node calls Done or Abort for it.
func (s *Scheduler) Fraud(h uint64) error {
	if err := s.tracked(h); err != nil {
		return err
	}
	s.markFraud(h)
	s.advance()
	return nil
}

// Abort returns a running height to pending without a verdict (its
// session was stopped, say at shutdown); an unavailable height goes back
// to waiting for its retry.
func (s *Scheduler) Abort(h uint64) {
	if _, ok := s.running[h]; !ok {
		return
	}
	delete(s.running, h)
	s.low = min(s.low, h)
}

func (s *Scheduler) tracked(h uint64) error {
	if h < s.floor {
		return fmt.Errorf("%w: height %d is below the floor %d (pruned)", ErrHeight, h, s.floor)
	}
	if h > s.head {
		return fmt.Errorf("%w: height %d is above the network head %d", ErrHeight, h, s.head)
	}
	return nil
}

func (s *Scheduler) markFraud(h uint64) {
	s.avail.remove(h)
	delete(s.unavail, h)
	s.fraud[h] = struct{}{}
}

// advance moves the sampled head over every height that has a verdict.
func (s *Scheduler) advance() {
	for h := s.sampled + 1; h <= s.head; h = s.sampled + 1 {
		if i, ok := s.avail.find(h); ok {
			s.sampled = s.avail[i].To
			continue
		}
		_, u := s.unavail[h]
		_, f := s.fraud[h]
		if !u && !f {
			return
		}
		s.sampled = h
	}
}

// Status is the status of h, and false when h is above the network head
// (the API's 404). Heights below the floor are pruned. An unavailable
// height being retried stays unavailable until a retry succeeds.
func (s *Scheduler) Status(h uint64) (Status, bool) {
	if h > s.head {
		return 0, false
	}
	if h < s.floor {
		return StatusPruned, true
	}
	if _, ok := s.fraud[h]; ok {
		return StatusFraud, true
	}
	if _, ok := s.unavail[h]; ok {
		return StatusUnavailable, true
	}
	if s.avail.has(h) {
		return StatusAvailable, true
	}
	if _, ok := s.running[h]; ok {
		return StatusSampling, true
	}
	return StatusPending, true
}

// Head is the network head (at least Floor−1).
func (s *Scheduler) Head() uint64 { return s.head }

// Floor is the lowest tracked height; every height below it is pruned.
func (s *Scheduler) Floor() uint64 { return s.floor }

// SampledHead is the highest height h such that every height from the
// floor to h has a verdict (available, unavailable or fraud); floor−1 when
// the floor itself has none. An unavailable height counts, so one stuck
// height never hides the progress made past it.
func (s *Scheduler) SampledHead() uint64 { return s.sampled }

// Unsettled is the lowest height whose status sampling may still change:
// the first height without a verdict, or a lower unavailable one that is
// being retried. (A fraud proof may still arrive for any height.)
func (s *Scheduler) Unsettled() uint64 {
	u := s.sampled + 1
	for h := range s.unavail {
		u = min(u, h)
	}
	return max(u, s.floor)
}

// Running is the number of heights handed out and not yet done.
func (s *Scheduler) Running() int { return len(s.running) }

// Summary is the API's GET /v1/availability answer. Slices are never nil,
// so they encode as [] rather than null.
type Summary struct {
	NetworkHead uint64   `json:"network_head"`
	SampledHead uint64   `json:"sampled_head"`
	Available   []Range  `json:"available"`   // ascending, disjoint, non-adjacent
	Unavailable []uint64 `json:"unavailable"` // ascending
	Fraud       []uint64 `json:"fraud"`       // ascending
	// CatchingUp is true while some height waits for a worker: the node
	// has more to sample than Config.Workers at once.
	CatchingUp bool `json:"catching_up"`
}

// Summary returns the range-compressed summary; the caller owns it.
func (s *Scheduler) Summary() Summary {
	sum := Summary{
		NetworkHead: s.head,
		SampledHead: s.sampled,
		Available:   append([]Range{}, s.avail...),
		Unavailable: slices.Sorted(maps.Keys(s.unavail)),
		Fraud:       slices.Sorted(maps.Keys(s.fraud)),
	}
	if sum.Unavailable == nil {
		sum.Unavailable = []uint64{}
	}
	if sum.Fraud == nil {
		sum.Fraud = []uint64{}
	}
	if s.head >= s.floor {
		busy := s.avail.count() + uint64(len(s.unavail)) + uint64(len(s.fraud))
		for h := range s.running {
			_, u := s.unavail[h]
			_, f := s.fraud[h]
			if !u && !f {
				busy++
			}
		}
		sum.CatchingUp = busy < s.head-s.floor+1
	}
	return sum
}
