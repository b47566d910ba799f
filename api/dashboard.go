package api

import (
	"fmt"
	"net/http"

	"github.com/tartan-da/tartan/ui"
)

// uiPrefix is where the dashboard (API.md §4) is served.
const uiPrefix = "/ui/"

// registerUI mounts the dashboard when Config.UI is on. Its files are
// public reads (GET), so the write token never applies to them.
func (s *Server) registerUI() error {
	if !s.cfg.UI {
		return nil
	}
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("%w: no dashboard file %s", ErrNotFound, clip(r.URL.Path, 160)))
	})
	h, err := ui.Handler(uiPrefix, notFound)
	if err != nil {
		return err
	}
	s.handle("GET "+uiPrefix, h.ServeHTTP)
	s.handle("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, uiPrefix, http.StatusMovedPermanently)
	})
	return nil
}
