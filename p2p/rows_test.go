package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// memRows serves the extended squares of testSquares by height, from 1.
type memRows struct {
	eds []*erasure.EDS
	dah []*erasure.DAH
}

func newMemRows(t *testing.T, sqs []*testSquare) memRows {
	t.Helper()
	var m memRows
	for _, sq := range sqs {
		e, err := erasure.Extend(sq.ods)
		if err != nil {
			t.Fatal(err)
		}
		d, err := erasure.Commit(e)
		if err != nil {
			t.Fatal(err)
		}
		m.eds, m.dah = append(m.eds, e), append(m.dah, d)
	}
	return m
}

func (m memRows) DAH(_ context.Context, height uint64) (*erasure.DAH, error) {
	if height == 0 || height > uint64(len(m.dah)) {
		return nil, fmt.Errorf("%w: height %d", ErrNotFound, height)
	}
	return m.dah[height-1], nil
}

func (m memRows) Rows(_ context.Context, height uint64, first, count int) (int, []da.Share, error) {
	if height == 0 || height > uint64(len(m.eds)) {
		return 0, nil, fmt.Errorf("%w: height %d", ErrNotFound, height)
	}
	e := m.eds[height-1]
	w := 2 * e.Width()
	if first+count > w {
		return 0, nil, fmt.Errorf("%w: rows [%d,%d) of %d", ErrMalformed, first, first+count, w)
	}
	return e.Width(), e.Shares()[first*w : (first+count)*w], nil
}

func rowsPair(t *testing.T, ks ...int) (server, client *Host, sqs []*testSquare, m memRows) {
	t.Helper()
	for i, k := range ks {
		sqs = append(sqs, buildSquare(t, k, uint64(i)+40))
	}
	m = newMemRows(t, sqs)
	server = newHost(t, testConfig())
	server.ServeRows(m)
	client = newHost(t, testConfig())
	run(t, server)
	run(t, client)
	connect(t, client, server)
	return server, client, sqs, m
}

// The DAH and every row come back as served, and verify against the data
// root and the row roots the way a full node checks them.
func TestRowsRoundTrip(t *testing.T) {
	server, client, sqs, m := rowsPair(t, 1, 4, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, sq := range sqs {
		height := uint64(i + 1)
		k := sq.k
		d, err := client.RequestDAH(ctx, server.ID(), height, k)
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		if d.DataRoot() != sq.dataRoot {
			t.Fatalf("k=%d: DAH hashes to %x, want %x", k, d.DataRoot(), sq.dataRoot)
		}
		per := MaxRowsPerRequest(k)
		if per < 1 || per > 2*k || per*2*k*da.ShareSize > maxRowsAnswer {
			t.Fatalf("k=%d: %d rows a request", k, per)
		}
		h := da.NewNMTHasher()
		for first := 0; first < 2*k; first += per {
			count := min(per, 2*k-first)
			cells, err := client.RequestRows(ctx, server.ID(), height, k, first, count)
			if err != nil {
				t.Fatalf("k=%d rows [%d,%d): %v", k, first, first+count, err)
			}
			if len(cells) != count*2*k {
				t.Fatalf("k=%d: %d cells for %d rows", k, len(cells), count)
			}
			for r := range count {
				root, err := erasure.AxisRoot(h, k, erasure.Row, first+r, cells[r*2*k:(r+1)*2*k])
				if err != nil || root != d.RowRoots[first+r] {
					t.Fatalf("k=%d: row %d does not hash to its root (%v)", k, first+r, err)
				}
				if !slices.Equal(cells[r*2*k:(r+1)*2*k], m.eds[i].Row(first+r)) {
					t.Fatalf("k=%d: row %d differs from the served square", k, first+r)
				}
			}
		}
	}
	// A height the server lacks is not found, and nobody is penalised.
	if _, err := client.RequestDAH(ctx, server.ID(), 9, 4); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DAH of a missing height: %v", err)
	}
	if _, err := client.RequestRows(ctx, server.ID(), 9, 4, 0, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rows of a missing height: %v", err)
	}
	// Local refusals never reach the wire.
	for _, c := range [][3]int{{4, 7, 2}, {4, -1, 1}, {4, 0, 0}, {3, 0, 1}, {256, 0, MaxRowsPerRequest(128) + 1}} {
		if _, err := client.RequestRows(ctx, server.ID(), 1, c[0], c[1], c[2]); err == nil || errors.Is(err, ErrNotFound) {
			t.Fatalf("rows request k=%d [%d,+%d) not refused locally: %v", c[0], c[1], c[2], err)
		}
	}
	if client.Score(server.ID()) != 0 || server.Score(client.ID()) != 0 {
		t.Fatal("penalised for not having data or a local refusal")
	}
}

func dahID(h *Host) protocol.ID  { return h.dahProtocol(1).ID }
func rowsID(h *Host) protocol.ID { return h.rowsProtocol(1).ID }

// Answers of the wrong shape are malformed, too long ones refused from
// their length prefix; either way the server is penalised.
func TestRowsBadAnswers(t *testing.T) {
	sq := buildSquare(t, 4, 11)
	m := newMemRows(t, []*testSquare{sq})
	dahEnc, err := encodeDAH(m.dah[0])
	if err != nil {
		t.Fatal(err)
	}
	badRoot := bytes.Clone(dahEnc)
	badRoot[0] = 0xff // row 0's min namespace above its max
	rowsEnc := make([]byte, 0, 2*8*da.ShareSize)
	for _, s := range m.eds[0].Shares()[:2*8] {
		rowsEnc = append(rowsEnc, s[:]...)
	}
	cases := []struct {
		name   string
		id     func(*Host) protocol.ID
		answer []byte
		rows   bool
		want   error
	}{
		{"dah one root short", dahID, okFrame(dahEnc[:len(dahEnc)-da.NMTNodeSize]), false, ErrMalformed},
		{"dah badly ordered root", dahID, okFrame(badRoot), false, ErrMalformed},
		{"dah one root more", dahID, okFrame(append(bytes.Clone(dahEnc), make([]byte, da.NMTNodeSize)...)), false, ErrTooLarge},
		{"rows one share short", rowsID, okFrame(rowsEnc[:len(rowsEnc)-da.ShareSize]), true, ErrMalformed},
		{"rows partial share", rowsID, okFrame(rowsEnc[:len(rowsEnc)-1]), true, ErrMalformed},
		{"rows one share more", rowsID, okFrame(append(bytes.Clone(rowsEnc), make([]byte, da.ShareSize)...)), true, ErrTooLarge},
		{"rows huge prefix", rowsID, binary.AppendUvarint(nil, 1<<40), true, ErrTooLarge},
	}
	client := newHost(t, testConfig())
	run(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := rawServer(t, c.id, rowsRequestSize, func([]byte) []byte { return c.answer })
			connect(t, client, server)
			if c.rows {
				got, err := client.RequestRows(ctx, server.ID(), 1, 4, 0, 2)
				if !errors.Is(err, c.want) || got != nil {
					t.Fatalf("%d cells, error %v; want %v", len(got), err, c.want)
				}
			} else {
				got, err := client.RequestDAH(ctx, server.ID(), 1, 4)
				if !errors.Is(err, c.want) || got != nil {
					t.Fatalf("DAH %v, error %v; want %v", got != nil, err, c.want)
				}
			}
			if s := client.Score(server.ID()); s != OffenceMalformed.points() {
				t.Fatalf("server score %d, want %d", s, OffenceMalformed.points())
			}
		})
	}
}

// Requests outside the square, or that do not decode, are answered "bad
// request" and penalise the requester.
func TestRowsBadRequests(t *testing.T) {
	server, _, _, _ := rowsPair(t, 4)
	rows := func(height uint64, first, count int) []byte {
		b := binary.BigEndian.AppendUint64(nil, height)
		b = binary.BigEndian.AppendUint16(b, uint16(first))
		return binary.BigEndian.AppendUint16(b, uint16(count))
	}
	cases := []struct {
		name string
		id   protocol.ID
		req  []byte
	}{
		{"dah height 0", dahID(server), make([]byte, 8)},
		{"dah short", dahID(server), []byte{0, 1}},
		{"rows height 0", rowsID(server), rows(0, 0, 1)},
		{"rows count 0", rowsID(server), rows(1, 0, 0)},
		{"rows beyond the largest square", rowsID(server), rows(1, 255, 2)},
		{"rows beyond this square", rowsID(server), rows(1, 6, 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectBadRequest(t, server, c.id, c.req)
		})
	}
}

func FuzzRowsRequest(f *testing.F) {
	for _, r := range []RowsRequest{{1, 0, 1}, {1 << 40, 100, 64}, {0, 0, 1}, {1, 0, 0}, {1, 255, 2}} {
		b := binary.BigEndian.AppendUint64(nil, r.Height)
		b = binary.BigEndian.AppendUint16(b, uint16(r.First))
		f.Add(binary.BigEndian.AppendUint16(b, uint16(r.Count)))
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		var r RowsRequest
		if err := r.UnmarshalBinary(in); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if r.Height == 0 || r.Count < 1 || r.First+r.Count > 2*erasure.MaxWidth {
			t.Fatalf("accepted out-of-bounds request %+v", r)
		}
		if b, err := r.MarshalBinary(); err != nil || !bytes.Equal(b, in) {
			t.Fatalf("%x decodes to %+v which encodes to %x (%v)", in, r, b, err)
		}
	})
}

func FuzzDecodeDAH(f *testing.F) {
	pad := da.TailPaddingShare()
	e, _ := erasure.Extend([]da.Share{pad, pad, pad, pad})
	d, _ := erasure.Commit(e)
	good, err := encodeDAH(d)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, 2)
	f.Add(good[:len(good)-1], 2)
	f.Add(good, 1)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, in []byte, k int) {
		k = int(uint(k) % 9) // small widths (and some invalid ones) keep inputs short
		got, err := DecodeDAH(in, k)
		if err != nil {
			if erasure.ValidWidth(k) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if err := got.Validate(); err != nil || got.Width() != k {
			t.Fatalf("accepted a DAH of width %d for k=%d (%v)", got.Width(), k, err)
		}
		if b, err := encodeDAH(got); err != nil || !bytes.Equal(b, in) {
			t.Fatalf("decoded DAH re-encodes differently (%v)", err)
		}
	})
}
