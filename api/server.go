package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// NodeInfo answers GET /v1/node.
type NodeInfo struct {
	Role    string   `json:"role"`
	ChainID string   `json:"chain_id"`
	Version string   `json:"version"`
	PeerID  string   `json:"peer_id"`
	Listen  []string `json:"listen"`
	Peers   int      `json:"peers"`
	Head    Heads    `json:"head"`
	Limits  Limits   `json:"limits"`
	// Started is when the node process started; the uptime is now
	// minus Started, which a client can count on its own clock.
	Started time.Time `json:"started"`
}

// Limits say how much one submission may carry, so that a client can
// refuse a blob before uploading it. The node fills the chain's limits,
// the server its body limit.
type Limits struct {
	// MaxSquareWidth is the chain's largest original square width k.
	MaxSquareWidth int `json:"max_square_width"`
	// MaxBlobBytes is the most data one share-version-0 blob may carry:
	// alone, it fills the largest square (a version-1 blob holds
	// da.SignerSize bytes less).
	MaxBlobBytes int `json:"max_blob_bytes"`
	// MaxBodyBytes bounds a request body (POST /v1/blobs, POST /put).
	// Blob data in JSON is base64, 4/3 of its bytes.
	MaxBodyBytes int64 `json:"max_body_bytes"`
}

// Heads are the heights a node knows: the network's head, what it has
// stored locally, and (light nodes) how far every height has a verdict.
type Heads struct {
	Network uint64 `json:"network"`
	Local   uint64 `json:"local"`
	Sampled uint64 `json:"sampled"`
}

// The services the API consumes, one small interface per route group. A
// role that cannot serve a group leaves it nil and the routes answer 501.

// Node describes the node.
type Node interface {
	Info(ctx context.Context) (NodeInfo, error)
}

// Headers reads the header chain and, where the role holds it, the DAH.
type Headers interface {
	Head(ctx context.Context) (*da.Header, error)
	Header(ctx context.Context, height uint64) (*da.Header, error)
	// DAH returns the row and column roots of a height (full nodes and
	// validators); ErrNotServed on light nodes.
	DAH(ctx context.Context, height uint64) (*erasure.DAH, error)
	// Consensus reads what the consensus engine adds to a header from its
	// certificate.
	Consensus(ctx context.Context, h *da.Header) (ConsensusJSON, error)
}

// Shares serves samples: one cell with its proofs to the data root.
type Shares interface {
	Sample(ctx context.Context, height uint64, row, col int) (*erasure.Sample, error)
}

// Blobs reads and writes blobs. Everything it returns has been verified
// against the height's data root by the backend.
type Blobs interface {
	// Submit includes blobs in a block and returns its height, waiting
	// until then or until ctx ends (ErrTimeout). Submitting a blob that is
	// already pending or included must not include it twice.
	Submit(ctx context.Context, blobs []da.Blob) (height uint64, err error)
	// NamespaceData returns a namespace's shares at a height with the
	// proof that the list is complete.
	NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error)
	// BlobProof proves ODS shares [start, end) of a height to its data root.
	BlobProof(ctx context.Context, height uint64, start, end int) (*erasure.BlobProof, error)
}

// Services are what a node plugs into the API.
type Services struct {
	Node         Node
	Headers      Headers
	Shares       Shares
	Blobs        Blobs
	Availability Availability
	// Settlement is nil when the chain's genesis has no settlement
	// parameters (settlement.go).
	Settlement Settlement
	// Metrics are served at GET /metrics and count every request; nil
	// makes the server its own (node passes the ones it updates).
	Metrics *Metrics
}

// Config configures the server.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// MaxBodyBytes bounds a request body (blob submissions are base64 in
	// JSON, about 4/3 of the blob bytes).
	MaxBodyBytes int64
	// SubmitTimeout is used when a submission names none; MaxSubmitTimeout
	// caps what a client may ask for.
	SubmitTimeout, MaxSubmitTimeout time.Duration
	// RPCAddr is where the Celestia JSON-RPC (rpc.go) listens, host:port,
	// or empty when it does not. Only its host is used here: writes need
	// a token when it is not loopback, as on Addr.
	RPCAddr string
	// AltDANamespace is where POST /put stores its blobs (altda.go); the
	// zero value means the default, "op-alt-da" as a version-0 ID.
	AltDANamespace da.Namespace
	// Auth says when write routes need a bearer token (auth.go); empty
	// means AuthNonLoopback. Authorizer checks the tokens and is required
	// when AuthRequired.
	Auth       AuthMode
	Authorizer Authorizer
	// CORSOrigins are the web origins ("https://app.example") whose pages
	// may call the API from a browser; "*" alone allows any. Empty (the
	// default) grants no cross-origin access.
	CORSOrigins []string

	// Connections: at most MaxConns open at once, MaxConnsPerClient of
	// them from one client address (an IPv4 address or an IPv6 /64);
	// more are answered 503 too_many_connections and closed (conns.go).
	MaxConns, MaxConnsPerClient int
	// ReadHeaderTimeout bounds the wait for a request's header, and
	// IdleTimeout for the next request on a kept-alive connection.
	ReadHeaderTimeout, IdleTimeout time.Duration
	// A request body must arrive, and an answer be taken, at
	// MinTransferRate bytes per second or faster once TransferGrace has
	// passed. Only transfers are timed: an answer that waits (a
	// submission until its block, the event stream) may wait for ever.
	TransferGrace   time.Duration
	MinTransferRate int64
	// ReadBytesInFlight bounds the bytes of blob-read answers held in
	// memory at once; identical reads in flight share one (reads.go).
	ReadBytesInFlight int64
	// UI serves the web dashboard at /ui/ (dashboard.go); off, /ui/ is
	// 404 like any unknown path.
	UI bool
}

// DefaultConfig listens on loopback at the devnet's first port.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:26650",
		MaxBodyBytes:      64 << 20,
		SubmitTimeout:     60 * time.Second,
		MaxSubmitTimeout:  10 * time.Minute,
		MaxConns:          1024,
		MaxConnsPerClient: 256,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		TransferGrace:     10 * time.Second,
		MinTransferRate:   16 << 10,
		ReadBytesInFlight: 64 << 20,
		UI:                true,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("api: listen address %q: %w", c.Addr, err)
	}
	if c.RPCAddr != "" {
		if _, _, err := net.SplitHostPort(c.RPCAddr); err != nil {
			return fmt.Errorf("api: JSON-RPC listen address %q: %w", c.RPCAddr, err)
		}
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("api: max body bytes must be positive, got %d", c.MaxBodyBytes)
	}
	if c.AltDANamespace != (da.Namespace{}) {
		if err := c.AltDANamespace.ValidateForBlob(); err != nil {
			return fmt.Errorf("api: alt-DA namespace: %w", err)
		}
	}
	if c.SubmitTimeout <= 0 || c.MaxSubmitTimeout < c.SubmitTimeout {
		return fmt.Errorf("api: submit timeout %s must be positive and at most the max %s", c.SubmitTimeout, c.MaxSubmitTimeout)
	}
	switch {
	case c.MaxConns <= 0 || c.MaxConnsPerClient <= 0 || c.MaxConnsPerClient > c.MaxConns:
		return fmt.Errorf("api: connection limits: max %d, per client %d; want 0 < per client ≤ max", c.MaxConns, c.MaxConnsPerClient)
	case c.ReadHeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.TransferGrace <= 0:
		return fmt.Errorf("api: header timeout %s, idle timeout %s and transfer grace %s must be positive", c.ReadHeaderTimeout, c.IdleTimeout, c.TransferGrace)
	case c.MinTransferRate <= 0:
		return fmt.Errorf("api: minimum transfer rate %d bytes/s must be positive", c.MinTransferRate)
	case c.ReadBytesInFlight < readReserve:
		return fmt.Errorf("api: read bytes in flight %d, want at least %d", c.ReadBytesInFlight, readReserve)
	}
	if err := ValidateCORSOrigins(c.CORSOrigins); err != nil {
		return fmt.Errorf("api: cors origins: %w", err)
	}
	return c.validateAuth()
}

// Server is the REST API of one node.
type Server struct {
	cfg    Config
	svc    Services
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string // registered patterns, for the OpenAPI check
	// metricsHTTP serves GET /metrics from svc.Metrics' registry.
	metricsHTTP http.Handler
	reads       *reads
	refusals    *refusals
	// rpcTasks are the JSON-RPC subscriptions' goroutines (rpc.go); once
	// rpcStopped no new one starts.
	rpcMu      sync.Mutex
	rpcStopped bool
	rpcTasks   sync.WaitGroup
}

// New builds a server; it starts nothing until Serve.
func New(cfg Config, svc Services, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if svc.Metrics == nil {
		svc.Metrics = NewMetrics()
	}
	s := &Server{cfg: cfg, svc: svc, log: logger, mux: http.NewServeMux(), metricsHTTP: svc.Metrics.metricsHandler(logger),
		reads: newReads(cfg.ReadBytesInFlight), refusals: newRefusals(logger)}
	s.register()
	if err := s.registerUI(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler is the server's routes, for tests and embedding.
func (s *Server) Handler() http.Handler {
	// Auth comes before routing: a write without a token is 401 whatever
	// its path, so probing for routes needs a token too.
	return s.svc.Metrics.instrument(s.logRequests(s.timeTransfers(s.cors(s.requireToken(s.route(s.mux))))))
}

// logRequests logs each request at debug: method, path, status, time.
// Never headers: the Authorization header carries the write token.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.Debug("request", "method", r.Method, "path", clip(r.URL.Path, 200), "status", status,
			"ms", time.Since(start).Milliseconds(), "client", r.RemoteAddr)
	})
}

// Routes lists the registered route patterns ("GET /v1/node", …).
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// httpServer is the net/http server of one listener: the timeouts and
// limits of Config, requests' contexts derived from ctx.
func (s *Server) httpServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully
// (in-flight requests get a few seconds) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer(ctx, s.Handler())
	ln = newConnLimiter(ln, s.cfg.MaxConns, s.cfg.MaxConnsPerClient, s.svc.Metrics, s.log)
	defer s.refusals.flush()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
