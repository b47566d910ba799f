package sampling

import "errors"

// Sentinel errors. Each is wrapped with the details of the failure; test
// with errors.Is.
var (
	// ErrConfig: a Config field is out of range. Fix the configuration.
	ErrConfig = errors.New("sampling: invalid config")
	// ErrWidth: a square width k outside [1, MaxWidth]. The header that
	// carried it should have been rejected before sampling.
	ErrWidth = errors.New("sampling: square width out of range")
	// ErrCells: a cell set that cannot be sampled: empty, out of the
	// square, repeated, or larger than the square.
	ErrCells = errors.New("sampling: invalid cell set")
	// ErrUnknownCell: a result for a cell the session never chose.
	// The result is ignored; the caller has mixed up sessions.
	ErrUnknownCell = errors.New("sampling: cell not in session")
	// ErrNotInFlight: a failure reported for a cell that has no request
	// out (already verified, or reported twice). It is not counted.
	ErrNotInFlight = errors.New("sampling: cell not in flight")
	// ErrSnapshot: persisted session bytes that do not decode. The
	// stored checkpoint is corrupt; start the height afresh.
	ErrSnapshot = errors.New("sampling: malformed session snapshot")
	// ErrUnobtainable: the verdict cause when one cell failed
	// Config.MaxAttempts times in a round. Retry later with backoff.
	ErrUnobtainable = errors.New("sampling: cell could not be obtained")
	// ErrDeadline: the verdict cause when a round passed
	// Config.SessionTimeout with cells still unverified. Retry later.
	ErrDeadline = errors.New("sampling: session deadline passed")
	// ErrNotUnavailable: Retry on a session whose verdict is not
	// unavailable; only an unavailable session is retried.
	ErrNotUnavailable = errors.New("sampling: session is not unavailable")
	// ErrHeight: a height outside what the scheduler tracks (above the
	// network head, or below the floor, i.e. pruned).
	ErrHeight = errors.New("sampling: height out of range")
	// ErrStatus: a status that does not fit the call (a verdict must be
	// available, unavailable or fraud), or an unknown status string.
	ErrStatus = errors.New("sampling: invalid status")
)
