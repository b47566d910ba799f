package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// Errors a backend returns so the API can answer with the right status.
// Wrap them with details: the message reaches the client.
var (
	// ErrNotFound: the thing does not exist and never will (404).
	ErrNotFound = errors.New("api: not found")
	// ErrNotYet: the height is above what this node has; it may exist
	// later. Answered 503 with Retry-After, never 404 (DESIGN.md §8).
	ErrNotYet = errors.New("api: not available yet")
	// ErrPruned: the height is outside this node's storage window (410).
	ErrPruned = errors.New("api: pruned")
	// ErrNotServed: this node's role does not serve the route (501).
	ErrNotServed = errors.New("api: not served by this node")
	// ErrPoolFull: the blob pool is full; retry later (503, Retry-After).
	ErrPoolFull = errors.New("api: blob pool is full")
	// ErrUnavailable: a peer or a validator could not be reached, or the
	// data could not be fetched right now (503, Retry-After).
	ErrUnavailable = errors.New("api: temporarily unavailable")
	// ErrTimeout: the request's deadline passed before the work finished
	// (504). For a submission the blob may still be included later.
	ErrTimeout = errors.New("api: timed out")
	// ErrBadRequest: the request is malformed (400).
	ErrBadRequest = errors.New("api: bad request")
)

// retryAfter is the Retry-After sent with 503 answers.
const retryAfter = time.Second

// Error is the JSON body of every error answer (API.md §2 "Errors").
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error Error `json:"error"`
}

// httpError carries a status and code chosen at the point of failure, for
// errors the request handling itself detects (a bad parameter, say).
type httpError struct {
	status int
	code   string
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// badRequest names the field that is wrong in code (bad_namespace, …).
func badRequest(code string, err error) error {
	return &httpError{status: http.StatusBadRequest, code: code, err: err}
}

// classify maps an error to its status and stable code: the one place
// where errors become HTTP.
func classify(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.code
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, da.ErrBlobTooLarge):
		return http.StatusRequestEntityTooLarge, "blob_too_large"
	case errors.Is(err, da.ErrBlobEmpty):
		return http.StatusBadRequest, "empty_blob"
	case errors.Is(err, da.ErrNamespaceLength), errors.Is(err, da.ErrNamespaceVersion),
		errors.Is(err, da.ErrNamespacePrefix), errors.Is(err, da.ErrNamespaceReserved):
		return http.StatusBadRequest, "bad_namespace"
	case errors.Is(err, da.ErrSignerLength), errors.Is(err, da.ErrShareVersion):
		return http.StatusBadRequest, "bad_blob"
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, ErrPruned):
		return http.StatusGone, "pruned"
	case errors.Is(err, ErrNotServed):
		return http.StatusNotImplemented, "not_served"
	case errors.Is(err, ErrNotYet):
		return http.StatusServiceUnavailable, "not_yet"
	case errors.Is(err, ErrPoolFull):
		return http.StatusServiceUnavailable, "pool_full"
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, ErrTimeout):
		return http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, erasure.ErrProofShape), errors.Is(err, erasure.ErrProofRoot):
		// A proof we were handed by a peer did not verify: our failure to
		// get good data, not the client's mistake.
		return http.StatusBadGateway, "invalid_proof"
	default:
		return http.StatusInternalServerError, "internal"
	}
}

// writeError answers err in the API's error shape.
func writeError(w http.ResponseWriter, err error) {
	status, code := classify(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error{Code: code, Message: message(err)}})
}

// packagePrefix is the "pkg: " our packages put at the front of their
// errors (DESIGN.md §9), at the start of a message or after a wrap's ": ".
var packagePrefix = regexp.MustCompile(`(^|: )(?:api|da|erasure|sampling|p2p|node|store): `)

// message is err's text for a client. The package prefixes that make a
// log line traceable ("api: not found: …", "blobs[0]: da: blob data is
// empty") are dropped: the code already says what kind of failure it is,
// and the package it came from means nothing outside.
func message(err error) string {
	return packagePrefix.ReplaceAllString(err.Error(), "$1")
}

// writeJSON answers v with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
