package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// countingBlobs counts namespace reads and how many run at once, each
// taking delay, so a test can see whether reads were coalesced or queued.
type countingBlobs struct {
	*chain
	delay          time.Duration
	calls, running atomic.Int64
	mu             sync.Mutex
	peak           int64
}

func (c *countingBlobs) NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	c.calls.Add(1)
	now := c.running.Add(1)
	defer c.running.Add(-1)
	c.mu.Lock()
	c.peak = max(c.peak, now)
	c.mu.Unlock()
	select {
	case <-time.After(c.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.chain.NamespaceData(ctx, height, ns)
}

// burst sends n GETs of each url at once and returns the bodies by url,
// failing on any answer but 200.
func burst(t *testing.T, n int, urls ...string) map[string][]string {
	t.Helper()
	var mu sync.Mutex
	out := map[string][]string{}
	var wg sync.WaitGroup
	for _, u := range urls {
		for range n {
			wg.Go(func() {
				resp, err := http.Get(u)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
				}
				mu.Lock()
				out[u] = append(out[u], string(b))
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return out
}

func TestIdenticalReadsAreCoalesced(t *testing.T) {
	c := &countingBlobs{chain: newChain(t), delay: 300 * time.Millisecond}
	ns := "74617274616e2d746573"
	height, err := c.Submit(context.Background(), mustBlobs(t, ns, strings.Repeat("coalesce ", 2000)))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Services{Node: c, Headers: c, Shares: c, Blobs: c})
	u := fmt.Sprintf("%s/v1/blobs/%d?namespace=%s&proof=true", ts.URL, height, ns)
	bodies := burst(t, 100, u)[u]
	if len(bodies) != 100 {
		t.Fatalf("%d answers, want 100", len(bodies))
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatal("identical reads got different answers")
		}
	}
	if !strings.Contains(bodies[0], `"commitment"`) {
		t.Fatalf("answer holds no blob: %.200s", bodies[0])
	}
	// All 100 arrive within the 300 ms one read takes: one fetch, or a
	// very few if the scheduler spread them out.
	if calls := c.calls.Load(); calls > 3 {
		t.Fatalf("100 identical reads in flight made %d namespace fetches, want 1", calls)
	}
	// The flight is gone once answered: a later read fetches afresh.
	before := c.calls.Load()
	burst(t, 1, u)
	if c.calls.Load() != before+1 {
		t.Fatal("a read after the burst reused a finished flight")
	}
}

func TestReadBytesInFlightQueueDistinctReads(t *testing.T) {
	c := &countingBlobs{chain: newChain(t), delay: 50 * time.Millisecond}
	cfg := DefaultConfig()
	cfg.ReadBytesInFlight = readReserve // room for one read at a time
	s, err := New(cfg, Services{Node: c, Headers: c, Shares: c, Blobs: c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	var urls []string
	for i := range 8 {
		ns := fmt.Sprintf("74617274616e2d7465%02x", i)
		height, err := c.Submit(context.Background(), mustBlobs(t, ns, fmt.Sprintf("read %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", ts.URL, height, ns))
	}
	burst(t, 3, urls...)
	if c.peak != 1 {
		t.Fatalf("with room for one answer, %d reads were computed at once", c.peak)
	}
	if calls := c.calls.Load(); calls < 8 {
		t.Fatalf("%d fetches for 8 distinct reads", calls)
	}
}

func TestReadBudgetIsConfigChecked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ReadBytesInFlight = 1
	if _, err := New(cfg, Services{}, nil); err == nil || !strings.Contains(err.Error(), "read bytes in flight") {
		t.Fatalf("a read budget below one read's reserve: err %v", err)
	}
}

func mustBlobs(t *testing.T, nsHex, data string) []da.Blob {
	t.Helper()
	ns, err := da.ParseNamespace(nsHex)
	if err != nil {
		t.Fatal(err)
	}
	b, err := da.NewBlob(ns, []byte(data), da.ShareVersionZero, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []da.Blob{b}
}
