package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type sseEvent struct{ id, event, data string }

// sseStream reads Server-Sent Events off one response.
type sseStream struct {
	resp     *http.Response
	r        *bufio.Reader
	cancel   context.CancelFunc
	comments []string
}

// openStream GETs url (with Last-Event-ID when lastID is not empty) and
// checks the stream's headers. The request dies after 10 s so a missing
// event fails the test instead of hanging it.
func openStream(t *testing.T, url, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, resp.Header, raw)
	}
	s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next reads one event; false at the end of the stream.
func (s *sseStream) next(t *testing.T) (sseEvent, bool) {
	t.Helper()
	var ev sseEvent
	fields := 0
	for {
		line, err := s.r.ReadString('\n')
		if err == io.EOF && line == "" {
			return ev, false
		}
		if err != nil {
			t.Fatalf("reading the stream: %v (line %q)", err, line)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if fields > 0 {
				return ev, true
			}
		case strings.HasPrefix(line, ":"):
			s.comments = append(s.comments, line)
		default:
			name, value, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("malformed line %q", line)
			}
			fields++
			switch name {
			case "id":
				ev.id = value
			case "event":
				ev.event = value
			case "data":
				if ev.data != "" {
					t.Fatalf("an event with two data lines: %q", ev.data)
				}
				ev.data = value
			default:
				t.Fatalf("unexpected field %q", line)
			}
		}
	}
}

// expect reads events and checks them against want ("type@height"),
// checking each one's data carries the same height.
func (s *sseStream) expect(t *testing.T, want ...string) []sseEvent {
	t.Helper()
	var got []sseEvent
	for _, w := range want {
		ev, ok := s.next(t)
		if !ok {
			t.Fatalf("stream ended; want %s next (got %v)", w, got)
		}
		got = append(got, ev)
		if name := ev.event + "@" + ev.id; name != w {
			t.Fatalf("got %s, want %s (after %v)", name, w, got[:len(got)-1])
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(ev.data), &body); err != nil {
			t.Fatalf("%s: data %q: %v", w, ev.data, err)
		}
		if id, _ := strconv.ParseFloat(ev.id, 64); body["height"] != id {
			t.Fatalf("%s: data height %v", w, body["height"])
		}
	}
	return got
}

func heights(from, to uint64, types ...string) []string {
	var out []string
	for h := from; h <= to; h++ {
		for _, t := range types {
			out = append(out, fmt.Sprintf("%s@%d", t, h))
		}
	}
	return out
}

func TestEventsArriveInOrderThenLive(t *testing.T) {
	a := newAvailTable()
	a.add(1, "available")
	a.add(2, "available")
	a.add(3, "fraud")
	ts := newTestServer(t, Services{Availability: a})
	s := openStream(t, ts.URL+"/v1/events?from=1", "")
	got := s.expect(t, "header@1", "availability@1", "header@2", "availability@2", "header@3", "availability@3", "fraud@3")
	var av HeightAvailability
	if err := json.Unmarshal([]byte(got[3].data), &av); err != nil || av.Status != "available" || av.Samples.Verified != 16 {
		t.Fatalf("availability data %q: %v", got[3].data, err)
	}
	if got[6].data != `{"height":3,"kind":"bad-encoding"}` {
		t.Fatalf("fraud data %q", got[6].data)
	}
	a.add(4, "available") // live, after the past
	s.expect(t, "header@4", "availability@4")
	a.end() // the backend closes its channel: the stream ends
	if ev, ok := s.next(t); ok {
		t.Fatalf("event %v after the backend closed", ev)
	}
}

func TestEventsTypesFilter(t *testing.T) {
	a := newAvailTable()
	for h := uint64(1); h <= 3; h++ {
		a.add(h, map[bool]string{true: "fraud", false: "available"}[h == 3])
	}
	ts := newTestServer(t, Services{Availability: a})
	s := openStream(t, ts.URL+"/v1/events?from=2&types=availability,fraud", "")
	s.expect(t, "availability@2", "availability@3", "fraud@3")
	a.add(4, "fraud")
	s.expect(t, "availability@4", "fraud@4")

	h := openStream(t, ts.URL+"/v1/events?from=1&types=header", "")
	h.expect(t, heights(1, 4, "header")...)
}

// A client that disconnects mid-stream and reconnects, with from or with
// Last-Event-ID, misses nothing and sees nothing twice, including events
// that happened while it was away.
func TestEventsResume(t *testing.T) {
	all := heights(1, 8, "header", "availability")
	for _, mode := range []string{"from", "last-event-id"} {
		t.Run(mode, func(t *testing.T) {
			a := newAvailTable()
			for h := uint64(1); h <= 5; h++ {
				a.add(h, "available")
			}
			ts := newTestServer(t, Services{Availability: a})
			s := openStream(t, ts.URL+"/v1/events?from=1", "")
			first := s.expect(t, all[:6]...)
			s.close()
			a.add(6, "available") // while disconnected
			last := first[len(first)-1].id
			var r *sseStream
			if mode == "from" {
				n, _ := strconv.Atoi(last)
				r = openStream(t, fmt.Sprintf("%s/v1/events?from=%d", ts.URL, n+1), "")
			} else {
				// As an EventSource reconnects: the original URL plus the
				// header, which wins.
				r = openStream(t, ts.URL+"/v1/events?from=1", last)
			}
			r.expect(t, all[6:12]...)
			a.add(7, "available")
			a.add(8, "available")
			r.expect(t, all[12:]...)
		})
	}
}

func TestEventsWithoutFromStartAfterTheHead(t *testing.T) {
	a := newAvailTable()
	a.add(1, "available")
	a.add(2, "available")
	ts := newTestServer(t, Services{Availability: a})
	s := openStream(t, ts.URL+"/v1/events", "")
	a.add(3, "unavailable")
	s.expect(t, "header@3", "availability@3")
}

func TestEventsBadParameters(t *testing.T) {
	a := newAvailTable()
	a.add(1, "available")
	ts := newTestServer(t, Services{Availability: a})
	for _, c := range []struct{ query, lastID, code string }{
		{"from=0", "", "bad_from"},
		{"from=x", "", "bad_from"},
		{"from=-3", "", "bad_from"},
		{"from=", "", "bad_from"},
		{"from=1&types=header,blocks", "", "bad_types"},
		{"from=1&types=", "", "bad_types"},
		{"from=1", "abc", "bad_last_event_id"},
		{"from=1", "18446744073709551615", "bad_last_event_id"},
		{"from=1", "3-4", "bad_last_event_id"},
		{"from=1", "3-4-XYZ", "bad_last_event_id"},
		{"from=1", "a-4-00", "bad_last_event_id"},
		{"from=1", "3-4-00-5", "bad_last_event_id"},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/events?"+c.query, nil)
		if c.lastID != "" {
			req.Header.Set("Last-Event-ID", c.lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body errorBody
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || err != nil ||
			body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%s (Last-Event-ID %q): %d %q %+v %v", c.query, c.lastID, resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
		}
	}
}

func TestEventsKeepaliveAndClientGoingAway(t *testing.T) {
	old := keepaliveInterval
	keepaliveInterval = 10 * time.Millisecond
	t.Cleanup(func() { keepaliveInterval = old })
	a := newAvailTable()
	a.add(1, "available")
	ts := newTestServer(t, Services{Availability: a})
	s := openStream(t, ts.URL+"/v1/events?from=2", "")
	for range 2 {
		line, err := s.r.ReadString('\n')
		if err != nil || line != ": keepalive\n" {
			t.Fatalf("idle stream sent %q, %v", line, err)
		}
		if line, err = s.r.ReadString('\n'); err != nil || line != "\n" {
			t.Fatalf("keepalive not followed by a blank line: %q, %v", line, err)
		}
	}
	a.add(2, "available")
	s.expect(t, "header@2", "availability@2")
	if n := a.active.Load(); n != 1 {
		t.Fatalf("%d backend streams, want 1", n)
	}
	// The client goes away: the server cancels the backend's context and
	// the backend's goroutine ends.
	s.close()
	deadline := time.Now().Add(5 * time.Second)
	for a.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the backend stream outlived its client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEncodeEvent(t *testing.T) {
	for _, c := range []struct {
		ev   Event
		want string
	}{
		{Event{Type: EventFraud, Height: 5}, "id: 5\nevent: fraud\ndata: {\"height\":5}\n\n"},
		{Event{Type: EventFraud, Height: 5, Data: "a\nb"}, "id: 5\nevent: fraud\ndata: {\"height\":5,\"data\":\"a\\nb\"}\n\n"},
		{Event{Type: EventHeader, Height: 6, Data: HeaderJSON{Height: 6, ChainID: "c"}},
			"id: 6\nevent: header\ndata: " + `{"chain_id":"c","height":6,"time":"0001-01-01T00:00:00Z","prev_hash":"","square_width":0,"data_root":"","hash":"",` +
				`"data_hash":"","validators_hash":"","proposer":"","commit":{"round":0,"block_id":{"hash":"","part_total":0,"part_hash":""},"signatures":null},` +
				`"data_root_proof":{"tx":"","index":0,"total":0,"aunts":null},"certificate":null}` + "\n\n"},
	} {
		var buf bytes.Buffer
		if err := encodeEvent(&buf, c.ev); err != nil || buf.String() != c.want {
			t.Errorf("%+v:\n got %q, %v\nwant %q", c.ev, buf.String(), err, c.want)
		}
	}
	for _, ev := range []Event{
		{Type: "head\ner", Height: 1},
		{Type: "", Height: 1},
		{Type: EventHeader, Height: 2, Data: HeaderJSON{Height: 3}}, // heights disagree
		{Type: EventFraud, Height: 2, Data: func() {}},              // not JSON
	} {
		var buf bytes.Buffer
		if err := encodeEvent(&buf, ev); err == nil || buf.Len() != 0 {
			t.Errorf("%+v encoded as %q", ev, buf.String())
		}
	}
}

// A cursor id without an event-log backend falls back to its floor.
func TestEventsCursorWithoutLogReplaysFromFloor(t *testing.T) {
	a := newAvailTable()
	for h := uint64(1); h <= 4; h++ {
		a.add(h, "available")
	}
	ts := newTestServer(t, Services{Availability: a})
	s := openStream(t, ts.URL+"/v1/events?from=1", EventCursor{Floor: 3, Seq: 99, Boot: "ab"}.String())
	s.expect(t, "header@3", "availability@3", "header@4", "availability@4")
}

func FuzzParseEventCursor(f *testing.F) {
	for _, s := range []string{"1-2-ab", "0-0-", "18446744073709551615-1-0123456789abcdef", "1-2", "x", "--", "1-2-AB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseEventCursor(s)
		if err != nil {
			return
		}
		back, err := ParseEventCursor(c.String())
		if err != nil || back != c {
			t.Fatalf("%q parsed as %+v, which reads back as %+v %v", s, c, back, err)
		}
	})
}
