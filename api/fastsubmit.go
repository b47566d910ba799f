package api

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// fastSubmit decodes a submission body of the usual shape in one pass:
// one object with "blobs" (objects with "namespace", "data",
// "share_version", "signer") and "timeout", no key twice, no null, and
// strings without escapes. The careful decoder (submitRequest's
// UnmarshalJSON) scans a 1 MiB body about ten times to name the field at
// fault; under load that was a tenth of a validator's CPU. ok is false
// whenever this decoder is not sure: the careful one then decides, and
// names the mistake if there is one, so both accept exactly the same
// bodies.
func fastSubmit(body []byte) (req submitRequest, ok bool) {
	s := jsonScan{b: body}
	if !s.skip('{') {
		return req, false
	}
	var seenBlobs, seenTimeout bool
	for first := true; ; first = false {
		if s.skip('}') {
			break
		}
		if !first && !s.skip(',') {
			return req, false
		}
		key, ok := s.str()
		if !ok || !s.skip(':') {
			return req, false
		}
		switch {
		case string(key) == "blobs" && !seenBlobs:
			seenBlobs = true
			if req.Blobs, ok = s.blobs(); !ok {
				return req, false
			}
		case string(key) == "timeout" && !seenTimeout:
			seenTimeout = true
			t, ok := s.str()
			if !ok || !plain(t) {
				return req, false
			}
			req.Timeout = string(t)
		default:
			return req, false
		}
	}
	s.ws()
	return req, s.i == len(s.b)
}

// jsonScan reads JSON from b at i, accepting only what fastSubmit takes.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// skip consumes c after any whitespace, if it is next.
func (s *jsonScan) skip(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters and returns
// its bytes, which alias b.
func (s *jsonScan) str() ([]byte, bool) {
	if !s.skip('"') {
		return nil, false
	}
	end := bytes.IndexByte(s.b[s.i:], '"')
	if end < 0 {
		return nil, false
	}
	text := s.b[s.i : s.i+end]
	if bytes.IndexByte(text, '\\') >= 0 {
		return nil, false
	}
	s.i += end + 1
	return text, true
}

// plain reports whether text is printable ASCII: JSON forbids control
// characters raw in strings, and encoding/json replaces invalid UTF-8.
// Data strings are not checked this way: base64 rejects all of these but
// CR and LF, which base64Bytes catches by length.
func plain(text []byte) bool {
	for _, c := range text {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// uint8 reads a number from 0 to 255 written as plain digits.
func (s *jsonScan) uint8() (uint8, bool) {
	s.ws()
	start, v := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' && v <= 255 {
		v = v*10 + int(s.b[s.i]-'0')
		s.i++
	}
	n := s.i - start
	if n == 0 || v > 255 || (n > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, false
	}
	return uint8(v), true
}

func (s *jsonScan) blobs() ([]submitBlob, bool) {
	if !s.skip('[') {
		return nil, false
	}
	out := []submitBlob{}
	for first := true; ; first = false {
		if s.skip(']') {
			return out, true
		}
		if !first && !s.skip(',') {
			return nil, false
		}
		b, ok := s.blob()
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
}

func (s *jsonScan) blob() (b submitBlob, ok bool) {
	if !s.skip('{') {
		return b, false
	}
	var seen [4]bool
	for first := true; ; first = false {
		if s.skip('}') {
			return b, true
		}
		if !first && !s.skip(',') {
			return b, false
		}
		key, ok := s.str()
		if !ok || !s.skip(':') {
			return b, false
		}
		f := slices.Index([]string{"namespace", "data", "share_version", "signer"}, string(key))
		if f < 0 || seen[f] {
			return b, false
		}
		seen[f] = true
		switch f {
		case 0, 3:
			text, ok := s.str()
			if !ok || !plain(text) {
				return b, false
			}
			if f == 0 {
				b.Namespace = string(text)
			} else {
				b.Signer = string(text)
			}
		case 1:
			text, ok := s.str()
			if !ok {
				return b, false
			}
			if b.Data, ok = base64Bytes(text); !ok {
				return b, false
			}
		case 2:
			if b.ShareVersion, ok = s.uint8(); !ok {
				return b, false
			}
		}
	}
}

// base64Bytes decodes standard padded base64 that holds nothing else:
// Go's decoder skips CR and LF, so the decoded length must be exactly
// what the text's length and padding say.
func base64Bytes(text []byte) ([]byte, bool) {
	if len(text)%4 != 0 {
		return nil, false
	}
	want := len(text) / 4 * 3
	if len(text) > 0 && text[len(text)-1] == '=' {
		want--
		if text[len(text)-2] == '=' {
			want--
		}
	}
	out := make([]byte, want)
	n, err := base64.StdEncoding.Decode(out, text)
	if err != nil || n != want {
		return nil, false
	}
	return out, true
}
