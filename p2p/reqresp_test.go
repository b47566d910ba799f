package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestReadFrame(t *testing.T) {
	cases := []struct {
		name  string
		in    []byte
		limit int
		want  []byte
		err   error
	}{
		{"empty payload", []byte{0}, 10, []byte{}, nil},
		{"payload", []byte{3, 'a', 'b', 'c', 'x'}, 10, []byte("abc"), nil},
		{"at the limit", appendFrame(nil, make([]byte, 200)), 200, make([]byte, 200), nil},
		{"over the limit", appendFrame(nil, make([]byte, 201)), 200, nil, ErrTooLarge},
		{"huge length", binary.AppendUvarint(nil, 1<<62), 1 << 20, nil, ErrTooLarge},
		{"max uint64 length", binary.AppendUvarint(nil, ^uint64(0)), 1 << 20, nil, ErrTooLarge},
		{"eleven-byte varint", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 10, nil, ErrMalformed},
		{"varint overflow in the tenth byte", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 10, nil, ErrMalformed},
		{"non-minimal length", []byte{0x83, 0x00, 'a', 'b', 'c'}, 10, nil, ErrMalformed},
		{"ends in the length", []byte{0x80}, 10, nil, ErrMalformed},
		{"ends in the payload", []byte{3, 'a'}, 10, nil, ErrMalformed},
		{"nothing", nil, 10, nil, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readFrame(bytes.NewReader(c.in), c.limit)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err == nil && !bytes.Equal(got, c.want) {
				t.Fatalf("payload %q, want %q", got, c.want)
			}
		})
	}
}

// A frame announcing 1 GiB under a 1 GiB limit whose bytes never come must
// not be refused by size, but one announcing more than the limit must be
// refused without allocating: measure the heap.
func TestReadFrameRefusesBeforeAllocating(t *testing.T) {
	in := binary.AppendUvarint(nil, 1<<30)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := readFrame(bytes.NewReader(in), 1<<20)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Fatalf("refusing a 1 GiB frame allocated %d bytes", d)
	}
}

// stuckPair is a server of a protocol whose handler never answers until
// its context ends (the stream deadline or the host closing), with slots
// concurrent streams, and a client connected to it.
func stuckPair(t *testing.T, timeout time.Duration, slots int) (server, client *Host, p Protocol, entered chan struct{}) {
	t.Helper()
	server = newHost(t, testConfig())
	client = newHost(t, testConfig())
	p = Protocol{ID: server.ProtocolID("stuck", "v1"), MaxRequestSize: 16, MaxResponseSize: 16, Timeout: timeout, MaxConcurrent: slots}
	entered = make(chan struct{}, 8)
	server.Handle(p, func(ctx context.Context, _ peer.ID, _ []byte) ([]byte, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	run(t, server)
	run(t, client)
	connect(t, client, server)
	return server, client, p, entered
}

func TestRequestHonoursContext(t *testing.T) {
	server, client, p, entered := stuckPair(t, 30*time.Second, 8)

	// Deadline from ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.Request(ctx, server.ID(), p, []byte("hi"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("returned %v after a 200ms deadline", d)
	}
	<-entered

	// Cancellation mid-request.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := client.Request(ctx, server.ID(), p, []byte("hi"))
		done <- err
	}()
	<-entered // the server is stuck in the handler now
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Request did not return within 2s of its context being cancelled")
	}
	if client.Score(server.ID()) != 0 {
		t.Fatal("a slow server was penalised")
	}
}

func TestRequestProtocolDeadline(t *testing.T) {
	server, client, p, _ := stuckPair(t, 300*time.Millisecond, 8)
	start := time.Now()
	_, err := client.Request(context.Background(), server.ID(), p, []byte("hi"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("returned %v after a 300ms stream deadline", d)
	}
	if client.Score(server.ID()) != 0 {
		t.Fatal("a slow server was penalised")
	}
}

// A requester that opens a stream and never sends is cut off at the
// server's deadline.
func TestServerDeadline(t *testing.T) {
	server, client, p, _ := stuckPair(t, 300*time.Millisecond, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := client.host.NewStream(ctx, server.ID(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	_ = s.SetDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	// Negotiation is lazy: a write makes the server accept the stream.
	if _, err := s.Write([]byte{5}); err != nil { // a length, but no payload
		t.Fatal(err)
	}
	if _, err := io.ReadAll(s); err == nil {
		t.Fatal("server closed the stream cleanly instead of resetting it")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("server held a silent stream for %v with a 300ms deadline", d)
	}
	if server.Score(client.ID()) != 0 {
		t.Fatal("a slow requester was penalised")
	}
}

func TestBusy(t *testing.T) {
	server, client, p, entered := stuckPair(t, 5*time.Second, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := client.Request(ctx, server.ID(), p, []byte("hi"))
		done <- err
	}()
	<-entered // the single slot is taken
	_, err := client.Request(context.Background(), server.ID(), p, []byte("hi"))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second request: %v, want ErrBusy", err)
	}
	cancel()
	<-done
	if client.Score(server.ID()) != 0 {
		t.Fatal("a busy server was penalised")
	}
}

// A handler that released its slot no longer counts against the
// protocol's bound, while it goes on waiting; releasing twice frees one
// slot only.
func TestReleaseSlot(t *testing.T) {
	server := newHost(t, testConfig())
	client := newHost(t, testConfig())
	p := Protocol{ID: server.ProtocolID("waiter", "v1"), MaxRequestSize: 16, MaxResponseSize: 16, MaxConcurrent: 1}
	entered := make(chan string, 4)
	unblock := make(chan struct{})
	server.Handle(p, func(ctx context.Context, _ peer.ID, req []byte) ([]byte, error) {
		if string(req) == "release" {
			ReleaseSlot(ctx)
			ReleaseSlot(ctx)
		}
		entered <- string(req)
		select {
		case <-unblock:
		case <-ctx.Done():
		}
		return req, nil
	})
	run(t, server)
	run(t, client)
	connect(t, client, server)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(unblock)
	wg.Go(func() { _, _ = client.Request(ctx, server.ID(), p, []byte("release")) })
	if got := <-entered; got != "release" {
		t.Fatalf("entered %q", got)
	}
	wg.Go(func() { _, _ = client.Request(ctx, server.ID(), p, []byte("hold")) })
	select {
	case got := <-entered:
		if got != "hold" {
			t.Fatalf("entered %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request was not served while the only other one had released its slot")
	}
	// "hold" keeps the one slot: a third is busy.
	if _, err := client.Request(ctx, server.ID(), p, []byte("third")); !errors.Is(err, ErrBusy) {
		t.Fatalf("third request: %v, want ErrBusy", err)
	}
}

func TestRequestLimits(t *testing.T) {
	server := newHost(t, testConfig())
	client := newHost(t, testConfig())
	p := Protocol{ID: server.ProtocolID("echo", "v1"), MaxRequestSize: 8, MaxResponseSize: 4}
	server.Handle(p, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) { return req, nil })
	run(t, server)
	run(t, client)
	connect(t, client, server)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got, err := client.Request(ctx, server.ID(), p, []byte("abcd")); err != nil || string(got) != "abcd" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	// Too large to send: refused locally.
	if _, err := client.Request(ctx, server.ID(), p, make([]byte, 9)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized request: %v, want ErrTooLarge", err)
	}
	// The handler's answer exceeds the protocol's limit: the server reports
	// a failure rather than sending it, and nobody is penalised.
	if _, err := client.Request(ctx, server.ID(), p, []byte("abcdef")); !errors.Is(err, ErrPeerFailed) {
		t.Fatalf("oversized answer: %v, want ErrPeerFailed", err)
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("penalised for a local limit")
	}
	// A protocol the peer does not serve.
	q := Protocol{ID: server.ProtocolID("nothing", "v1"), MaxRequestSize: 8, MaxResponseSize: 8}
	if _, err := client.Request(ctx, server.ID(), q, nil); !errors.Is(err, ErrPeerFailed) {
		t.Fatalf("unsupported protocol: %v, want ErrPeerFailed", err)
	}
}

func TestProtocolID(t *testing.T) {
	h := newHost(t, testConfig())
	if got := h.ProtocolID("header-range", "v1"); got != "/tartan/test-chain/header-range/v1" {
		t.Fatalf("protocol id %q", got)
	}
	if got := h.headerRange().ID; got != "/tartan/test-chain/header-range/v1" {
		t.Fatalf("header-range id %q", got)
	}
	if got := HeaderTopicName("c"); got != "/tartan/c/headers/v1" {
		t.Fatalf("header topic %q", got)
	}
}
