package sampling

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"
)

func schedConfig(workers int) Config {
	c := DefaultConfig()
	c.Workers, c.RetryBase, c.RetryMax = workers, time.Second, 8*time.Second
	return c
}

func mustScheduler(t *testing.T, floor uint64, cfg Config) *Scheduler {
	t.Helper()
	s, err := NewScheduler(floor, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func doneAll(t *testing.T, s *Scheduler, hs []uint64, st Status, now time.Time) {
	t.Helper()
	for _, h := range hs {
		if err := s.Done(h, st, now); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSchedulerRecentFirstThenPastAscending(t *testing.T) {
	s := mustScheduler(t, 1, schedConfig(3))
	s.SetHead(10)
	if got := s.Next(t0); !slices.Equal(got, []uint64{10, 1, 2}) {
		t.Fatalf("first Next = %v, want the head then the oldest", got)
	}
	if got := s.Next(t0); got != nil {
		t.Fatalf("Next with every worker busy = %v", got)
	}
	s.SetHead(13)
	doneAll(t, s, []uint64{10, 1}, StatusAvailable, t0)
	if got := s.Next(t0); !slices.Equal(got, []uint64{13, 12}) {
		t.Fatalf("after new heads, Next = %v, want [13 12]", got)
	}
	doneAll(t, s, []uint64{13, 12, 2}, StatusAvailable, t0)
	if got := s.Next(t0); !slices.Equal(got, []uint64{11, 3, 4}) {
		t.Fatalf("Next = %v, want [11 3 4]", got)
	}
	if s.SampledHead() != 2 {
		t.Errorf("sampled head %d, want 2", s.SampledHead())
	}
	sum := s.Summary()
	if !sum.CatchingUp {
		t.Error("not catching up with heights 5–9 waiting")
	}
	if want := []Range{{1, 2}, {10, 10}, {12, 13}}; !slices.Equal(sum.Available, want) {
		t.Errorf("available %v, want %v", sum.Available, want)
	}
	for h, want := range map[uint64]Status{1: StatusAvailable, 3: StatusSampling, 5: StatusPending, 11: StatusSampling, 13: StatusAvailable} {
		if got, ok := s.Status(h); !ok || got != want {
			t.Errorf("Status(%d) = %v %v, want %v", h, got, ok, want)
		}
	}
	if _, ok := s.Status(14); ok {
		t.Error("a height above the head has a status")
	}
}

func TestSchedulerBackoff(t *testing.T) {
	s := mustScheduler(t, 5, schedConfig(2))
	s.SetHead(5)
	if got := s.Next(t0); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("Next = %v", got)
	}
	now := t0
	for n, wait := range []time.Duration{1, 2, 4, 8, 8} {
		if err := s.Done(5, StatusUnavailable, now); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Status(5); st != StatusUnavailable {
			t.Fatalf("status %v, want unavailable", st)
		}
		due, ok := s.NextRetry()
		if !ok || due != now.Add(wait*time.Second) {
			t.Fatalf("retry %d: NextRetry = %v %v, want %v later", n+1, due, ok, wait*time.Second)
		}
		if got := s.Next(due.Add(-1)); got != nil {
			t.Fatalf("retry %d: Next before the backoff ran out = %v", n+1, got)
		}
		now = due
		if got := s.Next(now); !slices.Equal(got, []uint64{5}) {
			t.Fatalf("retry %d: Next at the due time = %v", n+1, got)
		}
		if st, _ := s.Status(5); st != StatusUnavailable {
			t.Fatalf("status while retrying %v, want still unavailable", st)
		}
		if _, ok := s.NextRetry(); ok {
			t.Fatal("NextRetry counts a running retry")
		}
	}
	if err := s.Done(5, StatusAvailable, now); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(5); st != StatusAvailable {
		t.Fatalf("status %v after a successful retry", st)
	}
	if sum := s.Summary(); len(sum.Unavailable) != 0 || sum.SampledHead != 5 || sum.CatchingUp {
		t.Errorf("summary %+v", sum)
	}
}

func TestSchedulerFraudAndFloor(t *testing.T) {
	s := mustScheduler(t, 1, schedConfig(4))
	s.SetHead(8)
	doneAll(t, s, []uint64{1, 2, 3, 4, 5}, StatusAvailable, t0)
	doneAll(t, s, []uint64{6}, StatusUnavailable, t0)
	if err := s.Fraud(3); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(3, StatusAvailable, t0); err != nil {
		t.Fatal(err)
	}
	got := s.Next(t0)
	if !slices.Equal(got, []uint64{8, 7}) {
		t.Fatalf("Next = %v, want [8 7]", got)
	}
	sum := s.Summary()
	want := Summary{NetworkHead: 8, SampledHead: 6, Available: []Range{{1, 2}, {4, 5}},
		Unavailable: []uint64{6}, Fraud: []uint64{3}}
	if !reflect.DeepEqual(sum, want) {
		t.Fatalf("summary\n got %+v\nwant %+v", sum, want)
	}
	b, _ := json.Marshal(sum)
	if string(b) != `{"network_head":8,"sampled_head":6,"available":[[1,2],[4,5]],"unavailable":[6],"fraud":[3],"catching_up":false}` {
		t.Errorf("json %s", b)
	}
	if dropped := s.SetFloor(8); !slices.Equal(dropped, []uint64{7}) {
		t.Fatalf("SetFloor dropped %v, want [7]", dropped)
	}
	for h, want := range map[uint64]Status{1: StatusPruned, 3: StatusPruned, 7: StatusPruned, 8: StatusSampling} {
		if got, _ := s.Status(h); got != want {
			t.Errorf("Status(%d) = %v, want %v", h, got, want)
		}
	}
	if err := s.Done(7, StatusAvailable, t0); !errors.Is(err, ErrHeight) {
		t.Errorf("Done below the floor = %v", err)
	}
	if err := s.Done(9, StatusAvailable, t0); !errors.Is(err, ErrHeight) {
		t.Errorf("Done above the head = %v", err)
	}
	if err := s.Fraud(9); !errors.Is(err, ErrHeight) {
		t.Errorf("Fraud above the head = %v", err)
	}
	if err := s.Done(8, StatusPending, t0); !errors.Is(err, ErrStatus) {
		t.Errorf("Done(pending) = %v", err)
	}
	sum = s.Summary()
	if sum.SampledHead != 7 || len(sum.Available) != 0 || len(sum.Fraud) != 0 || len(sum.Unavailable) != 0 {
		t.Errorf("summary after the floor moved: %+v", sum)
	}
	if _, err := NewScheduler(0, schedConfig(1)); !errors.Is(err, ErrHeight) {
		t.Errorf("floor 0: %v", err)
	}
	if _, err := NewScheduler(1, Config{}); !errors.Is(err, ErrConfig) {
		t.Errorf("zero config: %v", err)
	}
}

// model is the scheduler written the slow, obvious way: one record per
// height, full scans.
type model struct {
	cfg            Config
	floor, head    uint64
	headSet        bool
	liveFrom       uint64
	avail, unavail map[uint64]bool
	fraud, running map[uint64]bool
	tries          map[uint64]int
	due            map[uint64]time.Time
}

func newModel(floor uint64, cfg Config) *model {
	return &model{cfg: cfg, floor: floor, head: floor - 1, liveFrom: floor,
		avail: map[uint64]bool{}, unavail: map[uint64]bool{}, fraud: map[uint64]bool{},
		running: map[uint64]bool{}, tries: map[uint64]int{}, due: map[uint64]time.Time{}}
}

func (m *model) pending(h uint64) bool {
	return h >= m.floor && h <= m.head && !m.avail[h] && !m.unavail[h] && !m.fraud[h] && !m.running[h]
}

func (m *model) next(now time.Time) []uint64 {
	free := m.cfg.Workers - len(m.running)
	var out []uint64
	take := func(h uint64) { m.running[h] = true; out = append(out, h); free-- }
	lo := max(m.liveFrom, m.floor)
	for h := m.head; h >= lo && free > 0; h-- {
		if m.pending(h) {
			take(h)
		}
	}
	var due []uint64
	for h := m.head; h >= m.floor && h > 0; h-- {
		if m.unavail[h] && !m.running[h] && !m.due[h].After(now) {
			due = append(due, h)
		}
	}
	for _, h := range due {
		if free > 0 {
			take(h)
		}
	}
	for h := m.floor; h <= m.head && h < lo && free > 0; h++ {
		if m.pending(h) {
			take(h)
		}
	}
	return out
}

func (m *model) done(h uint64, st Status, now time.Time) bool {
	if h < m.floor || h > m.head {
		return false
	}
	delete(m.running, h)
	switch {
	case st == StatusFraud:
		m.markFraud(h)
	case m.fraud[h]:
	case st == StatusAvailable:
		delete(m.unavail, h)
		delete(m.tries, h)
		m.avail[h] = true
	case !m.avail[h]:
		m.unavail[h] = true
		m.tries[h]++
		m.due[h] = now.Add(m.cfg.backoff(m.tries[h]))
	}
	return true
}

// fraudProof is a fraud proof arriving on its own: a running session
// keeps its worker.
func (m *model) fraudProof(h uint64) bool {
	if h < m.floor || h > m.head {
		return false
	}
	m.markFraud(h)
	return true
}

func (m *model) markFraud(h uint64) {
	delete(m.avail, h)
	delete(m.unavail, h)
	delete(m.tries, h)
	m.fraud[h] = true
}

func (m *model) status(h uint64) (Status, bool) {
	switch {
	case h > m.head:
		return 0, false
	case h < m.floor:
		return StatusPruned, true
	case m.fraud[h]:
		return StatusFraud, true
	case m.unavail[h]:
		return StatusUnavailable, true
	case m.avail[h]:
		return StatusAvailable, true
	case m.running[h]:
		return StatusSampling, true
	}
	return StatusPending, true
}

func (m *model) summary() Summary {
	sum := Summary{NetworkHead: m.head, SampledHead: m.floor - 1, Available: []Range{}, Unavailable: []uint64{}, Fraud: []uint64{}}
	prefix := true
	for h := m.floor; h <= m.head; h++ {
		if m.avail[h] {
			if n := len(sum.Available); n > 0 && sum.Available[n-1].To+1 == h {
				sum.Available[n-1].To = h
			} else {
				sum.Available = append(sum.Available, Range{h, h})
			}
		}
		if m.unavail[h] {
			sum.Unavailable = append(sum.Unavailable, h)
		}
		if m.fraud[h] {
			sum.Fraud = append(sum.Fraud, h)
		}
		if m.pending(h) {
			sum.CatchingUp = true
		}
		if prefix && (m.avail[h] || m.unavail[h] || m.fraud[h]) {
			sum.SampledHead = h
		} else {
			prefix = false
		}
	}
	return sum
}

// Property: over random operations, the scheduler hands out exactly what
// the model's policy does, never runs more than Config.Workers heights,
// and agrees with the model on every status and the summary.
func TestSchedulerMatchesModel(t *testing.T) {
	r := seeded(99)
	for trial := range 300 {
		cfg := schedConfig(1 + r.IntN(5))
		floor := uint64(1 + r.IntN(5))
		s := mustScheduler(t, floor, cfg)
		m := newModel(floor, cfg)
		now := t0
		for step := range 300 {
			switch op := r.IntN(20); {
			case op < 3:
				h := m.head + uint64(r.IntN(6))
				if !m.headSet && r.IntN(3) == 0 {
					h += uint64(r.IntN(40)) // start with a past to fill
				}
				if !m.headSet {
					m.headSet, m.liveFrom = true, max(h, m.floor)
				}
				m.head = max(m.head, h)
				s.SetHead(h)
			case op < 8:
				got, want := s.Next(now), m.next(now)
				if !slices.Equal(got, want) {
					t.Fatalf("trial %d step %d: Next = %v, model %v", trial, step, got, want)
				}
				if s.Running() > cfg.Workers {
					t.Fatalf("trial %d: %d running > %d workers", trial, s.Running(), cfg.Workers)
				}
			case op < 14 && len(m.running) > 0:
				hs := slices.Sorted(maps.Keys(m.running))
				h := hs[r.IntN(len(hs))]
				st := []Status{StatusAvailable, StatusAvailable, StatusUnavailable, StatusFraud}[r.IntN(4)]
				if op == 13 {
					s.Abort(h)
					delete(m.running, h)
					break
				}
				if err := s.Done(h, st, now); err != nil {
					t.Fatal(err)
				}
				m.done(h, st, now)
			case op == 14:
				h := m.floor + uint64(r.IntN(int(m.head-m.floor+3)))
				st := []Status{StatusAvailable, StatusUnavailable, StatusFraud}[r.IntN(3)]
				var err error
				var ok bool
				if r.IntN(2) == 0 {
					err, ok = s.Done(h, st, now), m.done(h, st, now)
				} else {
					err, ok = s.Fraud(h), m.fraudProof(h)
				}
				if ok != (err == nil) || (err != nil && !errors.Is(err, ErrHeight)) {
					t.Fatalf("trial %d: verdict for %d: err %v, model accepts %v", trial, h, err, ok)
				}
			case op == 15 && r.IntN(4) == 0:
				f := m.floor + uint64(r.IntN(4))
				var want []uint64
				if f > m.floor {
					for h := range m.running {
						if h < f {
							want = append(want, h)
							delete(m.running, h)
						}
					}
					slices.Sort(want)
					for _, set := range []map[uint64]bool{m.avail, m.unavail, m.fraud} {
						maps.DeleteFunc(set, func(h uint64, _ bool) bool { return h < f })
					}
					m.floor, m.head = f, max(m.head, f-1)
				}
				if got := s.SetFloor(f); !slices.Equal(got, want) {
					t.Fatalf("trial %d: SetFloor(%d) dropped %v, model %v", trial, f, got, want)
				}
			default:
				now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			}
			if got, want := s.Summary(), m.summary(); !reflect.DeepEqual(got, want) {
				t.Fatalf("trial %d step %d: summary\n got %+v\nwant %+v", trial, step, got, want)
			}
			if s.SampledHead() != m.summary().SampledHead || s.Head() != m.head || s.Floor() != m.floor {
				t.Fatalf("trial %d: heads differ", trial)
			}
			// Unsettled: the lowest height from the floor whose status is
			// not a settled verdict (available or fraud).
			unsettled := m.floor
			for ; unsettled <= m.head; unsettled++ {
				if st, _ := m.status(unsettled); st != StatusAvailable && st != StatusFraud {
					break
				}
			}
			if got := s.Unsettled(); got != unsettled {
				t.Fatalf("trial %d step %d: Unsettled = %d, model %d", trial, step, got, unsettled)
			}
			for h := uint64(0); h <= m.head+2; h++ {
				gs, gok := s.Status(h)
				ms, mok := m.status(h)
				if gs != ms || gok != mok {
					t.Fatalf("trial %d step %d: Status(%d) = %v %v, model %v %v", trial, step, h, gs, gok, ms, mok)
				}
			}
		}
	}
}
