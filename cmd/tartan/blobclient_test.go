package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node"
)

// startBlobNode runs a real validator (a chain of one) on loopback until the test ends and
// returns its REST URL.
func startBlobNode(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := node.DefaultConfig(node.RoleValidator)
	cfg.API, cfg.RPCListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.ConsensusListen = "127.0.0.1:0"
	err := node.Init(dir, node.InitOptions{Role: node.RoleValidator, ChainID: "blob-cli", BlockTime: 100 * time.Millisecond,
		MaxSquareWidth: 64, Config: &cfg, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.New(ctx, dir, node.Options{Version: "test"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := n.Run(ctx); err != nil {
			t.Errorf("validator: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return "http://" + n.APIAddr()
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x7a27a2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var submitOutput = regexp.MustCompile(`^height ([0-9]+)\ncommitment ([0-9a-f]{64})\n$`)

// submitCLI runs blob submit and returns the height and commitment.
func submitCLI(t *testing.T, stdin []byte, args ...string) (uint64, string) {
	t.Helper()
	code, out, errs := runBlobCLI(stdin, append([]string{"blob", "submit"}, args...)...)
	if code != 0 {
		t.Fatalf("submit %v: exit %d: %s", args, code, errs)
	}
	m := submitOutput.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit printed %q", out)
	}
	h, _ := strconv.ParseUint(m[1], 10, 64)
	return h, m[2]
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s was written", path)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("a temporary file %s was left behind", e.Name())
		}
	}
}

// Round trips through a real validator: submit from a file and from stdin,
// the commitment agrees with `blob commitment`, get writes the same bytes.
func TestBlobSubmitGetRoundTrip(t *testing.T) {
	base := startBlobNode(t)
	dir := t.TempDir()
	ns := "74617274616e2d636c69"
	for i, size := range []int{1, 478, 5000, 1<<20 + 123} {
		for _, viaStdin := range []bool{false, true} {
			name := fmt.Sprintf("%d-stdin=%v", size, viaStdin)
			t.Run(name, func(t *testing.T) {
				data := randomBytes(uint64(i*2+1), size)
				if viaStdin {
					data = randomBytes(uint64(i*2+2), size)
				}
				file := writeTemp(t, dir, name+".in", data)
				var height uint64
				var commitment string
				if viaStdin {
					height, commitment = submitCLI(t, data, "--node", base, "--namespace", ns, "-")
				} else {
					height, commitment = submitCLI(t, nil, file, "--namespace", ns, "--node", base)
				}
				code, want, errs := runBlobCLI(nil, "blob", "commitment", "--namespace", ns, file)
				if code != 0 || want != commitment+"\n" {
					t.Fatalf("blob commitment says %q (%s), submit printed %s", want, errs, commitment)
				}
				out := filepath.Join(dir, name+".out")
				code, stdout, errs := runBlobCLI(nil, "blob", "get", "--node", base, "--height", strconv.FormatUint(height, 10),
					"--namespace", ns, "--commitment", commitment, "--out", out)
				if code != 0 || errs != "" {
					t.Fatalf("get: exit %d: %s", code, errs)
				}
				if stdout != commitment+"  "+out+"\n" {
					t.Fatalf("get --out printed %q", stdout)
				}
				got, err := os.ReadFile(out)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("get wrote %d bytes (%v), want the %d submitted", len(got), err, len(data))
				}
				// To stdout, with the 58-character namespace.
				code, stdout, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", strconv.FormatUint(height, 10),
					"--namespace", strings.Repeat("0", 38)+ns, "--commitment", commitment)
				if code != 0 || stdout != string(data) {
					t.Fatalf("get to stdout: exit %d, %d bytes: %s", code, len(stdout), errs)
				}
			})
		}
	}
}

// postBlobs submits several blobs in one request, so they share a height.
func postBlobs(t *testing.T, base string, ns string, datas ...[]byte) api.SubmitResult {
	t.Helper()
	type blob struct {
		Namespace string `json:"namespace"`
		Data      []byte `json:"data"`
	}
	req := struct {
		Blobs   []blob `json:"blobs"`
		Timeout string `json:"timeout"`
	}{Timeout: "30s"}
	for _, d := range datas {
		req.Blobs = append(req.Blobs, blob{ns, d})
	}
	body, _ := json.Marshal(req)
	resp, err := http.Post(base+"/v1/blobs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res api.SubmitResult
	if resp.StatusCode != 200 || json.Unmarshal(raw, &res) != nil || len(res.Commitments) != len(datas) {
		t.Fatalf("POST /v1/blobs: %s: %s", resp.Status, raw)
	}
	return res
}

// Without --commitment get returns every blob of the namespace, proven
// complete: here a small blob, namespace padding to align a large one
// that spans several rows, and the large one.
func TestBlobGetWholeNamespace(t *testing.T) {
	base := startBlobNode(t)
	dir := t.TempDir()
	ns := "6e732d77686f6c650000"
	small, large := randomBytes(11, 100), randomBytes(12, 200*478)
	res := postBlobs(t, base, ns, small, large)
	h := strconv.FormatUint(res.Height, 10)
	want := map[string][]byte{res.Commitments[0]: small, res.Commitments[1]: large}
	// The layout this test is about: padding between the blobs, and the
	// namespace over several rows.
	var list api.BlobsJSON
	var hj api.HeaderJSON
	if json.Unmarshal([]byte(rawGet(t, base+"/v1/blobs/"+h+"?namespace="+ns)), &list) != nil ||
		json.Unmarshal([]byte(rawGet(t, base+"/v1/headers/"+h)), &hj) != nil || len(list.Blobs) != 2 {
		t.Fatal("cannot read the layout back")
	}
	if first, second := list.Blobs[0].Index, list.Blobs[1].Index; second <= first+1 || second/hj.SquareWidth == (second+198)/hj.SquareWidth {
		t.Fatalf("blobs at shares %d and %d of a width-%d square: no padding between them or no second row", first, second, hj.SquareWidth)
	}

	out := filepath.Join(dir, "ns.bin")
	code, stdout, errs := runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", ns, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("printed %q, want a line per blob", stdout)
	}
	for i, line := range lines {
		path := out
		if i > 0 {
			path = out + "." + strconv.Itoa(i)
		}
		c, p, ok := strings.Cut(line, "  ")
		if !ok || p != path || want[c] == nil {
			t.Fatalf("line %q: want a listed commitment and %s", line, path)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want[c]) {
			t.Fatalf("%s holds %d bytes (%v), not the blob %s", path, len(got), err, c)
		}
		delete(want, c)
	}

	// Several blobs do not go to stdout.
	code, stdout, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", ns)
	if code != 1 || stdout != "" || !strings.Contains(errs, "holds 2 blobs") {
		t.Fatalf("several blobs to stdout: exit %d, stdout %d bytes, stderr %q", code, len(stdout), errs)
	}
	oneLine(t, errs)

	// One blob alone in its namespace goes to stdout.
	one := randomBytes(13, 3000)
	res = postBlobs(t, base, "6e732d6f6e6500000000", one)
	code, stdout, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", strconv.FormatUint(res.Height, 10), "--namespace", "6e732d6f6e6500000000")
	if code != 0 || stdout != string(one) {
		t.Fatalf("one blob to stdout: exit %d, %d bytes, %s", code, len(stdout), errs)
	}

	// A namespace with nothing at that height: verified absent, an error.
	code, _, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", "6e732d656d7074790000", "--out", filepath.Join(dir, "none"))
	if code != 1 || !strings.Contains(errs, "has no blobs at height") {
		t.Fatalf("empty namespace: exit %d, %q", code, errs)
	}
	mustNotExist(t, filepath.Join(dir, "none"))

	// A commitment that is not there: a clear error and no file.
	missing := filepath.Join(dir, "missing")
	code, stdout, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", ns,
		"--commitment", strings.Repeat("ab", 32), "--out", missing)
	if code != 1 || stdout != "" || !strings.Contains(errs, "no blob with commitment abab") {
		t.Fatalf("absent commitment: exit %d, %q", code, errs)
	}
	oneLine(t, errs)
	mustNotExist(t, missing)

	// --trusted-hash: the header's hash passes, another hash fails.
	code, _, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", ns,
		"--commitment", lines[0][:64], "--trusted-hash", hj.Hash)
	if code != 0 {
		t.Fatalf("the right --trusted-hash: exit %d: %s", code, errs)
	}
	other := filepath.Join(dir, "other")
	code, _, errs = runBlobCLI(nil, "blob", "get", "--node", base, "--height", h, "--namespace", ns,
		"--commitment", lines[0][:64], "--trusted-hash", strings.Repeat("0", 64), "--out", other)
	if code != 1 || !strings.Contains(errs, "not the --trusted-hash") {
		t.Fatalf("a wrong --trusted-hash: exit %d: %q", code, errs)
	}
	mustNotExist(t, other)
}

// tamperProxy forwards to the node and lets edit change the JSON of
// answers to blob reads.
func tamperProxy(t *testing.T, base string, edit func(path string, body map[string]any)) string {
	t.Helper()
	target, _ := url.Parse(base)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *target
		u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Errorf("proxy: %v", err)
			}
			edit(r.URL.Path, m)
			raw, _ = json.Marshal(m)
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(raw)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// flipB64 flips one bit of byte i of a base64 string.
func flipB64(v any, i int) string {
	b, _ := base64.StdEncoding.DecodeString(v.(string))
	b[min(i, len(b)-1)] ^= 0x10
	return base64.StdEncoding.EncodeToString(b)
}

// A node that changes a byte of a blob, or leaves a blob out, makes get
// fail and write nothing.
func TestBlobGetRejectsTamperedAnswers(t *testing.T) {
	base := startBlobNode(t)
	dir := t.TempDir()
	ns := "74616d70657265640000"
	res := postBlobs(t, base, ns, randomBytes(21, 700), randomBytes(22, 9000))
	h := strconv.FormatUint(res.Height, 10)
	for _, c := range []struct {
		name       string
		commitment string
		edit       func(path string, m map[string]any)
		want       string
	}{
		{"list: a data byte", "", func(_ string, m map[string]any) {
			b := m["blobs"].([]any)[1].(map[string]any)
			b["data"] = flipB64(b["data"], 5000)
		}, "does not verify"},
		{"list: a blob left out", "", func(_ string, m map[string]any) {
			m["blobs"] = m["blobs"].([]any)[:1]
		}, "does not verify"},
		{"list: a row proof left out", "", func(_ string, m map[string]any) {
			p := m["proof"].(map[string]any)
			p["rows"] = p["rows"].([]any)[:len(p["rows"].([]any))-1]
		}, "does not verify"},
		{"list: commitment", "", func(_ string, m map[string]any) {
			m["blobs"].([]any)[0].(map[string]any)["commitment"] = strings.Repeat("cd", 32)
		}, "has commitment"},
		{"proof: a share byte", res.Commitments[1], func(_ string, m map[string]any) {
			s := m["shares"].([]any)
			s[3] = flipB64(s[3], 200)
		}, "does not verify"},
		{"proof: namespace of the first share", res.Commitments[0], func(_ string, m map[string]any) {
			s := m["shares"].([]any)
			s[0] = flipB64(s[0], 28)
		}, "does not verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			proxy := tamperProxy(t, base, c.edit)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			args := []string{"blob", "get", "--node", proxy, "--height", h, "--namespace", ns, "--out", out}
			if c.commitment != "" {
				args = append(args, "--commitment", c.commitment)
			}
			code, stdout, errs := runBlobCLI(nil, args...)
			if code != 1 || stdout != "" || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q (want %q)", code, stdout, errs, c.want)
			}
			oneLine(t, errs)
			mustNotExist(t, out)
			mustNotExist(t, out+".1")
		})
	}
	// The same proxy, editing nothing, passes: the failures above are the
	// edits' doing.
	proxy := tamperProxy(t, base, func(string, map[string]any) {})
	out := filepath.Join(dir, "untouched")
	if code, _, errs := runBlobCLI(nil, "blob", "get", "--node", proxy, "--height", h, "--namespace", ns, "--out", out); code != 0 {
		t.Fatalf("untouched answers: exit %d: %s", code, errs)
	}
}

// gateProxy forwards to the node, but answers POSTs itself while reject
// says so.
func gateProxy(t *testing.T, base string, reject func(r *http.Request) (int, string, http.Header)) string {
	t.Helper()
	return gateMethod(t, base, http.MethodPost, reject)
}

// gateMethod is gateProxy for requests of one method.
func gateMethod(t *testing.T, base, method string, reject func(r *http.Request) (int, string, http.Header)) string {
	t.Helper()
	target, _ := url.Parse(base)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method {
			if status, code, hdr := reject(r); status != 0 {
				io.Copy(io.Discard, r.Body)
				for k, v := range hdr {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"error":{"code":%q,"message":"gate says %s"}}`, code, code)
				return
			}
		}
		u := *target
		u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// Tokens, a full pool, and a timeout, through a gate in front of the node.
func TestBlobSubmitNodeAnswers(t *testing.T) {
	base := startBlobNode(t)
	dir := t.TempDir()
	ns := "676174652d6e73000000"
	file := writeTemp(t, dir, "in", randomBytes(31, 2000))

	var mu sync.Mutex
	var seen []string // Authorization headers, and the timeout fields
	auth := gateProxy(t, base, func(r *http.Request) (int, string, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer sekrit" {
			return http.StatusUnauthorized, "unauthorized", nil
		}
		return 0, "", nil
	})
	code, _, errs := runBlobCLI(nil, "blob", "submit", "--node", auth, "--namespace", ns, file)
	if code != 1 || !strings.Contains(errs, "requires an API token") || !strings.Contains(errs, "tartan auth token create --dir D") {
		t.Fatalf("no token: exit %d, %q", code, errs)
	}
	oneLine(t, errs)
	code, _, errs = runBlobCLI(nil, "blob", "submit", "--node", auth, "--namespace", ns, "--token", "wrong", file)
	if code != 1 || !strings.Contains(errs, "refused the token") {
		t.Fatalf("wrong token: exit %d, %q", code, errs)
	}
	submitCLI(t, nil, "--node", auth, "--namespace", ns, "--token", "sekrit", file)
	t.Setenv("TARTAN_AUTH_TOKEN", "sekrit")
	submitCLI(t, nil, "--node", auth, "--namespace", ns, file)
	if strings.Join(seen, ",") != ",Bearer wrong,Bearer sekrit,Bearer sekrit" {
		t.Fatalf("the node saw Authorization %q", seen)
	}

	// A full pool twice, then the node: the command waits and retries.
	var fulls int
	busy := gateProxy(t, base, func(*http.Request) (int, string, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if fulls < 2 {
			fulls++
			return http.StatusServiceUnavailable, "pool_full", http.Header{"Retry-After": {"0"}}
		}
		return 0, "", nil
	})
	h, _ := submitCLI(t, nil, "--node", busy, "--namespace", ns, file)
	if fulls != 2 || h == 0 {
		t.Fatalf("after %d full-pool answers got height %d", fulls, h)
	}
	// Always full: gives up, saying why.
	full := gateProxy(t, base, func(*http.Request) (int, string, http.Header) {
		return http.StatusServiceUnavailable, "pool_full", http.Header{"Retry-After": {"0"}}
	})
	code, _, errs = runBlobCLI(nil, "blob", "submit", "--node", full, "--namespace", ns, file)
	if code != 1 || !strings.Contains(errs, "pool_full") || !strings.Contains(errs, fmt.Sprintf("after %d attempts", submitAttempts)) {
		t.Fatalf("always full: exit %d, %q", code, errs)
	}
	oneLine(t, errs)

	var body []byte
	slow := gateProxy(t, base, func(r *http.Request) (int, string, http.Header) {
		body, _ = io.ReadAll(r.Body)
		return http.StatusGatewayTimeout, "timeout", nil
	})
	code, _, errs = runBlobCLI(nil, "blob", "submit", "--node", slow, "--namespace", ns, "--timeout", "90s", file)
	if code != 1 || !strings.Contains(errs, "may still be included later") || !strings.Contains(errs, "again is safe") {
		t.Fatalf("504: exit %d, %q", code, errs)
	}
	oneLine(t, errs)
	var sent struct {
		Timeout string `json:"timeout"`
		Blobs   []struct {
			Data []byte `json:"data"`
		} `json:"blobs"`
	}
	if err := json.Unmarshal(body, &sent); err != nil || sent.Timeout != "1m25s" || len(sent.Blobs) != 1 || len(sent.Blobs[0].Data) != 2000 {
		t.Fatalf("the request body was %.200s (%v): want the blob and a server timeout of 85s", body, err)
	}

	// A blob larger than the node's squares (k = 64) is refused from its
	// limits in /v1/node, before any upload.
	var posts int
	counted := gateProxy(t, base, func(*http.Request) (int, string, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		posts++
		return 0, "", nil
	})
	most, _ := da.MaxBlobDataSize(64, 0)
	var info api.NodeInfo
	if code := getJSON(t, base+"/v1/node", &info); code != http.StatusOK ||
		info.Limits != (api.Limits{MaxSquareWidth: 64, MaxBlobBytes: most, MaxBodyBytes: api.DefaultConfig().MaxBodyBytes}) {
		t.Fatalf("/v1/node: %d, limits %+v", code, info.Limits)
	}
	big := writeTemp(t, dir, "big", randomBytes(32, most+1))
	code, _, errs = runBlobCLI(nil, "blob", "submit", "--node", counted, "--namespace", ns, big)
	if code != 1 || !strings.Contains(errs, fmt.Sprintf("at most %d bytes", most)) || !strings.Contains(errs, "64×64") || posts != 0 {
		t.Fatalf("too large for the node: exit %d, %q, %d uploads", code, errs, posts)
	}
	oneLine(t, errs)
	// The node's own 413 still says what happened (a limit the node did
	// not report, here through a gate).
	tight := gateProxy(t, base, func(*http.Request) (int, string, http.Header) {
		return http.StatusRequestEntityTooLarge, "blob_too_large", nil
	})
	code, _, errs = runBlobCLI(nil, "blob", "submit", "--node", tight, "--namespace", ns, file)
	if code != 1 || !strings.Contains(errs, "too large") || !strings.Contains(errs, "413") {
		t.Fatalf("413 from the node: exit %d, %q", code, errs)
	}
	oneLine(t, errs)
}

// acceptingNode is a node behind the real API server that includes every
// blob at height 1 and reports the chain limits of k = 128.
type acceptingNode struct{}

func (acceptingNode) Info(context.Context) (api.NodeInfo, error) {
	most, err := da.MaxBlobDataSize(128, 0)
	return api.NodeInfo{Role: "validator", Limits: api.Limits{MaxSquareWidth: 128, MaxBlobBytes: most}}, err
}

func (acceptingNode) Submit(context.Context, []da.Blob) (uint64, error) { return 1, nil }

func (acceptingNode) NamespaceData(context.Context, uint64, da.Namespace) (*erasure.NamespaceData, error) {
	return nil, api.ErrNotServed
}

func (acceptingNode) BlobProof(context.Context, uint64, int, int) (*erasure.BlobProof, error) {
	return nil, api.ErrNotServed
}

// The command refuses a blob whose base64 would pass the node's body
// limit, which /v1/node reports, before uploading; the largest blob it
// lets through, the node accepts.
func TestBlobSubmitBodyLimit(t *testing.T) {
	cfg := api.DefaultConfig()
	cfg.MaxBodyBytes = 1 << 20
	s, err := api.New(cfg, api.Services{Node: acceptingNode{}, Blobs: acceptingNode{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var posts, tooLarge int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		mu.Lock()
		if r.Method == http.MethodPost {
			posts++
			if rec.Code == http.StatusRequestEntityTooLarge {
				tooLarge++
			}
		}
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	ns := "6c696d69747300000000"

	// 900 KiB passes the square (k = 128) but not 1 MiB of body in base64.
	code, _, errs := runBlobCLI(nil, "blob", "submit", "--node", ts.URL, "--namespace", ns, writeTemp(t, dir, "big", randomBytes(51, 900<<10)))
	m := regexp.MustCompile(`at most ([0-9]+) bytes`).FindStringSubmatch(errs)
	if code != 1 || m == nil || !strings.Contains(errs, "1.0 MiB request limit") || posts != 0 {
		t.Fatalf("900 KiB against a 1 MiB body limit: exit %d, %q, %d uploads", code, errs, posts)
	}
	oneLine(t, errs)
	most, _ := strconv.Atoi(m[1])
	if most < (1<<20)*3/4-1024 || most > (1<<20)*3/4 {
		t.Fatalf("at most %d bytes: want just under 3/4 of 1 MiB", most)
	}
	if code, _, errs := runBlobCLI(nil, "blob", "submit", "--node", ts.URL, "--namespace", ns, writeTemp(t, dir, "edge+1", randomBytes(52, most+1))); code != 1 || posts != 0 {
		t.Fatalf("%d bytes: exit %d, %q, %d uploads", most+1, code, errs, posts)
	}
	if code, out, errs := runBlobCLI(nil, "blob", "submit", "--node", ts.URL, "--namespace", ns, writeTemp(t, dir, "edge", randomBytes(53, most))); code != 0 || !strings.HasPrefix(out, "height 1\n") {
		t.Fatalf("%d bytes, the most the command allows: exit %d, %q", most, code, errs)
	}
	if posts != 1 || tooLarge != 0 {
		t.Fatalf("%d uploads, %d answered 413: want the one the command allowed, accepted", posts, tooLarge)
	}
}

func TestBlobSubmitJSONAndProgress(t *testing.T) {
	base := startBlobNode(t)
	dir := t.TempDir()
	ns := "70726f67726573730000"
	data := randomBytes(41, 1<<20)
	file := writeTemp(t, dir, "in", data)

	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: bytes.NewReader(nil), stdout: &out, stderr: &errb},
		[]string{"blob", "submit", "--node", base, "--namespace", ns, "--progress", "always", "--json", file})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Height     uint64 `json:"height"`
		Namespace  string `json:"namespace"`
		Commitment string `json:"commitment"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Height == 0 || res.Namespace != strings.Repeat("0", 38)+ns {
		t.Fatalf("--json printed %q (%v)", out.String(), err)
	}
	_, want, _ := runBlobCLI(nil, "blob", "commitment", "--namespace", ns, file)
	if res.Commitment+"\n" != want {
		t.Fatalf("--json commitment %s, want %s", res.Commitment, want)
	}
	bar := errb.String()
	if !strings.HasPrefix(bar, "\ruploading ") || !strings.Contains(bar, "100%  1.0 MiB / 1.0 MiB") || strings.Contains(bar, "1.3 MiB") ||
		!strings.Contains(bar, "\n\rwaiting for inclusion...") || !strings.HasSuffix(bar, "\n") {
		t.Fatalf("progress output %q", bar)
	}

	// auto: stderr is not a terminal here, so nothing is drawn.
	_, _, errs := runBlobCLI(data, "blob", "submit", "--node", base, "--namespace", ns, "-")
	if errs != "" {
		t.Fatalf("auto progress on a buffer drew %q", errs)
	}
}

func TestBlobSubmitGetRefuse(t *testing.T) {
	dir := t.TempDir()
	file := writeTemp(t, dir, "in", []byte("data"))
	empty := writeTemp(t, dir, "empty", nil)
	limit, _ := da.MaxBlobDataSize(da.MaxSquareWidthCap, 0)
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, int64(limit)+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	ns := "0102030405060708090a"
	c := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"submit: no node", []string{"submit", "--namespace", ns, file}, 2, "--node is required"},
		{"submit: node not a URL", []string{"submit", "--node", "127.0.0.1:1", "--namespace", ns, file}, 2, "want a URL"},
		{"submit: no namespace", []string{"submit", "--node", goneURL, file}, 2, "--namespace is required"},
		{"submit: reserved namespace", []string{"submit", "--node", goneURL, "--namespace", "00000000000000000004", file}, 2, "reserved"},
		{"submit: short namespace", []string{"submit", "--node", goneURL, "--namespace", "0102", file}, 2, "wrong length"},
		{"submit: two files", []string{"submit", "--node", goneURL, "--namespace", ns, file, file}, 2, "got 2"},
		{"submit: empty file", []string{"submit", "--node", goneURL, "--namespace", ns, empty}, 1, "is empty"},
		{"submit: empty stdin", []string{"submit", "--node", goneURL, "--namespace", ns, "-"}, 1, "stdin is empty"},
		{"submit: too large for any square", []string{"submit", "--node", goneURL, "--namespace", ns, huge}, 1, "more than any square holds"},
		{"submit: missing file", []string{"submit", "--node", goneURL, "--namespace", ns, filepath.Join(dir, "nope")}, 1, "no such file"},
		{"submit: bad progress", []string{"submit", "--node", goneURL, "--namespace", ns, "--progress", "maybe", file}, 2, "--progress"},
		{"submit: bad timeout", []string{"submit", "--node", goneURL, "--namespace", ns, "--timeout", "0s", file}, 2, "--timeout"},
		{"submit: signer without version", []string{"submit", "--node", goneURL, "--namespace", ns, "--signer", strings.Repeat("01", 20), file}, 2, "--share-version 1"},
		{"submit: node unreachable", []string{"submit", "--node", goneURL, "--namespace", ns, file}, 1, "cannot reach the node at " + goneURL},
		{"get: no node", []string{"get", "--height", "1", "--namespace", ns}, 2, "--node is required"},
		{"get: no height", []string{"get", "--node", goneURL, "--namespace", ns}, 2, "--height is required"},
		{"get: zero height", []string{"get", "--node", goneURL, "--height", "0", "--namespace", ns}, 2, "--height \"0\""},
		{"get: reserved namespace", []string{"get", "--node", goneURL, "--height", "1", "--namespace", "00000000000000000004"}, 2, "reserved"},
		{"get: short commitment", []string{"get", "--node", goneURL, "--height", "1", "--namespace", ns, "--commitment", "abcd"}, 2, "--commitment"},
		{"get: bad trusted hash", []string{"get", "--node", goneURL, "--height", "1", "--namespace", ns, "--trusted-hash", "xyz"}, 2, "--trusted-hash"},
		{"get: stray argument", []string{"get", "--node", goneURL, "--height", "1", "--namespace", ns, "extra"}, 2, "extra"},
		{"get: node unreachable", []string{"get", "--node", goneURL, "--height", "1", "--namespace", ns, "--commitment", c}, 1, "cannot reach the node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runBlobCLI(nil, append([]string{"blob"}, tc.args...)...)
			if code != tc.code || out != "" || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, errs, tc.want)
			}
			oneLine(t, errs)
		})
	}
	if code, out, _ := runBlobCLI(nil, "blob", "get", "-h"); code != 0 || !strings.Contains(out, "-trusted-hash") {
		t.Fatalf("get -h: exit %d, %q", code, out)
	}
}

func TestServerTimeout(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{2 * time.Minute, 115 * time.Second},
		{time.Hour, 10 * time.Minute},
		{8 * time.Second, 6 * time.Second},
		{time.Second, 750 * time.Millisecond},
		{0, time.Millisecond},
	} {
		if got := serverTimeout(c.in); got != c.want {
			t.Errorf("serverTimeout(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// The decoders and the rebuild of a namespace take whatever a node sends:
// they must fail, never panic, and never accept what does not verify.
func FuzzBlobAnswers(f *testing.F) {
	root := hex.EncodeToString(make([]byte, da.NMTNodeSize))
	f.Add([]byte(`{"height":1,"namespace":"00000000000000000000000000000000000000746172","blobs":[{"data":"AA==","commitment":"","index":0}],` +
		`"proof":{"rows":[{"row":0,"proof":{"start":0,"end":1,"nodes":["` + root + `"]},"root":"` + root + `","root_proof":{"index":0,"total":4,"aunts":[]}}],` +
		`"after":{"row":1,"root":"` + root + `","root_proof":{"index":1,"total":4,"aunts":["` + strings.Repeat("00", 32) + `"]}}}}`))
	f.Add([]byte(`{"height":1,"namespace":"00000000000000000000000000000000000000746172","start":0,"end":1,"shares":["AA=="],` +
		`"rows":[{"row":0,"proof":{"start":0,"end":1,"nodes":[]},"root":"` + root + `","root_proof":{"index":0,"total":4,"aunts":[]}}]}`))
	ns, _ := da.ParseNamespace("00000000000000000000000000000000000000746172")
	f.Fuzz(func(t *testing.T, b []byte) {
		var bj api.BlobsJSON
		if json.Unmarshal(b, &bj) == nil && bj.Proof != nil {
			if nd, err := rebuildNamespace(&bj, ns, 2); err == nil {
				if nd.Verify([32]byte{}, 2) == nil {
					t.Fatal("a namespace verified against a zero data root")
				}
			}
		}
		var pj api.BlobProofJSON
		if json.Unmarshal(b, &pj) == nil {
			if bp, err := decodeBlobProof(&pj); err == nil {
				if bp.Verify([32]byte{}, 2) == nil {
					t.Fatal("a blob proof verified against a zero data root")
				}
			}
		}
	})
}

// A node that answers 503 not_yet (the block is committed, its square not
// yet stored there) is asked again: blob get waits within its --timeout.
func TestBlobGetWaitsForASquareNotYetStored(t *testing.T) {
	base := startBlobNode(t)
	ns := "6e6f742d7965742d6e73"
	data := randomBytes(77, 3000)
	height, commitment := submitCLI(t, data, "--node", base, "--namespace", ns, "-")
	var mu sync.Mutex
	notYet := 0
	slow := gateMethod(t, base, http.MethodGet, func(r *http.Request) (int, string, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/v1/blobs/") && notYet < 2 {
			notYet++
			return http.StatusServiceUnavailable, "not_yet", http.Header{"Retry-After": {"0"}}
		}
		return 0, "", nil
	})
	args := []string{"blob", "get", "--node", slow, "--height", strconv.FormatUint(height, 10), "--namespace", ns, "--commitment", commitment}
	code, out, errs := runBlobCLI(nil, append(args, "--timeout", "20s")...)
	if code != 0 || out != string(data) || notYet != 2 {
		t.Fatalf("get after %d not_yet answers: exit %d, %d bytes: %s", notYet, code, len(out), errs)
	}
	// Without time left for another try, the answer is final.
	always := gateMethod(t, base, http.MethodGet, func(r *http.Request) (int, string, http.Header) {
		if strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			return http.StatusServiceUnavailable, "not_yet", http.Header{"Retry-After": {"5"}}
		}
		return 0, "", nil
	})
	args[3] = always
	code, _, errs = runBlobCLI(nil, append(args, "--timeout", "2s")...)
	if code == 0 || !strings.Contains(errs, "not_yet") {
		t.Fatalf("get from a node never ready: exit %d: %s", code, errs)
	}
}
