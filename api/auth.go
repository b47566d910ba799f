package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// AuthMode says when write routes need a bearer token (API.md §2 "Errors").
type AuthMode string

const (
	// AuthAlways: every write needs a token.
	AuthAlways AuthMode = "always"
	// AuthNonLoopback: writes need a token only when the API listens on an
	// address other machines can reach. The zero AuthMode means this.
	AuthNonLoopback AuthMode = "non-loopback"
	// AuthNever: no write needs a token.
	AuthNever AuthMode = "never"
)

// ErrUnauthorized is what an Authorizer wraps when it refuses a token (401).
var ErrUnauthorized = errors.New("api: unauthorized")

// Authorizer checks the bearer tokens of write requests. The API owns the
// HTTP side (header parsing, 401, WWW-Authenticate); the node owns where
// tokens live and how they are revoked.
type Authorizer interface {
	// Authorize returns nil when token is current (created and not
	// revoked), otherwise an error wrapping ErrUnauthorized whose message
	// tells the client what to do. The message must not contain the
	// token. Any other error fails the request with 500: a store that
	// cannot be read refuses writes rather than letting them through.
	Authorize(token string) error
}

// maxTokenLen bounds the token we hash; real ones are about 50 bytes.
const maxTokenLen = 512

// validateAuth checks the auth fields of c.
func (c *Config) validateAuth() error {
	switch c.Auth {
	case "", AuthAlways, AuthNonLoopback, AuthNever:
	default:
		return fmt.Errorf("api: auth mode %q (want always, non-loopback or never)", c.Auth)
	}
	if c.AuthRequired() && c.Authorizer == nil {
		return fmt.Errorf("api: auth mode %q on %s needs write tokens, but no Authorizer is configured", c.authMode(), c.Addr)
	}
	if c.RPCAddr != "" && c.RPCAuthRequired() && c.Authorizer == nil {
		return fmt.Errorf("api: auth mode %q on JSON-RPC %s needs write tokens, but no Authorizer is configured", c.authMode(), c.RPCAddr)
	}
	return nil
}

func (c *Config) authMode() AuthMode {
	if c.Auth == "" {
		return AuthNonLoopback
	}
	return c.Auth
}

// AuthRequired reports whether write routes need a bearer token under
// c.Auth and c.Addr.
func (c *Config) AuthRequired() bool { return c.authRequiredAt(c.Addr) }

// RPCAuthRequired is AuthRequired for the JSON-RPC listener, RPCAddr (or
// Addr's answer when RPCAddr is empty, as when a test or an embedding
// serves RPCHandler itself).
func (c *Config) RPCAuthRequired() bool {
	if c.RPCAddr == "" {
		return c.AuthRequired()
	}
	return c.authRequiredAt(c.RPCAddr)
}

func (c *Config) authRequiredAt(addr string) bool {
	switch c.authMode() {
	case AuthAlways:
		return true
	case AuthNever:
		return false
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // Validate refuses it; if asked anyway, be strict
	}
	return !IsLoopbackHost(host)
}

// IsLoopbackHost reports whether a listen host can only be reached from
// this machine: "localhost" or an address in 127.0.0.0/8 or ::1. An empty
// or unspecified host (0.0.0.0, ::) listens everywhere and is not; nor is
// any other name, since what it resolves to can change.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // an IPv6 zone
		host = host[:i]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// unauthorized is the one 401 answer; the message says what is wrong.
func unauthorized(err error) error {
	return &httpError{status: http.StatusUnauthorized, code: "unauthorized", err: err}
}

// requireToken wraps next so that every request with a method that can
// write (anything but GET, HEAD and OPTIONS) carries a current bearer
// token. It goes by method rather than by a list of routes so a new write
// route cannot be left open by mistake.
func (s *Server) requireToken(next http.Handler) http.Handler {
	if !s.cfg.AuthRequired() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		challenge, err := s.checkToken(r)
		// Nothing below needs the credential; dropping it means no handler
		// can log or forward it by mistake.
		r.Header.Del("Authorization")
		if err != nil {
			// Count the refusal under its route, as the mux would have.
			_, r.Pattern = s.mux.Handler(r)
			if challenge != "" {
				w.Header().Set("WWW-Authenticate", challenge)
			}
			s.refuse(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkToken checks r's bearer token. On failure it returns the
// WWW-Authenticate challenge (RFC 6750 §3) to send with the error.
func (s *Server) checkToken(r *http.Request) (challenge string, err error) {
	const realm = `Bearer realm="tartan"`
	const how = "send Authorization: Bearer <token> (or the token as the password of Basic auth, http://user:<token>@host/), a token the node's operator creates with `tartan auth token create --dir <node dir>`"
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return realm, unauthorized(fmt.Errorf("%w: write routes need a bearer token here; %s", ErrUnauthorized, how))
	}
	token, ok := bearerToken(values)
	if _, pass, basic := r.BasicAuth(); basic && len(values) == 1 {
		// Clients that can only be given a URL (op-batcher's alt-DA
		// client, for one) send http://user:TOKEN@host/ as Basic auth.
		token, ok = pass, validToken(pass)
	}
	if !ok {
		return realm + `, error="invalid_request"`,
			unauthorized(fmt.Errorf("%w: the Authorization header is not one \"Bearer <token>\"; %s", ErrUnauthorized, how))
	}
	if err := s.cfg.Authorizer.Authorize(token); err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return realm + `, error="invalid_token"`, unauthorized(err)
		}
		return "", err
	}
	return "", nil
}

// bearerToken extracts the token of a single "Bearer <token>" header
// value; the scheme is case-insensitive (RFC 7235) and the token must be
// RFC 6750's b64token.
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, validToken(token)
}

// validToken reports whether token has the shape of RFC 6750's b64token
// (every token we issue does) and a sane length.
func validToken(token string) bool {
	if token == "" || len(token) > maxTokenLen {
		return false
	}
	body := strings.TrimRight(token, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
