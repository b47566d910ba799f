package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Request bodies are decoded so that a mistake is reported by the path of
// the field at fault (blobs[1].data) and what was expected there, never
// with encoding/json's Go-typed texts. The types decode themselves
// (UnmarshalJSON) from the bytes the decoder already holds, so a large
// body is not copied again to get there.

// fieldError is a request body's first problem: where, and what is wrong.
type fieldError struct {
	path string // "blobs[1].data"; empty for the body as a whole
	msg  string
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return "request body: " + e.msg
	}
	return e.path + ": " + e.msg
}

// under puts err below the field named path: a fieldError gets its path
// prefixed, anything else (a decoder's error) is translated first.
func under(path string, err error) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		fe = jsonError(err)
	}
	switch {
	case fe.path == "":
		return &fieldError{path: path, msg: fe.msg}
	case path == "" || strings.HasPrefix(fe.path, "["):
		return &fieldError{path: path + fe.path, msg: fe.msg}
	default:
		return &fieldError{path: path + "." + fe.path, msg: fe.msg}
	}
}

// jsonError translates an error of encoding/json into a fieldError.
func jsonError(err error) *fieldError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &fieldError{path: te.Field, msg: "want " + describeType(te.Type) + ", got " + describeValue(te.Value)}
	case errors.As(err, &se):
		return &fieldError{msg: fmt.Sprintf("not JSON: %s at byte %d", se.Error(), se.Offset)}
	}
	return &fieldError{msg: err.Error()}
}

// describeType says in words what a JSON value must be to decode into t.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[base64Data]():
		return "a base64 string (standard, padded)"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Uint8:
		return "an integer from 0 to 255"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	}
	return "an object"
}

// describeValue names the JSON value encoding/json saw: "object",
// "number", "number 300", ….
func describeValue(v string) string {
	switch v {
	case "object", "string", "number":
		return "a " + v
	case "array":
		return "a list"
	case "bool":
		return "true or false"
	}
	return v
}

// checkFields reports the first key of the JSON object b that is not one
// of names, or b not being an object. It decodes no value.
func checkFields(b []byte, names ...string) error {
	var keys map[string]skipValue
	if err := json.Unmarshal(b, &keys); err != nil {
		return jsonError(err)
	}
	for k := range keys {
		if !slices.Contains(names, k) {
			return &fieldError{msg: fmt.Sprintf("unknown field %q; the fields are %s", clip(k, 64), strings.Join(names, ", "))}
		}
	}
	return nil
}

// skipValue accepts any JSON value without decoding it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// base64Data is binary data written in JSON as standard padded base64.
type base64Data []byte

func (d *base64Data) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = nil
		return nil
	}
	if len(b) < 2 || b[0] != '"' {
		return &fieldError{msg: "want a base64 string (standard, padded), got " + describeValue(jsonKind(b))}
	}
	text := b[1 : len(b)-1]
	if slices.Contains(text, '\\') {
		// Escapes never occur in base64; decode the string properly so
		// that an escaped character is judged as itself.
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return jsonError(err)
		}
		text = []byte(s)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(out, text)
	if err != nil {
		var ce base64.CorruptInputError
		at := ""
		if errors.As(err, &ce) {
			at = fmt.Sprintf(" (character %d of %d)", int64(ce)+1, len(text))
		}
		return &fieldError{msg: "not standard padded base64" + at}
	}
	*d = out[:n]
	return nil
}

// jsonKind names the kind of the JSON value b starts with.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// readBody reads a request body of at most limit bytes (a larger one
// fails with *http.MaxBytesError). When the client said how long the
// body is, it goes into one buffer of that size: io.ReadAll's growing
// buffer cleared and copied a 1 MiB blob's 1.4 MB body several times.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n > 0 && n <= limit {
		// ReadFrom keeps bytes.MinRead free before each read, so this
		// capacity is never outgrown by a body of the length declared.
		buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
		_, err := buf.ReadFrom(body)
		return buf.Bytes(), err
	}
	return io.ReadAll(body)
}
