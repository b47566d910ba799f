package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// readBody takes a body of the length the client declared in one buffer,
// and any body, declared or streamed, up to the limit and no further.
func TestReadBody(t *testing.T) {
	const limit = 100_000
	for _, c := range []struct {
		name     string
		n        int
		chunked  bool
		tooLarge bool
	}{
		{"declared", 90_000, false, false},
		{"declared, at the limit", limit, false, false},
		{"declared, over the limit", limit + 1, false, true},
		{"streamed", 90_000, true, false},
		{"streamed, over the limit", limit + 1, true, true},
	} {
		body := bytes.Repeat([]byte("tartan"), c.n/6+1)[:c.n]
		var r io.Reader = bytes.NewReader(body)
		if c.chunked {
			r = struct{ io.Reader }{r} // no length: sent chunked
		}
		req := httptest.NewRequest(http.MethodPost, "/", r)
		if c.chunked {
			req.ContentLength = -1
		}
		got, err := readBody(httptest.NewRecorder(), req, limit)
		var tooBig *http.MaxBytesError
		switch {
		case c.tooLarge && !errors.As(err, &tooBig):
			t.Errorf("%s: %v, want *http.MaxBytesError", c.name, err)
		case !c.tooLarge && (err != nil || !bytes.Equal(got, body)):
			t.Errorf("%s: %d bytes, %v; want the %d sent", c.name, len(got), err, len(body))
		case !c.tooLarge && !c.chunked && cap(got) > c.n+bytes.MinRead:
			t.Errorf("%s: a buffer of %d for a body of %d", c.name, cap(got), c.n)
		}
	}
}
