package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// availTable is a small in-memory Availability: a table of verdicts and an
// append-only log of events. node's real implementation is tested in node;
// this one exists to test the routes and the stream against API.md.
type availTable struct {
	mu      sync.Mutex // guards everything below
	head    uint64
	heights map[uint64]HeightAvailability
	log     []Event
	grew    chan struct{} // closed and replaced when log grows
	closed  chan struct{} // closed by end: every stream's channel closes
	sum     *AvailabilitySummary
	active  atomic.Int32 // Events goroutines running
}

func newAvailTable() *availTable {
	return &availTable{heights: map[uint64]HeightAvailability{}, grew: make(chan struct{}), closed: make(chan struct{})}
}

var testUpdated = time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)

// add records height h with status, and its header and availability
// events (and a fraud event when the status is fraud).
func (a *availTable) add(h uint64, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ha := HeightAvailability{Height: h, Status: status, SquareWidth: 4,
		Samples: SampleCounts{Requested: 16, Verified: 16}, Confidence: 0.9999,
		Bound: "(k+1)^2 of 4k^2 withheld", Updated: testUpdated}
	a.heights[h] = ha
	a.head = max(a.head, h)
	a.log = append(a.log,
		Event{Type: EventHeader, Height: h, Data: HeaderJSON{ChainID: "test", Height: h, SquareWidth: 4}},
		Event{Type: EventAvailability, Height: h, Data: ha})
	if status == "fraud" {
		// A notice without a height field: the stream must add it.
		a.log = append(a.log, Event{Type: EventFraud, Height: h, Data: map[string]string{"kind": "bad-encoding"}})
	}
	close(a.grew)
	a.grew = make(chan struct{})
}

func (a *availTable) end() { close(a.closed) }

func (a *availTable) Availability(_ context.Context, h uint64) (HeightAvailability, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h > a.head {
		return HeightAvailability{}, fmt.Errorf("%w: height %d is above the network head %d", ErrNotFound, h, a.head)
	}
	return a.heights[h], nil
}

func (a *availTable) Summary(context.Context) (AvailabilitySummary, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sum != nil {
		return *a.sum, nil
	}
	s := AvailabilitySummary{NetworkHead: a.head, SampledHead: a.head}
	keys := make([]uint64, 0, len(a.heights))
	for h := range a.heights {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	for _, h := range keys {
		switch a.heights[h].Status {
		case "available":
			if n := len(s.Available); n > 0 && s.Available[n-1][1] == h-1 {
				s.Available[n-1][1] = h
			} else {
				s.Available = append(s.Available, [2]uint64{h, h})
			}
		case "unavailable":
			s.Unavailable = append(s.Unavailable, h)
		case "fraud":
			s.Fraud = append(s.Fraud, h)
		}
	}
	return s, nil
}

func (a *availTable) Events(ctx context.Context, from uint64, types map[string]bool) (<-chan Event, error) {
	ch := make(chan Event)
	a.active.Add(1)
	go func() {
		defer a.active.Add(-1)
		defer close(ch)
		next := 0
		for {
			a.mu.Lock()
			todo, grew := slices.Clone(a.log[next:]), a.grew
			next = len(a.log)
			a.mu.Unlock()
			for _, ev := range todo {
				if ev.Height < from || (len(types) > 0 && !types[ev.Type]) {
					continue
				}
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				case <-a.closed:
					return
				}
			}
			select {
			case <-grew:
			case <-ctx.Done():
				return
			case <-a.closed:
				return
			}
		}
	}()
	return ch, nil
}

// getMap GETs url and decodes the JSON answer into a generic map.
func getMap(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	var m map[string]any
	status, _ := call(t, "GET", url, "", &m)
	return status, m
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestHeightAvailabilityShape(t *testing.T) {
	a := newAvailTable()
	a.add(1, "available")
	a.add(2, "unavailable")
	ts := newTestServer(t, Services{Availability: a})

	status, m := getMap(t, ts.URL+"/v1/availability/2")
	if status != 200 {
		t.Fatalf("status %d: %v", status, m)
	}
	want := []string{"bound", "confidence", "height", "samples", "square_width", "status", "updated"}
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if m["height"] != float64(2) || m["status"] != "unavailable" || m["square_width"] != float64(4) ||
		m["confidence"] != 0.9999 || m["bound"] != "(k+1)^2 of 4k^2 withheld" {
		t.Fatalf("values: %v", m)
	}
	samples, ok := m["samples"].(map[string]any)
	if !ok || !slices.Equal(keysOf(samples), []string{"requested", "verified"}) ||
		samples["requested"] != float64(16) || samples["verified"] != float64(16) {
		t.Fatalf("samples: %#v", m["samples"])
	}
	updated, _ := m["updated"].(string)
	if ts, err := time.Parse(time.RFC3339Nano, updated); err != nil || !ts.Equal(testUpdated) {
		t.Fatalf("updated %q: %v", updated, err)
	}

	var e errorBody
	if status, _ := call(t, "GET", ts.URL+"/v1/availability/3", "", &e); status != 404 || e.Error.Code != "not_found" {
		t.Fatalf("above the head: %d %+v", status, e)
	}
	for _, bad := range []string{"0", "x", "-1", "18446744073709551616"} {
		if status, _ := call(t, "GET", ts.URL+"/v1/availability/"+bad, "", &e); status != 400 || e.Error.Code != "bad_height" {
			t.Errorf("height %q: %d %+v", bad, status, e)
		}
	}
}

func TestAvailabilitySummaryShape(t *testing.T) {
	a := newAvailTable()
	for h, st := range []string{"available", "available", "unavailable", "available", "fraud", "available", "available"} {
		a.add(uint64(h+1), st)
	}
	ts := newTestServer(t, Services{Availability: a})
	status, m := getMap(t, ts.URL+"/v1/availability")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want := []string{"available", "catching_up", "fraud", "network_head", "sampled_head", "unavailable"}
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if m["network_head"] != float64(7) || m["sampled_head"] != float64(7) || m["catching_up"] != false {
		t.Fatalf("values: %v", m)
	}
	got, _ := json.Marshal([]any{m["available"], m["unavailable"], m["fraud"]})
	if string(got) != `[[[1,2],[4,4],[6,7]],[3],[5]]` {
		t.Fatalf("lists: %s", got)
	}

	// A node with no verdicts yet: the lists are [], never null.
	a.mu.Lock()
	a.sum = &AvailabilitySummary{NetworkHead: 9, CatchingUp: true}
	a.mu.Unlock()
	resp, err := http.Get(ts.URL + "/v1/availability")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	const wantRaw = `{"network_head":9,"sampled_head":0,"available":[],"unavailable":[],"fraud":[],"catching_up":true}` + "\n"
	if string(raw) != wantRaw {
		t.Fatalf("empty summary:\n got %s\nwant %s", raw, wantRaw)
	}
}

func TestAvailabilityWithoutServiceAnswers501(t *testing.T) {
	ts := newTestServer(t, Services{})
	for _, path := range []string{"/v1/availability", "/v1/availability/1", "/v1/events?from=1"} {
		var body errorBody
		if status, _ := call(t, "GET", ts.URL+path, "", &body); status != 501 || body.Error.Code != "not_served" {
			t.Errorf("%s: %d %+v", path, status, body)
		}
	}
}
