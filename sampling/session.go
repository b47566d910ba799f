package sampling

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Failure says why a cell request did not yield a verified sample. Every
// failure counts as one attempt at that cell; the reason is kept for
// diagnostics, and node decides from it whether to penalise the peer.
type Failure uint8

const (
	// FailureMissing: the peer answered that it lacks the share.
	FailureMissing Failure = iota + 1
	// FailureInvalid: the answer was malformed or its proof did not
	// verify against the data root.
	FailureInvalid
	// FailureTimeout: no answer before the request's deadline, or the
	// peer went away.
	FailureTimeout
	numFailures
)

func (f Failure) String() string {
	switch f {
	case FailureMissing:
		return "missing"
	case FailureInvalid:
		return "invalid"
	case FailureTimeout:
		return "timeout"
	}
	return fmt.Sprintf("Failure(%d)", uint8(f))
}

type cellState uint8

const (
	cellIdle     cellState = iota // to be asked
	cellInFlight                  // handed out by Next, no result yet
	cellVerified                  // verified against the data root
)

// Session samples one height: its cells are fixed when it is made and never
// change (DESIGN.md §7: a retry re-asks the same cells, never re-rolls).
//
// The caller drives it: Next says which cells to request, Verified and
// Failed report each result, Tick passes the time. Within a round, a cell
// Next hands out is not handed out again until it comes back through
// Verified or Failed. The verdict is
//
//   - StatusSampling while cells remain unverified and the round goes on;
//   - StatusAvailable once every cell has been verified (at any point,
//     even after an unavailable verdict: a late answer still counts);
//   - StatusUnavailable when, in the current round, one cell has failed
//     Config.MaxAttempts times or the round's deadline has passed with
//     cells unverified. Next then hands out nothing until Retry starts a
//     new round over the same cells; verified cells stay verified.
//
// Persist MarshalBinary before the first request and whenever convenient
// after; RestoreSession resumes with exactly the unverified cells.
//
// A Session is not safe for concurrent use; node serialises calls to it.
type Session struct {
	height   uint64
	k        int
	empty    bool
	cells    []Cell      // sorted row-major, distinct; never changes
	state    []cellState // per cell
	fails    []uint16    // failures per cell this round
	verified int
	inFlight int

	maxAttempts int
	maxInFlight int
	timeout     time.Duration
	deadline    time.Time // zero: no deadline
	gaveUp      error     // why this round is unavailable, or nil

	failures [numFailures]int // failures by reason over the session's life
}

// NewSession makes the session of height for a square of width k over the
// given cells, as chosen by SelectCells or read back from storage. The
// cells must be non-empty, distinct and inside the 2k×2k square; the
// session keeps its own sorted copy. Its first round starts at now.
func NewSession(height uint64, k int, cells []Cell, cfg Config, now time.Time) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if k < 1 || k > MaxWidth {
		return nil, fmt.Errorf("%w: k = %d, want 1 to %d", ErrWidth, k, MaxWidth)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("%w: no cells (an empty block needs NewEmptySession)", ErrCells)
	}
	if len(cells) > cellCount(k) {
		return nil, fmt.Errorf("%w: %d cells in a square of %d", ErrCells, len(cells), cellCount(k))
	}
	own := slices.Clone(cells)
	slices.SortFunc(own, Cell.compare)
	for i, c := range own {
		if int(c.Row) >= 2*k || int(c.Col) >= 2*k {
			return nil, fmt.Errorf("%w: cell %v outside a %d×%d square", ErrCells, c, 2*k, 2*k)
		}
		if i > 0 && own[i-1] == c {
			return nil, fmt.Errorf("%w: cell %v twice", ErrCells, c)
		}
	}
	return newSession(height, k, own, cfg, now), nil
}

// newSession builds a session over cells already checked and sorted.
func newSession(height uint64, k int, cells []Cell, cfg Config, now time.Time) *Session {
	s := &Session{
		height:      height,
		k:           k,
		cells:       cells,
		state:       make([]cellState, len(cells)),
		fails:       make([]uint16, len(cells)),
		maxAttempts: cfg.MaxAttempts,
		maxInFlight: cfg.MaxInFlight,
		timeout:     cfg.SessionTimeout,
	}
	s.startRound(now)
	return s
}

// StartSession draws SampleCount(k, cfg) cells from r and makes the
// session over them. Persist its MarshalBinary before the first Next so a
// restart asks the same cells.
func StartSession(r *rand.Rand, height uint64, k int, cfg Config, now time.Time) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cells, err := SelectCells(r, k, SampleCount(k, cfg))
	if err != nil {
		return nil, err
	}
	return NewSession(height, k, cells, cfg, now)
}

// NewEmptySession is the session of an empty block (width 1 and the
// empty-square data root, which node recognises): available at once,
// with no cells to sample.
func NewEmptySession(height uint64) *Session {
	return &Session{height: height, k: 1, empty: true}
}

func (s *Session) startRound(now time.Time) {
	clear(s.fails)
	s.gaveUp = nil
	s.deadline = time.Time{}
	if s.timeout > 0 {
		s.deadline = now.Add(s.timeout)
	}
}

// Height is the height the session samples.
func (s *Session) Height() uint64 { return s.height }

// Width is k, the original square width.
func (s *Session) Width() int { return s.k }

// Empty reports whether this is an empty block's session.
func (s *Session) Empty() bool { return s.empty }

// Cells returns the session's cells, sorted row-major. The slice is the
// session's own: do not modify it.
func (s *Session) Cells() []Cell { return s.cells }

// CellsVerified reports, for each cell of Cells in order, whether it has
// been verified; the slice is the caller's.
func (s *Session) CellsVerified() []bool {
	out := make([]bool, len(s.cells))
	for i, st := range s.state {
		out[i] = st == cellVerified
	}
	return out
}

// Deadline is when the current round ends, zero if it has none.
func (s *Session) Deadline() time.Time { return s.deadline }

// Next marks up to max idle cells as in flight and returns them for the
// caller to request (a fresh slice the caller owns). It never returns a
// cell that is in flight or verified, never more than Config.MaxInFlight
// outstanding, and nothing once the verdict is not StatusSampling.
func (s *Session) Next(max int) []Cell {
	max = min(max, s.maxInFlight-s.inFlight)
	if max <= 0 || s.Verdict() != StatusSampling {
		return nil
	}
	out := make([]Cell, 0, min(max, len(s.cells)-s.verified-s.inFlight))
	for i := range s.cells {
		if len(out) == max {
			break
		}
		if s.state[i] == cellIdle {
			s.state[i] = cellInFlight
			s.inFlight++
			out = append(out, s.cells[i])
		}
	}
	return out
}

func (s *Session) find(c Cell) (int, error) {
	i, ok := slices.BinarySearchFunc(s.cells, c, Cell.compare)
	if !ok {
		return 0, fmt.Errorf("%w: %v at height %d", ErrUnknownCell, c, s.height)
	}
	return i, nil
}

// Verified records that c was fetched and verified against the data root.
// It counts whether or not c was in flight (a late answer is still an
// answer) and is idempotent.
func (s *Session) Verified(c Cell) error {
	i, err := s.find(c)
	if err != nil {
		return err
	}
	switch s.state[i] {
	case cellVerified:
		return nil
	case cellInFlight:
		s.inFlight--
	}
	s.state[i] = cellVerified
	s.verified++
	return nil
}

// Failed records that the request for c, handed out by Next, did not yield
// a verified sample. c goes back to be asked again (from another peer, as
// node chooses); it is never replaced by another cell. When c has now
// failed Config.MaxAttempts times this round, the session is unavailable.
func (s *Session) Failed(c Cell, why Failure) error {
	i, err := s.find(c)
	if err != nil {
		return err
	}
	if s.state[i] != cellInFlight {
		return fmt.Errorf("%w: %v at height %d", ErrNotInFlight, c, s.height)
	}
	s.state[i] = cellIdle
	s.inFlight--
	if why < numFailures {
		s.failures[why]++
	}
	if s.fails[i] < ^uint16(0) {
		s.fails[i]++
	}
	if int(s.fails[i]) >= s.maxAttempts && s.gaveUp == nil {
		s.gaveUp = fmt.Errorf("%w: %v at height %d failed %d times (last: %v)",
			ErrUnobtainable, c, s.height, s.fails[i], why)
	}
	return nil
}

// Tick passes the time in: once the round's deadline has passed with
// cells unverified, the session is unavailable. It returns the verdict.
func (s *Session) Tick(now time.Time) Status {
	if s.gaveUp == nil && !s.complete() && !s.deadline.IsZero() && !now.Before(s.deadline) {
		s.gaveUp = fmt.Errorf("%w: height %d, %d of %d cells verified by %v",
			ErrDeadline, s.height, s.verified, len(s.cells), s.deadline)
	}
	return s.Verdict()
}

func (s *Session) complete() bool { return s.empty || s.verified == len(s.cells) }

// Verdict is StatusAvailable, StatusUnavailable or StatusSampling, as the
// Session documentation describes.
func (s *Session) Verdict() Status {
	switch {
	case s.complete():
		return StatusAvailable
	case s.gaveUp != nil:
		return StatusUnavailable
	}
	return StatusSampling
}

// Err says why the session is unavailable (wrapping ErrUnobtainable or
// ErrDeadline), or nil when it is not.
func (s *Session) Err() error {
	if s.complete() {
		return nil
	}
	return s.gaveUp
}

// Retry starts a new round of an unavailable session at now: attempt
// counts and the deadline reset, verified cells stay verified, and the
// rest — the same cells, never new ones — are to be asked again. Requests
// still out from the previous round are abandoned: their cells are asked
// afresh; a late Verified for them still counts, a late Failed is refused
// with ErrNotInFlight. Restoring from a snapshot gives the same state.
func (s *Session) Retry(now time.Time) error {
	if s.Verdict() != StatusUnavailable {
		return fmt.Errorf("%w: height %d is %v", ErrNotUnavailable, s.height, s.Verdict())
	}
	for i, st := range s.state {
		if st == cellInFlight {
			s.state[i] = cellIdle
		}
	}
	s.inFlight = 0
	s.startRound(now)
	return nil
}

// Progress counts a session's cells and failures, for the API's
// "samples":{"requested":s,"verified":v} and for metrics.
type Progress struct {
	Requested int // s, the session's cells
	Verified  int
	InFlight  int
	// Missing, Invalid and Timeout count failures by reason over the
	// session's life (not persisted).
	Missing, Invalid, Timeout int
}

// Progress reports the session's counts.
func (s *Session) Progress() Progress {
	return Progress{
		Requested: len(s.cells),
		Verified:  s.verified,
		InFlight:  s.inFlight,
		Missing:   s.failures[FailureMissing],
		Invalid:   s.failures[FailureInvalid],
		Timeout:   s.failures[FailureTimeout],
	}
}

// Assurance is what the API reports about the session's confidence.
func (s *Session) Assurance() Assurance {
	if s.empty {
		return Assurance{Width: s.k, Bound: BoundEmpty, Confidence: 1}
	}
	return AssuranceFor(s.k, len(s.cells))
}
