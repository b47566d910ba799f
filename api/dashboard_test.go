package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func dashboardServer(t *testing.T, on bool) http.Handler {
	t.Helper()
	cfg := DefaultConfig()
	cfg.UI = on
	s, err := New(cfg, Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

func TestDashboardServed(t *testing.T) {
	h := dashboardServer(t, true)
	for _, tc := range []struct{ path, ctype string }{
		{"/ui/", "text/html; charset=utf-8"},
		{"/ui/app.js", "text/javascript; charset=utf-8"},
		{"/ui/style.css", "text/css; charset=utf-8"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tc.ctype || w.Body.Len() == 0 {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.path, w.Code, w.Header().Get("Content-Type"), tc.ctype)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ui", nil))
	if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d to %q, want 301 to /ui/", w.Code, w.Header().Get("Location"))
	}
	// An unknown file is the API's 404, and a write to the dashboard
	// is refused like any other unknown method.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ui/missing.js", nil))
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"code":"not_found"`) {
		t.Errorf("GET /ui/missing.js: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/ui/", nil)
	r.RemoteAddr = "127.0.0.1:1234"
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/: %d, want 405", w.Code)
	}
}

// ui = false: the dashboard's paths are unknown paths.
func TestDashboardOff(t *testing.T) {
	h := dashboardServer(t, false)
	for _, path := range []string{"/ui/", "/ui", "/ui/app.js"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"code":"not_found"`) {
			t.Errorf("GET %s with the dashboard off: %d %s, want 404 not_found", path, w.Code, w.Body)
		}
	}
}
