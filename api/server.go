package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	// DAH returns the row and column roots of a height (full nodes and the
	// producer); ErrNotServed on light nodes.
	DAH(ctx context.Context, height uint64) (*erasure.DAH, error)
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
	// AltDANamespace is where POST /put stores its blobs (altda.go); the
	// zero value means the default, "op-alt-da" as a version-0 ID.
	AltDANamespace da.Namespace
	// Auth says when write routes need a bearer token (auth.go); empty
	// means AuthNonLoopback. Authorizer checks the tokens and is required
	// when AuthRequired.
	Auth       AuthMode
	Authorizer Authorizer
}

// DefaultConfig listens on loopback at the devnet's first port.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:26650",
		MaxBodyBytes:     64 << 20,
		SubmitTimeout:    60 * time.Second,
		MaxSubmitTimeout: 10 * time.Minute,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("api: listen address %q: %w", c.Addr, err)
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
	return c.validateAuth()
}

// Server is the REST API of one node.
type Server struct {
	cfg    Config
	svc    Services
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string // registered patterns, for the OpenAPI check
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
	s := &Server{cfg: cfg, svc: svc, log: logger, mux: http.NewServeMux()}
	s.register()
	return s, nil
}

// Handler is the server's routes, for tests and embedding.
func (s *Server) Handler() http.Handler {
	return s.svc.Metrics.instrument(s.requireToken(s.mux))
}

// Routes lists the registered route patterns ("GET /v1/node", …).
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully
// (in-flight requests get a few seconds) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
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
