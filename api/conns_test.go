package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
)

// These tests run the real server (Serve) on loopback and talk to it
// over raw TCP, as slow or greedy clients would.

// serveReal serves s on a loopback port until the test ends.
func serveReal(t *testing.T, cfg Config, svc Services) string {
	t.Helper()
	s, err := New(cfg, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// dialFrom opens a TCP connection to addr from the loopback address src
// (127.0.0.x), so one test can be several clients.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAnswer reads one HTTP answer off c, waiting at most wait.
func readAnswer(t *testing.T, c net.Conn, wait time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// closedWithin reports whether the server closes c (EOF or reset) within
// wait, discarding whatever it sends first.
func closedWithin(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not an error body: %q", body)
	}
	return e.Error.Code
}

// slowConfig shortens the grace so tests run in seconds.
func slowConfig() Config {
	cfg := DefaultConfig()
	cfg.TransferGrace = 500 * time.Millisecond
	cfg.MinTransferRate = 1000
	return cfg
}

// A client that sends its body at 20 bytes a second is cut off once the
// grace is over and it is below the minimum rate; it holds nothing after.
func TestSlowBodyIsCut(t *testing.T) {
	addr := serveReal(t, slowConfig(), allServices(newChain(t)))
	for path, prefix := range map[string]string{"/put": "", "/v1/blobs": `{"blobs":[{"namespace":"74617274616e2d746573","data":"`} {
		c := dialFrom(t, "127.0.0.1", addr)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: tartan\r\nContent-Length: 100000\r\n\r\n%s", path, prefix)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // 1 byte every 50 ms until the server hangs up
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte("A")); err != nil {
					return
				}
			}
		})
		start := time.Now()
		resp, body, err := readAnswer(t, c, 5*time.Second)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("POST %s trickled at 20 B/s: no answer within 5 s (%v): the connection is held", path, err)
		}
		if took := time.Since(start); resp.StatusCode != http.StatusRequestTimeout || errorCode(t, body) != "body_too_slow" || took > 3*time.Second {
			t.Fatalf("POST %s trickled at 20 B/s: %d %s after %s, want 408 body_too_slow after about 0.5 s", path, resp.StatusCode, body, took)
		}
		if !closedWithin(c, 2*time.Second) {
			t.Fatalf("POST %s: the connection stays open after the answer", path)
		}
	}
}

// A body that takes longer than the grace but comes faster than the
// minimum rate is read whole.
func TestSteadyBodyLongerThanTheGraceIsRead(t *testing.T) {
	addr := serveReal(t, slowConfig(), allServices(newChain(t)))
	c := dialFrom(t, "127.0.0.1", addr)
	const size = 12000 // 2 s at 6 kB/s, six times the minimum rate
	fmt.Fprintf(c, "POST /put HTTP/1.1\r\nHost: tartan\r\nContent-Length: %d\r\n\r\n", size)
	for sent := 0; sent < size; sent += 600 {
		if _, err := c.Write([]byte(strings.Repeat("x", 600))); err != nil {
			t.Fatalf("after %d bytes: %v", sent, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, body, err := readAnswer(t, c, 5*time.Second)
	if err != nil || resp.StatusCode != 200 || len(body) != AltDACommitmentSize {
		t.Fatalf("steady upload: %v %v %q", err, resp, body)
	}
}

// Past the per-client and the total caps, a connection is answered 503
// too_many_connections and closed; idle connections are dropped once
// the header timeout passes, and their slots are free again.
func TestConnectionCaps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxConnsPerClient = 6, 3
	// Long enough that no idle connection is dropped while the 7th is
	// tried on a busy machine.
	cfg.ReadHeaderTimeout = 4 * time.Second
	addr := serveReal(t, cfg, allServices(newChain(t)))
	health := func(src string) (int, string) {
		t.Helper()
		c := dialFrom(t, src, addr)
		fmt.Fprint(c, "GET /health HTTP/1.1\r\nHost: tartan\r\nConnection: close\r\n\r\n")
		resp, body, err := readAnswer(t, c, 5*time.Second)
		if err != nil {
			t.Fatalf("GET /health from %s: %v", src, err)
		}
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
		if resp.StatusCode != 200 {
			return resp.StatusCode, errorCode(t, body)
		}
		return resp.StatusCode, ""
	}
	var idle []net.Conn
	for range 3 {
		idle = append(idle, dialFrom(t, "127.0.0.1", addr))
	}
	// The server counts a connection once it accepts it, which a busy
	// machine may do a while after the dial: ask until it has.
	refused := func(src string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			status, code := health(src)
			if status != 200 || time.Now().After(deadline) {
				return status, code
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if status, code := refused("127.0.0.1"); status != 503 || code != "too_many_connections" {
		t.Fatalf("a 4th connection from one client: %d %s, want 503 too_many_connections", status, code)
	}
	if status, _ := health("127.0.0.2"); status != 200 {
		t.Fatalf("another client is refused: %d", status)
	}
	for range 3 {
		idle = append(idle, dialFrom(t, "127.0.0.2", addr))
	}
	if status, code := refused("127.0.0.3"); status != 503 || code != "too_many_connections" {
		t.Fatalf("a 7th connection in all: %d %s, want 503 too_many_connections", status, code)
	}
	// The idle ones never sent a header: the server drops them.
	for i, c := range idle {
		if !closedWithin(c, 6*time.Second) {
			t.Fatalf("idle connection %d is still open after the header timeout", i)
		}
	}
	if status, _ := health("127.0.0.3"); status != 200 {
		t.Fatalf("after the idle ones were dropped: %d", status)
	}
	if status, _ := health("127.0.0.1"); status != 200 {
		t.Fatalf("the first client after its idle connections were dropped: %d", status)
	}
}

// A kept-alive connection that sends nothing more is closed after the
// idle timeout.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IdleTimeout = 300 * time.Millisecond
	addr := serveReal(t, cfg, allServices(newChain(t)))
	c := dialFrom(t, "127.0.0.1", addr)
	fmt.Fprint(c, "GET /health HTTP/1.1\r\nHost: tartan\r\n\r\n")
	if resp, _, err := readAnswer(t, c, 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	if !closedWithin(c, 3*time.Second) {
		t.Fatal("an idle kept-alive connection is held open")
	}
}

// floodEvents sends events as fast as the stream takes them and says when
// the stream is gone.
type floodEvents struct {
	fixedSummary
	ended chan struct{}
}

func (f *floodEvents) Events(ctx context.Context, from uint64, _ map[string]bool) (<-chan Event, error) {
	ch := make(chan Event)
	go func() {
		defer close(f.ended)
		defer close(ch)
		pad := strings.Repeat("x", 900)
		for h := from; ; h++ {
			select {
			case ch <- Event{Type: EventHeader, Height: h, Data: map[string]string{"pad": pad}}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// fixedSummary answers the availability routes with nothing.
type fixedSummary struct{}

func (fixedSummary) Availability(context.Context, uint64) (HeightAvailability, error) {
	return HeightAvailability{}, ErrNotFound
}

func (fixedSummary) Summary(context.Context) (AvailabilitySummary, error) {
	return AvailabilitySummary{}, nil
}

// An event stream whose client stops reading is ended once the server's
// writes have waited past the grace, instead of holding a goroutine and
// buffers for ever.
func TestStalledEventReaderIsCut(t *testing.T) {
	f := &floodEvents{ended: make(chan struct{})}
	addr := serveReal(t, slowConfig(), Services{Availability: f})
	c := dialFrom(t, "127.0.0.1", addr)
	c.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprint(c, "GET /v1/events?from=1 HTTP/1.1\r\nHost: tartan\r\n\r\n")
	// Read nothing: the kernel's buffers fill, then the server's writes
	// block.
	select {
	case <-f.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream to a client that reads nothing is still running after 10 s")
	}
}

// slowBlobs includes a submission after a while, like a node waiting for
// its block.
type slowBlobs struct {
	*chain
	wait time.Duration
}

func (b slowBlobs) Submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	select {
	case <-time.After(b.wait):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return b.chain.Submit(ctx, blobs)
}

// slowEvents sends one event after a while.
type slowEvents struct {
	fixedSummary
	wait time.Duration
}

func (e slowEvents) Events(ctx context.Context, from uint64, _ map[string]bool) (<-chan Event, error) {
	ch := make(chan Event, 1)
	go func() {
		defer close(ch)
		select {
		case <-time.After(e.wait):
			ch <- Event{Type: EventHeader, Height: from}
			<-ctx.Done()
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// Answers that wait (a submission until its block, an event stream until
// the next event) outlive the grace and the idle timeout: only transfers
// are timed, not waiting.
func TestWaitingAnswersOutliveTheTimeouts(t *testing.T) {
	cfg := slowConfig()
	cfg.TransferGrace, cfg.IdleTimeout = 200*time.Millisecond, 200*time.Millisecond
	c := newChain(t)
	svc := allServices(c)
	svc.Blobs = slowBlobs{c, 1500 * time.Millisecond}
	svc.Availability = slowEvents{wait: 1500 * time.Millisecond}
	addr := serveReal(t, cfg, svc)
	base := "http://" + addr

	var res SubmitResult
	if code, _ := call(t, "POST", base+"/v1/blobs", submitBody([2]string{"74617274616e2d746573", "late"}), &res); code != 200 || res.Height == 0 {
		t.Fatalf("a submission answered after 1.5 s: %d %+v", code, res)
	}
	resp, err := http.Post(base+"/put", "application/octet-stream", strings.NewReader("late batch"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != AltDACommitmentSize {
		t.Fatalf("a put answered after 1.5 s: %d %q", resp.StatusCode, body)
	}
	s := openStream(t, base+"/v1/events?from=5", "")
	if ev, ok := s.next(t); !ok || ev.event != EventHeader {
		t.Fatalf("an event after 1.5 s of silence: %+v %v", ev, ok)
	}
}

func TestConnLimitsValidated(t *testing.T) {
	for _, edit := range []func(*Config){
		func(c *Config) { c.MaxConns = 0 },
		func(c *Config) { c.MaxConnsPerClient = 0 },
		func(c *Config) { c.MaxConnsPerClient = c.MaxConns + 1 },
		func(c *Config) { c.TransferGrace = 0 },
		func(c *Config) { c.MinTransferRate = 0 },
		func(c *Config) { c.ReadHeaderTimeout = 0 },
		func(c *Config) { c.IdleTimeout = -1 },
	} {
		cfg := DefaultConfig()
		edit(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v validates", cfg)
		}
	}
}
