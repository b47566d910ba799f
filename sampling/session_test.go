package sampling

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0).UTC()

func testConfig() Config {
	c := DefaultConfig()
	c.MaxAttempts, c.MaxInFlight, c.SessionTimeout = 3, 4, 30*time.Second
	return c
}

func mustSession(t *testing.T, k int, cells []Cell, cfg Config) *Session {
	t.Helper()
	s, err := NewSession(9, k, cells, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionAvailable(t *testing.T) {
	cells := []Cell{{3, 1}, {0, 2}, {7, 7}, {1, 0}, {0, 0}, {5, 6}}
	s := mustSession(t, 4, cells, testConfig())
	if got := s.Cells(); !slices.IsSortedFunc(got, Cell.compare) || len(got) != 6 {
		t.Fatalf("Cells() = %v, want the 6 cells sorted", got)
	}
	first := s.Next(10)
	if len(first) != 4 { // MaxInFlight
		t.Fatalf("Next(10) gave %d cells, want MaxInFlight = 4", len(first))
	}
	if more := s.Next(10); len(more) != 0 {
		t.Fatalf("Next with 4 in flight gave %v", more)
	}
	for _, c := range first[:2] {
		if err := s.Verified(c); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range s.CellsVerified() {
		if want := slices.Contains(first[:2], s.Cells()[i]); v != want {
			t.Fatalf("CellsVerified()[%d] (%v) = %v, want %v", i, s.Cells()[i], v, want)
		}
	}
	second := s.Next(10)
	if len(second) != 2 {
		t.Fatalf("after 2 verified, Next gave %v, want the 2 never asked", second)
	}
	for _, c := range second {
		if slices.Contains(first, c) {
			t.Fatalf("Next handed out %v twice", c)
		}
	}
	for _, c := range append(first[2:], second...) {
		if s.Verdict() != StatusSampling {
			t.Fatalf("verdict %v before every cell verified", s.Verdict())
		}
		if err := s.Verified(c); err != nil {
			t.Fatal(err)
		}
	}
	if s.Verdict() != StatusAvailable || s.Err() != nil {
		t.Fatalf("verdict %v (%v), want available", s.Verdict(), s.Err())
	}
	if err := s.Verified(first[0]); err != nil { // idempotent
		t.Fatal(err)
	}
	if p := s.Progress(); p.Requested != 6 || p.Verified != 6 || p.InFlight != 0 {
		t.Errorf("Progress = %+v", p)
	}
	if s.Tick(t0.Add(time.Hour)) != StatusAvailable {
		t.Error("a deadline after completion made the session unavailable")
	}
	if a := s.Assurance(); a.Width != 4 || a.Samples != 6 || a.Confidence != Confidence(4, 6) || a.Bound != Bound {
		t.Errorf("Assurance = %+v", a)
	}
}

func TestSessionFailedCellsAreReasked(t *testing.T) {
	cells := []Cell{{0, 0}, {1, 1}}
	s := mustSession(t, 2, cells, testConfig())
	for attempt := 1; attempt <= 3; attempt++ {
		got := s.Next(1)
		if len(got) != 1 || got[0] != (Cell{0, 0}) {
			t.Fatalf("attempt %d: Next(1) = %v, want the failed cell (0,0) again", attempt, got)
		}
		if err := s.Failed(got[0], FailureInvalid); err != nil {
			t.Fatal(err)
		}
		if attempt < 3 && s.Verdict() != StatusSampling {
			t.Fatalf("attempt %d: verdict %v, want sampling", attempt, s.Verdict())
		}
	}
	if s.Verdict() != StatusUnavailable || !errors.Is(s.Err(), ErrUnobtainable) {
		t.Fatalf("after 3 failures: %v (%v), want unavailable / ErrUnobtainable", s.Verdict(), s.Err())
	}
	if got := s.Next(5); got != nil {
		t.Fatalf("an unavailable session handed out %v", got)
	}
	if p := s.Progress(); p.Invalid != 3 || p.Missing != 0 {
		t.Errorf("Progress = %+v, want 3 invalid", p)
	}
	// A retry re-asks the same cells, never others.
	if err := s.Retry(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := s.Next(5); !slices.Equal(got, cells) {
		t.Fatalf("after Retry, Next = %v, want %v", got, cells)
	}
	for _, c := range cells {
		if err := s.Verified(c); err != nil {
			t.Fatal(err)
		}
	}
	if s.Verdict() != StatusAvailable {
		t.Fatalf("verdict %v after the retry verified everything", s.Verdict())
	}
	if err := s.Retry(t0); !errors.Is(err, ErrNotUnavailable) {
		t.Errorf("Retry of an available session: %v, want ErrNotUnavailable", err)
	}
}

func TestSessionDeadline(t *testing.T) {
	cfg := testConfig()
	s := mustSession(t, 2, []Cell{{0, 0}, {3, 3}}, cfg)
	if s.Deadline() != t0.Add(cfg.SessionTimeout) {
		t.Fatalf("Deadline = %v", s.Deadline())
	}
	got := s.Next(2)
	if err := s.Verified(got[0]); err != nil {
		t.Fatal(err)
	}
	if st := s.Tick(t0.Add(cfg.SessionTimeout - 1)); st != StatusSampling {
		t.Fatalf("before the deadline: %v", st)
	}
	if st := s.Tick(t0.Add(cfg.SessionTimeout)); st != StatusUnavailable || !errors.Is(s.Err(), ErrDeadline) {
		t.Fatalf("at the deadline: %v (%v), want unavailable / ErrDeadline", st, s.Err())
	}
	// The late answer to the request still out counts.
	if err := s.Verified(got[1]); err != nil {
		t.Fatal(err)
	}
	if s.Verdict() != StatusAvailable || s.Err() != nil {
		t.Fatalf("late answer: %v (%v), want available", s.Verdict(), s.Err())
	}

	// A retry abandons the previous round's requests and asks their cells
	// again.
	s = mustSession(t, 2, []Cell{{0, 0}, {3, 3}}, cfg)
	asked := s.Next(2)
	s.Tick(t0.Add(cfg.SessionTimeout))
	if err := s.Retry(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := s.Next(2); !slices.Equal(got, asked) {
		t.Fatalf("after Retry, Next = %v, want the abandoned %v", got, asked)
	}
	if s.Deadline() != t0.Add(time.Hour+cfg.SessionTimeout) {
		t.Errorf("retry deadline %v", s.Deadline())
	}

	cfg.SessionTimeout = 0
	s = mustSession(t, 2, []Cell{{0, 0}}, cfg)
	if !s.Deadline().IsZero() || s.Tick(t0.Add(1000*time.Hour)) != StatusSampling {
		t.Error("a session without a timeout expired")
	}
}

func TestSessionErrors(t *testing.T) {
	cfg := testConfig()
	for _, tt := range []struct {
		name  string
		k     int
		cells []Cell
		want  error
	}{
		{"no cells", 2, nil, ErrCells},
		{"row outside", 2, []Cell{{4, 0}}, ErrCells},
		{"col outside", 2, []Cell{{0, 4}}, ErrCells},
		{"duplicate", 2, []Cell{{1, 1}, {0, 0}, {1, 1}}, ErrCells},
		{"too many", 1, []Cell{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 1}}, ErrCells},
		{"k 0", 0, []Cell{{0, 0}}, ErrWidth},
		{"k too big", MaxWidth + 1, []Cell{{0, 0}}, ErrWidth},
	} {
		if _, err := NewSession(1, tt.k, tt.cells, cfg, t0); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	bad := cfg
	bad.MaxAttempts = 0
	if _, err := NewSession(1, 2, []Cell{{0, 0}}, bad, t0); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v", err)
	}

	s := mustSession(t, 2, []Cell{{0, 0}, {1, 1}}, cfg)
	if err := s.Verified(Cell{2, 2}); !errors.Is(err, ErrUnknownCell) {
		t.Errorf("Verified(unknown) = %v", err)
	}
	if err := s.Failed(Cell{2, 2}, FailureMissing); !errors.Is(err, ErrUnknownCell) {
		t.Errorf("Failed(unknown) = %v", err)
	}
	if err := s.Failed(Cell{0, 0}, FailureMissing); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("Failed(never asked) = %v", err)
	}
	c := s.Next(1)[0]
	if err := s.Failed(c, FailureTimeout); err != nil {
		t.Fatal(err)
	}
	if err := s.Failed(c, FailureTimeout); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("Failed twice = %v", err)
	}
	// An answer for a cell no longer in flight still counts.
	if err := s.Verified(c); err != nil || s.Progress().Verified != 1 {
		t.Errorf("late Verified: %v, progress %+v", err, s.Progress())
	}
	if err := s.Failed(c, FailureTimeout); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("Failed after Verified = %v", err)
	}
	if p := s.Progress(); p.Timeout != 1 {
		t.Errorf("a refused failure was counted: %+v", p)
	}
	if err := s.Retry(t0); !errors.Is(err, ErrNotUnavailable) {
		t.Errorf("Retry while sampling: %v", err)
	}
}

func TestEmptySession(t *testing.T) {
	s := NewEmptySession(5)
	if s.Verdict() != StatusAvailable || s.Tick(t0.Add(time.Hour)) != StatusAvailable || len(s.Next(10)) != 0 {
		t.Fatal("an empty block is not available at once")
	}
	if a := s.Assurance(); a.Confidence != 1 || a.Samples != 0 || a.Bound != BoundEmpty || a.Width != 1 {
		t.Errorf("Assurance = %+v", a)
	}
	b, _ := s.MarshalBinary()
	r, err := RestoreSession(b, testConfig(), t0)
	if err != nil || !r.Empty() || r.Height() != 5 || r.Verdict() != StatusAvailable {
		t.Fatalf("restored empty session: %v, %v", r, err)
	}
}

func TestStartSession(t *testing.T) {
	cfg := DefaultConfig()
	s, err := StartSession(seeded(3), 77, 128, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := SelectCells(seeded(3), 128, SampleCount(128, cfg))
	if !slices.Equal(s.Cells(), want) || s.Height() != 77 || s.Width() != 128 {
		t.Errorf("StartSession cells %v, want %v", s.Cells(), want)
	}
	if _, err := StartSession(seeded(3), 77, 0, cfg, t0); !errors.Is(err, ErrWidth) {
		t.Errorf("k=0: %v", err)
	}
}

// A restarted session asks exactly the cells not yet verified, and the
// snapshot round-trips byte for byte.
func TestSessionRestoreAsksRemaining(t *testing.T) {
	cfg := testConfig()
	cfg.MaxInFlight = 100
	cells, _ := SelectCells(seeded(11), 16, 30)
	s := mustSession(t, 16, cells, cfg)
	asked := s.Next(100)
	var verified []Cell
	for i, c := range asked {
		switch i % 3 {
		case 0:
			verified = append(verified, c)
			if err := s.Verified(c); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := s.Failed(c, FailureMissing); err != nil {
				t.Fatal(err)
			}
		} // case 2: still in flight when the node dies
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r, err := RestoreSession(b, cfg, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Height() != 9 || r.Width() != 16 || !slices.Equal(r.Cells(), s.Cells()) {
		t.Fatalf("restored %d/%d %v, want 9/16 %v", r.Height(), r.Width(), r.Cells(), s.Cells())
	}
	var want []Cell
	for _, c := range cells {
		if !slices.Contains(verified, c) {
			want = append(want, c)
		}
	}
	if got := r.Next(100); !slices.Equal(got, want) {
		t.Fatalf("restored session asks %v, want the unverified %v", got, want)
	}
	if r.Deadline() != t0.Add(time.Hour+cfg.SessionTimeout) {
		t.Errorf("restored deadline %v", r.Deadline())
	}
	b2, _ := r.MarshalBinary()
	if string(b2) != string(b) {
		t.Error("snapshot of the restored session differs")
	}
}

// Property: over random sequences of events, a session never hands out a
// cell it did not choose, never hands out a cell in flight or verified,
// never changes its cells, and its verdict matches a simple model; a
// restart at any point resumes with the same cells.
func TestSessionProperty(t *testing.T) {
	r := seeded(2024)
	for trial := range 500 {
		k := 1 << r.IntN(6)
		cfg := testConfig()
		cfg.MaxAttempts = 1 + r.IntN(4)
		cfg.MaxInFlight = 1 + r.IntN(8)
		cells, _ := SelectCells(r, k, 1+r.IntN(min(40, cellCount(k))))
		now := t0
		s := mustSession(t, k, cells, cfg)
		orig := slices.Clone(s.Cells())
		inFlight := map[Cell]bool{}
		verified := map[Cell]bool{}
		fails := map[Cell]int{}
		gaveUp := false
		deadline := now.Add(cfg.SessionTimeout)
		for step := 0; step < 200; step++ {
			switch op := r.IntN(10); {
			case op < 4:
				got := s.Next(r.IntN(5))
				if len(got) > 0 && (gaveUp || len(verified) == len(orig)) {
					t.Fatalf("trial %d: Next after the verdict gave %v", trial, got)
				}
				for _, c := range got {
					if !slices.Contains(orig, c) || inFlight[c] || verified[c] {
						t.Fatalf("trial %d: Next gave %v (chosen %v, in flight %v, verified %v)",
							trial, c, slices.Contains(orig, c), inFlight[c], verified[c])
					}
					inFlight[c] = true
				}
				if len(inFlight) > cfg.MaxInFlight {
					t.Fatalf("trial %d: %d in flight > %d", trial, len(inFlight), cfg.MaxInFlight)
				}
			case op < 6 || op == 6 && len(inFlight) > 0:
				for c := range inFlight {
					if r.IntN(2) == 0 {
						delete(inFlight, c)
						verified[c] = true
						if err := s.Verified(c); err != nil {
							t.Fatal(err)
						}
					} else {
						delete(inFlight, c)
						fails[c]++
						if fails[c] >= cfg.MaxAttempts {
							gaveUp = true
						}
						if err := s.Failed(c, Failure(1+r.IntN(3))); err != nil {
							t.Fatal(err)
						}
					}
					break
				}
			case op == 7:
				now = now.Add(time.Duration(r.IntN(20)) * time.Second)
				s.Tick(now)
				if !now.Before(deadline) {
					gaveUp = true
				}
			case op == 8 && s.Verdict() == StatusUnavailable:
				if err := s.Retry(now); err != nil {
					t.Fatal(err)
				}
				gaveUp, deadline = false, now.Add(cfg.SessionTimeout)
				clear(fails)
				clear(inFlight)
			case op == 9 && r.IntN(4) == 0: // restart
				b, _ := s.MarshalBinary()
				var err error
				if s, err = RestoreSession(b, cfg, now); err != nil {
					t.Fatal(err)
				}
				clear(inFlight)
				clear(fails)
				gaveUp, deadline = false, now.Add(cfg.SessionTimeout)
			}
			if !slices.Equal(s.Cells(), orig) {
				t.Fatalf("trial %d: cells changed to %v", trial, s.Cells())
			}
			want := StatusSampling
			switch {
			case len(verified) == len(orig):
				want = StatusAvailable
			case gaveUp:
				want = StatusUnavailable
			}
			if s.Verdict() != want {
				t.Fatalf("trial %d step %d: verdict %v, model %v", trial, step, s.Verdict(), want)
			}
			if p := s.Progress(); p.Verified != len(verified) || p.InFlight != len(inFlight) {
				t.Fatalf("trial %d: progress %+v, model %d verified %d in flight", trial, p, len(verified), len(inFlight))
			}
		}
	}
}
