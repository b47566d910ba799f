package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
)

// memSource serves headers 1..len(hs).
type memSource struct{ hs []*da.Header }

func (m memSource) Headers(_ context.Context, from uint64, count int) ([]*da.Header, error) {
	if from == 0 || from > uint64(len(m.hs)) {
		return nil, fmt.Errorf("%w: height %d", ErrNotFound, from)
	}
	end := min(from-1+uint64(count), uint64(len(m.hs)))
	return m.hs[from-1 : end], nil
}

// headerPair is a running server holding n headers and a running client
// connected to it.
func headerPair(t *testing.T, n int, serverCfg func(*Config)) (server, client *Host, hs []*da.Header) {
	t.Helper()
	hs = chain(t, testChain, validatorSet(1), n)
	cfg := testConfig()
	if serverCfg != nil {
		serverCfg(&cfg)
	}
	server = newHost(t, cfg)
	server.ServeHeaders(memSource{hs})
	client = newHost(t, testConfig())
	run(t, server)
	run(t, client)
	connect(t, client, server)
	return server, client, hs
}

func TestHeaderRange(t *testing.T) {
	server, client, hs := headerPair(t, 300, func(c *Config) { c.MaxHeaderRange = 200 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cases := []struct {
		from        uint64
		count, want int
	}{
		{1, 1, 1},
		{1, 10, 10},
		{42, 17, 17},
		{295, 10, 6},                  // the server's head
		{300, 1, 1},                   // exactly the head
		{1, HeaderRangeMaxCount, 200}, // the server's MaxHeaderRange
	}
	for _, c := range cases {
		got, err := client.RequestHeaders(ctx, server.ID(), c.from, c.count)
		if err != nil {
			t.Fatalf("from %d count %d: %v", c.from, c.count, err)
		}
		if len(got) != c.want {
			t.Fatalf("from %d count %d: %d headers, want %d", c.from, c.count, len(got), c.want)
		}
		for i, h := range got {
			want := hs[c.from-1+uint64(i)]
			if !h.EqualFields(want) || !bytes.Equal(h.Certificate, want.Certificate) {
				t.Fatalf("from %d: header %d differs from the source's height %d", c.from, i, want.Height)
			}
		}
		// The answer links up: each header follows the one before it,
		// the first the source's header below from.
		var prev *da.Header
		if c.from > 1 {
			prev = hs[c.from-2]
		}
		for _, h := range got {
			if prev != nil {
				if err := h.VerifySuccessor(prev); err != nil {
					t.Fatalf("from %d: served header %d does not follow its predecessor: %v", c.from, h.Height, err)
				}
			}
			prev = h
		}
	}
	// Beyond the head: not found, and the server is not penalised for it.
	for _, from := range []uint64{301, 1 << 40} {
		if _, err := client.RequestHeaders(ctx, server.ID(), from, 5); !isErr(err, ErrNotFound) {
			t.Fatalf("from %d: %v, want ErrNotFound", from, err)
		}
	}
	if s := client.Score(server.ID()); s != 0 {
		t.Fatalf("server penalised (score %d) for answering not found", s)
	}
	// Counts out of bounds never reach the wire.
	for _, count := range []int{0, -1, HeaderRangeMaxCount + 1} {
		if _, err := client.RequestHeaders(ctx, server.ID(), 1, count); err == nil {
			t.Fatalf("count %d accepted", count)
		}
	}
	if _, err := client.RequestHeaders(ctx, server.ID(), 0, 1); err == nil {
		t.Fatal("height 0 accepted")
	}
}

// rawStream opens a stream to p on the header-range protocol from h,
// bypassing the framework.
func rawStream(t *testing.T, from, to *Host) network.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := from.host.NewStream(ctx, to.ID(), from.headerRange().ID)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { _ = s.Reset() })
	return s
}

// readStatus reads the server's answer frame and returns its status byte,
// or -1 if the server reset or closed the stream without answering.
func readStatus(s network.Stream) int {
	frame, err := readFrame(s, headerRangeMaxResponse+1)
	if err != nil || len(frame) == 0 {
		return -1
	}
	return int(frame[0])
}

func TestHeaderRangeBadRequests(t *testing.T) {
	req := func(from uint64, count uint32) []byte {
		b, _ := HeaderRangeRequest{From: from, Count: count}.MarshalBinary()
		return appendFrame(nil, b)
	}
	cases := []struct {
		name   string
		wire   []byte
		status int // -1: stream reset without an answer
	}{
		{"count over the maximum", req(1, HeaderRangeMaxCount+1), int(statusBadRequest)},
		{"count zero", req(1, 0), int(statusBadRequest)},
		{"height zero", req(0, 1), int(statusBadRequest)},
		{"short request", appendFrame(nil, []byte{1, 2, 3}), int(statusBadRequest)},
		// A length prefix of 2^40 bytes: refused before anything is read
		// or allocated, and the requester penalised.
		{"huge length prefix", binary.AppendUvarint(nil, 1<<40), -1},
		{"length over the request limit", appendFrame(nil, make([]byte, headerRangeRequestSize+1)), -1},
		{"varint overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, -1},
		{"truncated frame", binary.AppendUvarint(nil, headerRangeRequestSize), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server, _, _ := headerPair(t, 10, nil)
			requester := newHost(t, testConfig())
			run(t, requester)
			connect(t, requester, server)
			s := rawStream(t, requester, server)
			if _, err := s.Write(c.wire); err != nil {
				t.Fatal(err)
			}
			_ = s.CloseWrite()
			start := time.Now()
			if got := readStatus(s); got != c.status {
				t.Fatalf("status %d, want %d", got, c.status)
			}
			// The server decided on what it had, without waiting for the
			// 2^40 bytes or its deadline.
			if d := time.Since(start); d > time.Second {
				t.Fatalf("server took %v to refuse", d)
			}
			eventually(t, "the requester is penalised", func() bool {
				return server.Score(requester.ID()) == OffenceMalformed.points()
			})
		})
	}
}

// badServer answers every header-range request with the bytes of answer,
// written raw.
func badServer(t *testing.T, answer func(req HeaderRangeRequest) []byte) *Host {
	t.Helper()
	h := newHost(t, testConfig())
	h.host.SetStreamHandler(h.headerRange().ID, func(s network.Stream) {
		defer s.Close()
		b, err := readFrame(s, headerRangeRequestSize)
		if err != nil {
			_ = s.Reset()
			return
		}
		var req HeaderRangeRequest
		if err := req.UnmarshalBinary(b); err != nil {
			_ = s.Reset()
			return
		}
		_, _ = s.Write(answer(req))
	})
	run(t, h)
	return h
}

func okFrame(payload []byte) []byte { return appendFrame(nil, append([]byte{statusOK}, payload...)) }

func TestHeaderRangeBadAnswers(t *testing.T) {
	hs := chain(t, testChain, validatorSet(1), 20)
	other := chain(t, "other-chain", validatorSet(1), 20)
	encode := func(hs ...*da.Header) []byte {
		b, err := encodeHeaders(hs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		answer func(HeaderRangeRequest) []byte
		want   error
		points int
	}{
		{"huge length prefix", func(HeaderRangeRequest) []byte { return binary.AppendUvarint(nil, 1<<40) }, ErrTooLarge, OffenceMalformed.points()},
		{"garbage payload", func(HeaderRangeRequest) []byte { return okFrame([]byte("garbage")) }, ErrMalformed, OffenceMalformed.points()},
		{"unknown status", func(HeaderRangeRequest) []byte { return appendFrame(nil, []byte{0x77}) }, ErrMalformed, OffenceMalformed.points()},
		{"empty frame", func(HeaderRangeRequest) []byte { return appendFrame(nil, nil) }, ErrMalformed, OffenceMalformed.points()},
		{"truncated frame", func(HeaderRangeRequest) []byte { return okFrame(encode(hs[0]))[:50] }, ErrMalformed, OffenceMalformed.points()},
		{"wrong start", func(r HeaderRangeRequest) []byte { return okFrame(encode(hs[r.From])) }, ErrMalformed, OffenceMalformed.points()},
		{"gap", func(r HeaderRangeRequest) []byte { return okFrame(encode(hs[r.From-1], hs[r.From+1])) }, ErrMalformed, OffenceMalformed.points()},
		{"more than asked", func(r HeaderRangeRequest) []byte { return okFrame(encode(hs[r.From-1 : r.From+uint64(r.Count)]...)) }, ErrMalformed, OffenceMalformed.points()},
		{"other chain", func(r HeaderRangeRequest) []byte { return okFrame(encode(other[r.From-1])) }, ErrMalformed, OffenceMalformed.points()},
		{"zero headers", func(HeaderRangeRequest) []byte { return okFrame([]byte{0}) }, ErrMalformed, OffenceMalformed.points()},
		{"trailing bytes", func(r HeaderRangeRequest) []byte { return okFrame(append(encode(hs[r.From-1]), 0)) }, ErrMalformed, OffenceMalformed.points()},
		// Not penalised: the peer lacks the data, is busy or failed.
		{"not found", func(HeaderRangeRequest) []byte { return appendFrame(nil, []byte{statusNotFound}) }, ErrNotFound, 0},
		{"busy", func(HeaderRangeRequest) []byte { return appendFrame(nil, []byte{statusBusy}) }, ErrBusy, 0},
		{"failed", func(HeaderRangeRequest) []byte { return appendFrame(nil, []byte{statusFailed}) }, ErrPeerFailed, 0},
		{"closed without answer", func(HeaderRangeRequest) []byte { return nil }, ErrPeerFailed, 0},
	}
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := badServer(t, c.answer)
			connect(t, client, server)
			got, err := client.RequestHeaders(ctx, server.ID(), 3, 2)
			if !isErr(err, c.want) {
				t.Fatalf("got %d headers, error %v; want %v", len(got), err, c.want)
			}
			if s := client.Score(server.ID()); s != c.points {
				t.Fatalf("server score %d, want %d", s, c.points)
			}
		})
	}
}

func TestPenalisedPeerIsDisconnectedOthersServe(t *testing.T) {
	hs := chain(t, testChain, validatorSet(1), 10)
	good := newHost(t, testConfig())
	good.ServeHeaders(memSource{hs})
	run(t, good)
	bad := badServer(t, func(HeaderRangeRequest) []byte { return okFrame([]byte("garbage")) })
	client := newHost(t, testConfig())
	run(t, client)
	connect(t, client, good)
	connect(t, client, bad)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Two malformed answers reach the default threshold of 100.
	for range 2 {
		if _, err := client.RequestHeaders(ctx, bad.ID(), 1, 5); !isErr(err, ErrMalformed) {
			t.Fatalf("bad answer: %v, want ErrMalformed", err)
		}
	}
	if !client.Blocked(bad.ID()) {
		t.Fatalf("bad server not blocked at score %d", client.Score(bad.ID()))
	}
	eventually(t, "the bad server is disconnected", func() bool { return !connected(client, bad.ID()) })
	if _, err := client.RequestHeaders(ctx, bad.ID(), 1, 5); !isErr(err, ErrBlocked) {
		t.Fatalf("request to a blocked peer: %v, want ErrBlocked", err)
	}
	if err := client.Connect(ctx, bad.Addrs()[0]); !isErr(err, ErrBlocked) {
		t.Fatalf("connect to a blocked peer: %v, want ErrBlocked", err)
	}
	// The bad server cannot come back by dialling in either.
	_ = bad.host.Connect(ctx, peer.AddrInfo{ID: client.ID(), Addrs: client.host.Addrs()})
	eventually(t, "the client refuses the bad server", func() bool { return !connected(client, bad.ID()) })

	got, err := client.RequestHeaders(ctx, good.ID(), 1, 10)
	if err != nil || len(got) != 10 {
		t.Fatalf("good server: %d headers, %v", len(got), err)
	}
	if client.Score(good.ID()) != 0 {
		t.Fatal("good server penalised")
	}
}
