package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// rawCall does one request with a raw body and returns the raw answer.
func rawCall(t *testing.T, method, url string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// put posts data to /put and wants a 200 with a well-formed commitment.
func put(t *testing.T, base string, data []byte) AltDACommitment {
	t.Helper()
	status, hdr, body := rawCall(t, "POST", base+"/put", data)
	if status != 200 {
		t.Fatalf("put %d bytes: status %d: %s", len(data), status, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("put: content type %q", ct)
	}
	if len(body) != AltDACommitmentSize || body[0] != 0x01 || body[1] != 0x54 {
		t.Fatalf("put answered %d bytes %x, want 71 starting 0154", len(body), body)
	}
	c, err := ParseAltDACommitment(body)
	if err != nil {
		t.Fatalf("put answered a commitment that does not parse: %v", err)
	}
	return c
}

func getURL(base string, c []byte) string { return fmt.Sprintf("%s/get/0x%x", base, c) }

func TestAltDAPutGetRoundTrip(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	rng := rand.New(rand.NewPCG(1, 2))
	defaultNS, _ := da.ParseNamespace("6f702d616c742d646100") // node.DefaultAltDANamespace
	// Sizes around share boundaries (478 bytes fit the first share) up to
	// several rows of the test chain's 8×8 square.
	for _, size := range []int{1, 477, 478, 479, 960, 5000, 20000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		before, _ := c.Head(context.Background())
		got := put(t, ts.URL, data)

		blob, _ := da.NewBlob(defaultNS, data, 0, nil)
		want, _ := da.CreateCommitment(&blob)
		if got.Height != before.Height+1 || got.Namespace != defaultNS || got.Commitment != want {
			t.Fatalf("size %d: commitment %+v, want height %d namespace %s commitment %x", size, got, before.Height+1, defaultNS, want)
		}
		// The block holds exactly this blob, share version 0, in the
		// alt-DA namespace.
		var list BlobsJSON
		if code, _ := call(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", ts.URL, got.Height, defaultNS), "", &list); code != 200 {
			t.Fatalf("size %d: list status %d", size, code)
		}
		if len(list.Blobs) != 1 || !bytes.Equal(list.Blobs[0].Data, data) || list.Blobs[0].ShareVersion != 0 ||
			list.Blobs[0].Commitment != hex.EncodeToString(want[:]) {
			t.Fatalf("size %d: the block's alt-DA namespace holds %d blobs", size, len(list.Blobs))
		}

		status, hdr, body := rawCall(t, "GET", getURL(ts.URL, got.Bytes()), nil)
		if status != 200 || !bytes.Equal(body, data) {
			t.Fatalf("size %d: get: status %d, %d bytes back", size, status, len(body))
		}
		if ct := hdr.Get("Content-Type"); ct != "application/octet-stream" {
			t.Fatalf("get: content type %q", ct)
		}
		// Uppercase hex names the same bytes.
		if status, _, body := rawCall(t, "GET", ts.URL+"/get/0x"+strings.ToUpper(hex.EncodeToString(got.Bytes())), nil); status != 200 || !bytes.Equal(body, data) {
			t.Fatalf("size %d: get with uppercase hex: status %d", size, status)
		}
	}
}

// Among several blobs of the namespace at one height, /get picks the one
// whose share commitment the commitment names, whoever posted them.
func TestAltDAGetPicksTheBlobByCommitment(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	ns, _ := da.ParseNamespace("6f702d616c742d646100")
	var blobs []da.Blob
	for i := range 4 {
		b, _ := da.NewBlob(ns, bytes.Repeat([]byte{byte('a' + i)}, 300*(i+1)), 0, nil)
		blobs = append(blobs, b)
	}
	height, err := c.Submit(context.Background(), blobs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range blobs {
		cm, _ := da.CreateCommitment(&blobs[i])
		ac := AltDACommitment{Height: height, Namespace: ns, Commitment: cm}
		if status, _, body := rawCall(t, "GET", getURL(ts.URL, ac.Bytes()), nil); status != 200 || !bytes.Equal(body, blobs[i].Data) {
			t.Fatalf("blob %d: status %d, %d bytes", i, status, len(body))
		}
	}
}

func TestAltDAConfiguredNamespace(t *testing.T) {
	c := newChain(t)
	cfg := DefaultConfig()
	cfg.AltDANamespace, _ = da.ParseNamespace("726f6c6c75702d3432ff")
	s, err := New(cfg, allServices(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	got := put(t, ts.URL, []byte("batch"))
	if got.Namespace != cfg.AltDANamespace {
		t.Fatalf("put stored in %s, want the configured %s", got.Namespace, cfg.AltDANamespace)
	}
	if status, _, body := rawCall(t, "GET", getURL(ts.URL, got.Bytes()), nil); status != 200 || string(body) != "batch" {
		t.Fatalf("get: status %d %q", status, body)
	}
	// A namespace no blob may use is refused at start.
	cfg.AltDANamespace = da.PayForBlobNamespace
	if _, err := New(cfg, allServices(c), nil); err == nil {
		t.Fatal("New accepted a reserved alt-DA namespace")
	}
}

// The default namespace is node's DefaultAltDANamespace.
func TestAltDADefaultNamespace(t *testing.T) {
	s, err := New(DefaultConfig(), Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.altDANamespace().String(); got != strings.Repeat("00", 19)+"6f702d616c742d646100" {
		t.Fatalf("default alt-DA namespace %s", got)
	}
	if err := s.altDANamespace().ValidateForBlob(); err != nil {
		t.Fatal(err)
	}
}

// faultyBlobs is the test chain with a failure injected where a node
// would meet one: a pruned height, unreachable peers, a pool that is full,
// a submission that never gets into a block.
type faultyBlobs struct {
	*chain
	prunedBelow uint64 // NamespaceData below this height is ErrPruned
	readErr     error  // returned by NamespaceData, if set
	submitErr   error  // returned by Submit, if set
	stuck       bool   // Submit waits until its context ends
}

func (f *faultyBlobs) NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	if height < f.prunedBelow {
		return nil, fmt.Errorf("%w: height %d is outside the storage window", ErrPruned, height)
	}
	return f.chain.NamespaceData(ctx, height, ns)
}

func (f *faultyBlobs) Submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	if f.submitErr != nil {
		return 0, f.submitErr
	}
	if f.stuck {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return f.chain.Submit(ctx, blobs)
}

type errorCase struct {
	name, method, url string
	body              []byte
	status            int
	code              string
}

func checkErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, raw := rawCall(t, tc.method, tc.url, tc.body)
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q, body %q", ct, clip(string(raw), 200))
			}
			var body errorBody
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("%v in %s", err, raw)
			}
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
}

func TestAltDAErrors(t *testing.T) {
	c := newChain(t)
	ts := newTestServer(t, allServices(c))
	good := put(t, ts.URL, []byte("a batch"))
	head := good.Height

	with := func(edit func(b []byte)) []byte {
		b := good.Bytes()
		edit(b)
		return b
	}
	unknown := with(func(b []byte) { b[AltDACommitmentSize-1] ^= 1 })
	emptyNS := with(func(b []byte) { b[10+da.NamespaceSize-1] ^= 1 }) // a namespace with no data there
	future := with(func(b []byte) { binary.BigEndian.PutUint64(b[2:], head+1) })
	farFuture := with(func(b []byte) { binary.BigEndian.PutUint64(b[2:], 1<<63) })
	zero := with(func(b []byte) { binary.BigEndian.PutUint64(b[2:], 0) })
	keccak := with(func(b []byte) { b[0] = 0x00 })
	celestia := with(func(b []byte) { b[1] = 0x0c })
	reserved := AltDACommitment{Height: 1, Namespace: da.TxNamespace}.Bytes()
	badVersion := with(func(b []byte) { b[10] = 7 })
	hexOf := func(b []byte) string { return hex.EncodeToString(b) }

	cases := []errorCase{
		{"put empty body", "POST", ts.URL + "/put", nil, 400, "empty_blob"},
		// The test chain's squares are at most 8×8 shares.
		{"put larger than a square", "POST", ts.URL + "/put", make([]byte, 64*482), 413, "blob_too_large"},
		{"get without 0x", "GET", ts.URL + "/get/" + hexOf(good.Bytes()), nil, 400, "bad_commitment"},
		{"get bad hex", "GET", ts.URL + "/get/0x" + strings.Repeat("zz", AltDACommitmentSize), nil, 400, "bad_commitment"},
		{"get odd hex", "GET", ts.URL + "/get/0x" + hexOf(good.Bytes())[1:], nil, 400, "bad_commitment"},
		{"get short", "GET", getURL(ts.URL, good.Bytes()[:70]), nil, 400, "bad_commitment"},
		{"get long", "GET", getURL(ts.URL, append(good.Bytes(), 0)), nil, 400, "bad_commitment"},
		{"get empty", "GET", ts.URL + "/get/0x", nil, 400, "bad_commitment"},
		{"get keccak commitment", "GET", getURL(ts.URL, keccak), nil, 400, "bad_commitment_type"},
		{"get other DA layer", "GET", getURL(ts.URL, celestia), nil, 400, "bad_da_layer"},
		// The type byte is judged before the length: a keccak commitment
		// (0x00 and 32 bytes) says what is wrong.
		{"get keccak-shaped commitment", "GET", getURL(ts.URL, append([]byte{0}, make([]byte, 32)...)), nil, 400, "bad_commitment_type"},
		{"get short for another DA layer", "GET", getURL(ts.URL, []byte{1, 0x0c, 5}), nil, 400, "bad_da_layer"},
		{"get height zero", "GET", getURL(ts.URL, zero), nil, 400, "bad_height"},
		{"get reserved namespace", "GET", getURL(ts.URL, reserved), nil, 400, "bad_namespace"},
		{"get unknown namespace version", "GET", getURL(ts.URL, badVersion), nil, 400, "bad_namespace"},
		{"get unknown commitment", "GET", getURL(ts.URL, unknown), nil, 404, "not_found"},
		{"get empty namespace", "GET", getURL(ts.URL, emptyNS), nil, 404, "not_found"},
		{"get next height", "GET", getURL(ts.URL, future), nil, 503, "not_yet"},
		{"get far height", "GET", getURL(ts.URL, farFuture), nil, 503, "not_yet"},
	}
	checkErrorCases(t, cases)
	// Nothing above was stored.
	if h, _ := c.Head(context.Background()); h.Height != head {
		t.Fatalf("bad requests changed the chain: head %d, want %d", h.Height, head)
	}
	// The height that was not yet there serves once it is.
	for {
		if h, _ := c.Head(context.Background()); h.Height > head {
			break
		}
		if _, err := c.Submit(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	next := put(t, ts.URL, []byte("a batch"))
	if status, _, body := rawCall(t, "GET", getURL(ts.URL, next.Bytes()), nil); status != 200 || string(body) != "a batch" {
		t.Fatalf("get after the height arrived: %d %q", status, body)
	}
}

func TestAltDAFaults(t *testing.T) {
	c := newChain(t)
	f := &faultyBlobs{chain: c}
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1000
	cfg.SubmitTimeout = 50 * time.Millisecond
	s, err := New(cfg, Services{Node: c, Headers: c, Blobs: f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	old := put(t, ts.URL, []byte("old batch"))
	newer := put(t, ts.URL, []byte("newer batch"))

	f.prunedBelow = newer.Height
	checkErrorCases(t, []errorCase{
		{"put over the body limit", "POST", ts.URL + "/put", make([]byte, 1001), 413, "body_too_large"},
		// Pruned here means never again from this node: 404, so op-node
		// does not wait for it.
		{"get pruned", "GET", getURL(ts.URL, old.Bytes()), nil, 404, "not_found"},
	})
	if status, _, body := rawCall(t, "GET", getURL(ts.URL, newer.Bytes()), nil); status != 200 || string(body) != "newer batch" {
		t.Fatalf("get inside the window: %d %q", status, body)
	}

	f.readErr = fmt.Errorf("%w: no peers to ask for the namespace", ErrUnavailable)
	checkErrorCases(t, []errorCase{{"get with peers unreachable", "GET", getURL(ts.URL, newer.Bytes()), nil, 503, "unavailable"}})
	f.readErr = fmt.Errorf("a peer's namespace proof: %w", erasure.ErrProofRoot)
	checkErrorCases(t, []errorCase{{"get with a bad proof from a peer", "GET", getURL(ts.URL, newer.Bytes()), nil, 502, "invalid_proof"}})
	f.readErr = nil

	f.submitErr = fmt.Errorf("%w: 64 of 64 MiB pending", ErrPoolFull)
	checkErrorCases(t, []errorCase{{"put with the pool full", "POST", ts.URL + "/put", []byte("x"), 503, "pool_full"}})
	f.submitErr = fmt.Errorf("%w: not connected to the producer", ErrUnavailable)
	checkErrorCases(t, []errorCase{{"put with the producer unreachable", "POST", ts.URL + "/put", []byte("x"), 503, "unavailable"}})
	f.submitErr, f.stuck = nil, true
	checkErrorCases(t, []errorCase{{"put not included in time", "POST", ts.URL + "/put", []byte("x"), 504, "timeout"}})
}

func TestAltDANotServed(t *testing.T) {
	ts := newTestServer(t, Services{})
	good := AltDACommitment{Height: 1, Namespace: da.Namespace{}, Commitment: [32]byte{1}}
	copy(good.Namespace[da.NamespaceSize-2:], "ns")
	checkErrorCases(t, []errorCase{
		{"put", "POST", ts.URL + "/put", []byte("x"), 501, "not_served"},
		{"get", "GET", getURL(ts.URL, good.Bytes()), nil, 501, "not_served"},
		// A malformed commitment is the client's mistake on every role.
		{"get malformed", "GET", ts.URL + "/get/0x01", nil, 400, "bad_commitment"},
	})
}

// Bytes and ParseAltDACommitment are inverse, and a change to the type or
// layer byte is refused with its own code.
func TestAltDACommitmentBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var c AltDACommitment
		c.Height = rng.Uint64()>>rng.IntN(64) | 1
		var id [da.NamespaceV0UserSize]byte
		for i := range id {
			id[i] = byte(rng.Uint32())
		}
		id[0] |= 1 // not a primary reserved namespace
		c.Namespace, _ = da.NewV0Namespace(id[:])
		for i := range c.Commitment {
			c.Commitment[i] = byte(rng.Uint32())
		}
		b := c.Bytes()
		if len(b) != AltDACommitmentSize || b[0] != 0x01 || b[1] != 0x54 ||
			binary.BigEndian.Uint64(b[2:10]) != c.Height || !bytes.Equal(b[10:39], c.Namespace[:]) || !bytes.Equal(b[39:], c.Commitment[:]) {
			t.Fatalf("Bytes() = %x for %+v", b, c)
		}
		got, err := ParseAltDACommitment(b)
		if err != nil || got != c {
			t.Fatalf("parse(%x) = %+v, %v; want %+v", b, got, err, c)
		}
		for _, tc := range []struct {
			at   int
			code string
		}{{0, "bad_commitment_type"}, {1, "bad_da_layer"}} {
			bad := bytes.Clone(b)
			bad[tc.at] ^= byte(1 + rng.IntN(255))
			_, err := ParseAltDACommitment(bad)
			if status, code := classify(err); status != 400 || code != tc.code {
				t.Fatalf("byte %d changed: %d %s, want 400 %s", tc.at, status, code, tc.code)
			}
		}
	}
}

// Untrusted commitment bytes never panic the parser; what parses encodes
// back to the same bytes, and what does not is a 400.
func FuzzParseAltDACommitment(f *testing.F) {
	ns, _ := da.ParseNamespace("6f702d616c742d646100")
	f.Add(AltDACommitment{Height: 7, Namespace: ns, Commitment: [32]byte{9}}.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0x01, 0x54})
	f.Add(make([]byte, AltDACommitmentSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseAltDACommitment(b)
		if err != nil {
			if status, _ := classify(err); status != 400 {
				t.Fatalf("parse error %v answers %d, want 400", err, status)
			}
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("parse(%x) encodes back to %x", b, c.Bytes())
		}
	})
}
