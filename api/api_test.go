package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// chain is a real single-process chain behind the API's interfaces: each
// submission becomes a block built with da and erasure, so the API is
// tested against real squares and proofs.
type chain struct {
	mu      sync.Mutex
	headers []*da.Header
	provers []*erasure.Prover
	dahs    []*erasure.DAH
	maxK    int
}

func newChain(t *testing.T) *chain {
	t.Helper()
	c := &chain{maxK: 8}
	if _, err := c.Submit(context.Background(), nil); err != nil { // height 1: an empty block
		t.Fatal(err)
	}
	return c
}

func (c *chain) Info(context.Context) (NodeInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := uint64(len(c.headers))
	return NodeInfo{Role: "producer", ChainID: "test", Version: "dev", Head: Heads{Network: h, Local: h}}, nil
}

func (c *chain) Head(ctx context.Context) (*da.Header, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.headers[len(c.headers)-1], nil
}

func (c *chain) at(height uint64) (*da.Header, *erasure.Prover, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if height > uint64(len(c.headers)) {
		return nil, nil, fmt.Errorf("%w: height %d is above the head %d", ErrNotYet, height, len(c.headers))
	}
	return c.headers[height-1], c.provers[height-1], nil
}

func (c *chain) Header(_ context.Context, height uint64) (*da.Header, error) {
	h, _, err := c.at(height)
	return h, err
}

func (c *chain) DAH(context.Context, uint64) (*erasure.DAH, error) {
	return nil, fmt.Errorf("%w: the test chain keeps no DAH", ErrNotServed)
}

func (c *chain) Sample(_ context.Context, height uint64, row, col int) (*erasure.Sample, error) {
	_, p, err := c.at(height)
	if err != nil {
		return nil, err
	}
	if row >= 2*p.Width() || col >= 2*p.Width() {
		return nil, fmt.Errorf("%w: cell (%d, %d) is outside the %d×%d square", ErrNotFound, row, col, 2*p.Width(), 2*p.Width())
	}
	return p.Sample(row, col, erasure.Row)
}

func (c *chain) Submit(_ context.Context, blobs []da.Blob) (uint64, error) {
	sq, err := da.BuildSquare(blobs, c.maxK)
	if err != nil {
		return 0, err
	}
	eds, err := erasure.Extend(sq.Shares)
	if err != nil {
		return 0, err
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		return 0, err
	}
	p, err := erasure.NewProver(eds, dah)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := &da.Header{ChainID: "test", Height: uint64(len(c.headers) + 1), Time: time.Unix(1700000000+int64(len(c.headers)), 0),
		SquareWidth: uint16(sq.Width), DataRoot: dah.DataRoot()}
	if n := len(c.headers); n > 0 {
		h.PrevHash = c.headers[n-1].Hash()
	}
	h.BlockHash = testBlockHash(h)
	h.Certificate = testCertificate(h.BlockHash)
	c.headers = append(c.headers, h)
	c.provers = append(c.provers, p)
	c.dahs = append(c.dahs, dah)
	return h.Height, nil
}

// Consensus stands in for the node's reading of a certificate: it
// refuses one the chain did not make and answers testConsensus.
func (c *chain) Consensus(_ context.Context, h *da.Header) (ConsensusJSON, error) {
	if !bytes.Equal(h.Certificate, testCertificate(h.BlockHash)) {
		return ConsensusJSON{}, fmt.Errorf("height %d: the test chain did not make certificate %x", h.Height, h.Certificate)
	}
	return testConsensus(h), nil
}

// testBlockHash stands in for the consensus engine's block hash: SHA-256
// over the compact fields.
func testBlockHash(h *da.Header) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d|%x|%d|%x", h.ChainID, h.Height, h.Time.UnixNano(), h.PrevHash, h.SquareWidth, h.DataRoot))
}

// testCertificate stands in for the consensus evidence of a block.
func testCertificate(blockHash [32]byte) []byte {
	return append([]byte("test-certificate/"), blockHash[:]...)
}

// testConsensus is what the test chain's engine "adds" to h: values
// derived from its block hash, distinct per field, so a test can tell
// that each reached its JSON key. Height 1 names its validator set.
func testConsensus(h *da.Header) ConsensusJSON {
	derive := func(tag string, n int) string {
		sum := sha256.Sum256(append([]byte(tag), h.BlockHash[:]...))
		return hex.EncodeToString(sum[:])[:2*n]
	}
	proposer := derive("proposer", 20)
	c := ConsensusJSON{
		DataHash:       derive("data", 32),
		ValidatorsHash: derive("validators", 32),
		Proposer:       proposer,
		Commit: CommitJSON{
			Round:   1,
			BlockID: BlockIDJSON{Hash: hex.EncodeToString(h.BlockHash[:]), PartTotal: 1, PartHash: derive("parts", 32)},
			Signatures: []SignatureJSON{
				{ValidatorAddress: proposer, Timestamp: h.Time.UTC(), Signature: derive("sig", 32) + derive("sig2", 32)},
				{}, // an absent validator
			},
		},
		DataRootProof: TxProofJSON{Tx: derive("tx", 8), Index: 0, Total: 2, Aunts: []string{derive("aunt", 32)}},
	}
	if h.Height == 1 {
		c.Validators = []ValidatorJSON{{Address: proposer, PubKey: derive("key", 32), VotingPower: 10}}
	}
	return c
}

func (c *chain) NamespaceData(_ context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	_, p, err := c.at(height)
	if err != nil {
		return nil, err
	}
	return p.NamespaceData(ns)
}

func (c *chain) BlobProof(_ context.Context, height uint64, start, end int) (*erasure.BlobProof, error) {
	_, p, err := c.at(height)
	if err != nil {
		return nil, err
	}
	return p.BlobProof(start, end)
}

func newTestServer(t *testing.T, svc Services) *httptest.Server {
	t.Helper()
	s, err := New(DefaultConfig(), svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func allServices(c *chain) Services { return Services{Node: c, Headers: c, Shares: c, Blobs: c} }

// call does one request and decodes a JSON answer into out (if not nil).
func call(t *testing.T, method, url, body string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q", method, url, ct)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, raw)
		}
	}
	return resp.StatusCode, resp.Header
}

func submitBody(blobs ...[2]string) string {
	var parts []string
	for _, b := range blobs {
		parts = append(parts, fmt.Sprintf(`{"namespace":%q,"data":%q}`, b[0], base64.StdEncoding.EncodeToString([]byte(b[1]))))
	}
	return `{"blobs":[` + strings.Join(parts, ",") + `]}`
}

func TestSubmitAndReadBack(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	ns := "74617274616e2d746573"
	big := strings.Repeat("tartan ", 300) // several shares
	var res SubmitResult
	if code, _ := call(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{ns, "hello"}, [2]string{ns, big}), &res); code != 200 {
		t.Fatalf("submit: status %d", code)
	}
	if res.Height != 2 || len(res.Commitments) != 2 {
		t.Fatalf("submit answered %+v", res)
	}
	nsFull, _ := da.ParseNamespace(ns)
	for i, data := range []string{"hello", big} {
		b, _ := da.NewBlob(nsFull, []byte(data), 0, nil)
		want, _ := da.CreateCommitment(&b)
		if res.Commitments[i] != hex.EncodeToString(want[:]) {
			t.Fatalf("commitment %d is %s, want %x", i, res.Commitments[i], want)
		}
	}

	var list BlobsJSON
	if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s&proof=true", ts.URL, res.Height, ns), "", &list); code != 200 {
		t.Fatalf("list: status %d", code)
	}
	if len(list.Blobs) != 2 || list.Proof == nil || len(list.Proof.Rows) == 0 || list.Namespace != nsFull.String() {
		t.Fatalf("list answered %+v", list)
	}
	got := map[string]string{}
	for _, b := range list.Blobs {
		got[b.Commitment] = string(b.Data)
	}
	if got[res.Commitments[0]] != "hello" || got[res.Commitments[1]] != big {
		t.Fatal("listed blobs differ from the submitted ones")
	}

	var one BlobJSON
	url := fmt.Sprintf("%s/v1/blobs/%d/%s/%s", ts.URL, res.Height, ns, res.Commitments[1])
	if code, _ := call(t, "GET", url, "", &one); code != 200 || string(one.Data) != big || one.Namespace != nsFull.String() {
		t.Fatalf("one blob: status %d, %d bytes", code, len(one.Data))
	}

	var proof BlobProofJSON
	if code, _ := call(t, "GET", url+"/proof", "", &proof); code != 200 {
		t.Fatalf("blob proof: status %d", code)
	}
	if proof.Start != one.Index || proof.End-proof.Start != da.SparseShareCount(len(big), 0) || len(proof.Rows) == 0 {
		t.Fatalf("blob proof covers [%d,%d), blob starts at %d", proof.Start, proof.End, one.Index)
	}
	var joined []byte
	for _, s := range proof.Shares {
		joined = append(joined, s...)
	}
	if !bytes.Contains(joined, []byte(big[:400])) {
		t.Fatal("blob proof shares do not hold the blob")
	}
}

func TestShareIsVerifiableAgainstTheHeader(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	var res SubmitResult
	call(t, "POST", ts.URL+"/v1/blobs", submitBody([2]string{"74617274616e2d626262", strings.Repeat("x", 2000)}), &res)
	var hdr HeaderJSON
	if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/headers/%d", ts.URL, res.Height), "", &hdr); code != 200 {
		t.Fatalf("header: status %d", code)
	}
	root, _ := hex.DecodeString(hdr.DataRoot)
	k := hdr.SquareWidth
	for _, cell := range [][2]int{{0, 0}, {0, 2*k - 1}, {2*k - 1, 0}, {k, k}} {
		var raw json.RawMessage
		if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/shares/%d/%d/%d", ts.URL, res.Height, cell[0], cell[1]), "", &raw); code != 200 {
			t.Fatalf("share %v: status %d", cell, code)
		}
		var sj erasure.SampleJSON
		if err := json.Unmarshal(raw, &sj); err != nil {
			t.Fatal(err)
		}
		if sj.Height != res.Height || sj.Sample.Row != cell[0] || sj.Sample.Col != cell[1] {
			t.Fatalf("sample for %v answered height %d cell (%d,%d)", cell, sj.Height, sj.Sample.Row, sj.Sample.Col)
		}
		if err := sj.Sample.Verify([32]byte(root), k); err != nil {
			t.Fatalf("sample %v does not verify against the header's data root: %v", cell, err)
		}
	}
}

// GET /v1/headers/{height} and /v1/headers/head carry the compact fields,
// what the consensus engine adds (from Headers.Consensus) and the
// certificate; the producer's key and signature are gone.
func TestHeaderJSONCarriesConsensus(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	if _, err := c.Submit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/headers/1", "/v1/headers/2", "/v1/headers/head"} {
		t.Run(path, func(t *testing.T) {
			var raw map[string]json.RawMessage
			if code, _ := call(t, "GET", ts.URL+path, "", &raw); code != 200 {
				t.Fatalf("status %d", code)
			}
			var hj HeaderJSON
			if err := json.Unmarshal(mustJSON(t, raw), &hj); err != nil {
				t.Fatal(err)
			}
			h, err := c.Header(context.Background(), hj.Height)
			if err != nil {
				t.Fatalf("answered height %d: %v", hj.Height, err)
			}
			if path == "/v1/headers/head" && hj.Height != 2 {
				t.Fatalf("head is height %d, want 2", hj.Height)
			}
			want := testConsensus(h)
			fields := map[string]any{
				"hash":            hex.EncodeToString(h.BlockHash[:]),
				"prev_hash":       hex.EncodeToString(h.PrevHash[:]),
				"data_root":       hex.EncodeToString(h.DataRoot[:]),
				"data_hash":       want.DataHash,
				"validators_hash": want.ValidatorsHash,
				"proposer":        want.Proposer,
				"commit":          want.Commit,
				"data_root_proof": want.DataRootProof,
				"certificate":     h.Certificate, // base64
			}
			if h.Height == 1 {
				fields["validators"] = want.Validators
			} else if _, ok := raw["validators"]; ok {
				t.Errorf("height %d names a validator set it does not change", h.Height)
			}
			for key, v := range fields {
				got, ok := raw[key]
				if !ok {
					t.Errorf("no %q in %s", key, mustJSON(t, raw))
					continue
				}
				if w := mustJSON(t, v); !bytes.Equal(got, w) {
					t.Errorf("%s is %s, want %s", key, got, w)
				}
			}
			for _, gone := range []string{"producer", "signature"} {
				if _, ok := raw[gone]; ok {
					t.Errorf("the header still has %q", gone)
				}
			}
		})
	}
}

// A header whose consensus fields cannot be read is not served without
// them: the route answers the error.
func TestHeaderWithoutConsensusAnswersError(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, Services{Node: c, Headers: noConsensus{c}})
	for _, path := range []string{"/v1/headers/1", "/v1/headers/head"} {
		var body errorBody
		status, hdr := call(t, "GET", ts.URL+path, "", &body)
		if status != 503 || body.Error.Code != "unavailable" || hdr.Get("Retry-After") == "" {
			t.Errorf("%s: %d %+v, want 503 unavailable with Retry-After", path, status, body.Error)
		}
	}
}

// noConsensus is a chain whose certificates cannot be read now.
type noConsensus struct{ *chain }

func (noConsensus) Consensus(_ context.Context, h *da.Header) (ConsensusJSON, error) {
	return ConsensusJSON{}, fmt.Errorf("%w: the consensus engine cannot read height %d now", ErrUnavailable, h.Height)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestErrors(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	tooBig := base64.StdEncoding.EncodeToString(make([]byte, 478+482*64*64))
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed json", "POST", "/v1/blobs", `{"blobs":[`, 400, "bad_json"},
		{"unknown field", "POST", "/v1/blobs", `{"blobz":[]}`, 400, "bad_json"},
		{"empty list", "POST", "/v1/blobs", `{"blobs":[]}`, 400, "no_blobs"},
		{"bad base64 data", "POST", "/v1/blobs", `{"blobs":[{"namespace":"74617274616e2d746573","data":"!!not base64"}]}`, 400, "bad_json"},
		{"not json at all", "POST", "/v1/blobs", `namespace=74617274616e2d746573`, 400, "bad_json"},
		{"trailing data", "POST", "/v1/blobs", `{"blobs":[{"namespace":"74617274616e2d746573","data":"eA=="}]} {}`, 400, "bad_json"},
		{"bad hex namespace", "POST", "/v1/blobs", submitBody([2]string{"zz00000000000000000a", "x"}), 400, "bad_namespace"},
		{"short namespace", "POST", "/v1/blobs", submitBody([2]string{"00aa", "x"}), 400, "bad_namespace"},
		{"reserved namespace", "POST", "/v1/blobs", submitBody([2]string{"00000000000000000001", "x"}), 400, "bad_namespace"},
		{"empty blob", "POST", "/v1/blobs", submitBody([2]string{"74617274616e2d746573", ""}), 400, "empty_blob"},
		{"bad timeout", "POST", "/v1/blobs", `{"blobs":[{"namespace":"74617274616e2d746573","data":"eA=="}],"timeout":"soon"}`, 400, "bad_timeout"},
		{"oversized blob", "POST", "/v1/blobs", `{"blobs":[{"namespace":"74617274616e2d746573","data":"` + tooBig + `"}]}`, 413, "blob_too_large"},
		{"bad height", "GET", "/v1/headers/abc", "", 400, "bad_height"},
		{"height zero", "GET", "/v1/headers/0", "", 400, "bad_height"},
		{"future height", "GET", "/v1/headers/99", "", 503, "not_yet"},
		{"bad row", "GET", "/v1/shares/1/x/0", "", 400, "bad_row"},
		{"cell outside", "GET", "/v1/shares/1/5/0", "", 404, "not_found"},
		{"missing namespace", "GET", "/v1/blobs/1", "", 400, "bad_namespace"},
		{"bad commitment", "GET", "/v1/blobs/1/74617274616e2d746573/xyz", "", 400, "bad_commitment"},
		{"unknown commitment", "GET", "/v1/blobs/1/74617274616e2d746573/" + strings.Repeat("ab", 32), "", 404, "not_found"},
		{"dah not kept", "GET", "/v1/headers/1/dah", "", 501, "not_served"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body errorBody
			status, hdr := call(t, tc.method, ts.URL+tc.path, tc.body, &body)
			if status != tc.status || body.Error.Code != tc.code || body.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", status, body.Error, tc.status, tc.code)
			}
			if status == 503 && hdr.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if goInternals.MatchString(body.Error.Message) || stutter.MatchString(body.Error.Message) {
				t.Fatalf("message %q shows Go internals or repeats a package prefix", body.Error.Message)
			}
		})
	}
	// Nothing above was stored: the chain still has only its first block.
	if h, _ := c.Head(context.Background()); h.Height != 1 {
		t.Fatalf("bad requests changed the chain: head %d", h.Height)
	}
}

func TestRolesWithoutAServiceAnswer501(t *testing.T) {
	ts := newTestServer(t, Services{})
	for _, path := range []string{"/v1/node", "/v1/headers/head", "/v1/headers/1", "/v1/shares/1/0/0", "/v1/blobs/1?namespace=74617274616e2d746573"} {
		var body errorBody
		if status, _ := call(t, "GET", ts.URL+path, "", &body); status != 501 || body.Error.Code != "not_served" {
			t.Errorf("%s: %d %+v", path, status, body)
		}
	}
	var health map[string]string
	if status, _ := call(t, "GET", ts.URL+"/health", "", &health); status != 200 || health["status"] != "ok" {
		t.Fatalf("health: %d %v", status, health)
	}
}

func TestClassifyIsExhaustiveForSentinels(t *testing.T) {
	for _, err := range []error{ErrNotFound, ErrNotYet, ErrPruned, ErrNotServed, ErrPoolFull, ErrUnavailable, ErrTimeout, ErrBadRequest, ErrUnauthorized} {
		status, code := classify(fmt.Errorf("wrapped: %w", err))
		if status == 500 || code == "internal" {
			t.Errorf("%v maps to %d %s", err, status, code)
		}
	}
	if status, _ := classify(errors.New("boom")); status != 500 {
		t.Fatalf("an unknown error maps to %d", status)
	}
}

// GET /v1/node reports the server's body limit with the node's limits.
func TestNodeReportsBodyLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 12345
	s, err := New(cfg, allServices(newChain(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	var info NodeInfo
	if code, _ := call(t, http.MethodGet, ts.URL+"/v1/node", "", &info); code != http.StatusOK || info.Limits.MaxBodyBytes != 12345 {
		t.Fatalf("/v1/node: %d, limits %+v; want max_body_bytes 12345", code, info.Limits)
	}
}
