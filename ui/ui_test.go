package ui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// maxAssetBytes is the budget for everything the binary embeds.
const maxAssetBytes = 300 << 10

func TestAssetsWithinBudget(t *testing.T) {
	n, err := Size()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n > maxAssetBytes {
		t.Fatalf("embedded assets are %d bytes, want 1 to %d", n, maxAssetBytes)
	}
	t.Logf("embedded assets: %d bytes", n)
}

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerServesEveryAssetWithItsType(t *testing.T) {
	h, err := Handler("/ui/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/ui/", "text/html; charset=utf-8", "<!doctype html>"},
		{"/ui/index.html", "text/html; charset=utf-8", `<script src="app.js" defer></script>`},
		{"/ui/app.js", "text/javascript; charset=utf-8", "EventSource"},
		{"/ui/style.css", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
		{"/ui/icon.svg", "image/svg+xml", "<svg"},
	} {
		w := get(t, h, tc.path, nil)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tc.ctype || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("GET %s: %d %q, want 200 %q with %q", tc.path, w.Code, w.Header().Get("Content-Type"), tc.ctype, tc.contains)
		}
		if w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no CSP or nosniff", tc.path)
		}
		etag := w.Header().Get("ETag")
		if w2 := get(t, h, tc.path, map[string]string{"If-None-Match": etag}); etag == "" || w2.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag %q: %d, want 304", tc.path, etag, w2.Code)
		}
	}
	for _, path := range []string{"/ui/nope.js", "/ui/assets/app.js", "/ui/../ui.go"} {
		if w := get(t, h, path, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
}

func TestEveryAssetHasAType(t *testing.T) {
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && contentTypes[name[strings.LastIndex(name, "."):]] == "" {
			t.Errorf("%s: no content type", name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The page opens at most one event stream: the node limits connections
// per client, and one stream carries every event type.
func TestOneEventSource(t *testing.T) {
	js, err := fs.ReadFile(Assets(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`new\s+EventSource\s*\(`).FindAll(js, -1)); n != 1 {
		t.Fatalf("app.js opens %d EventSources, want exactly 1", n)
	}
	// And it guards against a second one while the first lives.
	if !strings.Contains(string(js), "if (S.es) return;") {
		t.Fatal("connect() lost its guard against a second EventSource")
	}
}

// The page loads nothing from another origin: no CDN, no external font.
func TestNoExternalResources(t *testing.T) {
	ext := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import`)
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Assets(), name)
		if err == nil && ext.Match(b) {
			t.Errorf("%s refers to another origin: %q", name, ext.Find(b))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Accessibility basics the page must keep: a language, a viewport, a
// live region, labelled navigation.
func TestPageBasics(t *testing.T) {
	html, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="en">`, `name="viewport"`, `aria-live="polite"`, `<nav aria-label=`, `<main id="main"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}
