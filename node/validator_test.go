package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

// testNode inits and runs one node in a temp dir; it stops when the test
// ends.
func startNode(t *testing.T, dir string, o InitOptions) (*Node, func()) {
	t.Helper()
	if o.Config == nil {
		c := DefaultConfig(o.Role)
		c.API = "127.0.0.1:0"
		c.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		o.Config = &c
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if err := Init(dir, o); err != nil && !strings.Contains(err.Error(), "already holds a node") {
		t.Fatal(err)
	}
	return runNode(t, dir)
}

// testOptions, when a test sets it, adjusts the options of every node the
// test starts. Tests in this package do not run in parallel.
var testOptions func(*Options)

// runNode runs the node in dir until the returned stop is called (or the
// test ends).
func runNode(t *testing.T, dir string) (*Node, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{Version: "test"}
	if testOptions != nil {
		testOptions(&o)
	}
	if os.Getenv("TARTAN_TEST_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("dir", filepath.Base(dir))
	}
	n, err := New(ctx, dir, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := n.Run(ctx); err != nil {
			t.Errorf("node in %s: %v", dir, err)
		}
	})
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return n, stop
}

func httpJSON(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp.StatusCode
}

type blobReq struct {
	Namespace string `json:"namespace"`
	Data      []byte `json:"data"`
}

func TestProducerIncludesBlobsAndRestarts(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, InitOptions{Role: RoleProducer, ChainID: "test", BlockTime: 50 * time.Millisecond})
	base := "http://" + n.APIAddr()
	ns := "74617274616e2d746573"
	data := bytes.Repeat([]byte("0123456789"), 1000)
	body := map[string]any{"blobs": []blobReq{{ns, data}}, "timeout": "10s"}

	var first, again api.SubmitResult
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0] = httpJSON(t, "POST", base+"/v1/blobs", body, &first) })
	wg.Go(func() { codes[1] = httpJSON(t, "POST", base+"/v1/blobs", body, &again) })
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("submit answered %v", codes)
	}
	if first.Height == 0 || first.Height != again.Height || first.Commitments[0] != again.Commitments[0] {
		t.Fatalf("the same blob twice gave %+v and %+v", first, again)
	}
	var list api.BlobsJSON
	if code := httpJSON(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", base, first.Height, ns), nil, &list); code != 200 {
		t.Fatalf("get blobs: %d", code)
	}
	if len(list.Blobs) != 1 || !bytes.Equal(list.Blobs[0].Data, data) {
		t.Fatalf("height %d holds %d blobs in the namespace, want exactly the one submitted once", first.Height, len(list.Blobs))
	}
	// Empty blocks keep coming.
	var head api.HeaderJSON
	deadline := time.Now().Add(5 * time.Second)
	for httpJSON(t, "GET", base+"/v1/headers/head", nil, &head); head.Height < first.Height+3; httpJSON(t, "GET", base+"/v1/headers/head", nil, &head) {
		if time.Now().After(deadline) {
			t.Fatalf("head stuck at %d", head.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Resubmitting after inclusion answers the same height.
	var late api.SubmitResult
	if code := httpJSON(t, "POST", base+"/v1/blobs", body, &late); code != 200 || late.Height != first.Height {
		t.Fatalf("resubmission after inclusion: %d %+v, want height %d", code, late, first.Height)
	}

	// A restart resumes the same chain and still serves the blob.
	stop()
	n, _ = runNode(t, dir)
	base = "http://" + n.APIAddr()
	var list2 api.BlobsJSON
	if code := httpJSON(t, "GET", fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", base, first.Height, ns), nil, &list2); code != 200 || len(list2.Blobs) != 1 || !bytes.Equal(list2.Blobs[0].Data, data) {
		t.Fatalf("after restart: status %d, %d blobs", code, len(list2.Blobs))
	}
	stopped := head.Height
	deadline = time.Now().Add(5 * time.Second)
	for httpJSON(t, "GET", base+"/v1/headers/head", nil, &head); head.Height <= stopped+2; httpJSON(t, "GET", base+"/v1/headers/head", nil, &head) {
		if time.Now().After(deadline) {
			t.Fatalf("after restart the head is stuck at %d", head.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var hdr api.HeaderJSON
	httpJSON(t, "GET", fmt.Sprintf("%s/v1/headers/%d", base, stopped+1), nil, &hdr)
	var prev api.HeaderJSON
	httpJSON(t, "GET", fmt.Sprintf("%s/v1/headers/%d", base, stopped), nil, &prev)
	if hdr.PrevHash != prev.Hash {
		t.Fatalf("block %d after the restart does not link to block %d", stopped+1, stopped)
	}
}
