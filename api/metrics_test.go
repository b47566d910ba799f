package api

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseExposition parses the text format strictly (expfmt's parser) and
// checks our own families: help text, counters named _total, histograms
// with cumulative buckets ending at +Inf = _count.
func parseExposition(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "tartan_") {
			continue
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			if !strings.HasSuffix(name, "_total") {
				t.Errorf("counter %s is not named _total", name)
			}
		case dto.MetricType_HISTOGRAM:
			for _, m := range f.GetMetric() {
				h := m.GetHistogram()
				var last uint64
				for _, b := range h.GetBucket() {
					if b.GetCumulativeCount() < last {
						t.Errorf("%s: buckets not cumulative at le=%v", name, b.GetUpperBound())
					}
					last = b.GetCumulativeCount()
				}
				if last > h.GetSampleCount() {
					t.Errorf("%s: buckets count %d, more than _count %d", name, last, h.GetSampleCount())
				}
			}
		case dto.MetricType_GAUGE:
		default:
			t.Errorf("%s has type %v", name, f.GetType())
		}
	}
	return fams
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/plain; version=0.0.4; charset=utf-8") {
		t.Fatalf("/metrics: %d %q", resp.StatusCode, ct)
	}
	return parseExposition(t, resp.Body)
}

// value is the sample of family name whose labels include labels; a
// histogram's _bucket (with "le"), _sum and _count are addressed by
// suffix. Zero when absent.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	base, part := name, ""
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suffix); ok && fams[name] == nil {
			base, part = b, suffix
		}
	}
	f := fams[base]
	if f == nil {
		t.Fatalf("no family %s", base)
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if k != "le" && have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case part == "_sum":
			return m.GetHistogram().GetSampleSum()
		case part == "_count":
			return float64(m.GetHistogram().GetSampleCount())
		case part == "_bucket":
			if labels["le"] == "+Inf" {
				return float64(m.GetHistogram().GetSampleCount())
			}
			for _, b := range m.GetHistogram().GetBucket() {
				if fmt.Sprint(b.GetUpperBound()) == labels["le"] {
					return float64(b.GetCumulativeCount())
				}
			}
			t.Fatalf("%s has no bucket le=%s", base, labels["le"])
		}
	}
	return 0
}

// requestCount is how many requests to route ended in status class.
func requestCount(t *testing.T, m *Metrics, route, class string) uint64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "tartan_http_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			if have["route"] == route && have["code"] == class {
				return uint64(s.GetCounter().GetValue())
			}
		}
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
	m.Verdict("available")
	m.Verdict("available")
	m.Verdict("unavailable")
	ts := newTestServer(t, Services{Metrics: m})
	// Labelled families appear with their first series.
	if resp, err := http.Get(ts.URL + "/health"); err == nil {
		resp.Body.Close()
	}
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
		{"tartan_availability_verdicts_total", map[string]string{"status": "available"}, 2},
		{"tartan_availability_verdicts_total", map[string]string{"status": "unavailable"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for name, typ := range map[string]dto.MetricType{
		"tartan_pool_bytes": dto.MetricType_GAUGE, "tartan_pool_submissions": dto.MetricType_GAUGE,
		"tartan_block_build_seconds": dto.MetricType_HISTOGRAM, "tartan_eds_compute_seconds": dto.MetricType_HISTOGRAM,
		"tartan_samples_served_total": dto.MetricType_COUNTER, "tartan_samples_verified_total": dto.MetricType_COUNTER,
		"tartan_samples_failed_total": dto.MetricType_COUNTER, "tartan_sample_latency_seconds": dto.MetricType_HISTOGRAM,
		"tartan_network_head": dto.MetricType_GAUGE, "tartan_local_head": dto.MetricType_GAUGE,
		"tartan_sampled_head": dto.MetricType_GAUGE, "tartan_peers": dto.MetricType_GAUGE,
		"tartan_http_requests_total": dto.MetricType_COUNTER, "tartan_http_request_duration_seconds": dto.MetricType_HISTOGRAM,
		"tartan_http_connections_open": dto.MetricType_GAUGE,
		// The Go runtime and the process.
		"go_goroutines": dto.MetricType_GAUGE, "go_memstats_heap_inuse_bytes": dto.MetricType_GAUGE,
		"go_gc_duration_seconds": dto.MetricType_SUMMARY, "process_resident_memory_bytes": dto.MetricType_GAUGE,
		"process_open_fds": dto.MetricType_GAUGE, "process_cpu_seconds_total": dto.MetricType_COUNTER,
	} {
		if f := fams[name]; f == nil || f.GetType() != typ {
			t.Errorf("%s: %v, want a %v", name, f, typ)
		}
	}
	if got := value(t, fams, "go_goroutines", nil); got < 1 {
		t.Errorf("go_goroutines = %v", got)
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
		prev := 0.0
		if before["tartan_http_requests_total"] != nil {
			prev = value(t, before, "tartan_http_requests_total", l)
		}
		if got := value(t, after, "tartan_http_requests_total", l) - prev; got != c.want {
			t.Errorf("%s %s: counted %v more, want %v", c.route, c.code, got, c.want)
		}
		if got := float64(requestCount(t, m, c.route, c.code)); got < c.want {
			t.Errorf("requestCount(%s, %s) = %v", c.route, c.code, got)
		}
	}
	l := map[string]string{"route": "GET /v1/availability/{height}"}
	if got := value(t, after, "tartan_http_request_duration_seconds_count", l); got != 3 {
		t.Errorf("duration count %v, want 3", got)
	}
}

// Every Metrics is its own registry: two servers in one process count
// apart, and nothing lands in Prometheus's global registry.
func TestMetricsRegistryPerNode(t *testing.T) {
	m1, m2 := NewMetrics(), NewMetrics()
	ts1 := newTestServer(t, Services{Metrics: m1})
	_ = newTestServer(t, Services{Metrics: m2})
	m1.Peers.Set(3)
	m2.Peers.Set(7)
	for range 2 {
		http.Get(ts1.URL + "/health")
	}
	if m1.Peers.Value() != 3 || m2.Peers.Value() != 7 {
		t.Fatalf("peers %v and %v, want 3 and 7", m1.Peers.Value(), m2.Peers.Value())
	}
	if requestCount(t, m1, "GET /health", "2xx") != 2 || requestCount(t, m2, "GET /health", "2xx") != 0 {
		t.Fatal("requests to one server were counted by the other")
	}
	global, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range global {
		if strings.HasPrefix(f.GetName(), "tartan_") || strings.HasPrefix(f.GetName(), "libp2p_") {
			t.Errorf("%s is in Prometheus's global registry", f.GetName())
		}
	}
	// Another collector can join a node's registry.
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tartan_test_extra", Help: "A test gauge."})
	if err := m1.Registerer().Register(g); err != nil {
		t.Fatal(err)
	}
	g.Set(5)
	if got := value(t, scrape(t, ts1.URL), "tartan_test_extra", nil); got != 5 {
		t.Fatalf("a registered collector is not served: %v", got)
	}
}

// The connection limiter reports what it holds and what it refused.
func TestMetricsCountConnections(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxConnsPerClient = 4, 2
	m := NewMetrics()
	svc := allServices(newChain(t))
	svc.Metrics = m
	addr := serveReal(t, cfg, svc)
	a, b := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	c := dialFrom(t, "127.0.0.1", addr)
	if !closedWithin(c, 2*time.Second) {
		t.Fatal("the third connection from one client was not refused")
	}
	gathered := func() map[string]*dto.MetricFamily {
		fams, err := m.Gatherer().Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*dto.MetricFamily{}
		for _, f := range fams {
			out[f.GetName()] = f
		}
		return out
	}
	fams := gathered()
	if open := value(t, fams, "tartan_http_connections_open", nil); open != 2 {
		t.Errorf("connections open %v, want 2", open)
	}
	if refused := value(t, fams, "tartan_http_connections_refused_total", map[string]string{"limit": "per_client"}); refused != 1 {
		t.Errorf("refused per client %v, want 1", refused)
	}
	a.Close()
	b.Close()
	deadline := time.Now().Add(2 * time.Second)
	for value(t, gathered(), "tartan_http_connections_open", nil) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("closed connections are still counted open")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Updates from many goroutines lose nothing (run with -race).
func TestMetricsConcurrentUpdates(t *testing.T) {
	m := NewMetrics()
	ts := newTestServer(t, Services{Metrics: m})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.SamplesVerified.Inc()
				m.PoolBytes.Add(1)
				m.SampleLatencySeconds.Observe(float64(i%4) / 100)
				m.Verdict("available")
			}
		})
	}
	for range 5 {
		scrape(t, ts.URL)
	}
	wg.Wait()
	if m.SamplesVerified.Value() != 8000 || m.PoolBytes.Value() != 8000 || m.SampleLatencySeconds.Count() != 8000 {
		t.Fatalf("lost updates: %d %v %d", m.SamplesVerified.Value(), m.PoolBytes.Value(), m.SampleLatencySeconds.Count())
	}
	fams := scrape(t, ts.URL)
	if got := value(t, fams, "tartan_sample_latency_seconds_bucket", map[string]string{"le": "0.01"}); got != 4000 {
		t.Fatalf("le=0.01 bucket %v, want 4000 (0 and 0.01)", got)
	}
	if got := value(t, fams, "tartan_availability_verdicts_total", map[string]string{"status": "available"}); got != 8000 {
		t.Fatalf("verdicts %v, want 8000", got)
	}
}
