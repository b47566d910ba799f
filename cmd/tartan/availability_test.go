package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

// fixedAvailability serves a fixed table through the real api server.
type fixedAvailability struct {
	head uint64
	sum  api.AvailabilitySummary
}

func (f fixedAvailability) Availability(_ context.Context, h uint64) (api.HeightAvailability, error) {
	switch {
	case h > f.head:
		return api.HeightAvailability{}, fmt.Errorf("%w: height %d is above the network head %d", api.ErrNotFound, h, f.head)
	case h == 7:
		return api.HeightAvailability{}, fmt.Errorf("%w: peers\nall busy", api.ErrUnavailable)
	}
	return api.HeightAvailability{Height: h, Status: "available", SquareWidth: 8,
		Samples: api.SampleCounts{Requested: 20, Verified: 19}, Confidence: 0.99995,
		Bound: "(k+1)^2 of 4k^2 withheld", Updated: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}, nil
}

func (f fixedAvailability) Summary(context.Context) (api.AvailabilitySummary, error) {
	return f.sum, nil
}

func (f fixedAvailability) Events(context.Context, uint64, map[string]bool) (<-chan api.Event, error) {
	return nil, api.ErrNotServed
}

func availabilityServer(t *testing.T) *httptest.Server {
	t.Helper()
	f := fixedAvailability{head: 10, sum: api.AvailabilitySummary{NetworkHead: 10, SampledHead: 8,
		Available: [][2]uint64{{1, 5}, {7, 7}, {8, 8}}, Unavailable: []uint64{6}, CatchingUp: true}}
	s, err := api.New(api.DefaultConfig(), api.Services{Availability: f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func rawGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestAvailabilityCommand(t *testing.T) {
	ts := availabilityServer(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"summary", []string{"--node", ts.URL}, "network head  10\nsampled head  8\navailable     1-5, 7, 8\n" +
			"unavailable   6\nfraud         none\ncatching up   yes\n"},
		{"height", []string{"--node", ts.URL + "/", "3"},
			"height 3: available  k=8  samples 19/20 verified  confidence 0.99995  bound (k+1)^2 of 4k^2 withheld\n"},
		{"flags after the height", []string{"4", "--node", ts.URL},
			"height 4: available  k=8  samples 19/20 verified  confidence 0.99995  bound (k+1)^2 of 4k^2 withheld\n"},
		{"summary json", []string{"--json", "--node", ts.URL}, rawGet(t, ts.URL+"/v1/availability")},
		{"height json", []string{"--node", ts.URL, "3", "--json"}, rawGet(t, ts.URL+"/v1/availability/3")},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"availability"}, c.args...)...)
			if code != 0 || errs != "" || out != c.want {
				t.Fatalf("exit %d, stderr %q\n got %q\nwant %q", code, errs, out, c.want)
			}
		})
	}
	if !strings.Contains(rawGet(t, ts.URL+"/v1/availability/3"), `"samples":{"requested":20,"verified":19}`) {
		t.Fatal("the --json case compares against an unexpected body")
	}
}

func TestAvailabilityCommandErrors(t *testing.T) {
	ts := availabilityServer(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close() // nothing listens there now
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "oops\nmore", http.StatusInternalServerError)
	}))
	t.Cleanup(plain.Close)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // stderr must contain it
	}{
		{"above the head", []string{"--node", ts.URL, "11"}, 1, "tartan availability: height 11 is above the network head\n"},
		{"node error with a newline", []string{"--node", ts.URL, "7"}, 1, "node answered 503 unavailable: temporarily unavailable: peers all busy\n"},
		{"connection refused", []string{"--node", goneURL}, 1, "cannot reach the node: "},
		{"not a tartan node", []string{"--node", plain.URL, "3"}, 1, "node answered 500 Internal Server Error"},
		{"bad height", []string{"--node", ts.URL, "x"}, 2, "HEIGHT \"x\""},
		{"zero height", []string{"--node", ts.URL, "0"}, 2, "HEIGHT \"0\""},
		{"two heights", []string{"--node", ts.URL, "1", "2"}, 2, "at most one HEIGHT"},
		{"bad url", []string{"--node", "127.0.0.1:1"}, 2, "--node \"127.0.0.1:1\""},
		{"unknown flag", []string{"--nodes", ts.URL}, 2, "flag provided but not defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"availability"}, c.args...)...)
			if code != c.code || out != "" || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, c.code, out, errs, c.want)
			}
			oneLine(t, errs)
		})
	}
}
