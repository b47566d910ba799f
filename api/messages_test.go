package api

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// goInternals are fragments of Go's own error texts (encoding/json,
// encoding/base64, context) that mean nothing to a client.
var goInternals = regexp.MustCompile(`json: |Go struct|Go value|\[\]uint8|uint8|illegal base64|input byte|unexpected EOF|context deadline exceeded|context canceled`)

// stutter is a package prefix repeated inside a message ("api: not
// found: …", "blobs[0]: da: blob data is empty").
var stutter = regexp.MustCompile(`(^|: )(api|da|erasure|sampling|p2p|node|store): `)

// A bad submission is answered with the path of the field at fault and
// what was expected, in words a client can act on.
func TestSubmitErrorsNameTheField(t *testing.T) {
	ts := newTestServer(t, allServices(newChain(t)))
	const ns = `"74617274616e2d746573"`
	good := `{"namespace":` + ns + `,"data":"eA=="}`
	for _, tc := range []struct {
		body string
		want []string // all in the message
	}{
		{`{"blobs":[{"namespace":` + ns + `,"data":5}]}`, []string{"blobs[0].data", "base64", "number"}},
		{`{"blobs":[` + good + `,{"namespace":` + ns + `,"data":"!!not base64"}]}`, []string{"blobs[1].data", "base64"}},
		{`{"blobs":[` + good + `,` + good + `,{"namespace":` + ns + `,"data":"eA="}]}`, []string{"blobs[2].data", "base64"}},
		{`{"blobs":[{"namespace":` + ns + `,"data":"eA==","share_version":300}]}`, []string{"blobs[0].share_version", "0 to 255", "300"}},
		{`{"blobs":[{"namespace":` + ns + `,"data":"eA==","share_version":"0"}]}`, []string{"blobs[0].share_version", "0 to 255", "string"}},
		{`{"blobs":[{"namespace":29,"data":"eA=="}]}`, []string{"blobs[0].namespace", "string", "number"}},
		{`{"blobs":[` + good + `,{"namespace":` + ns + `,"data":"eA==","extra":1}]}`, []string{"blobs[1]", `unknown field "extra"`, "namespace, data"}},
		{`{"blobs":[` + good + `, 7]}`, []string{"blobs[1]", "object", "number"}},
		{`{"blobs":{}}`, []string{"blobs", "list", "object"}},
		{`{"blobs":[` + good + `],"timeout":30}`, []string{"timeout", "string", "number"}},
		{`{"blobz":[]}`, []string{`unknown field "blobz"`, "blobs, timeout"}},
		{`[` + good + `]`, []string{"request body", "object", "list"}},
		{`{"blobs":[`, []string{"request body", "ends"}},
		{``, []string{"request body is empty"}},
		{`{"blobs":[` + good + `]} {}`, []string{"after the JSON object"}},
		{`namespace=74617274616e2d746573`, []string{"not JSON", "at byte 2"}},
	} {
		var body errorBody
		status, _ := call(t, "POST", ts.URL+"/v1/blobs", tc.body, &body)
		msg := body.Error.Message
		if status != 400 || body.Error.Code != "bad_json" {
			t.Errorf("%s: %d %s %q, want 400 bad_json", tc.body, status, body.Error.Code, msg)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not say %q", tc.body, msg, w)
			}
		}
		if goInternals.MatchString(msg) {
			t.Errorf("%s: message %q shows Go internals", tc.body, msg)
		}
	}
}

// No message repeats a package prefix: the code already says what kind
// of failure it is.
func TestErrorMessagesDoNotStutter(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	ns := "74617274616e2d746573"
	for _, tc := range []struct {
		method, path, body string
		code, want         string
	}{
		{"POST", "/v1/blobs", submitBody([2]string{ns, ""}), "empty_blob", "blobs[0]: blob data is empty"},
		{"POST", "/v1/blobs", submitBody([2]string{"00000000000000000001", "x"}), "bad_namespace", "blobs[0].namespace: "},
		{"POST", "/v1/blobs", `{"blobs":[{"namespace":"` + ns + `","data":"eA==","share_version":7}]}`, "bad_blob", "blobs[0]: "},
		{"GET", "/v1/blobs/1/" + ns + "/" + strings.Repeat("ab", 32), "", "not_found", "not found: no blob with commitment"},
		{"GET", "/v1/headers/99", "", "not_yet", "not available yet: height 99"},
		{"GET", "/v1/headers/1/dah", "", "not_served", "not served by this node: "},
		{"GET", "/v1/blobs/1?namespace=zz", "", "bad_namespace", "namespace: "},
		{"GET", "/get/0x01540000000000000001" + strings.Repeat("00", 29) + strings.Repeat("ab", 32), "", "bad_namespace", "alt-DA commitment: namespace: "},
	} {
		var body errorBody
		_, _ = call(t, tc.method, ts.URL+tc.path, tc.body, &body)
		msg := body.Error.Message
		if body.Error.Code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s: %s %q, want %s with %q", tc.method, tc.path, body.Error.Code, msg, tc.code, tc.want)
		}
		if stutter.MatchString(msg) {
			t.Errorf("%s %s: message %q repeats a package prefix", tc.method, tc.path, msg)
		}
	}
}

// message drops the package prefixes of the errors in the chain, and
// only those.
func TestMessageDropsPackagePrefixes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: height 9", ErrNotYet), "not available yet: height 9"},
		{fmt.Errorf("blobs[0]: %w", fmt.Errorf("da: blob data is empty")), "blobs[0]: blob data is empty"},
		{fmt.Errorf("%w: p2p: share not found", ErrUnavailable), "temporarily unavailable: share not found"},
		{fmt.Errorf("namespace: want 58 hex characters"), "namespace: want 58 hex characters"},
		{fmt.Errorf("the node: api: x"), "the node: x"},
	} {
		if got := message(tc.err); got != tc.want {
			t.Errorf("message(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// proof is true or false; anything else is a mistake to say, not to
// ignore.
func TestBadBooleanIs400(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	ns := "74617274616e2d746573"
	var res SubmitResult
	if code, _ := call(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{ns, "proof"}), &res); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	list := fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", ts.URL, res.Height, ns)
	one := fmt.Sprintf("%s/v1/blobs/%d/%s/%s", ts.URL, res.Height, ns, res.Commitments[0])
	for _, u := range []string{list + "&proof=maybe", list + "&proof=", list + "&proof=yes", one + "?proof=TRUE1", one + "?proof"} {
		var body errorBody
		if status, _ := call(t, "GET", u, "", &body); status != 400 || body.Error.Code != "bad_proof" ||
			!strings.Contains(body.Error.Message, "proof") || !strings.Contains(body.Error.Message, "true or false") {
			t.Errorf("%s: %d %+v, want 400 bad_proof", u, status, body.Error)
		}
	}
	for u, withProof := range map[string]bool{list + "&proof=true": true, list + "&proof=1": true, list + "&proof=false": false,
		list + "&proof=0": false, list: false, one + "?proof=true": true, one: false} {
		var out map[string]any
		if status, _ := call(t, "GET", u, "", &out); status != 200 {
			t.Errorf("%s: %d", u, status)
		} else if _, has := out["proof"]; has != withProof {
			t.Errorf("%s: proof present %v, want %v", u, has, withProof)
		}
	}
}

// A blob proof's format is json or evm; evm needs a chain with settlement
// parameters (this test chain has none: 501), anything else is 400.
func TestBlobProofFormat(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	ns := "74617274616e2d746573"
	var res SubmitResult
	if code, _ := call(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{ns, "format"}), &res); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	u := fmt.Sprintf("%s/v1/blobs/%d/%s/%s/proof", ts.URL, res.Height, ns, res.Commitments[0])
	for _, q := range []string{"?format=abi", "?format=EVM", "?format="} {
		var body errorBody
		status, _ := call(t, "GET", u+q, "", &body)
		if q == "?format=" {
			if status != 200 {
				t.Errorf("%s: %d, want the default (json) 200", q, status)
			}
			continue
		}
		if status != 400 || body.Error.Code != "bad_format" || !strings.Contains(body.Error.Message, "json or evm") {
			t.Errorf("%s: %d %+v, want 400 bad_format", q, status, body.Error)
		}
	}
	var js BlobProofJSON
	if status, _ := call(t, "GET", u+"?format=json", "", &js); status != 200 || len(js.Shares) == 0 {
		t.Errorf("format=json: %d, %d shares", status, len(js.Shares))
	}
	var body errorBody
	if status, _ := call(t, "GET", u+"?format=evm", "", &body); status != 501 || body.Error.Code != "not_served" {
		t.Errorf("format=evm without settlement: %d %+v, want 501 not_served", status, body.Error)
	}
}
