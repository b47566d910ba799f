package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are the node's Prometheus metrics, served at GET /metrics. Each
// Metrics has its own registry (never Prometheus's global one), so several
// nodes in one process (tests, the devnet's in-process mode) each export
// their own. The registry also holds the Go runtime and process
// collectors, and whatever the node registers with Registerer (the libp2p
// resource manager's metrics). Updates are lock-free, so node may update
// the metrics from any goroutine on hot paths. Build one with NewMetrics
// and pass it to New in Services.Metrics; a server given none makes its
// own.
type Metrics struct {
	// Mempool (validators).
	PoolBytes       Gauge // bytes of blobs waiting for a block
	PoolSubmissions Gauge // submissions waiting for a block
	// Block commits (validators) and square computation (every role
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

	reg          *prometheus.Registry
	verdicts     *prometheus.CounterVec   // status
	httpRequests *prometheus.CounterVec   // route, code
	httpDuration *prometheus.HistogramVec // route
	connsOpen    prometheus.Gauge
	connsRefused *prometheus.CounterVec // limit
	rpcCalls     *prometheus.CounterVec // method, outcome
}

// DurationBuckets are the upper bounds, in seconds, of every duration
// histogram: from a millisecond (a sample served from memory) to a minute
// (a large block built on a loaded machine).
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics returns metrics with every value zero, in a registry of
// their own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	gauge := func(name, help string) Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		m.reg.MustRegister(g)
		return Gauge{g}
	}
	counter := func(name, help string) Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		m.reg.MustRegister(c)
		return Counter{c}
	}
	histogram := func(name, help string) *Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: DurationBuckets})
		m.reg.MustRegister(h)
		return &Histogram{h}
	}
	m.PoolBytes = gauge("tartan_pool_bytes", "Bytes of blobs in the pool waiting for a block.")
	m.PoolSubmissions = gauge("tartan_pool_submissions", "Submissions in the pool waiting for a block.")
	m.BlockBuildSeconds = histogram("tartan_block_build_seconds", "Time to build a block from the pool.")
	m.EDSComputeSeconds = histogram("tartan_eds_compute_seconds", "Time to extend a square and compute its roots.")
	m.SamplesServed = counter("tartan_samples_served_total", "Samples served to peers.")
	m.SamplesVerified = counter("tartan_samples_verified_total", "Samples fetched and verified against the data root.")
	m.SamplesFailed = counter("tartan_samples_failed_total", "Samples that could not be fetched or did not verify.")
	m.SampleLatencySeconds = histogram("tartan_sample_latency_seconds", "Time to fetch and verify one batch of samples from a peer.")
	m.NetworkHead = gauge("tartan_network_head", "Highest height known on the network.")
	m.LocalHead = gauge("tartan_local_head", "Highest height stored locally.")
	m.SampledHead = gauge("tartan_sampled_head", "Height up to which every height has an availability verdict.")
	m.Peers = gauge("tartan_peers", "Connected peers.")

	m.verdicts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tartan_availability_verdicts_total",
		Help: "Availability verdicts reached, by status (available, unavailable, fraud)."}, []string{"status"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tartan_http_requests_total",
		Help: "HTTP requests by route pattern and status class."}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tartan_http_request_duration_seconds",
		Help:    "HTTP request duration by route pattern (event streams last as long as the client stays).",
		Buckets: DurationBuckets}, []string{"route"})
	m.connsOpen = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tartan_http_connections_open",
		Help: "Open connections to the REST API and the JSON-RPC listener."})
	m.connsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tartan_http_connections_refused_total",
		Help: "Connections to the REST API or JSON-RPC refused at a limit: total (api_max_conns) or per_client (api_max_conns_per_client)."}, []string{"limit"})
	m.rpcCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tartan_rpc_calls_total",
		Help: "JSON-RPC calls by method (blob.Submit, …) and outcome (ok, error)."}, []string{"method", "outcome"})
	// Known label values start at zero, so a rate over them works before
	// the first one happens.
	for _, status := range []string{"available", "unavailable", "fraud"} {
		m.verdicts.WithLabelValues(status)
	}
	m.connsRefused.WithLabelValues("total")
	m.connsRefused.WithLabelValues("per_client")
	m.reg.MustRegister(m.verdicts, m.httpRequests, m.httpDuration, m.connsOpen, m.connsRefused, m.rpcCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registerer is where other parts of the node add their collectors, so
// that they are served at /metrics with the rest.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Gatherer gathers everything /metrics serves.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Verdict counts an availability verdict reached for a height.
func (m *Metrics) Verdict(status string) { m.verdicts.WithLabelValues(status).Inc() }

// countRPC counts one JSON-RPC call. Only registered methods get here, so
// the method label's values are bounded.
func (m *Metrics) countRPC(method string, ok bool) {
	outcome := "error"
	if ok {
		outcome = "ok"
	}
	m.rpcCalls.WithLabelValues(method, outcome).Inc()
}

// Counter only goes up.
type Counter struct{ c prometheus.Counter }

// Inc adds one.
func (c Counter) Inc() { c.c.Inc() }

// Add adds n.
func (c Counter) Add(n uint64) { c.c.Add(float64(n)) }

// Value is the current count.
func (c Counter) Value() uint64 {
	var m dto.Metric
	_ = c.c.Write(&m)
	return uint64(m.GetCounter().GetValue())
}

// Gauge is a value that goes up and down.
type Gauge struct{ g prometheus.Gauge }

// Set sets the value.
func (g Gauge) Set(v float64) { g.g.Set(v) }

// Add adds d (negative to subtract).
func (g Gauge) Add(d float64) { g.g.Add(d) }

// Value is the current value.
func (g Gauge) Value() float64 {
	var m dto.Metric
	_ = g.g.Write(&m)
	return m.GetGauge().GetValue()
}

// Histogram counts observations in the DurationBuckets.
type Histogram struct{ h prometheus.Histogram }

// Observe records one value.
func (h *Histogram) Observe(v float64) { h.h.Observe(v) }

// ObserveDuration records d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.h.Observe(d.Seconds()) }

// Count is the number of observations.
func (h *Histogram) Count() uint64 {
	var m dto.Metric
	_ = h.h.Write(&m)
	return m.GetHistogram().GetSampleCount()
}

// instrument wraps next so every request is counted and timed by the
// route pattern the mux matched (r.Pattern, set by ServeMux in place);
// "unmatched" for what no route took.
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
		m.httpRequests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status; Unwrap lets http.ResponseController
// reach the real writer (the event stream flushes, timeTransfers sets
// deadlines).
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

func (w *statusWriter) Flush() { _ = w.FlushError() }

// FlushError lets the event stream see that a flush failed.
func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricsHandler serves the registry in the Prometheus text format (or
// what the scraper asks for); a collector that fails is logged and the
// rest still served.
func (m *Metrics) metricsHandler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
