package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// rawCall does one request with extra headers and returns the answer
// without insisting on JSON.
func headerCall(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// What the mux cannot route is answered in the API's error shape, like
// every other error (API.md §2 "Errors").
func TestUnroutableRequestsAnswerJSON(t *testing.T) {
	ts := newTestServer(t, allServices(newChain(t)))
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/no/such/route", 404, "not_found", ""},
		{"POST", "/v1/nothing", 404, "not_found", ""},
		{"GET", "/v1/headers/1/2/3", 404, "not_found", ""},
		{"DELETE", "/v1/node", 405, "method_not_allowed", "GET, HEAD, OPTIONS"},
		{"POST", "/v1/headers/7", 405, "method_not_allowed", "GET, HEAD, OPTIONS"},
		{"GET", "/v1/blobs", 405, "method_not_allowed", "OPTIONS, POST"},
		{"PUT", "/put", 405, "method_not_allowed", "OPTIONS, POST"},
	} {
		var body errorBody
		status, hdr := call(t, tc.method, ts.URL+tc.path, "", &body)
		if status != tc.status || body.Error.Code != tc.code || body.Error.Message == "" {
			t.Errorf("%s %s: %d %+v, want %d %s", tc.method, tc.path, status, body.Error, tc.status, tc.code)
		}
		if got := hdr.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestOptionsAnswers204WithAllow(t *testing.T) {
	ts := newTestServer(t, allServices(newChain(t)))
	for path, allow := range map[string]string{
		"/v1/blobs":           "OPTIONS, POST",
		"/v1/blobs/3":         "GET, HEAD, OPTIONS",
		"/health":             "GET, HEAD, OPTIONS",
		"/get/0x0154000000aa": "GET, HEAD, OPTIONS",
	} {
		// A browser's preflight from some page: CORS is off by default,
		// so the answer grants nothing.
		resp, body := headerCall(t, "OPTIONS", ts.URL+path, map[string]string{
			"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Allow") != allow || body != "" {
			t.Errorf("OPTIONS %s: %d Allow %q body %q, want 204 Allow %q", path, resp.StatusCode, resp.Header.Get("Allow"), body, allow)
		}
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("OPTIONS %s: CORS is off but the answer has %s", path, k)
			}
		}
	}
	var body errorBody
	if status, _ := call(t, "OPTIONS", ts.URL+"/no/such/route", "", &body); status != 404 || body.Error.Code != "not_found" {
		t.Errorf("OPTIONS on an unknown route: %d %+v", status, body.Error)
	}
}

func TestCORSOnlyForConfiguredOrigins(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CORSOrigins = []string{"https://app.example", "http://localhost:3000"}
	s, err := New(cfg, allServices(newChain(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerFor(t, s)

	// Preflight from an allowed origin.
	resp, _ := headerCall(t, "OPTIONS", ts.URL+"/v1/blobs", map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type"})
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") ||
		h.Get("Access-Control-Max-Age") == "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Fatalf("preflight from an allowed origin: %d %v", resp.StatusCode, h)
	}
	// Preflight from another origin: 204 for the route, but no grant.
	resp, _ = headerCall(t, "OPTIONS", ts.URL+"/v1/blobs", map[string]string{
		"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// Simple requests, answers and errors alike.
	for _, path := range []string{"/health", "/v1/headers/99", "/no/such/route"} {
		resp, _ = headerCall(t, "GET", ts.URL+path, map[string]string{"Origin": "http://localhost:3000"})
		if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("GET %s from an allowed origin: %v", path, resp.Header)
		}
		resp, _ = headerCall(t, "GET", ts.URL+path, map[string]string{"Origin": "http://localhost:3001"})
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s from another origin is granted: %v", path, resp.Header)
		}
	}
}

func TestCORSAnyOrigin(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CORSOrigins = []string{"*"}
	s, err := New(cfg, allServices(newChain(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerFor(t, s)
	resp, _ := headerCall(t, "GET", ts.URL+"/health", map[string]string{"Origin": "https://any.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("with \"*\": %v", resp.Header)
	}
}

func TestCORSOriginsValidated(t *testing.T) {
	for _, bad := range [][]string{
		{""}, {"app.example"}, {"https://app.example/"}, {"https://app.example/path"}, {"ftp://app.example"},
		{"https://app.example?x=1"}, {"https://user@app.example"}, {"https://*.example"}, {"*", "https://app.example"},
		{"HTTPS://APP.example"},
	} {
		cfg := DefaultConfig()
		cfg.CORSOrigins = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "cors") {
			t.Errorf("CORS origins %q: %v, want an error naming cors", bad, err)
		}
	}
	cfg := DefaultConfig()
	cfg.CORSOrigins = []string{"https://app.example", "http://127.0.0.1:8080", "http://[::1]:3000"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func newServerFor(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}
