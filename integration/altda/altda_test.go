package altda_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	altda "github.com/ethereum-optimism/optimism/op-alt-da"
)

// Layout of Tartan's alt-DA commitment after op-alt-da's type byte (0x01,
// generic): DA layer byte, height, namespace, share commitment.
const (
	layerTartan    = 0x54
	namespaceSize  = 29
	commitmentSize = 1 + 8 + namespaceSize + 32
)

// devnet is a running `tartan devnet` process and its nodes' API URLs.
type devnet struct {
	dir       string
	cmd       *exec.Cmd
	done      chan struct{} // closed once cmd.Wait returned
	waitErr   error
	output    *lockedBuffer
	validator string
	full      string
	light     string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// repoRoot is the main module's directory, two levels above this one.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.HasPrefix(string(mod), "module github.com/tartan-da/tartan\n") {
		t.Fatalf("%s is not the tartan repository (go.mod: %v)", root, err)
	}
	return root
}

// buildTartan builds cmd/tartan from the repository into dir.
func buildTartan(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it is needed to build cmd/tartan")
	}
	bin := filepath.Join(dir, "tartan")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/tartan")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tartan: %v\n%s", err, out)
	}
	return bin
}

// freeBase finds an API port P with P..P+n-1 free on TCP and the devnet's
// libp2p ports P+100.. free on TCP and UDP, and CometBFT's P+200.. on TCP.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	free := func(network string, port int) bool {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if network == "udp" {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return false
			}
			return c.Close() == nil
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		return l.Close() == nil
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
next:
	for range 200 {
		base := 20000 + r.IntN(30000)
		for i := range n {
			if !free("tcp", base+i) || !free("tcp", base+100+i) || !free("udp", base+100+i) || !free("tcp", base+200+i) {
				continue next
			}
		}
		return base
	}
	t.Fatal("no free port range for the devnet")
	return 0
}

// startDevnet runs a validator, one full node and one light node, and stops
// them with SIGTERM when the test ends.
func startDevnet(t *testing.T) *devnet {
	t.Helper()
	tmp := t.TempDir()
	bin := buildTartan(t, tmp)
	d := &devnet{dir: filepath.Join(tmp, "net"), done: make(chan struct{}), output: &lockedBuffer{}}
	d.cmd = exec.Command(bin, "devnet", "--dir", d.dir, "--validators", "1", "--fulls", "1", "--lights", "1",
		"--block-time", "200ms", "--api-port", fmt.Sprint(freeBase(t, 3)))
	d.cmd.Stdout, d.cmd.Stderr = d.output, d.output
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.waitErr = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.stop(t) })

	var info struct {
		Nodes []struct {
			Name string `json:"name"`
			Role string `json:"role"`
			API  string `json:"api"`
		} `json:"nodes"`
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(d.dir, "devnet.json"))
		if err == nil {
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatalf("devnet.json: %v\n%s", err, b)
			}
			break
		}
		select {
		case <-d.done:
			t.Fatalf("devnet exited early (%v):\n%s", d.waitErr, d.output)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no devnet.json after 90s:\n%s", d.output)
		}
	}
	for _, n := range info.Nodes {
		url := strings.TrimSuffix(n.API, "/")
		switch {
		case n.Role == "validator" && d.validator == "":
			d.validator = url
		case n.Role == "full" && d.full == "":
			d.full = url
		case n.Role == "light" && d.light == "":
			d.light = url
		}
	}
	if d.validator == "" || d.full == "" || d.light == "" {
		t.Fatalf("devnet.json lacks a validator, full or light node: %+v", info)
	}
	return d
}

// stop sends SIGTERM and awaits the devnet; on a failed test it logs the
// nodes' logs.
func (d *devnet) stop(t *testing.T) {
	if t.Failed() {
		t.Logf("devnet output:\n%s", d.output)
		logs, _ := filepath.Glob(filepath.Join(d.dir, "*", "node.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("%s (tail):\n%s", l, b)
		}
	}
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if d.waitErr != nil {
			t.Errorf("devnet exited with %v after SIGTERM:\n%s", d.waitErr, d.output)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("devnet still running 20s after SIGTERM; killing it")
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// tartanCommitment splits a commitment answered by /put.
type tartanCommitment struct {
	height     uint64
	namespace  string // hex
	commitment string // hex
}

func decode(t *testing.T, c altda.CommitmentData) tartanCommitment {
	t.Helper()
	g, ok := c.(altda.GenericCommitment)
	if !ok || c.CommitmentType() != altda.GenericCommitmentType {
		t.Fatalf("commitment %s is a %T, want a generic commitment", c, c)
	}
	if len(g) != commitmentSize || g[0] != layerTartan {
		t.Fatalf("generic commitment %x: %d bytes starting %02x, want %d starting 54", []byte(g), len(g), g[0], commitmentSize)
	}
	// Decoding the encoded form again gives the same commitment.
	again, err := altda.DecodeCommitmentData(c.Encode())
	if err != nil || !bytes.Equal(again.Encode(), c.Encode()) {
		t.Fatalf("commitment %s does not decode back: %v", c, err)
	}
	return tartanCommitment{
		height:     binary.BigEndian.Uint64(g[1:9]),
		namespace:  hex.EncodeToString(g[9 : 9+namespaceSize]),
		commitment: hex.EncodeToString(g[9+namespaceSize:]),
	}
}

// getJSON reads a JSON answer; it returns the status.
func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, raw)
		}
	}
	return resp.StatusCode
}

// getStatus is the status and error code of a GET.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body.Error.Code
}

// getEventually reads a commitment like op-node does: transient errors are
// retried, ErrNotFound is final.
func getEventually(t *testing.T, url string, c altda.CommitmentData) []byte {
	t.Helper()
	client := altda.NewDAClient(url, false, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		data, err := client.GetInput(ctx, c)
		if err == nil {
			return data
		}
		if errors.Is(err, altda.ErrNotFound) {
			t.Fatalf("GET %s/get/0x%x: not found", url, c.Encode())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s/get/0x%x: still failing after 60s: %v", url, c.Encode(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func put(t *testing.T, url string, data []byte) altda.CommitmentData {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := altda.NewDAClient(url, false, false).SetInput(ctx, data)
	if err != nil {
		t.Fatalf("put %d bytes to %s: %v", len(data), url, err)
	}
	return c
}

type blobJSON struct {
	Namespace    string `json:"namespace"`
	Data         []byte `json:"data"`
	Commitment   string `json:"commitment"`
	ShareVersion int    `json:"share_version"`
}

// checkOnNode checks a commitment against the node's own blob route.
func checkOnNode(t *testing.T, url string, tc tartanCommitment, data []byte) {
	t.Helper()
	var b blobJSON
	deadline := time.Now().Add(60 * time.Second)
	for {
		status := getJSON(t, fmt.Sprintf("%s/v1/blobs/%d/%s/%s", url, tc.height, tc.namespace, tc.commitment), &b)
		if status == http.StatusOK {
			break
		}
		if status < 500 || time.Now().After(deadline) {
			t.Fatalf("%s: blob %+v: status %d", url, tc, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if b.Namespace != tc.namespace || b.Commitment != tc.commitment || b.ShareVersion != 0 || !bytes.Equal(b.Data, data) {
		t.Fatalf("%s: /v1/blobs answered namespace %s commitment %s version %d, %d bytes; want %+v and %d bytes",
			url, b.Namespace, b.Commitment, b.ShareVersion, len(b.Data), tc, len(data))
	}
}

func TestAltDA(t *testing.T) {
	d := startDevnet(t)
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	nodes := map[string]string{"validator": d.validator, "full": d.full, "light": d.light}

	t.Run("round trips", func(t *testing.T) {
		// Put on one node, get from another: data posted through a light
		// node (forwarded to the validator) is readable from the full node,
		// and the light node reads through its peers, verifying.
		for _, tc := range []struct {
			from, to string
			size     int
		}{
			{"validator", "full", 1},
			{"validator", "light", 5000},
			{"full", "light", 478},
			{"light", "full", 100_000},
			{"light", "validator", 1 << 20},
			{"full", "validator", 1<<20 - 12345},
			{"validator", "validator", 300_000},
		} {
			data := random(tc.size)
			c := put(t, nodes[tc.from], data)
			tcm := decode(t, c)
			if got := getEventually(t, nodes[tc.to], c); !bytes.Equal(got, data) {
				t.Fatalf("%d bytes put on %s, got %d different bytes from %s", tc.size, tc.from, len(got), tc.to)
			}
			// The height, namespace and commitment name this blob on the
			// node's own blob route too.
			checkOnNode(t, nodes[tc.to], tcm, data)
			if tcm.namespace != strings.Repeat("00", 19)+"6f702d616c742d646100" {
				t.Fatalf("stored in namespace %s, want the default alt-DA namespace", tcm.namespace)
			}
		}
	})

	t.Run("resubmitting includes once", func(t *testing.T) {
		data := random(2000)
		first := put(t, d.validator, data)
		again := put(t, d.validator, data)
		viaLight := put(t, d.light, data)
		if !bytes.Equal(first.Encode(), again.Encode()) || !bytes.Equal(first.Encode(), viaLight.Encode()) {
			t.Fatalf("the same bytes got commitments %s, %s and %s", first, again, viaLight)
		}
		tcm := decode(t, first)
		var list struct {
			Blobs []blobJSON `json:"blobs"`
		}
		if status := getJSON(t, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", d.validator, tcm.height, tcm.namespace), &list); status != 200 {
			t.Fatalf("list: status %d", status)
		}
		n := 0
		for _, b := range list.Blobs {
			if b.Commitment == tcm.commitment {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("the blob is included %d times at height %d", n, tcm.height)
		}
	})

	t.Run("not found versus transient", func(t *testing.T) {
		data := random(700)
		c := put(t, d.validator, data)
		good := []byte(c.(altda.GenericCommitment))
		tcm := decode(t, c)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()

		// A blob that does not exist at a height that does: 404 on every
		// role (the light node proves the namespace's completeness).
		missing := bytes.Clone(good)
		missing[len(missing)-1] ^= 1
		for name, url := range nodes {
			getEventually(t, url, c) // the node has the height
			_, err := altda.NewDAClient(url, false, false).GetInput(ctx, altda.GenericCommitment(missing))
			if !errors.Is(err, altda.ErrNotFound) {
				t.Fatalf("%s: a missing blob at height %d: %v, want altda.ErrNotFound", name, tcm.height, err)
			}
		}

		// A height far above the head: it may exist later, so 5xx.
		future := bytes.Clone(good)
		binary.BigEndian.PutUint64(future[1:9], tcm.height+1_000_000)
		for name, url := range nodes {
			_, err := altda.NewDAClient(url, false, false).GetInput(ctx, altda.GenericCommitment(future))
			if err == nil || errors.Is(err, altda.ErrNotFound) {
				t.Fatalf("%s: a future height answered %v, want a non-404 error", name, err)
			}
			if status, _ := getStatus(t, fmt.Sprintf("%s/get/0x01%x", url, future)); status < 500 {
				t.Fatalf("%s: a future height answered %d, want 5xx", name, status)
			}
		}

		// Malformed commitments: the client's mistake, 400, never 404.
		for _, tc := range []struct {
			name string
			c    altda.CommitmentData
			code string
		}{
			{"short", altda.GenericCommitment(good[:20]), "bad_commitment"},
			{"other DA layer", altda.GenericCommitment(append([]byte{0x0c}, good[1:]...)), "bad_da_layer"},
			{"keccak", altda.NewKeccak256Commitment(data), "bad_commitment_type"},
		} {
			_, err := altda.NewDAClient(d.full, false, false).GetInput(ctx, tc.c)
			if err == nil || errors.Is(err, altda.ErrNotFound) {
				t.Fatalf("%s commitment: %v, want a non-404 error", tc.name, err)
			}
			if status, code := getStatus(t, fmt.Sprintf("%s/get/0x%x", d.full, tc.c.Encode())); status != 400 || code != tc.code {
				t.Fatalf("%s commitment: %d %s, want 400 %s", tc.name, status, code, tc.code)
			}
		}
	})
}
