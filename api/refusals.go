package api

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// refusalLogEvery is the most often refused submissions are logged: a
// client retrying in a loop must not flood the log.
const refusalLogEvery = 10 * time.Second

// refusals counts the submissions the API refuses and logs them at info,
// the first at once and then at most one line per refusalLogEvery with
// the count since the previous line and the latest reason.
type refusals struct {
	log   *slog.Logger
	every time.Duration

	mu     sync.Mutex
	count  int
	codes  map[string]int
	last   string
	logged time.Time
}

func newRefusals(log *slog.Logger) *refusals {
	return &refusals{log: log, every: refusalLogEvery, codes: map[string]int{}}
}

// add counts a refused submission answered with err.
func (r *refusals) add(err error) {
	status, code := classify(err)
	if status < 400 || status == http.StatusGatewayTimeout {
		return // a timeout is a submission still pending, not refused
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	r.codes[code]++
	r.last = code + ": " + message(err)
	if now.Sub(r.logged) >= r.every {
		r.flushLocked(now)
	}
}

// flush logs what was counted since the last line (at shutdown).
func (r *refusals) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked(time.Now())
}

func (r *refusals) flushLocked(now time.Time) {
	if r.count == 0 {
		return
	}
	args := []any{"count", r.count, "last", clip(r.last, 300)}
	for code, n := range r.codes {
		args = append(args, code, n)
	}
	r.log.Info("submissions refused", args...)
	r.count, r.logged = 0, now
	clear(r.codes)
}

// refuse answers a refused submission with err and counts it.
func (s *Server) refuse(w http.ResponseWriter, err error) {
	s.refusals.add(err)
	writeError(w, err)
}
