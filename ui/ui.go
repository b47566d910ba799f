package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// assets are the dashboard's files, served as they are: no build step, so
// what is reviewed is what runs.
//
//go:embed assets
var assets embed.FS

// Assets is the embedded file tree, rooted at the served directory.
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the directory is embedded above; never happens
	}
	return sub
}

// contentTypes are the types of the files the dashboard ships, named
// here rather than read from the system's MIME tables, which differ
// between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// csp lets the page load only its own files and talk only to its own
// node: no inline script, no third-party origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the dashboard's files under prefix ("/ui/"): the page
// at the prefix itself, the others by name. Unknown names go to notFound
// (nil: http.NotFound), so the caller answers them in its own shape.
func Handler(prefix string, notFound http.Handler) (http.Handler, error) {
	if notFound == nil {
		notFound = http.NotFoundHandler()
	}
	files := map[string]asset{}
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("ui: %s has no known content type", name)
		}
		body, err := fs.ReadFile(Assets(), name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		files[name] = asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := files["index.html"]; !ok {
		return nil, fmt.Errorf("ui: no index.html among the assets")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		if name == "" {
			name = "index.html"
		}
		a, ok := files[name]
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Revalidate every time: a node upgraded in place must not leave
		// an old script talking to a new API. The ETag makes that cheap.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	}), nil
}

// Size is the total size of the embedded files, in bytes.
func Size() (int64, error) {
	var total int64
	err := fs.WalkDir(Assets(), ".", func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	return total, err
}
