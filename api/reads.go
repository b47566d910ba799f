package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Blob reads are coalesced and their memory bounded. A burst of the same
// GET (a rollup's followers all reading the newest batch) is one fetch,
// one parse and one JSON encoding whose bytes every request of the burst
// is answered with; and the answers held in memory at once are bounded in
// bytes (Config.ReadBytesInFlight), so that bursts of different reads wait
// their turn instead of growing the process.

// readReserve is what a read holds of the byte budget while it computes
// its answer, before its size is known: it bounds the reads computed at
// once to ReadBytesInFlight/readReserve.
const readReserve = 8 << 20

// readTimeout bounds a shared read's computation, which no single client's
// departure may cancel.
const readTimeout = 2 * time.Minute

// reads coalesces identical GETs in flight.
type reads struct {
	budget *semaphore.Weighted
	max    int64

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is one computed answer and the requests it answers.
type flight struct {
	done    chan struct{} // closed when resp is set
	resp    *bufferedAnswer
	weight  int64 // bytes held of the budget until the last waiter leaves
	waiters int   // guarded by reads.mu
}

func newReads(budget int64) *reads {
	return &reads{budget: semaphore.NewWeighted(budget), max: budget, flights: map[string]*flight{}}
}

// coalesce wraps a read handler whose answer depends only on the request's
// path and query.
func (rs *reads) coalesce(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.RequestURI()
		rs.mu.Lock()
		f, joined := rs.flights[key]
		if !joined {
			f = &flight{done: make(chan struct{})}
			rs.flights[key] = f
		}
		f.waiters++
		rs.mu.Unlock()
		defer rs.leave(key, f)
		if !joined {
			rs.compute(r, h, f)
		}
		select {
		case <-f.done:
		case <-r.Context().Done():
			return // the client left; the answer is the others'
		}
		f.resp.replay(w)
	}
}

// compute runs h once for every waiter of f, on a context no client's
// departure cancels, and takes the answer's bytes from the budget.
func (rs *reads) compute(r *http.Request, h http.HandlerFunc, f *flight) {
	defer close(f.done)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), readTimeout)
	defer cancel()
	if err := rs.budget.Acquire(ctx, readReserve); err != nil {
		f.resp = errorAnswer(fmt.Errorf("%w: %d bytes of reads are being answered; retry", ErrUnavailable, rs.max))
		return
	}
	answer := &bufferedAnswer{header: http.Header{}, status: http.StatusOK}
	h(answer, r.WithContext(ctx))
	f.resp = answer
	// Hold the answer's size, not the reserve: take what is missing
	// without holding on while waiting (no two reads wait on each other).
	need := min(int64(answer.body.Len()), rs.max)
	switch {
	case need <= readReserve:
		rs.budget.Release(readReserve - need)
	case rs.budget.TryAcquire(need - readReserve):
	default:
		rs.budget.Release(readReserve)
		if err := rs.budget.Acquire(ctx, need); err != nil {
			f.resp = errorAnswer(fmt.Errorf("%w: %d bytes of reads are being answered; retry", ErrUnavailable, rs.max))
			return
		}
	}
	f.weight = need
}

// leave ends a waiter's part in f; the last one out frees the answer.
func (rs *reads) leave(key string, f *flight) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if f.waiters--; f.waiters > 0 {
		return
	}
	if rs.flights[key] == f {
		delete(rs.flights, key)
	}
	if f.weight > 0 {
		rs.budget.Release(f.weight)
	}
}

// bufferedAnswer is an http.ResponseWriter that keeps the answer to
// replay it to every waiter.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedAnswer) Header() http.Header { return b.header }

func (b *bufferedAnswer) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedAnswer) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// replay writes the answer to w; the body is shared, never modified.
func (b *bufferedAnswer) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = slices.Clone(v)
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// errorAnswer is err in the API's error shape, as an answer to replay.
func errorAnswer(err error) *bufferedAnswer {
	b := &bufferedAnswer{header: http.Header{}, status: http.StatusOK}
	writeError(b, err)
	return b
}
