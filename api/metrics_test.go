package api

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// family is one metric parsed from the exposition.
type family struct {
	typ     string
	help    string
	samples []sample
}

type sample struct {
	name   string // with its _bucket/_sum/_count suffix
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)`)
)

// parseExposition parses the text format 0.0.4 strictly: HELP then TYPE
// before a family's samples, samples named after the family, histograms
// with cumulative buckets ending in +Inf equal to _count.
func parseExposition(t *testing.T, text string) map[string]*family {
	t.Helper()
	fams := map[string]*family{}
	var cur string
	var pendingHelp string
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(why string) { t.Fatalf("line %d %q: %s", i+1, line, why) }
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.SplitN(line, " ", 4)
			if len(f) != 4 || f[3] == "" {
				fail("HELP without text")
			}
			if _, dup := fams[f[2]]; dup {
				fail("family seen twice")
			}
			pendingHelp = f[2] + " " + f[3]
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Split(line, " ")
			if len(f) != 4 || !strings.HasPrefix(pendingHelp, f[2]+" ") {
				fail("TYPE not right after its HELP")
			}
			if f[3] != "counter" && f[3] != "gauge" && f[3] != "histogram" {
				fail("unknown type")
			}
			if !strings.HasPrefix(f[2], "tartan_") {
				fail("not a tartan_ metric")
			}
			if f[3] == "counter" && !strings.HasSuffix(f[2], "_total") {
				fail("counter without _total")
			}
			cur = f[2]
			fams[cur] = &family{typ: f[3], help: strings.TrimPrefix(pendingHelp, f[2]+" ")}
			pendingHelp = ""
		case strings.HasPrefix(line, "#") || line == "":
			fail("unexpected comment or blank line")
		default:
			m := sampleLine.FindStringSubmatch(line)
			if m == nil || cur == "" {
				fail("not a sample of a declared family")
			}
			fam := fams[cur]
			base := m[1]
			if fam.typ == "histogram" {
				base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_bucket"), "_sum"), "_count")
				if base == m[1] {
					fail("histogram sample without _bucket, _sum or _count")
				}
			}
			if base != cur {
				fail("sample of another family than " + cur)
			}
			labels := map[string]string{}
			for rest := m[2]; rest != ""; {
				p := labelPair.FindStringSubmatch(rest)
				if p == nil {
					fail("bad labels")
				}
				labels[p[1]] = p[2]
				rest = rest[len(p[0]):]
			}
			v, err := strconv.ParseFloat(m[3], 64)
			if m[3] == "+Inf" {
				v, err = math.Inf(1), nil
			}
			if err != nil {
				fail("bad value")
			}
			fam.samples = append(fam.samples, sample{m[1], labels, v})
		}
	}
	for name, f := range fams {
		if f.typ == "histogram" {
			checkHistogram(t, name, f)
		}
	}
	return fams
}

// checkHistogram checks each label set's buckets are cumulative, end at
// +Inf and that +Inf equals _count.
func checkHistogram(t *testing.T, name string, f *family) {
	t.Helper()
	type series struct {
		les     []float64
		counts  []float64
		sum     bool
		count   float64
		counted bool
	}
	all := map[string]*series{}
	for _, s := range f.samples {
		key := s.labels["route"]
		sr := all[key]
		if sr == nil {
			sr = &series{}
			all[key] = sr
		}
		switch s.name {
		case name + "_bucket":
			le, err := strconv.ParseFloat(s.labels["le"], 64)
			if s.labels["le"] == "+Inf" {
				le, err = math.Inf(1), nil
			}
			if err != nil {
				t.Fatalf("%s: le %q", name, s.labels["le"])
			}
			if n := len(sr.les); n > 0 && (le <= sr.les[n-1] || s.value < sr.counts[n-1]) {
				t.Fatalf("%s{%s}: buckets not increasing or not cumulative at le=%v", name, key, le)
			}
			sr.les, sr.counts = append(sr.les, le), append(sr.counts, s.value)
		case name + "_sum":
			sr.sum = true
		case name + "_count":
			sr.count, sr.counted = s.value, true
		}
	}
	for key, sr := range all {
		n := len(sr.les)
		if n == 0 || !math.IsInf(sr.les[n-1], 1) || !sr.sum || !sr.counted || sr.counts[n-1] != sr.count {
			t.Fatalf("%s{%s}: want buckets ending in +Inf = _count, and _sum: %+v", name, key, sr)
		}
	}
}

func scrape(t *testing.T, url string) map[string]*family {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("/metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return parseExposition(t, string(raw))
}

func value(t *testing.T, fams map[string]*family, name string, labels map[string]string) float64 {
	t.Helper()
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
	f := fams[name]
	if f == nil {
		f = fams[base]
	}
	if f == nil {
		t.Fatalf("no family %s", name)
	}
next:
	for _, s := range f.samples {
		if s.name != name {
			continue
		}
		for k, v := range labels {
			if s.labels[k] != v {
				continue next
			}
		}
		return s.value
	}
	return 0
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.PoolBytes.Set(1234)
	m.PoolSubmissions.Set(3)
	m.PoolSubmissions.Add(-1)
	m.NetworkHead.Set(100)
	m.LocalHead.Set(99)
	m.SampledHead.Set(97)
	m.Peers.Set(4)
	m.SamplesServed.Add(10)
	m.SamplesVerified.Inc()
	m.SamplesFailed.Add(2)
	for _, d := range []time.Duration{500 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 2 * time.Second, 2 * time.Minute} {
		m.SampleLatencySeconds.ObserveDuration(d)
	}
	m.BlockBuildSeconds.Observe(0.2)
	ts := newTestServer(t, Services{Metrics: m})
	fams := scrape(t, ts.URL)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"tartan_pool_bytes", nil, 1234},
		{"tartan_pool_submissions", nil, 2},
		{"tartan_network_head", nil, 100},
		{"tartan_local_head", nil, 99},
		{"tartan_sampled_head", nil, 97},
		{"tartan_peers", nil, 4},
		{"tartan_samples_served_total", nil, 10},
		{"tartan_samples_verified_total", nil, 1},
		{"tartan_samples_failed_total", nil, 2},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "0.001"}, 1},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "0.0025"}, 1},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "0.005"}, 3},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "2.5"}, 4},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "60"}, 4},
		{"tartan_sample_latency_seconds_bucket", map[string]string{"le": "+Inf"}, 5},
		{"tartan_sample_latency_seconds_count", nil, 5},
		{"tartan_sample_latency_seconds_sum", nil, 0.0005 + 0.003 + 0.003 + 2 + 120},
		{"tartan_block_build_seconds_bucket", map[string]string{"le": "0.25"}, 1},
		{"tartan_block_build_seconds_bucket", map[string]string{"le": "0.1"}, 0},
		{"tartan_eds_compute_seconds_count", nil, 0},
	} {
		if got := value(t, fams, c.name, c.labels); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"tartan_pool_bytes", "tartan_pool_submissions", "tartan_block_build_seconds",
		"tartan_eds_compute_seconds", "tartan_samples_served_total", "tartan_samples_verified_total",
		"tartan_samples_failed_total", "tartan_sample_latency_seconds", "tartan_network_head", "tartan_local_head",
		"tartan_sampled_head", "tartan_peers", "tartan_http_requests_total", "tartan_http_request_duration_seconds"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestMetricsCountRequestsByRouteAndClass(t *testing.T) {
	c := newChain(t)
	a := newAvailTable()
	a.add(1, "available")
	m := NewMetrics()
	ts := newTestServer(t, Services{Node: c, Headers: c, Availability: a, Metrics: m})
	get := func(path string, want int) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	before := scrape(t, ts.URL)
	for range 3 {
		get("/v1/node", 200)
	}
	get("/v1/availability/1", 200)
	get("/v1/availability/9", 404)
	get("/v1/availability/x", 400)
	get("/no/such/route", 404)
	get("/v1/headers/1/dah", 501)
	after := scrape(t, ts.URL)
	for _, c := range []struct {
		route, code string
		want        float64
	}{
		{"GET /v1/node", "2xx", 3},
		{"GET /v1/availability/{height}", "2xx", 1},
		{"GET /v1/availability/{height}", "4xx", 2},
		{"unmatched", "4xx", 1},
		{"GET /v1/headers/{height}/dah", "5xx", 1},
		{"GET /metrics", "2xx", 1}, // the first scrape; the second is counted when it ends
	} {
		l := map[string]string{"route": c.route, "code": c.code}
		if got := value(t, after, "tartan_http_requests_total", l) - value(t, before, "tartan_http_requests_total", l); got != c.want {
			t.Errorf("%s %s: counted %v more, want %v", c.route, c.code, got, c.want)
		}
		if got := float64(m.RequestCount(c.route, c.code)); got < c.want {
			t.Errorf("RequestCount(%s, %s) = %v", c.route, c.code, got)
		}
	}
	l := map[string]string{"route": "GET /v1/availability/{height}"}
	if got := value(t, after, "tartan_http_request_duration_seconds_count", l); got != 3 {
		t.Errorf("duration count %v, want 3", got)
	}
}

func TestQuoteLabel(t *testing.T) {
	if got := quoteLabel("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Fatalf("got %s", got)
	}
}

// Updates from many goroutines lose nothing (run with -race).
func TestMetricsConcurrentUpdates(t *testing.T) {
	m := NewMetrics()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				m.SamplesVerified.Inc()
				m.PoolBytes.Add(1)
				m.SampleLatencySeconds.Observe(float64(i%4) / 100)
				m.observeRequest(fmt.Sprintf("GET /r%d", g%2), 200, time.Millisecond)
			}
		}()
	}
	var sb strings.Builder
	for range 5 {
		sb.Reset()
		if _, err := m.WriteTo(&sb); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if m.SamplesVerified.Value() != 8000 || m.PoolBytes.Value() != 8000 || m.SampleLatencySeconds.Count() != 8000 ||
		m.RequestCount("GET /r0", "2xx") != 4000 {
		t.Fatalf("lost updates: %d %v %d %d", m.SamplesVerified.Value(), m.PoolBytes.Value(),
			m.SampleLatencySeconds.Count(), m.RequestCount("GET /r0", "2xx"))
	}
	sb.Reset()
	n, err := m.WriteTo(&sb)
	if err != nil || n != int64(sb.Len()) {
		t.Fatalf("WriteTo returned %d, %v for %d bytes", n, err, sb.Len())
	}
	fams := parseExposition(t, sb.String())
	if got := value(t, fams, "tartan_sample_latency_seconds_bucket", map[string]string{"le": "0.01"}); got != 4000 {
		t.Fatalf("le=0.01 bucket %v, want 4000 (0 and 0.01)", got)
	}
}
