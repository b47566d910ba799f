package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/tartan-da/tartan/da"
)

// fakeSink answers submissions with what submit says, after delay.
type fakeSink struct {
	delay  time.Duration
	submit func(blobs []da.Blob) (uint64, error)
	got    chan []da.Blob
}

func (f *fakeSink) Submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	select {
	case f.got <- blobs:
	default:
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return f.submit(blobs)
}

func submitPair(t *testing.T, sink BlobSink) (producer, client *Host) {
	t.Helper()
	producer = newHost(t, testConfig())
	producer.ServeSubmissions(sink)
	client = newHost(t, testConfig())
	run(t, producer)
	run(t, client)
	connect(t, client, producer)
	return producer, client
}

func testBlobs(t testing.TB) []da.Blob {
	t.Helper()
	ns1, _ := da.NewV0Namespace([]byte("one"))
	ns2, _ := da.NewV0Namespace([]byte("two"))
	signer := bytes.Repeat([]byte{7}, da.SignerSize)
	b1, err := da.NewBlob(ns1, bytes.Repeat([]byte("a"), 1000), da.ShareVersionZero, nil)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := da.NewBlob(ns2, []byte("hello"), da.ShareVersionOne, signer)
	if err != nil {
		t.Fatal(err)
	}
	return []da.Blob{b1, b2}
}

func sameBlobs(a, b []da.Blob) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Namespace != b[i].Namespace || a[i].ShareVersion != b[i].ShareVersion ||
			!bytes.Equal(a[i].Data, b[i].Data) || !bytes.Equal(a[i].Signer, b[i].Signer) {
			return false
		}
	}
	return true
}

func TestSubmitIncluded(t *testing.T) {
	blobs := testBlobs(t)
	sink := &fakeSink{delay: 300 * time.Millisecond, got: make(chan []da.Blob, 1),
		submit: func([]da.Blob) (uint64, error) { return 42, nil }}
	producer, client := submitPair(t, sink)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	height, err := client.SubmitBlobs(ctx, producer.ID(), blobs)
	if err != nil || height != 42 {
		t.Fatalf("height %d, %v; want 42", height, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("answered after %v, before the sink included the blobs", d)
	}
	if got := <-sink.got; !sameBlobs(got, blobs) {
		t.Fatal("the sink received other blobs")
	}
}

// A wait longer than the default stream deadline (3s in tests) is allowed.
func TestSubmitOutlivesStreamTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3.5s")
	}
	sink := &fakeSink{delay: 3500 * time.Millisecond, got: make(chan []da.Blob, 1),
		submit: func([]da.Blob) (uint64, error) { return 7, nil }}
	producer, client := submitPair(t, sink)
	height, err := client.SubmitBlobs(context.Background(), producer.ID(), testBlobs(t))
	if err != nil || height != 7 {
		t.Fatalf("height %d, %v; want 7", height, err)
	}
}

func TestSubmitVerdicts(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		want  []error
		wantN []error // must not wrap
	}{
		{"pool full", fmt.Errorf("%w: 64 of 64 MiB", ErrPoolFull), []error{ErrPoolFull, ErrBusy}, []error{ErrSubmitRejected}},
		{"too large", fmt.Errorf("blob 0: %w", da.ErrBlobTooLarge), []error{ErrSubmitRejected, da.ErrBlobTooLarge}, []error{ErrBusy}},
		{"rejected", fmt.Errorf("%w: duplicate", ErrSubmitRejected), []error{ErrSubmitRejected}, []error{da.ErrBlobTooLarge, ErrBusy}},
		{"invalid blob", fmt.Errorf("blob 1: %w", da.ErrNamespaceReserved), []error{ErrSubmitRejected}, []error{da.ErrBlobTooLarge}},
		{"producer timed out", fmt.Errorf("waiting: %w", context.DeadlineExceeded), []error{ErrTimeout}, []error{ErrSubmitRejected, ErrBusy}},
		{"other failure", errors.New("disk on fire"), []error{ErrPeerFailed}, []error{ErrSubmitRejected, ErrBusy, ErrTimeout}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &fakeSink{got: make(chan []da.Blob, 1), submit: func([]da.Blob) (uint64, error) { return 0, c.err }}
			producer, client := submitPair(t, sink)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			height, err := client.SubmitBlobs(ctx, producer.ID(), testBlobs(t))
			if height != 0 || err == nil {
				t.Fatalf("height %d, error %v", height, err)
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Fatalf("error %v does not wrap %v", err, w)
				}
			}
			for _, w := range c.wantN {
				if errors.Is(err, w) {
					t.Fatalf("error %v wraps %v", err, w)
				}
			}
			if client.Score(producer.ID()) != 0 || producer.Score(client.ID()) != 0 {
				t.Fatal("a verdict was penalised")
			}
		})
	}
}

func TestSubmitContextCancel(t *testing.T) {
	sink := &fakeSink{delay: time.Hour, got: make(chan []da.Blob, 1), submit: func([]da.Blob) (uint64, error) { return 1, nil }}
	producer, client := submitPair(t, sink)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := client.SubmitBlobs(ctx, producer.ID(), testBlobs(t))
		done <- err
	}()
	<-sink.got // the producer is waiting for inclusion
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("SubmitBlobs did not return within 2s of its context being cancelled")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("returned %v after cancellation", d)
	}
	// A deadline on ctx ends it the same way.
	dctx, dcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer dcancel()
	if _, err := client.SubmitBlobs(dctx, producer.ID(), testBlobs(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if client.Score(producer.ID()) != 0 {
		t.Fatal("a waiting producer was penalised")
	}
}

// Blobs the client will not send: refused locally with ErrSubmitRejected.
func TestSubmitLocalRefusals(t *testing.T) {
	sink := &fakeSink{got: make(chan []da.Blob, 1), submit: func([]da.Blob) (uint64, error) { return 1, nil }}
	producer, client := submitPair(t, sink)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, _ := da.NewV0Namespace([]byte("blobx"))
	big := make([]da.Blob, 2)
	for i := range big {
		big[i] = da.Blob{Namespace: ns, Data: make([]byte, SubmitMaxDataSize/2+1)}
	}
	many := make([]da.Blob, SubmitMaxBlobs+1)
	for i := range many {
		many[i] = da.Blob{Namespace: ns, Data: []byte{1}}
	}
	cases := []struct {
		name  string
		blobs []da.Blob
		also  error
	}{
		{"none", nil, nil},
		{"empty data", []da.Blob{{Namespace: ns}}, da.ErrBlobEmpty},
		{"reserved namespace", []da.Blob{{Namespace: da.TxNamespace, Data: []byte{1}}}, da.ErrNamespaceReserved},
		{"signer on version 0", []da.Blob{{Namespace: ns, Data: []byte{1}, Signer: make([]byte, 20)}}, da.ErrSignerLength},
		{"too much data", big, da.ErrBlobTooLarge},
		{"too many blobs", many, nil},
	}
	for _, c := range cases {
		_, err := client.SubmitBlobs(ctx, producer.ID(), c.blobs)
		if !errors.Is(err, ErrSubmitRejected) || (c.also != nil && !errors.Is(err, c.also)) {
			t.Fatalf("%s: %v, want ErrSubmitRejected and %v", c.name, err, c.also)
		}
	}
	select {
	case <-sink.got:
		t.Fatal("a refused submission reached the sink")
	default:
	}
}

// An invalid blob on the wire costs its sender a penalty and never
// reaches the sink.
func TestSubmitBadRequests(t *testing.T) {
	sink := &fakeSink{got: make(chan []da.Blob, 1), submit: func([]da.Blob) (uint64, error) { return 1, nil }}
	producer := newHost(t, testConfig())
	producer.ServeSubmissions(sink)
	run(t, producer)
	good := encodeSubmission(testBlobs(t))
	reserved := bytes.Clone(good)
	copy(reserved[3:], da.TxNamespace[:]) // the first blob's namespace
	cases := []struct {
		name string
		req  []byte
	}{
		{"reserved namespace", reserved},
		{"empty data", encodeSubmission([]da.Blob{{Namespace: testBlobs(t)[0].Namespace, Data: nil}})},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"truncated", good[:len(good)-1]},
		{"version 2", append([]byte{2}, good[1:]...)},
		{"zero blobs", []byte{1, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requester := newHost(t, testConfig())
			run(t, requester)
			connect(t, requester, producer)
			_, err := requester.Request(context.Background(), producer.ID(), requester.submitProtocol(), c.req)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("error %v, want ErrRejected", err)
			}
			eventually(t, "the requester is penalised", func() bool {
				return producer.Score(requester.ID()) == OffenceMalformed.points()
			})
		})
	}
	select {
	case <-sink.got:
		t.Fatal("a malformed submission reached the sink")
	default:
	}
}

// A producer answering garbage is penalised.
func TestSubmitBadAnswers(t *testing.T) {
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ans := range [][]byte{{}, {0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 1}, {9}, append([]byte{2}, bytes.Repeat([]byte{'x'}, submitMaxReason+1)...), {2, 0xff}} {
		server := rawServer(t, func(h *Host) protocol.ID { return h.submitProtocol().ID }, submitMaxRequest, func([]byte) []byte { return okFrame(ans) })
		connect(t, client, server)
		if _, err := client.SubmitBlobs(ctx, server.ID(), testBlobs(t)); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("answer %x: %v, want ErrMalformed or ErrTooLarge", ans, err)
		}
		if client.Score(server.ID()) != OffenceMalformed.points() {
			t.Fatalf("answer %x not penalised", ans)
		}
	}
}

func TestSubmitPeersAreThoseServingSubmissions(t *testing.T) {
	validator, client := submitPair(t, &fakeSink{submit: func([]da.Blob) (uint64, error) { return 1, nil }})
	other := newHost(t, testConfig())
	run(t, other)
	connect(t, client, other)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := client.SubmitPeers()
		if len(got) == 1 && got[0] == validator.ID() {
			break
		}
		if len(got) > 1 || time.Now().After(deadline) {
			t.Fatalf("SubmitPeers = %v, want only the validator %s (not %s)", got, validator.ID(), other.ID())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// other may learn of the validator through the client (the DHT), but
	// never lists a host that does not serve submissions.
	for _, p := range other.SubmitPeers() {
		if p != validator.ID() {
			t.Fatalf("another host lists %s, which serves no submissions, as accepting them", p)
		}
	}
}

// A submission waits for inclusion, seconds on a loaded chain; while the
// validator answers pings the wait goes on, however long.
func TestSubmitWaitsForALiveValidator(t *testing.T) {
	_, client := submitPair(t, &fakeSink{delay: 2*submitPingEvery + submitPingTimeout, submit: func([]da.Blob) (uint64, error) { return 7, nil }})
	validator := client.SubmitPeers()
	if len(validator) != 1 {
		t.Fatalf("submit peers %v", validator)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if h, err := client.SubmitBlobs(ctx, validator[0], testBlobs(t)); err != nil || h != 7 {
		t.Fatalf("a slow but live validator: height %d, %v; want 7", h, err)
	}
}

// A validator that stops answering while it holds a submission (killed:
// QUIC notices only at its idle timeout) ends the attempt within a few
// seconds, with ErrPeerGone, not at the client's deadline.
func TestSubmitToASilentValidatorEnds(t *testing.T) {
	validator, client := submitPair(t, &fakeSink{delay: time.Hour, submit: func([]da.Blob) (uint64, error) { return 7, nil }})
	// Pings reach it and are never answered: what a dead peer looks like
	// while the connection still seems up.
	validator.host.SetStreamHandler(ping.ID, func(s network.Stream) { _, _ = io.Copy(io.Discard, s) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := client.SubmitBlobs(ctx, validator.ID(), testBlobs(t))
	if !errors.Is(err, ErrPeerGone) {
		t.Fatalf("a silent validator: %v, want ErrPeerGone", err)
	}
	if took := time.Since(start); took > 2*(submitPingEvery+submitPingTimeout) {
		t.Fatalf("a silent validator was given up after %s", took)
	}
	if client.Score(validator.ID()) != 0 {
		t.Fatalf("a silent validator is penalised (%d): it may only be down", client.Score(validator.ID()))
	}
}
