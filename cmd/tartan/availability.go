package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tartan-da/tartan/api"
)

const availabilityUsage = "usage: tartan availability [--node URL] [--json] [HEIGHT]"

// availabilityTimeout bounds one query: the routes answer from memory.
const availabilityTimeout = 10 * time.Second

// runAvailability: tartan availability (API.md §1). With HEIGHT it prints
// that height's status, otherwise the node's summary; --json prints the
// node's answer as it came.
func runAvailability(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "availability")
	nodeURL := fs.String("node", "http://127.0.0.1:26650", "the node's REST API")
	raw := fs.Bool("json", false, "print the node's JSON answer")
	pos, err := parseArgs(e, fs, availabilityUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("want at most one HEIGHT, got %d; %s", len(pos), availabilityUsage)
	}
	base := strings.TrimRight(*nodeURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usageErr("--node %q: want a URL like http://127.0.0.1:26650", *nodeURL)
	}
	path := "/v1/availability"
	var height uint64
	if len(pos) == 1 {
		h, err := strconv.ParseUint(pos[0], 10, 64)
		if err != nil || h == 0 {
			return usageErr("HEIGHT %q: want a positive integer; %s", pos[0], availabilityUsage)
		}
		height = h
		path += "/" + strconv.FormatUint(h, 10)
	}
	body, err := availabilityGet(ctx, base+path, height)
	if err != nil {
		return err
	}
	if *raw {
		_, err := e.stdout.Write(body)
		return err
	}
	if height != 0 {
		var a api.HeightAvailability
		if err := json.Unmarshal(body, &a); err != nil {
			return fmt.Errorf("node at %s answered %s with unexpected JSON: %v", base, path, err)
		}
		printHeightAvailability(e.stdout, a)
		return nil
	}
	var s api.AvailabilitySummary
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("node at %s answered %s with unexpected JSON: %v", base, path, err)
	}
	printAvailabilitySummary(e.stdout, s)
	return nil
}

// availabilityGet fetches url and returns the body of a 200 answer, or an
// error of one line saying what went wrong.
func availabilityGet(ctx context.Context, url string, height uint64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, availabilityTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, usageErr("--node: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the node: %v", oneLineText(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the node's answer: %v", err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var eb struct {
		Error api.Error `json:"error"`
	}
	_ = json.Unmarshal(body, &eb)
	switch {
	case resp.StatusCode == http.StatusNotFound && height != 0 && eb.Error.Code == "not_found":
		return nil, fmt.Errorf("height %d is above the network head", height)
	case eb.Error.Code != "":
		return nil, fmt.Errorf("node answered %d %s: %s", resp.StatusCode, eb.Error.Code, oneLineText(eb.Error.Message))
	default:
		return nil, fmt.Errorf("node answered %s (is %s a Tartan node?)", resp.Status, url)
	}
}

// oneLineText keeps a message from another program on one line.
func oneLineText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// printHeightAvailability prints one line: height, status, k, samples,
// confidence and the bound the confidence rests on.
func printHeightAvailability(w io.Writer, a api.HeightAvailability) {
	fmt.Fprintf(w, "height %d: %s  k=%d  samples %d/%d verified  confidence %s  bound %s\n",
		a.Height, a.Status, a.SquareWidth, a.Samples.Verified, a.Samples.Requested,
		strconv.FormatFloat(a.Confidence, 'g', -1, 64), a.Bound)
}

func printAvailabilitySummary(w io.Writer, s api.AvailabilitySummary) {
	ranges := make([]string, len(s.Available))
	for i, r := range s.Available {
		if r[0] == r[1] {
			ranges[i] = strconv.FormatUint(r[0], 10)
		} else {
			ranges[i] = fmt.Sprintf("%d-%d", r[0], r[1])
		}
	}
	catching := "no"
	if s.CatchingUp {
		catching = "yes"
	}
	fmt.Fprintf(w, "network head  %d\n", s.NetworkHead)
	fmt.Fprintf(w, "sampled head  %d\n", s.SampledHead)
	fmt.Fprintf(w, "available     %s\n", listOrNone(ranges))
	fmt.Fprintf(w, "unavailable   %s\n", listOrNone(heightStrings(s.Unavailable)))
	fmt.Fprintf(w, "fraud         %s\n", listOrNone(heightStrings(s.Fraud)))
	fmt.Fprintf(w, "catching up   %s\n", catching)
}

func heightStrings(hs []uint64) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = strconv.FormatUint(h, 10)
	}
	return out
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
