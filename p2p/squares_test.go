package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// testSquare is a verified square: its blobs, where they start, and what
// a server needs to answer from it.
type testSquare struct {
	k        int
	blobs    []da.Blob
	starts   []int
	ods      []da.Share
	dataRoot [32]byte
	prover   *erasure.Prover
}

// buildSquare lays out random blobs until a square of width at most k is
// full, so the square has width k (k = 1 holds one blob of one share).
func buildSquare(t testing.TB, k int, seed uint64) *testSquare {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(k)))
	sb, err := da.NewSquareBuilder(k)
	if err != nil {
		t.Fatal(err)
	}
	var blobs []da.Blob
	for {
		id := make([]byte, da.NamespaceV0UserSize)
		id[0] = byte(1 + rng.IntN(200)) // some namespaces repeat
		ns, err := da.NewV0Namespace(id)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1+rng.IntN(k*da.ContinuationSparseShareContentSize))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		b, err := da.NewBlob(ns, data, da.ShareVersionZero, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Append(b); errors.Is(err, da.ErrSquareFull) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	sq, err := sb.Export()
	if err != nil {
		t.Fatal(err)
	}
	if sq.Width != k {
		t.Fatalf("square of width %d, want %d", sq.Width, k)
	}
	eds, err := erasure.Extend(sq.Shares)
	if err != nil {
		t.Fatal(err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	p, err := erasure.NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	return &testSquare{k: k, blobs: blobs, starts: sq.BlobStarts, ods: sq.Shares, dataRoot: dah.DataRoot(), prover: p}
}

// memSquares serves squares by height, from 1.
type memSquares struct{ sqs []*testSquare }

func (m memSquares) get(height uint64) (*testSquare, error) {
	if height == 0 || height > uint64(len(m.sqs)) {
		return nil, fmt.Errorf("%w: height %d", ErrNotFound, height)
	}
	return m.sqs[height-1], nil
}

func (m memSquares) ODS(_ context.Context, height uint64) ([]byte, error) {
	sq, err := m.get(height)
	if err != nil {
		return nil, err
	}
	return encodeODS(sq.ods)
}

// encodeODS concatenates the shares of a square of valid width.
func encodeODS(shares []da.Share) ([]byte, error) {
	if _, err := erasure.WidthOf(len(shares)); err != nil {
		return nil, fmt.Errorf("p2p: square source returned %d shares: %w", len(shares), err)
	}
	b := make([]byte, 0, len(shares)*da.ShareSize)
	for i := range shares {
		b = append(b, shares[i][:]...)
	}
	return b, nil
}

func (m memSquares) Samples(_ context.Context, height uint64, cells []Cell) ([]*erasure.Sample, error) {
	sq, err := m.get(height)
	if err != nil {
		return nil, err
	}
	out := make([]*erasure.Sample, len(cells))
	for i, c := range cells {
		axis := erasure.Axis(i % 2) // both axes travel
		if out[i], err = sq.prover.Sample(int(c.Row), int(c.Col), axis); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	return out, nil
}

func (m memSquares) NamespaceData(_ context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	sq, err := m.get(height)
	if err != nil {
		return nil, err
	}
	return sq.prover.NamespaceData(ns)
}

func (m memSquares) BlobProof(_ context.Context, height uint64, start, end int) (*erasure.BlobProof, error) {
	sq, err := m.get(height)
	if err != nil {
		return nil, err
	}
	bp, err := sq.prover.BlobProof(start, end)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return bp, nil
}

// squarePair is a server of squares of widths ks at heights 1, 2, … and a
// client connected to it.
func squarePair(t *testing.T, ks ...int) (server, client *Host, sqs []*testSquare) {
	t.Helper()
	for i, k := range ks {
		sqs = append(sqs, buildSquare(t, k, uint64(i)))
	}
	server = newHost(t, testConfig())
	server.ServeSquares(memSquares{sqs})
	client = newHost(t, testConfig())
	run(t, server)
	run(t, client)
	connect(t, client, server)
	return server, client, sqs
}

func TestSquaresRoundTrip(t *testing.T) {
	server, client, sqs := squarePair(t, 1, 8, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i, sq := range sqs {
		height := uint64(i + 1)
		t.Run(fmt.Sprintf("k=%d", sq.k), func(t *testing.T) {
			ods, err := client.RequestODS(ctx, server.ID(), height, sq.k)
			if err != nil {
				t.Fatal(err)
			}
			if len(ods) != len(sq.ods) {
				t.Fatalf("%d shares, want %d", len(ods), len(sq.ods))
			}
			for j := range ods {
				if ods[j] != sq.ods[j] {
					t.Fatalf("share %d differs", j)
				}
			}

			// Samples: every cell of small squares, MaxSamplesPerRequest
			// random cells (with repeats) of k = 64.
			w := 2 * sq.k
			var cells []Cell
			if w*w <= MaxSamplesPerRequest {
				for r := range w {
					for c := range w {
						cells = append(cells, Cell{uint16(r), uint16(c)})
					}
				}
			} else {
				for range MaxSamplesPerRequest {
					cells = append(cells, Cell{uint16(rng.IntN(w)), uint16(rng.IntN(w))})
				}
			}
			ss, err := client.RequestSamples(ctx, server.ID(), height, cells)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != len(cells) {
				t.Fatalf("%d samples for %d cells", len(ss), len(cells))
			}
			for j, s := range ss {
				if s.Row != int(cells[j].Row) || s.Col != int(cells[j].Col) {
					t.Fatalf("sample %d is (%d,%d), asked (%d,%d)", j, s.Row, s.Col, cells[j].Row, cells[j].Col)
				}
				if err := s.Verify(sq.dataRoot, sq.k); err != nil {
					t.Fatalf("sample %d (%d,%d): %v", j, s.Row, s.Col, err)
				}
				// A sample checked against another square's root fails:
				// the verification above means something.
				if s.Verify(sqs[(i+1)%len(sqs)].dataRoot, sq.k) == nil {
					t.Fatalf("sample %d verifies against another root", j)
				}
			}

			// Namespace data: every namespace present, and one absent.
			seen := map[da.Namespace]bool{}
			for _, b := range sq.blobs {
				seen[b.Namespace] = true
			}
			absent, _ := da.NewV0Namespace(bytes.Repeat([]byte{0xee}, da.NamespaceV0UserSize))
			for ns := range seen {
				checkNamespaceData(t, ctx, client, server, height, sq, ns, true)
			}
			checkNamespaceData(t, ctx, client, server, height, sq, absent, false)

			// Blob proofs: the first few blobs and the largest, which
			// spans rows in squares wider than 1.
			which := []int{}
			for j := range min(len(sq.blobs), 5) {
				which = append(which, j)
			}
			largest := 0
			for j := range sq.blobs {
				if sq.blobs[j].ShareCount() > sq.blobs[largest].ShareCount() {
					largest = j
				}
			}
			which = append(which, largest)
			if l := sq.blobs[largest]; sq.k > 1 && sq.starts[largest]%sq.k+l.ShareCount() <= sq.k {
				t.Fatalf("the largest blob (%d shares) does not span rows", l.ShareCount())
			}
			for _, j := range which {
				start := sq.starts[j]
				end := start + sq.blobs[j].ShareCount()
				bp, err := client.RequestBlobProof(ctx, server.ID(), height, start, end)
				if err != nil {
					t.Fatalf("blob %d: %v", j, err)
				}
				if err := bp.Verify(sq.dataRoot, sq.k); err != nil {
					t.Fatalf("blob %d proof: %v", j, err)
				}
				want, _ := sq.blobs[j].Shares()
				if !slices.Equal(bp.Shares, want) {
					t.Fatalf("blob %d proof carries other shares", j)
				}
			}
		})
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("an honest exchange was penalised")
	}
}

func checkNamespaceData(t *testing.T, ctx context.Context, client, server *Host, height uint64, sq *testSquare, ns da.Namespace, present bool) {
	t.Helper()
	nd, err := client.RequestNamespaceData(ctx, server.ID(), height, ns)
	if err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	if err := nd.Verify(sq.dataRoot, sq.k); err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	var want []da.Share
	for _, s := range sq.ods {
		if s.Namespace() == ns {
			want = append(want, s)
		}
	}
	if got := nd.Shares(); !slices.Equal(got, want) || (len(want) > 0) != present {
		t.Fatalf("namespace %s: %d shares, want %d", ns, len(got), len(want))
	}
}

func TestSquaresNotFound(t *testing.T) {
	server, client, _ := squarePair(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, _ := da.NewV0Namespace([]byte{1})
	for _, height := range []uint64{2, 1 << 40} {
		_, err1 := client.RequestODS(ctx, server.ID(), height, 4)
		_, err2 := client.RequestSamples(ctx, server.ID(), height, []Cell{{0, 0}})
		_, err3 := client.RequestNamespaceData(ctx, server.ID(), height, ns)
		_, err4 := client.RequestBlobProof(ctx, server.ID(), height, 0, 1)
		for i, err := range []error{err1, err2, err3, err4} {
			if !isErr(err, ErrNotFound) {
				t.Fatalf("height %d, protocol %d: %v, want ErrNotFound", height, i, err)
			}
		}
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("penalised for not found")
	}
}

// Requests the client will not send: refused locally, nobody penalised.
func TestSquaresLocalRefusals(t *testing.T) {
	server, client, _ := squarePair(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, _ := da.NewV0Namespace([]byte{1})
	var bad da.Namespace
	bad[0] = 7 // no such version
	tooMany := make([]Cell, MaxSamplesPerRequest+1)
	errs := []error{}
	add := func(_ any, err error) { errs = append(errs, err) }
	add(client.RequestODS(ctx, server.ID(), 1, 3))
	add(client.RequestODS(ctx, server.ID(), 1, 1024))
	add(client.RequestODS(ctx, server.ID(), 0, 4))
	add(client.RequestSamples(ctx, server.ID(), 1, nil))
	add(client.RequestSamples(ctx, server.ID(), 1, tooMany))
	add(client.RequestSamples(ctx, server.ID(), 1, []Cell{{0, 2 * erasure.MaxWidth}}))
	add(client.RequestNamespaceData(ctx, server.ID(), 1, bad))
	add(client.RequestNamespaceData(ctx, server.ID(), 1, da.ParityNamespace))
	add(client.RequestNamespaceData(ctx, server.ID(), 0, ns))
	add(client.RequestBlobProof(ctx, server.ID(), 1, 3, 3))
	add(client.RequestBlobProof(ctx, server.ID(), 1, -1, 3))
	add(client.RequestBlobProof(ctx, server.ID(), 1, 0, erasure.MaxWidth*erasure.MaxWidth+1))
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d accepted", i)
		}
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("penalised for a local refusal")
	}
}

// rawServer answers every stream on id with answer(request payload),
// written raw.
func rawServer(t *testing.T, id func(*Host) protocol.ID, reqLimit int, answer func(req []byte) []byte) *Host {
	t.Helper()
	h := newHost(t, testConfig())
	h.host.SetStreamHandler(id(h), func(s network.Stream) {
		defer s.Close()
		_ = s.SetDeadline(time.Now().Add(5 * time.Second))
		b, err := readFrame(s, reqLimit)
		if err != nil {
			_ = s.Reset()
			return
		}
		_, _ = s.Write(answer(b))
	})
	run(t, h)
	return h
}

func samplesID(h *Host) protocol.ID { return h.samplesProtocol(1).ID }
func odsID(h *Host) protocol.ID     { return h.odsProtocol(1).ID }

func TestSamplesBadAnswers(t *testing.T) {
	sq := buildSquare(t, 4, 7)
	sample := func(r, c int) *erasure.Sample {
		s, err := sq.prover.Sample(r, c, erasure.Row)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cells := []Cell{{1, 2}, {7, 0}}
	good := func() []*erasure.Sample { return []*erasure.Sample{sample(1, 2), sample(7, 0)} }
	enc := func(ss ...*erasure.Sample) []byte {
		b, err := erasure.AppendSampleBatch(nil, ss)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	goodAnswer := enc(good()...)
	// The aunt table's length claims more than the answer holds.
	longTable := bytes.Clone(goodAnswer)
	binary.BigEndian.PutUint16(longTable[5:], 20)
	countTwo := enc(sample(1, 2))
	binary.BigEndian.PutUint16(countTwo[3:], 2)
	cases := []struct {
		name   string
		answer []byte
		want   error
	}{
		{"garbage", okFrame([]byte("garbage")), ErrMalformed},
		{"oversized frame", binary.AppendUvarint(nil, 1<<30), ErrTooLarge},
		{"frame over the limit for two cells", okFrame(make([]byte, samplesResponseLimit(2)+1)), ErrTooLarge},
		{"wrong cell", okFrame(enc(sample(1, 2), sample(7, 1))), ErrMalformed},
		{"swapped order", okFrame(enc(sample(7, 0), sample(1, 2))), ErrMalformed},
		{"one sample short", okFrame(enc(sample(1, 2))), ErrMalformed},
		{"one sample more", okFrame(enc(append(good(), sample(0, 0))...)), ErrMalformed},
		{"count says two, one follows", okFrame(countTwo), ErrMalformed},
		{"version 1 answer", okFrame(append([]byte{1}, goodAnswer[1:]...)), ErrMalformed},
		{"trailing byte", okFrame(append(bytes.Clone(goodAnswer), 0)), ErrMalformed},
		{"aunt table longer than the answer", okFrame(longTable), ErrMalformed},
		{"truncated sample", okFrame(goodAnswer[:len(goodAnswer)-1]), ErrMalformed},
	}
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := rawServer(t, samplesID, samplesMaxRequest, func([]byte) []byte { return c.answer })
			connect(t, client, server)
			got, err := client.RequestSamples(ctx, server.ID(), 1, cells)
			if !isErr(err, c.want) || got != nil {
				t.Fatalf("%d samples, error %v; want %v", len(got), err, c.want)
			}
			if s := client.Score(server.ID()); s != OffenceMalformed.points() {
				t.Fatalf("server score %d, want %d", s, OffenceMalformed.points())
			}
		})
	}
	// The same raw server answering well is accepted and unpenalised; an
	// answer that decodes but carries a wrong share is caught by Verify,
	// which is the caller's to report.
	t.Run("well formed", func(t *testing.T) {
		bad := good()
		bad[1].Share[100] ^= 1
		server := rawServer(t, samplesID, samplesMaxRequest, func([]byte) []byte { return okFrame(enc(bad...)) })
		connect(t, client, server)
		got, err := client.RequestSamples(ctx, server.ID(), 1, cells)
		if err != nil {
			t.Fatal(err)
		}
		if err := got[0].Verify(sq.dataRoot, sq.k); err != nil {
			t.Fatalf("good sample: %v", err)
		}
		if err := got[1].Verify(sq.dataRoot, sq.k); err == nil {
			t.Fatal("tampered sample verifies")
		}
		if client.Score(server.ID()) != 0 {
			t.Fatal("penalised for a well-formed answer")
		}
	})
}

func TestODSBadAnswers(t *testing.T) {
	sq := buildSquare(t, 4, 3)
	encoded, err := encodeODS(sq.ods)
	if err != nil {
		t.Fatal(err)
	}
	small := buildSquare(t, 2, 3)
	smallEnc, _ := encodeODS(small.ods)
	cases := []struct {
		name   string
		answer []byte
		want   error
	}{
		{"square of another width", okFrame(smallEnc), ErrMalformed},
		{"one share short", okFrame(encoded[:len(encoded)-da.ShareSize]), ErrMalformed},
		{"partial share", okFrame(encoded[:len(encoded)-1]), ErrMalformed},
		// k²·512 + 1 bytes is refused from the length prefix.
		{"one share more", okFrame(append(bytes.Clone(encoded), make([]byte, da.ShareSize)...)), ErrTooLarge},
		{"huge prefix", binary.AppendUvarint(nil, 1<<40), ErrTooLarge},
	}
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := rawServer(t, odsID, odsRequestSize, func([]byte) []byte { return c.answer })
			connect(t, client, server)
			got, err := client.RequestODS(ctx, server.ID(), 1, 4)
			if !isErr(err, c.want) || got != nil {
				t.Fatalf("%d shares, error %v; want %v", len(got), err, c.want)
			}
			if s := client.Score(server.ID()); s != OffenceMalformed.points() {
				t.Fatalf("server score %d, want %d", s, OffenceMalformed.points())
			}
		})
	}
}

// Answers of another question on namespace-data and blob-proof.
func TestProofBadAnswers(t *testing.T) {
	sq := buildSquare(t, 8, 5)
	ns0, ns1 := sq.blobs[0].Namespace, sq.blobs[0].Namespace
	for _, b := range sq.blobs {
		if b.Namespace != ns0 {
			ns1 = b.Namespace
		}
	}
	if ns1 == ns0 {
		t.Fatal("the square holds one namespace")
	}
	nd, err := sq.prover.NamespaceData(ns1)
	if err != nil {
		t.Fatal(err)
	}
	ndb, _ := nd.MarshalBinary()
	start := sq.starts[0]
	bp, err := sq.prover.BlobProof(start, start+1)
	if err != nil {
		t.Fatal(err)
	}
	bpb, _ := bp.MarshalBinary()
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nsID := func(h *Host) protocol.ID { return h.namespaceProtocol().ID }
	bpID := func(h *Host) protocol.ID { return h.blobProofProtocol(1).ID }
	cases := []struct {
		name string
		id   func(*Host) protocol.ID
		ans  []byte
		ask  func(*Host) error
		want error
	}{
		{"namespace data of another namespace", nsID, okFrame(ndb), func(s *Host) error {
			_, err := client.RequestNamespaceData(ctx, s.ID(), 1, ns0)
			return err
		}, ErrMalformed},
		{"namespace data garbage", nsID, okFrame(ndb[:len(ndb)-1]), func(s *Host) error {
			_, err := client.RequestNamespaceData(ctx, s.ID(), 1, ns1)
			return err
		}, ErrMalformed},
		{"blob proof of another range", bpID, okFrame(bpb), func(s *Host) error {
			_, err := client.RequestBlobProof(ctx, s.ID(), 1, start, start+2)
			return err
		}, ErrMalformed},
		{"blob proof over the limit for its range", bpID, okFrame(make([]byte, blobProofResponseLimit(1)+1)), func(s *Host) error {
			_, err := client.RequestBlobProof(ctx, s.ID(), 1, start, start+1)
			return err
		}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := rawServer(t, c.id, 64, func([]byte) []byte { return c.ans })
			connect(t, client, server)
			if err := c.ask(server); !isErr(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if s := client.Score(server.ID()); s != OffenceMalformed.points() {
				t.Fatalf("server score %d, want %d", s, OffenceMalformed.points())
			}
		})
	}
}

// Malformed requests on the wire cost the requester a penalty.
func TestSquaresBadRequests(t *testing.T) {
	server, _, _ := squarePair(t, 4)
	ns, _ := da.NewV0Namespace([]byte{1})
	samplesReq := func(height uint64, cells ...Cell) []byte { return encodeSamplesRequest(height, cells) }
	cases := []struct {
		name string
		id   protocol.ID
		req  []byte
	}{
		{"ods height 0", odsID(server), encodeODSRequest(0)},
		{"ods short", odsID(server), []byte{0, 0, 1}},
		{"samples no cells", samplesID(server), samplesReq(1)},
		{"samples cell outside the largest square", samplesID(server), samplesReq(1, Cell{0, 1024})},
		{"samples cell outside this square", samplesID(server), samplesReq(1, Cell{8, 0})},
		{"samples count over the maximum", samplesID(server), append(binary.BigEndian.AppendUint64(nil, 1), 0x01, 0x01)},
		{"samples trailing byte", samplesID(server), append(samplesReq(1, Cell{0, 0}), 0)},
		{"namespace parity", server.namespaceProtocol().ID, encodeNamespaceRequest(1, da.ParityNamespace)},
		{"namespace height 0", server.namespaceProtocol().ID, encodeNamespaceRequest(0, ns)},
		{"blob proof empty range", server.blobProofProtocol(1).ID, encodeBlobProofRequest(1, 5, 5)},
		{"blob proof beyond this square", server.blobProofProtocol(1).ID, encodeBlobProofRequest(1, 0, 17)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectBadRequest(t, server, c.id, c.req)
		})
	}
}

// expectBadRequest sends req raw on protocol id from a new host and
// checks that server answers "bad request" and penalises the requester.
func expectBadRequest(t *testing.T, server *Host, id protocol.ID, req []byte) {
	t.Helper()
	requester := newHost(t, testConfig())
	run(t, requester)
	connect(t, requester, server)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := requester.host.NewStream(ctx, server.ID(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	_ = s.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.Write(appendFrame(nil, req)); err != nil {
		t.Fatal(err)
	}
	_ = s.CloseWrite()
	if got := readStatus(s); got != int(statusBadRequest) {
		t.Fatalf("status %d, want %d", got, statusBadRequest)
	}
	eventually(t, "the requester is penalised", func() bool {
		return server.Score(requester.ID()) == OffenceMalformed.points()
	})
}
