package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"
)

// What one client can hold of a node's API, and for how long:
//
//   - connections: at most Config.MaxConns open, Config.MaxConnsPerClient
//     from one address (connLimiter);
//   - a request's header: Config.ReadHeaderTimeout; the wait for the next
//     request on a kept-alive connection: Config.IdleTimeout;
//   - a request's body and an answer: Config.MinTransferRate bytes a
//     second once Config.TransferGrace has passed (timeTransfers).
//
// Only transfers are timed, never waiting: a submission may wait minutes
// for its block, and the event stream for its next event, without a
// deadline on the connection, because a read deadline that passes while
// the handler waits would cancel the request (net/http treats it as the
// client gone) and a write deadline would kill the next write. So the
// deadlines are set per request and per write through
// http.ResponseController instead of on the http.Server.

// connLimiter is a listener that keeps at most max connections open, and
// perClient from one client (clientKey). A connection over either limit
// is answered 503 too_many_connections and closed at once, so refusing
// costs no goroutine and no buffers.
type connLimiter struct {
	net.Listener
	max, perClient int
	// refuseTotal and refusePerClient are the whole HTTP answers to send.
	refuseTotal, refusePerClient []byte
	metrics                      *Metrics
	log                          *slog.Logger

	mu       sync.Mutex // guards open and byClient
	open     int
	byClient map[netip.Addr]int
}

func newConnLimiter(ln net.Listener, max, perClient int, m *Metrics, log *slog.Logger) *connLimiter {
	return &connLimiter{
		Listener: ln, max: max, perClient: perClient, metrics: m, log: log,
		refuseTotal: cannedError(&httpError{status: http.StatusServiceUnavailable, code: "too_many_connections",
			err: fmt.Errorf("this node has %d API connections open, its limit; retry in a moment", max)}),
		refusePerClient: cannedError(&httpError{status: http.StatusServiceUnavailable, code: "too_many_connections",
			err: fmt.Errorf("your address has %d connections open to this node, the limit for one client; reuse connections (keep-alive) or close some", perClient)}),
		byClient: map[netip.Addr]int{},
	}
}

// cannedError is he as a whole HTTP/1.1 answer that closes the
// connection.
func cannedError(he *httpError) []byte {
	body, _ := json.Marshal(errorBody{Error{Code: he.code, Message: message(he)}})
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nRetry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s\n",
		he.status, http.StatusText(he.status), int(retryAfter/time.Second), len(body)+1, body)
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(c.RemoteAddr())
		l.mu.Lock()
		refusal, reason := []byte(nil), ""
		switch {
		case l.open >= l.max:
			refusal, reason = l.refuseTotal, "total"
		case l.byClient[key] >= l.perClient:
			refusal, reason = l.refusePerClient, "per_client"
		default:
			l.open++
			l.byClient[key]++
		}
		l.mu.Unlock()
		if refusal == nil {
			l.metrics.connsOpen.Inc()
			return &limitedConn{Conn: c, l: l, key: key}, nil
		}
		// Counted first, so that a client that sees the refusal finds it
		// in the metrics.
		l.metrics.connsRefused.WithLabelValues(reason).Inc()
		// A fresh socket's send buffer is empty: the write does not
		// block. The deadline is there in case it ever would.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(refusal)
		_ = c.Close()
		l.log.Debug("API connection refused", "limit", reason, "client", key)
	}
}

func (l *connLimiter) release(key netip.Addr) {
	l.metrics.connsOpen.Dec()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byClient[key]--; l.byClient[key] <= 0 {
		delete(l.byClient, key)
	}
}

// limitedConn gives its slot back when closed (net/http may close twice).
type limitedConn struct {
	net.Conn
	l    *connLimiter
	key  netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

// clientKey is who a connection counts against: its IPv4 address, or its
// IPv6 /64 (one subscriber's network, which hands out addresses freely).
func clientKey(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{} // not TCP/IP: all such connections are one client
	}
	ip := ap.Addr().Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// timeTransfers sets the deadlines that bound how slowly a client may
// send its body or take its answer (see the top of this file).
func (s *Server) timeTransfers(next http.Handler) http.Handler {
	grace, rate := s.cfg.TransferGrace, s.cfg.MinTransferRate
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		tw := &timedWriter{ResponseWriter: w, rc: rc, grace: grace, rate: rate}
		// The previous request's last deadline may have passed while the
		// connection sat idle; net/http may write (100 Continue) before
		// the handler does.
		tw.arm(0)
		if r.Body != nil && r.Body != http.NoBody {
			tb := &timedBody{ReadCloser: r.Body, rc: rc, start: time.Now(), grace: grace, rate: rate}
			tb.extend()
			r.Body = tb
		}
		next.ServeHTTP(tw, r)
		tw.arm(0) // for the final flush, whenever the handler wrote last
	})
}

// transferTime is how long n bytes may take at rate bytes per second.
func transferTime(n, rate int64) time.Duration {
	return time.Duration(float64(n) / float64(rate) * float64(time.Second))
}

// timedBody is a request body that must keep arriving: all of it by
// start + grace + (bytes read so far)/rate. It clears the deadline once
// the body is read, so a handler may then wait as long as it needs.
type timedBody struct {
	io.ReadCloser
	rc          *http.ResponseController
	start       time.Time
	grace       time.Duration
	rate        int64
	read        int64
	deadline    time.Time
	unsupported bool // the connection has no deadlines (not net/http's)
}

func (b *timedBody) extend() {
	if b.unsupported {
		return
	}
	d := b.start.Add(b.grace + transferTime(b.read, b.rate))
	if d.Sub(b.deadline) < 10*time.Millisecond {
		return // not worth a timer update
	}
	b.deadline = d
	if err := b.rc.SetReadDeadline(d); errors.Is(err, http.ErrNotSupported) {
		b.unsupported = true
	}
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case err == nil:
		b.extend()
	case errors.Is(err, io.EOF):
		if !b.unsupported {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = &httpError{status: http.StatusRequestTimeout, code: "body_too_slow",
			err: fmt.Errorf("request body: %d bytes arrived in %s, slower than this node's minimum of %d bytes/s", b.read, time.Since(b.start).Round(time.Millisecond), b.rate)}
	}
	return n, err
}

// timedWriter gives each write of an answer grace plus the time its bytes
// take at the minimum rate, so a client that stops reading is dropped
// instead of blocking the handler for ever.
type timedWriter struct {
	http.ResponseWriter
	rc          *http.ResponseController
	grace       time.Duration
	rate        int64
	unsupported bool
}

func (w *timedWriter) arm(n int) {
	if w.unsupported {
		return
	}
	if err := w.rc.SetWriteDeadline(time.Now().Add(w.grace + transferTime(int64(n), w.rate))); errors.Is(err, http.ErrNotSupported) {
		w.unsupported = true
	}
}

func (w *timedWriter) WriteHeader(code int) {
	w.arm(0)
	w.ResponseWriter.WriteHeader(code)
}

func (w *timedWriter) Write(p []byte) (int, error) {
	w.arm(len(p))
	return w.ResponseWriter.Write(p)
}

// FlushError sends what is buffered; the buffer is small, so grace is
// time enough.
func (w *timedWriter) FlushError() error {
	w.arm(0)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *timedWriter) Flush() { _ = w.FlushError() }

func (w *timedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
