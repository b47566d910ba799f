package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/filecoin-project/go-jsonrpc"

	"github.com/tartan-da/tartan/da"
)

// celestia-node's JSON-RPC (shared/CELESTIA-RPC.md): the blob, header and
// share methods a Celestia client calls, over HTTP POST and WebSocket on
// one listener, served by filecoin-project/go-jsonrpc, the library
// celestia-node and its clients use, so that ids, channel notifications
// (xrpc.ch.val) and error codes are theirs to the byte. The methods sit on
// the same Services as the REST routes; only the shapes (celestia.go) and
// the error texts clients match on (rpcError) are Celestia's.

// rpcPerm is what the request's credentials allow.
type rpcPerm int

const (
	permRead rpcPerm = iota
	permWrite
)

type rpcPermKey struct{}

func permOf(ctx context.Context) rpcPerm {
	p, _ := ctx.Value(rpcPermKey{}).(rpcPerm)
	return p
}

// rpcSubscribeBuffer is how many heights a subscription may hold for a
// client that reads slower than blocks come; past it the subscription
// waits, and the client catches up in order.
const rpcSubscribeBuffer = 16

// RPCHandler is the JSON-RPC endpoint, for tests and embedding.
func (s *Server) RPCHandler() http.Handler {
	rpc := jsonrpc.NewServer(jsonrpc.WithMaxRequestSize(s.cfg.MaxBodyBytes), jsonrpc.WithTracer(s.traceRPC))
	rpc.Register("blob", &rpcBlob{s})
	rpc.Register("header", &rpcHeader{s})
	rpc.Register("share", &rpcShare{s})
	return s.rpcAuth(rpc)
}

// traceRPC counts every call by method and outcome.
func (s *Server) traceRPC(method string, _ []reflect.Value, results []reflect.Value, err error) {
	if err == nil {
		for _, r := range results {
			if e, ok := r.Interface().(error); ok && e != nil {
				err = e
			}
		}
	}
	s.svc.Metrics.countRPC(method, err == nil)
}

// rpcAuth checks credentials the way the REST API does (auth.go). A
// request that sends a token must send a current one, or it is refused
// with 401, as celestia-node does; one that sends none may read, and may
// write only where the listener needs no token (loopback by default). The
// permission rides in the context to the methods; over WebSocket it is the
// upgrade request's, for the whole connection.
func (s *Server) rpcAuth(next http.Handler) http.Handler {
	required := s.cfg.RPCAuthRequired()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		perm := permWrite
		if required {
			perm = permRead
			if len(r.Header.Values("Authorization")) > 0 {
				challenge, err := s.checkToken(r)
				if err != nil {
					if challenge != "" {
						w.Header().Set("WWW-Authenticate", challenge)
					}
					s.refuse(w, err)
					return
				}
				perm = permWrite
			}
		}
		r.Header.Del("Authorization") // nothing below may log or forward it
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), rpcPermKey{}, perm)))
	})
}

// ServeRPC answers JSON-RPC on ln until ctx ends, then closes every
// connection, WebSocket ones included, and waits for their subscriptions.
func (s *Server) ServeRPC(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Requests in flight, WebSocket connections among them. Once closing
	// is set no request joins conns, so Wait cannot race an Add (a
	// keep-alive connection may outlive a Shutdown that timed out).
	var (
		mu      sync.Mutex
		closing bool
		conns   sync.WaitGroup
	)
	h := s.RPCHandler()
	srv := s.httpServer(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if closing {
			mu.Unlock()
			http.Error(w, "the node is stopping", http.StatusServiceUnavailable)
			return
		}
		conns.Add(1)
		mu.Unlock()
		defer conns.Done()
		h.ServeHTTP(w, r)
	}))
	ln = newConnLimiter(ln, s.cfg.MaxConns, s.cfg.MaxConnsPerClient, s.svc.Metrics, s.log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutdown)
		stop()
		if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	// Hijacked WebSocket connections outlive Shutdown: they end with ctx.
	mu.Lock()
	closing = true
	mu.Unlock()
	cancel()
	conns.Wait()
	s.stopRPCTasks()
	return err
}

// goRPC runs f as a subscription's goroutine, unless the server stops.
func (s *Server) goRPC(f func()) bool {
	s.rpcMu.Lock()
	defer s.rpcMu.Unlock()
	if s.rpcStopped {
		return false
	}
	s.rpcTasks.Go(f)
	return true
}

// stopRPCTasks lets no new subscription start and waits for those
// running, which end with their requests' contexts.
func (s *Server) stopRPCTasks() {
	s.rpcMu.Lock()
	s.rpcStopped = true
	s.rpcMu.Unlock()
	s.rpcTasks.Wait()
}

// rpcError turns a backend error into the text Celestia clients match on
// (CELESTIA-RPC.md §4); everything else keeps our message.
func (s *Server) rpcError(ctx context.Context, err error, height uint64) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotYet):
		return s.fromFuture(ctx, height)
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("blob: not found: %s", message(err))
	case errors.Is(err, da.ErrBlobTooLarge):
		return fmt.Errorf("blob: over size limit: %s", message(err))
	}
	return errors.New(message(err))
}

// fromFuture is celestia-node's answer for a height this node does not
// have yet, which clients wait out and retry.
func (s *Server) fromFuture(ctx context.Context, height uint64) error {
	var network uint64
	if s.svc.Node != nil {
		if info, err := s.svc.Node.Info(ctx); err == nil {
			network = info.Head.Network
		}
	}
	return fmt.Errorf("header: given height is from the future: networkHeight: %d, requestedHeight: %d", network, height)
}

// checkHeight refuses height 0, which celestia-node does not serve.
func checkHeight(height uint64) error {
	if height == 0 {
		return errors.New("header: height must be bigger than zero")
	}
	return nil
}
