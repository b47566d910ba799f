package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// tokenSet is the smallest real Authorizer: tokens in memory, revocable.
// The node's file-backed one is tested in node/auth_test.go and end to
// end in cmd/tartan.
type tokenSet struct {
	mu     sync.Mutex
	tokens map[string]bool
	fail   error // returned for every token when set
}

func (s *tokenSet) Authorize(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if !s.tokens[token] {
		return fmt.Errorf("%w: unknown or revoked token", ErrUnauthorized)
	}
	return nil
}

func (s *tokenSet) revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

const (
	goodToken    = "tartan_GoodGoodGoodGoodGoodGoodGoodGoodGoodGood123"
	revokedToken = "tartan_RevokedRevokedRevokedRevokedRevoked12345"
)

// authServer serves a real chain with the given auth settings and logs at
// debug level into the returned buffer.
func authServer(t *testing.T, mode AuthMode, addr string, authz Authorizer) (*httptest.Server, *chain, *syncBuffer, *Metrics) {
	t.Helper()
	c := newChain(t)
	cfg := DefaultConfig()
	cfg.Addr, cfg.Auth, cfg.Authorizer = addr, mode, authz
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := allServices(c)
	svc.Metrics = NewMetrics()
	s, err := New(cfg, svc, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, c, logs, svc.Metrics
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// authCall sends one request with the given Authorization header values
// and returns the status, headers and decoded error (if any).
func authCall(t *testing.T, method, url, body string, auth ...string) (int, http.Header, Error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var eb errorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(raw, &eb); err != nil {
			t.Fatalf("%s %s: %d with a body that is not the error shape: %q", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header, eb.Error
}

func headOf(t *testing.T, c *chain) uint64 {
	t.Helper()
	h, err := c.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Height
}

func TestAuthAlwaysRefusesMissingMalformedWrongAndRevokedTokens(t *testing.T) {
	tokens := &tokenSet{tokens: map[string]bool{goodToken: true, revokedToken: true}}
	ts, c, logs, m := authServer(t, AuthAlways, "127.0.0.1:0", tokens)
	body := submitBody([2]string{"74617274616e2d746573", "auth"})

	// Valid before the revocation, so the refusal below is the revoke's.
	if code, _, e := authCall(t, "POST", ts.URL+"/v1/blobs", body, "Bearer "+revokedToken); code != 200 {
		t.Fatalf("revocable token before revoking: %d %+v", code, e)
	}
	tokens.revoke(revokedToken)
	start := headOf(t, c)

	cases := []struct {
		name      string
		auth      []string
		challenge string // the WWW-Authenticate error, "" for none
		message   string // a part of the message
	}{
		{"missing", nil, "", "tartan auth token create"},
		{"basic with a wrong password", []string{"Basic dXNlcjpwYXNz"}, "invalid_token", "unknown or revoked"},
		{"basic, not base64", []string{"Basic !!!"}, "invalid_request", "Bearer <token>"},
		{"basic with the revoked token", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("op:"+revokedToken))}, "invalid_token", "unknown or revoked"},
		{"no token", []string{"Bearer"}, "invalid_request", "Bearer <token>"},
		{"empty token", []string{"Bearer   "}, "invalid_request", "Bearer <token>"},
		{"two words", []string{"Bearer " + goodToken + " extra"}, "invalid_request", "Bearer <token>"},
		{"bad characters", []string{"Bearer tartan_a\"b"}, "invalid_request", "Bearer <token>"},
		{"only padding", []string{"Bearer =="}, "invalid_request", "Bearer <token>"},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxTokenLen+1)}, "invalid_request", "Bearer <token>"},
		{"two headers", []string{"Bearer " + goodToken, "Bearer " + goodToken}, "invalid_request", "Bearer <token>"},
		{"wrong", []string{"Bearer tartan_WrongWrongWrongWrongWrongWrongWrongWrong12345"}, "invalid_token", "unknown or revoked"},
		{"revoked", []string{"Bearer " + revokedToken}, "invalid_token", "unknown or revoked"},
		{"token in another case", []string{"Bearer " + strings.ToLower(goodToken)}, "invalid_token", "unknown or revoked"},
	}
	for _, tc := range cases {
		code, h, e := authCall(t, "POST", ts.URL+"/v1/blobs", body, tc.auth...)
		if code != http.StatusUnauthorized || e.Code != "unauthorized" {
			t.Errorf("%s: %d %q, want 401 unauthorized", tc.name, code, e.Code)
			continue
		}
		if !strings.Contains(e.Message, tc.message) {
			t.Errorf("%s: message %q does not say %q", tc.name, e.Message, tc.message)
		}
		ch := h.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, "Bearer ") {
			t.Errorf("%s: WWW-Authenticate %q, want a Bearer challenge", tc.name, ch)
		}
		if tc.challenge == "" && strings.Contains(ch, "error=") || tc.challenge != "" && !strings.Contains(ch, `error="`+tc.challenge+`"`) {
			t.Errorf("%s: WWW-Authenticate %q, want error %q", tc.name, ch, tc.challenge)
		}
	}
	if got := headOf(t, c); got != start {
		t.Fatalf("refused submissions reached the chain: head %d → %d", start, got)
	}
	if n := requestCount(t, m, "POST /v1/blobs", "4xx"); n != uint64(len(cases)) {
		t.Errorf("4xx count of POST /v1/blobs = %d, want %d (refusals are counted under their route)", n, len(cases))
	}

	// The scheme is case-insensitive; a valid token gets through.
	for _, auth := range []string{"Bearer " + goodToken, "bearer  " + goodToken} {
		if code, _, e := authCall(t, "POST", ts.URL+"/v1/blobs", body, auth); code != 200 {
			t.Fatalf("%q: %d %+v, want 200", auth, code, e)
		}
	}
	// A client given only a URL (op-batcher's alt-DA client) puts the
	// token in it; Go's client sends it as Basic auth.
	withToken := strings.Replace(ts.URL, "http://", "http://op-batcher:"+goodToken+"@", 1)
	if code, _, e := authCall(t, "POST", withToken+"/v1/blobs", body); code != 200 {
		t.Fatalf("token in the URL: %d %+v, want 200", code, e)
	}
	if got := headOf(t, c); got != start+3 {
		t.Fatalf("three authorized submissions moved the head %d → %d, want +3", start, got)
	}

	// Nothing wrote a token into the logs, not even at debug level.
	for _, tok := range []string{goodToken, revokedToken, "WrongWrong", "dXNlcjpwYXNz"} {
		if strings.Contains(logs.String(), tok) {
			t.Fatalf("the log holds a token (%s): %s", tok, logs.String())
		}
	}
}

// Every write route, present and future (POST /put, …), and any path or
// method that could write, is refused without a token; reads are open.
func TestAuthCoversEveryWriteRouteAndNoRead(t *testing.T) {
	ts, _, _, _ := authServer(t, AuthAlways, "127.0.0.1:0", &tokenSet{tokens: map[string]bool{goodToken: true}})
	s, err := New(DefaultConfig(), Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{height}", "1", "{row}", "0", "{col}", "0", "{namespace}", "74617274616e2d746573",
		"{commitment}", strings.Repeat("ab", 32))
	writes := 0
	for _, route := range s.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if route == "GET /v1/events" {
			continue // a stream that does not end
		}
		path = fill.Replace(path)
		if strings.Contains(path, "{") {
			// A new wildcard: any value reaches the auth check first.
			path = path[:strings.Index(path, "{")] + "x"
		}
		code, _, e := authCall(t, method, ts.URL+path, "{}")
		switch method {
		case "GET", "HEAD":
			if code == http.StatusUnauthorized {
				t.Errorf("%s: a read route asks for a token", route)
			}
		default:
			writes++
			if code != http.StatusUnauthorized || e.Code != "unauthorized" {
				t.Errorf("%s without a token: %d %q, want 401", route, code, e.Code)
			}
		}
	}
	if writes == 0 {
		t.Fatal("no write route registered")
	}
	for _, r := range []string{"POST /v1/no-such-route", "DELETE /v1/blobs", "PUT /v1/blobs/1", "PATCH /health"} {
		method, path, _ := strings.Cut(r, " ")
		if code, _, _ := authCall(t, method, ts.URL+path, "{}"); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", r, code)
		}
	}
	if code, _, _ := authCall(t, "GET", ts.URL+"/v1/headers/head", ""); code != 200 {
		t.Errorf("GET /v1/headers/head without a token: %d, want 200", code)
	}
}

func TestAuthModes(t *testing.T) {
	body := submitBody([2]string{"74617274616e2d746573", "mode"})
	for _, tc := range []struct {
		mode      AuthMode
		addr      string
		needToken bool
	}{
		{AuthNever, "0.0.0.0:26650", false},
		{AuthNever, "127.0.0.1:0", false},
		{AuthAlways, "127.0.0.1:0", true},
		{AuthNonLoopback, "127.0.0.1:0", false},
		{AuthNonLoopback, "127.8.9.10:0", false},
		{AuthNonLoopback, "[::1]:0", false},
		{AuthNonLoopback, "localhost:0", false},
		{"", "127.0.0.1:0", false}, // the default is non-loopback
		{AuthNonLoopback, "0.0.0.0:0", true},
		{AuthNonLoopback, "[::]:0", true},
		{AuthNonLoopback, ":0", true},
		{AuthNonLoopback, "192.168.1.10:0", true},
		{"", "0.0.0.0:0", true},
		{AuthNonLoopback, "node.example:0", true},
	} {
		name := fmt.Sprintf("%q on %s", tc.mode, tc.addr)
		ts, c, _, _ := authServer(t, tc.mode, tc.addr, &tokenSet{tokens: map[string]bool{goodToken: true}})
		start := headOf(t, c)
		code, _, e := authCall(t, "POST", ts.URL+"/v1/blobs", body)
		if tc.needToken && code != http.StatusUnauthorized {
			t.Errorf("%s: without a token %d %+v, want 401", name, code, e)
		}
		if !tc.needToken && code != 200 {
			t.Errorf("%s: without a token %d %+v, want 200", name, code, e)
		}
		if code, _, e := authCall(t, "POST", ts.URL+"/v1/blobs", body, "Bearer "+goodToken); code != 200 {
			t.Errorf("%s: with a token %d %+v, want 200", name, code, e)
		}
		want := start + 1
		if !tc.needToken {
			want++
		}
		if got := headOf(t, c); got != want {
			t.Errorf("%s: head %d, want %d", name, got, want)
		}
	}
}

func TestAuthConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Auth = "sometimes"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Errorf("unknown mode: %v", err)
	}
	// A mode that needs tokens without a way to check them is refused
	// rather than left open or closed silently.
	for _, c := range []struct {
		mode AuthMode
		addr string
	}{{AuthAlways, "127.0.0.1:1"}, {AuthNonLoopback, "0.0.0.0:1"}} {
		cfg := DefaultConfig()
		cfg.Auth, cfg.Addr = c.mode, c.addr
		if _, err := New(cfg, Services{}, nil); err == nil || !strings.Contains(err.Error(), "Authorizer") {
			t.Errorf("%s on %s without an Authorizer: %v", c.mode, c.addr, err)
		}
	}
	cfg = DefaultConfig()
	cfg.Auth, cfg.Addr = AuthNonLoopback, "127.0.0.1:1"
	if _, err := New(cfg, Services{}, nil); err != nil {
		t.Errorf("non-loopback on loopback needs no Authorizer: %v", err)
	}
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.255.0.1": true, "::1": true, "localhost": true, "LOCALHOST": true, "localhost.": true,
		"::ffff:127.0.0.1": true, "::1%lo": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false, "localhost.example": false,
		"128.0.0.1": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// A token store that cannot be read refuses writes (500), never lets
// them through.
func TestAuthStoreFailureFailsClosed(t *testing.T) {
	ts, c, _, _ := authServer(t, AuthAlways, "127.0.0.1:0", &tokenSet{fail: errors.New("disk on fire")})
	start := headOf(t, c)
	code, h, e := authCall(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{"74617274616e2d746573", "x"}), "Bearer "+goodToken)
	if code != http.StatusInternalServerError || e.Code != "internal" {
		t.Fatalf("unreadable store: %d %+v, want 500 internal", code, e)
	}
	if h.Get("WWW-Authenticate") != "" {
		t.Errorf("a server failure sent a challenge %q", h.Get("WWW-Authenticate"))
	}
	if got := headOf(t, c); got != start {
		t.Fatalf("the write went through: head %d → %d", start, got)
	}
}
