package node

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/sampling"
)

// TestWithheldCellsAreUnrecoverable checks the withheld set by peeling: a
// row or column with at least k of its 2k cells known is rebuilt whole,
// until nothing changes. The withheld cells must survive that (and be
// exactly (k+1)², the fewest that can), while withholding one row and
// one column fewer would be repaired.
func TestWithheldCellsAreUnrecoverable(t *testing.T) {
	for _, k := range []int{1, 2, 3, 4, 8, 16, 64, 128} {
		withheld := 0
		for r := range 2 * k {
			for c := range 2 * k {
				if withheldCell(k, r, c) {
					withheld++
				}
			}
		}
		if withheld != (k+1)*(k+1) {
			t.Fatalf("k=%d: %d cells withheld, want (k+1)² = %d", k, withheld, (k+1)*(k+1))
		}
		if left := peel(k, func(r, c int) bool { return withheldCell(k, r, c) }); left != withheld {
			t.Fatalf("k=%d: peeling rebuilt %d of the %d withheld cells", k, withheld-left, withheld)
		}
		// The k×k corner block alone is repairable: the set is not
		// larger than needed by accident of the check.
		if left := peel(k, func(r, c int) bool { return r >= k && c >= k }); left != 0 {
			t.Fatalf("k=%d: a k×k block withheld left %d cells unrepaired, want 0", k, left)
		}
	}
}

// submitTagged is submitBlobs with blobs that start with tag, so that
// two calls submit different blobs (a validator answers a resubmitted blob
// with its first height).
func submitTagged(t *testing.T, n *Node, count int, tag string) []uint64 {
	t.Helper()
	sizes := []int{700, 30_000, 150_000}
	var heights []uint64
	for i := range count {
		data := bytes.Repeat([]byte{byte(i + 1)}, sizes[i%len(sizes)])
		copy(data, tag)
		var res api.SubmitResult
		body := map[string]any{"blobs": []blobReq{{"74617274616e2d6e6574", data}}, "timeout": "20s"}
		if code := httpJSON(t, "POST", url(n, "/v1/blobs"), body, &res); code != 200 {
			t.Fatalf("submitting blob %d: status %d", i, code)
		}
		heights = append(heights, res.Height)
	}
	return heights
}

// peel repairs a 2k×2k square missing the cells where missing holds and
// returns how many stay missing.
func peel(k int, missing func(r, c int) bool) int {
	w := 2 * k
	known := make([][]bool, w)
	for r := range known {
		known[r] = make([]bool, w)
		for c := range known[r] {
			known[r][c] = !missing(r, c)
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range w {
			rowKnown, colKnown := 0, 0
			for j := range w {
				if known[i][j] {
					rowKnown++
				}
				if known[j][i] {
					colKnown++
				}
			}
			for j := range w {
				if rowKnown >= k && rowKnown < w && !known[i][j] {
					known[i][j], changed = true, true
				}
				if colKnown >= k && colKnown < w && !known[j][i] {
					known[j][i], changed = true, true
				}
			}
		}
	}
	left := 0
	for r := range w {
		for c := range w {
			if !known[r][c] {
				left++
			}
		}
	}
	return left
}

// TestValidatorWithholdsFromHeight runs a validator with Options.Withhold, a
// full node and two light nodes: the light nodes find every non-empty
// height from the fault on unavailable (having verified the cells that
// are served) and keep finding the rest available; the full node never
// gets a withheld square; nobody is banned for not having data.
func TestValidatorWithholdsFromHeight(t *testing.T) {
	fastSampling(t)
	// Far enough ahead that the blobs submitted first land below it even
	// on a slow machine: 5 s of blocks.
	const from = 50
	fast := testOptions
	testOptions = func(o *Options) { fast(o); o.Withhold = from } // only the validator acts on it
	tn := newTestNet(t, 1, 2, 100*time.Millisecond)
	ctx := context.Background()

	before := submitTagged(t, tn.validator, 2, "before")
	if last := before[len(before)-1]; last >= from {
		t.Fatalf("the blobs meant for before height %d landed at %v: the net started too slowly", from, before)
	}
	waitFor(t, 30*time.Second, fmt.Sprintf("the head to reach height %d", from), func() bool { return localHead(tn.validator) >= from })
	withheld := submitTagged(t, tn.validator, 3, "withheld")
	for _, h := range withheld {
		if h < from {
			t.Fatalf("blob included at height %d, below the fault's %d", h, from)
		}
	}
	last := withheld[len(withheld)-1]
	// A few empty blocks after the last withheld one.
	waitFor(t, 30*time.Second, fmt.Sprintf("height %d", last+3), func() bool { return localHead(tn.validator) >= last+3 })
	target := last + 3

	// The validator's own REST API withholds too, and serves the rest.
	for _, h := range withheld {
		hd, err := tn.validator.chain.Header(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		k := int(hd.SquareWidth)
		if code := httpJSON(t, "GET", url(tn.validator, fmt.Sprintf("/v1/shares/%d/%d/%d", h, 2*k-1, k-1)), nil, nil); code != 404 {
			t.Fatalf("validator serves withheld cell (%d,%d) at height %d: %d", 2*k-1, k-1, h, code)
		}
		if code := httpJSON(t, "GET", url(tn.validator, fmt.Sprintf("/v1/shares/%d/%d/%d", h, 2*k-1, k-2)), nil, nil); code != 200 {
			t.Fatalf("validator does not serve cell (%d,%d) at height %d: %d", 2*k-1, k-2, h, code)
		}
		if code := httpJSON(t, "GET", url(tn.validator, fmt.Sprintf("/v1/blobs/%d?namespace=74617274616e2d6e6574", h)), nil, nil); code != 404 {
			t.Fatalf("validator serves the blobs of withheld height %d: %d", h, code)
		}
	}
	if code := httpJSON(t, "GET", url(tn.validator, fmt.Sprintf("/v1/blobs/%d?namespace=74617274616e2d6e6574", before[0])), nil, nil); code != 200 {
		t.Fatalf("validator does not serve the blobs of height %d, before the fault: %d", before[0], code)
	}

	isWithheld := func(h uint64) bool { return slices.Contains(withheld, h) }
	for _, l := range tn.lights {
		for _, h := range withheld {
			hd, _ := l.chain.Header(ctx, h)
			k := int(hd.SquareWidth)
			// Verified are exactly the session's cells outside the block.
			served := func() int {
				s := storedSession(t, l, h)
				if s == nil {
					return -1
				}
				n := 0
				for _, c := range s.Cells() {
					if !withheldCell(k, int(c.Row), int(c.Col)) {
						n++
					}
				}
				return n
			}
			waitFor(t, 60*time.Second, fmt.Sprintf("withheld height %d unavailable on a light node, its served cells verified", h), func() bool {
				av, code := getAvailability(t, l, h)
				return code == 200 && av.Status == "unavailable" && av.Samples.Verified == served() &&
					av.Samples.Requested == sampling.SampleCount(k, l.sampler.cfg)
			}, func() string {
				return fmt.Sprintf("%s; %d cells outside the withheld block", httpBody(t, url(l, fmt.Sprintf("/v1/availability/%d", h))), served())
			})
		}
		waitFor(t, 60*time.Second, fmt.Sprintf("every other height up to %d available on a light node", target), func() bool {
			for h := uint64(1); h <= target; h++ {
				if isWithheld(h) {
					continue
				}
				if av, code := getAvailability(t, l, h); code != 200 || av.Status != "available" {
					return false
				}
			}
			return true
		}, func() string { return httpBody(t, url(l, "/v1/availability")) })
		var sum api.AvailabilitySummary
		httpJSON(t, "GET", url(l, "/v1/availability"), nil, &sum)
		for _, h := range withheld {
			if !slices.Contains(sum.Unavailable, h) {
				t.Fatalf("light summary %+v does not list withheld height %d", sum, h)
			}
		}
		if sum.SampledHead < target {
			t.Fatalf("light summary %+v: sampled head below %d", sum, target)
		}
	}

	full := tn.fulls[0]
	for _, h := range before {
		waitFor(t, 30*time.Second, fmt.Sprintf("the full node to store height %d", h), func() bool {
			ok, err := full.store.HasSquare(ctx, h)
			return err == nil && ok
		})
	}
	// By now the light nodes have waited out several rounds of the full
	// node's attempts too.
	for _, h := range withheld {
		if ok, err := full.store.HasSquare(ctx, h); err != nil || ok {
			t.Fatalf("the full node holds withheld square %d (%v)", h, err)
		}
		if code := httpJSON(t, "GET", url(full, fmt.Sprintf("/v1/shares/%d/0/0", h)), nil, nil); code == 200 {
			t.Fatalf("the full node serves a cell of withheld height %d", h)
		}
	}
	var info api.NodeInfo
	if code := httpJSON(t, "GET", url(full, "/v1/node"), nil, &info); code != 200 || info.Head.Sampled >= withheld[0] {
		t.Fatalf("the full node reports sampled head %d (status %d), but it lacks square %d", info.Head.Sampled, code, withheld[0])
	}
	tn.checkNoneBanned()
}
