// Package api serves Tartan's REST API (shared/API.md §2) over net/http.
// It declares the small interfaces it consumes; node implements them. It
// maps errors to HTTP statuses in one place.
package api
