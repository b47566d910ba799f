package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// routeMethods are the methods probed to answer which ones a path takes
// (Allow); OPTIONS is answered here for every path that has a route.
var routeMethods = []string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPost, http.MethodPut}

// corsAllowHeaders are the request headers a granted page may send: the
// write token, a JSON body, and the event stream's resume point.
const corsAllowHeaders = "Authorization, Content-Type, Last-Event-ID"

// corsExposeHeaders are the answer headers a granted page may read.
const corsExposeHeaders = "Allow, Retry-After, WWW-Authenticate"

// cors grants cross-origin access to the configured origins
// (Config.CORSOrigins) on every answer, errors included, so a page can
// read why a call failed. Preflights are answered by route.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		grant := s.corsGrant(r)
		if grant != "*" {
			h.Add("Vary", "Origin") // the answer depends on who asks
		}
		if grant != "" {
			h.Set("Access-Control-Allow-Origin", grant)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// route answers, in the API's error shape, what the mux itself would
// answer in text: an unknown path is 404 not_found, a known path with
// another method 405 method_not_allowed with Allow. OPTIONS on a known
// path is 204 with Allow, and grants a CORS preflight from a configured
// origin.
func (s *Server) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions {
			if _, pattern := s.mux.Handler(r); pattern != "" {
				next.ServeHTTP(w, r)
				return
			}
		}
		allow := s.allowedMethods(r)
		if len(allow) == 0 {
			writeError(w, &httpError{status: http.StatusNotFound, code: "not_found",
				err: fmt.Errorf("no route %s %s; the routes are listed in /openapi.yaml", r.Method, clip(r.URL.Path, 160))})
			return
		}
		allowText := strings.Join(allow, ", ")
		h := w.Header()
		h.Set("Allow", allowText)
		if r.Method == http.MethodOptions {
			if s.corsGrant(r) != "" && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", allowText)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, &httpError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			err: fmt.Errorf("%s %s: this route answers %s", r.Method, clip(r.URL.Path, 160), allowText)})
	})
}

// allowedMethods lists, sorted, the methods r's path has a route for,
// with OPTIONS; nil when it has none.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range routeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return nil
	}
	allow = append(allow, http.MethodOptions)
	slices.Sort(allow)
	return allow
}

// corsGrant is the Access-Control-Allow-Origin to answer r with: its
// Origin when configured, "*" when any origin is, else "".
func (s *Server) corsGrant(r *http.Request) string {
	origins := s.cfg.CORSOrigins
	if len(origins) == 0 {
		return ""
	}
	if origins[0] == "*" {
		return "*"
	}
	origin := r.Header.Get("Origin")
	if origin != "" && slices.Contains(origins, origin) {
		return origin
	}
	return ""
}

// ValidateCORSOrigins checks that each origin is what a browser sends in
// Origin: a lowercase http or https scheme://host[:port], nothing after
// it; or "*" alone. The error names the entry by its index.
func ValidateCORSOrigins(origins []string) error {
	for i, o := range origins {
		if o == "*" {
			if len(origins) != 1 {
				return errors.New(`"*" allows every origin and must be the only entry`)
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(o, "*?#") ||
			o != strings.ToLower(o) || o != u.Scheme+"://"+u.Host {
			return fmt.Errorf("[%d] %q: want a lowercase origin such as https://app.example or http://localhost:3000 (scheme, host, optional port; no path), or \"*\" alone", i, o)
		}
	}
	return nil
}
