package node

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

type sse struct {
	id, typ string
	height  uint64
}

// readSSE opens GET path on n with Last-Event-ID lastID (when not empty)
// and returns the first count events of the stream.
func readSSE(t *testing.T, n *Node, path, lastID string, count int) []sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url(n, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	var out []sse
	var cur sse
	sc := bufio.NewScanner(resp.Body)
	for len(out) < count && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.typ = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var body struct {
				Height uint64 `json:"height"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &body); err != nil {
				t.Fatalf("event data %q: %v", line, err)
			}
			cur.height = body.Height
		case line == "" && cur.typ != "":
			out = append(out, cur)
			cur = sse{}
		}
	}
	if len(out) < count {
		t.Fatalf("GET %s: %d events of %d (%v)", path, len(out), count, sc.Err())
	}
	return out
}

// checkEventResume checks, over HTTP on a node whose heights 1..target
// have verdicts, that Last-Event-ID resumes right after the event it
// names, and that a cursor the node's log does not know (another process,
// say) falls back to replaying from the cursor's floor.
func checkEventResume(t *testing.T, n *Node, target uint64) {
	t.Helper()
	all := readSSE(t, n, "/v1/events?from=1", "", int(target))
	mid := len(all) / 2
	again := readSSE(t, n, "/v1/events?from=1", all[mid].id, 3)
	for i, e := range again {
		if w := all[mid+1+i]; e != w {
			t.Fatalf("resuming after %s: event %d is %+v, want %+v", all[mid].id, i, e, w)
		}
	}
	floor := target / 2
	foreign := api.EventCursor{Floor: floor, Seq: 7, Boot: "0123abcd"}.String()
	// Every height from the floor has a header and a verdict: that many
	// events, in the order the node learnt of them (a light node may log
	// the gossiped head's verdict before the headers it syncs below it),
	// none below the floor, and the floor's header among them.
	replay := readSSE(t, n, "/v1/events", foreign, 2*int(target-floor+1))
	if !slices.ContainsFunc(replay, func(e sse) bool { return e.typ == api.EventHeader && e.height == floor }) {
		t.Fatalf("a foreign cursor with floor %d: no header %d in the replay %+v", floor, floor, replay)
	}
	for _, e := range replay {
		if e.height < floor {
			t.Fatalf("a foreign cursor with floor %d: replayed %+v", floor, e)
		}
		if _, err := api.ParseEventCursor(e.id); err != nil {
			t.Fatalf("event id %q: %v", e.id, err)
		}
	}
}
