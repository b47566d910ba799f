package api

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics are the node's Prometheus metrics, served at GET /metrics in the
// text exposition format 0.0.4. Every update is a few atomic operations,
// so node may update them from any goroutine on hot paths. Build one with
// NewMetrics (the histograms need their buckets) and pass it to New in
// Services.Metrics; a server given none makes its own.
type Metrics struct {
	// Blob pool (producer).
	PoolBytes       Gauge // bytes of blobs waiting for a block
	PoolSubmissions Gauge // submissions waiting for a block
	// Block production (producer) and square computation (every role
	// that builds or verifies an EDS).
	BlockBuildSeconds *Histogram
	EDSComputeSeconds *Histogram
	// Samples: served to peers, and (light nodes) fetched and verified or
	// failed.
	SamplesServed        Counter
	SamplesVerified      Counter
	SamplesFailed        Counter
	SampleLatencySeconds *Histogram
	// Chain progress and connectivity.
	NetworkHead Gauge
	LocalHead   Gauge
	SampledHead Gauge
	Peers       Gauge

	// mu guards the two maps; their values are updated atomically.
	mu           sync.RWMutex
	httpRequests map[httpKey]*Counter
	httpDuration map[string]*Histogram
}

// httpKey labels an HTTP request count: the route pattern and the status
// class ("2xx", …), so the label sets stay few.
type httpKey struct {
	route string
	code  string
}

// DurationBuckets are the upper bounds, in seconds, of every duration
// histogram: from a millisecond (a sample served from memory) to a minute
// (a large block built on a loaded machine).
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics returns metrics with every value zero.
func NewMetrics() *Metrics {
	return &Metrics{
		BlockBuildSeconds:    NewHistogram(DurationBuckets),
		EDSComputeSeconds:    NewHistogram(DurationBuckets),
		SampleLatencySeconds: NewHistogram(DurationBuckets),
		httpRequests:         map[httpKey]*Counter{},
		httpDuration:         map[string]*Histogram{},
	}
}

// Counter only goes up.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Gauge is a value that goes up and down.
type Gauge struct{ bits atomic.Uint64 }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds d (negative to subtract).
func (g *Gauge) Add(d float64) {
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Value is the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// Histogram counts observations in buckets fixed at construction.
type Histogram struct {
	upper   []float64       // sorted upper bounds, without +Inf
	counts  []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	count   atomic.Uint64
	sumBits atomic.Uint64 // float64 bits of the sum
}

// NewHistogram returns a histogram with the given upper bounds (sorted
// and deduplicated here; +Inf is implicit).
func NewHistogram(upper []float64) *Histogram {
	u := slices.Clone(upper)
	slices.Sort(u)
	u = slices.Compact(u)
	u = slices.DeleteFunc(u, func(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) })
	return &Histogram{upper: u, counts: make([]atomic.Uint64, len(u)+1)}
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.upper, v) // first bound ≥ v: buckets are "le"
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	h.count.Add(1)
}

// ObserveDuration records d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(d.Seconds()) }

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.count.Load() }

// RequestCount is how many requests to route (a pattern like
// "GET /v1/node", or "unmatched") answered with a status in class
// ("2xx", "4xx", …).
func (m *Metrics) RequestCount(route, class string) uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c := m.httpRequests[httpKey{route, class}]; c != nil {
		return c.Value()
	}
	return 0
}

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	key := httpKey{route, strconv.Itoa(status/100) + "xx"}
	m.mu.RLock()
	c, h := m.httpRequests[key], m.httpDuration[route]
	m.mu.RUnlock()
	if c == nil || h == nil {
		m.mu.Lock()
		if c = m.httpRequests[key]; c == nil {
			c = new(Counter)
			m.httpRequests[key] = c
		}
		if h = m.httpDuration[route]; h == nil {
			h = NewHistogram(DurationBuckets)
			m.httpDuration[route] = h
		}
		m.mu.Unlock()
	}
	c.Inc()
	h.ObserveDuration(d)
}

// instrument wraps next so every request is counted and timed by the
// route pattern the mux matched (r.Pattern, set by ServeMux in place).
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		m.observeRequest(route, status, time.Since(start))
	})
}

// statusWriter remembers the status; Unwrap lets http.ResponseController
// reach the real writer's Flush (the event stream needs it).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricsContentType is the Prometheus text exposition format.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", metricsContentType)
	_, _ = s.svc.Metrics.WriteTo(w)
}

// WriteTo writes every metric in the text exposition format 0.0.4: for
// each, a HELP and a TYPE line, then its samples.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(w)}
	gauge := func(name, help string, g *Gauge) {
		header(cw, name, "gauge", help)
		fmt.Fprintf(cw, "%s %s\n", name, formatFloat(g.Value()))
	}
	counter := func(name, help string, c *Counter) {
		header(cw, name, "counter", help)
		fmt.Fprintf(cw, "%s %d\n", name, c.Value())
	}
	hist := func(name, help string, h *Histogram) {
		header(cw, name, "histogram", help)
		h.write(cw, name, "")
	}
	gauge("tartan_pool_bytes", "Bytes of blobs in the pool waiting for a block.", &m.PoolBytes)
	gauge("tartan_pool_submissions", "Submissions in the pool waiting for a block.", &m.PoolSubmissions)
	hist("tartan_block_build_seconds", "Time to build a block from the pool.", m.BlockBuildSeconds)
	hist("tartan_eds_compute_seconds", "Time to extend a square and compute its roots.", m.EDSComputeSeconds)
	counter("tartan_samples_served_total", "Samples served to peers.", &m.SamplesServed)
	counter("tartan_samples_verified_total", "Samples fetched and verified against the data root.", &m.SamplesVerified)
	counter("tartan_samples_failed_total", "Samples that could not be fetched or did not verify.", &m.SamplesFailed)
	hist("tartan_sample_latency_seconds", "Time to fetch and verify one sample.", m.SampleLatencySeconds)
	gauge("tartan_network_head", "Highest height known on the network.", &m.NetworkHead)
	gauge("tartan_local_head", "Highest height stored locally.", &m.LocalHead)
	gauge("tartan_sampled_head", "Height up to which every height has an availability verdict.", &m.SampledHead)
	gauge("tartan_peers", "Connected peers.", &m.Peers)

	m.mu.RLock()
	keys := make([]httpKey, 0, len(m.httpRequests))
	for k := range m.httpRequests {
		keys = append(keys, k)
	}
	routes := make([]string, 0, len(m.httpDuration))
	for r := range m.httpDuration {
		routes = append(routes, r)
	}
	m.mu.RUnlock()
	slices.SortFunc(keys, func(a, b httpKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return strings.Compare(a.code, b.code)
	})
	slices.Sort(routes)
	header(cw, "tartan_http_requests_total", "counter", "HTTP requests by route pattern and status class.")
	for _, k := range keys {
		m.mu.RLock()
		c := m.httpRequests[k]
		m.mu.RUnlock()
		fmt.Fprintf(cw, "tartan_http_requests_total{route=%s,code=%s} %d\n", quoteLabel(k.route), quoteLabel(k.code), c.Value())
	}
	header(cw, "tartan_http_request_duration_seconds", "histogram", "HTTP request duration by route pattern (event streams last as long as the client stays).")
	for _, r := range routes {
		m.mu.RLock()
		h := m.httpDuration[r]
		m.mu.RUnlock()
		h.write(cw, "tartan_http_request_duration_seconds", "route="+quoteLabel(r))
	}
	if err := cw.w.Flush(); err != nil && cw.err == nil {
		cw.err = err
	}
	return cw.n, cw.err
}

func header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// write writes the cumulative buckets, the sum and the count. The count
// is read first and the buckets may have moved on meanwhile, so the +Inf
// bucket is the bucket total, keeping +Inf = _count within one scrape.
func (h *Histogram) write(w io.Writer, name, labels string) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, u := range h.upper {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, formatFloat(u), cum)
	}
	cum += h.counts[len(h.upper)].Load()
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	braces := ""
	if labels != "" {
		braces = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n", name, braces, formatFloat(math.Float64frombits(h.sumBits.Load())))
	fmt.Fprintf(w, "%s_count%s %d\n", name, braces, cum)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// quoteLabel quotes a label value as the format wants: backslash, double
// quote and newline escaped.
func quoteLabel(v string) string {
	return `"` + labelEscaper.Replace(v) + `"`
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// countWriter counts bytes and keeps the first error.
type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
