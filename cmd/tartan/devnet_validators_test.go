package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/node"
)

// Validator failures on a network of real processes (issue 9): the tartan
// binary (this test binary, see TestMain) runs every node, with real
// CometBFT and libp2p on loopback.

// nodeProc is one `tartan start` process that the test runs itself: the
// devnet supervisor stops the whole network when a node dies, so the
// kill -9 scenarios run the devnet's nodes without it.
type nodeProc struct {
	name, dir, api string
	cmd            *exec.Cmd
	done           chan struct{} // closed when cmd.Wait returned
}

// startNodeProc runs `tartan start --dir dir`, logging to dir/node.log as
// the devnet does, and waits until its API answers /health.
func startNodeProc(t *testing.T, name, dir, apiURL string) *nodeProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, devnetLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{name: name, dir: dir, api: apiURL, cmd: exec.Command(self, "start", "--dir", dir), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	err = p.cmd.Start()
	logf.Close()
	if err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.terminate() })
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			tail := logTail(filepath.Join(dir, devnetLogFile), 60)
			t.Fatalf("%s exited at start; the end of its log:\n%s", name, tail)
		default:
		}
		if resp, err := client.Get(apiURL + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			// A validator killed between CometBFT's commit and its own store
			// write once hung here (node
			// TestValidatorStartsWhenItsStoreIsABlockBehind).
			t.Fatalf("%s does not answer /health 60s after its start; the end of its log:\n%s",
				name, logTail(filepath.Join(dir, devnetLogFile), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail is the last n lines of a log, and a copy of the whole log kept
// outside the test's temporary directory for a post-mortem.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	out := strings.Join(lines, "\n")
	if f, err := os.CreateTemp("", "tartan-node-log-*.log"); err == nil {
		f.Write(b)
		f.Close()
		out += "\n(whole log: " + f.Name() + ")"
	}
	return out
}

// terminate stops the process with SIGTERM, or SIGKILL after a while.
func (p *nodeProc) terminate() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill9 kills the process with SIGKILL: no chance to close anything.
func (p *nodeProc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s outlived SIGKILL", p.name)
	}
}

// headHeight is the height of url's /v1/headers/head, 0 when it has none
// or does not answer.
func headHeight(url string) uint64 {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url + "/v1/headers/head")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var h api.HeaderJSON
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&h) != nil {
		return 0
	}
	return h.Height
}

// waitHeadAtLeast waits until each url's head reaches h.
func waitHeadAtLeast(t *testing.T, h uint64, within time.Duration, urls ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, u := range urls {
		for {
			got := headHeight(u)
			if got >= h {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: head %d, want ≥ %d within %s", u, got, h, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// ackedBlob is a blob some node acknowledged (200): it must be on the
// chain once, at that height, for good.
type ackedBlob struct {
	via        string // the node it was submitted to
	height     uint64
	commitment string
	data       []byte
}

// submitBlob posts one blob; it returns the status and, on 200, the
// answer. It is safe to call from several goroutines.
func submitBlob(url, ns string, data []byte, timeout time.Duration) (int, api.SubmitResult, error) {
	body, _ := json.Marshal(map[string]any{"blobs": []map[string]any{{"namespace": ns, "data": data}}, "timeout": timeout.String()})
	client := &http.Client{Timeout: timeout + 15*time.Second}
	resp, err := client.Post(url+"/v1/blobs", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, api.SubmitResult{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res api.SubmitResult
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &res); err != nil {
			return resp.StatusCode, res, err
		}
		if res.Height == 0 || len(res.Commitments) != 1 {
			return resp.StatusCode, res, fmt.Errorf("answer %s", raw)
		}
	}
	return resp.StatusCode, res, nil
}

// mustSubmit submits and wants 200. Like a client should (API.md §2), it
// submits the same blob again after a 504, a few times: that must not
// include it twice, which the test checks at its end.
//
// Resubmitting matters here: a full or light node forwards to a validator
// picked at random among the peers it counts as connected, and a
// validator killed with kill -9 stays "connected" (QUIC learns nothing of
// the death) for a while; the forward gives it up once it stops answering
// pings (p2p.ErrPeerGone, a few seconds), which may be past a short
// client deadline.
func mustSubmit(t *testing.T, name, url, ns string, data []byte) ackedBlob {
	t.Helper()
	const attempts, timeout = 8, 5 * time.Second
	start := time.Now()
	for attempt := 1; ; attempt++ {
		code, res, err := submitBlob(url, ns, data, timeout)
		if err == nil && code == http.StatusOK {
			if attempt > 1 || time.Since(start) > 5*time.Second {
				t.Logf("submit through %s: included at %d after %d attempts, %s", name, res.Height, attempt, time.Since(start).Round(time.Millisecond))
			}
			return ackedBlob{via: name, height: res.Height, commitment: res.Commitments[0], data: data}
		}
		if err != nil || code != http.StatusGatewayTimeout || attempt == attempts {
			t.Fatalf("submit through %s (attempt %d): %d %v", name, attempt, code, err)
		}
		t.Logf("submit through %s: 504 after %s (attempt %d); submitting again", name, timeout, attempt)
	}
}

// blobGetCLI reads one blob back with `tartan blob get`, which checks
// the header's certificate and the blob's proof to its data root.
func blobGetCLI(t *testing.T, name, url, ns string, b ackedBlob) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "blob")
	code, _, errs := runCLI(t, "", "blob", "get", "--node", url, "--height", fmt.Sprint(b.height), "--namespace", ns,
		"--commitment", b.commitment, "--out", out, "--timeout", "20s")
	if code != 0 {
		t.Fatalf("blob get from %s of the blob submitted through %s (height %d): exit %d: %s", name, b.via, b.height, code, errs)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, b.data) {
		t.Fatalf("blob get from %s of the blob submitted through %s (height %d): %d bytes, not the %d submitted", name, b.via, b.height, len(got), len(b.data))
	}
}

// sameHeaders fails unless every url serves, for each height in
// [from, to], a header with the same hash: no node serves a conflicting
// header. It returns the hashes.
func sameHeaders(t *testing.T, from, to uint64, urls map[string]string) []string {
	t.Helper()
	var hashes []string
	for h := from; h <= to; h++ {
		want, first := "", ""
		for name, u := range urls {
			var hj api.HeaderJSON
			if code := getJSON(t, fmt.Sprintf("%s/v1/headers/%d", u, h), &hj); code != http.StatusOK || hj.Height != h {
				t.Fatalf("%s: header %d: %d (height %d)", name, h, code, hj.Height)
			}
			if want == "" {
				want, first = hj.Hash, name
			} else if hj.Hash != want {
				t.Fatalf("conflicting headers at height %d: %s serves %s, %s serves %s", h, first, want, name, hj.Hash)
			}
		}
		hashes = append(hashes, want)
	}
	return hashes
}

// validatorAddress is CometBFT's address of an ed25519 key (hex in the
// genesis): the first 20 bytes of its SHA-256.
func validatorAddress(t *testing.T, pubKey string) string {
	t.Helper()
	pk, err := hex.DecodeString(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pk)
	return hex.EncodeToString(sum[:20])
}

// signedBy reports whether the commit of header h on url holds a
// signature of the validator with address addr.
func signedBy(t *testing.T, url string, h uint64, addr string) bool {
	t.Helper()
	var hj api.HeaderJSON
	if code := getJSON(t, fmt.Sprintf("%s/v1/headers/%d", url, h), &hj); code != http.StatusOK {
		t.Fatalf("header %d: %d", h, code)
	}
	for _, s := range hj.Commit.Signatures {
		if strings.EqualFold(s.ValidatorAddress, addr) && s.Signature != "" {
			return true
		}
	}
	return false
}

// TestDevnetValidatorFaults runs one chain of 4 validators, a full and a
// light node through every validator failure of issue 9:
//
//  1. `tartan devnet --fault validator-down@H`: blobs submitted to a
//     validator, the full node and the light node are each included once
//     and read back with proofs; the supervisor stops validator-4 at H,
//     and the chain goes on without its signature.
//  2. The devnet is stopped and the test runs every node itself: the
//     downed validator comes back and catches up; one validator is killed
//     (kill -9) and heights keep coming; restarted in its directory, it
//     catches up.
//  3. Two of the four are killed: no height is committed, a submission
//     times out (504), every live node serves the same headers; one comes
//     back and the chain resumes, the timed-out blob resubmitted is
//     included once.
//  4. Every acknowledged blob is read back from a validator, the full and
//     the light node, each exactly once on the chain.
func TestDevnetValidatorFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	const (
		validators = 4
		downAt     = 6
		blockTime  = 300 * time.Millisecond
		ns         = "74617274616e2d666c74"
	)
	testStart := time.Now()
	dir := t.TempDir()
	base := freeBase(t, validators+2)
	p := startDevnetProc(t, "--dir", dir, "--fulls", "1", "--lights", "1", "--block-time", blockTime.String(),
		"--api-port", fmt.Sprint(base), "--fault", fmt.Sprintf("validator-down@%d", downAt))
	d := p.waitJSON(t, dir, nil)
	// Not checkDevnet: validator-4 may be down already on a slow machine.
	want := devnetNames(validators, 1, 1)
	if len(d.Nodes) != len(want) {
		t.Fatalf("devnet.json lists %d nodes, want %d", len(d.Nodes), len(want))
	}
	for i, n := range d.Nodes {
		if n.Name != want[i].name || n.Role != want[i].role || n.API != fmt.Sprintf("http://127.0.0.1:%d", base+i) || n.PID <= 0 {
			t.Fatalf("devnet.json node %d: %+v, want %s (%s)", i, n, want[i].name, want[i].role)
		}
	}
	url := map[string]string{}
	for _, n := range d.Nodes {
		url[n.Name] = n.API
	}
	var (
		ackMu sync.Mutex
		acked []ackedBlob
	)
	ack := func(b ackedBlob) {
		ackMu.Lock()
		acked = append(acked, b)
		ackMu.Unlock()
	}

	// 1a. A blob through each role at once (the full and light nodes
	// forward to a validator); each answer is final.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i, name := range []string{"validator-1", "full-1", "light-1"} {
		wg.Go(func() {
			data := bytes.Repeat([]byte(fmt.Sprintf("%s %d ", name, i)), 100+50*i)
			code, res, err := submitBlob(url[name], ns, data, 30*time.Second)
			if err != nil || code != http.StatusOK {
				errs <- fmt.Errorf("submit through %s: %d %v", name, code, err)
				return
			}
			ack(ackedBlob{via: name, height: res.Height, commitment: res.Commitments[0], data: data})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("3 blobs in through every role at %s", time.Since(testStart).Round(time.Millisecond))
	for _, b := range acked {
		for _, reader := range []string{"validator-2", "full-1", "light-1"} {
			blobGetCLI(t, reader, url[reader], ns, b)
		}
	}

	// 1b. validator-down@H: validator-4 stops once it reached H; the
	// others go on, and commits after H lack its signature.
	down := d.Nodes[validators-1]
	if down.Name != "validator-4" {
		t.Fatalf("node %d is %s", validators-1, down.Name)
	}
	live := []string{"validator-1", "validator-2", "validator-3", "full-1", "light-1"}
	for _, name := range live {
		waitHeadAtLeast(t, downAt+5, 30*time.Second, url[name])
	}
	deadline := time.Now().Add(15 * time.Second)
	for alive(down.PID) {
		if time.Now().After(deadline) {
			t.Fatalf("validator-4 (pid %d) still runs past height %d", down.PID, downAt+5)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Get(down.API + "/health"); err == nil {
		resp.Body.Close()
		t.Fatalf("validator-4's API still answers: %s", resp.Status)
	}
	if want := fmt.Sprintf("validator-down@%d: stopping validator-4", downAt); !strings.Contains(p.stderr.String(), want) {
		t.Fatalf("devnet stderr lacks %q:\n%s", want, p.stderr)
	}
	g, err := node.LoadGenesis(filepath.Join(dir, "validator-1", node.GenesisFile))
	if err != nil || len(g.Validators) != validators || g.Validators[validators-1].Name != "validator-4" {
		t.Fatalf("genesis: %+v %v", g, err)
	}
	addr4 := validatorAddress(t, g.Validators[validators-1].PubKey)
	// The address is right: the first header's validator set holds it.
	// (Whether validator-4 signed early commits is up to timing: more
	// than 2/3 of the power is enough.)
	var h1 api.HeaderJSON
	if code := getJSON(t, url["validator-1"]+"/v1/headers/1", &h1); code != http.StatusOK {
		t.Fatalf("header 1: %d", code)
	}
	inSet := false
	for _, v := range h1.Validators {
		inSet = inSet || strings.EqualFold(v.Address, addr4)
	}
	if len(h1.Validators) != validators || !inSet {
		t.Fatalf("header 1's validator set %+v lacks validator-4's address %s", h1.Validators, addr4)
	}
	for h := uint64(downAt + 3); h <= downAt+5; h++ {
		if signedBy(t, url["full-1"], h, addr4) {
			t.Fatalf("the commit of height %d holds a signature of validator-4, stopped at %d", h, downAt)
		}
	}
	p.stop(t)
	t.Logf("phase 1 (devnet, validator-down@%d) done at %s", downAt, time.Since(testStart).Round(time.Millisecond))

	// 2. The same nodes, run by the test. validator-4 returns after its
	// downtime and catches up.
	procs := map[string]*nodeProc{}
	for _, n := range d.Nodes {
		procs[n.Name] = startNodeProc(t, n.Name, filepath.Join(dir, n.Name), n.API)
	}
	top := headHeight(url["validator-1"])
	waitHeadAtLeast(t, top+2, 30*time.Second, url["validator-1"])
	top = headHeight(url["validator-1"])
	waitHeadAtLeast(t, top, 30*time.Second, url["validator-4"], url["full-1"], url["light-1"])

	// 2a. kill -9 of one validator: heights keep coming, blobs are still
	// taken (by a validator and by the light node).
	procs["validator-2"].kill9(t)
	h0 := headHeight(url["validator-1"])
	ack(mustSubmit(t, "validator-3", url["validator-3"], ns, bytes.Repeat([]byte("one down "), 300)))
	ack(mustSubmit(t, "light-1", url["light-1"], ns, bytes.Repeat([]byte("one down, light "), 200)))
	waitHeadAtLeast(t, h0+4, 30*time.Second, url["validator-1"], url["validator-4"], url["full-1"], url["light-1"])

	// 2b. Restarted in its directory, it catches up to the others.
	procs["validator-2"] = startNodeProc(t, "validator-2", filepath.Join(dir, "validator-2"), url["validator-2"])
	target := headHeight(url["validator-1"])
	waitHeadAtLeast(t, target, 30*time.Second, url["validator-2"])
	ack(mustSubmit(t, "validator-2", url["validator-2"], ns, bytes.Repeat([]byte("back "), 400)))
	t.Logf("phase 2 (one validator killed and back) done at %s", time.Since(testStart).Round(time.Millisecond))

	// 3. Two of four killed: no more than 2/3 of the power is left, so no
	// height is committed.
	procs["validator-2"].kill9(t)
	procs["validator-3"].kill9(t)
	liveNow := map[string]string{}
	for _, name := range []string{"validator-1", "validator-4", "full-1", "light-1"} {
		liveNow[name] = url[name]
	}
	// A height whose votes were already cast may still be committed and
	// spread: let it settle, then watch.
	time.Sleep(4 * blockTime)
	stalled := uint64(0)
	for _, u := range liveNow {
		stalled = max(stalled, headHeight(u))
	}
	lostData := bytes.Repeat([]byte("stalled "), 300)
	code, _, err := submitBlob(url["validator-1"], ns, lostData, 2*time.Second)
	if err != nil || code != http.StatusGatewayTimeout {
		t.Fatalf("a submission while the chain stalls: %d %v, want 504", code, err)
	}
	time.Sleep(6 * blockTime)
	for name, u := range liveNow {
		if h := headHeight(u); h > stalled {
			t.Fatalf("with 2 of 4 validators down, %s is at height %d, past %d", name, h, stalled)
		}
	}
	// A node that lagged (a loaded machine) may still fetch the last
	// height committed before the kills, but none goes past it.
	waitHeadAtLeast(t, stalled, 15*time.Second, slices.Collect(maps.Values(liveNow))...)
	for name, u := range liveNow {
		if h := headHeight(u); h != stalled {
			t.Fatalf("with 2 of 4 validators down, %s is at height %d, want %d", name, h, stalled)
		}
	}
	sameHeaders(t, 1, stalled, liveNow)

	// 3b. One returns: 3 of 4, the chain resumes. The blob that timed out
	// may have been included meanwhile; resubmitted, it is included once.
	procs["validator-2"] = startNodeProc(t, "validator-2", filepath.Join(dir, "validator-2"), url["validator-2"])
	waitHeadAtLeast(t, stalled+3, 30*time.Second, url["validator-1"], url["validator-2"], url["validator-4"], url["full-1"], url["light-1"])
	ack(mustSubmit(t, "validator-1 (again)", url["validator-1"], ns, lostData))
	procs["validator-3"] = startNodeProc(t, "validator-3", filepath.Join(dir, "validator-3"), url["validator-3"])
	ack(mustSubmit(t, "full-1", url["full-1"], ns, bytes.Repeat([]byte("all back "), 250)))
	target = headHeight(url["validator-1"])
	waitHeadAtLeast(t, target, 30*time.Second, url["validator-3"])
	t.Logf("phase 3 (two validators killed, chain stalled %d, resumed) done at %s", stalled, time.Since(testStart).Round(time.Millisecond))

	// 4. Nothing acknowledged is lost: each blob is back, with its
	// proof, from a validator, the full and the light node, and it is
	// on the chain exactly once, at its height.
	last := uint64(0)
	for _, b := range acked {
		last = max(last, b.height)
	}
	waitHeadAtLeast(t, last, 30*time.Second, url["validator-3"], url["full-1"], url["light-1"])
	for i, b := range acked {
		for _, reader := range []string{fmt.Sprintf("validator-%d", 1+i%validators), "full-1", "light-1"} {
			blobGetCLI(t, reader, url[reader], ns, b)
		}
	}
	found := map[string][]uint64{}
	for h := uint64(1); h <= last; h++ {
		var got api.BlobsJSON
		if code := getJSON(t, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", url["validator-4"], h, ns), &got); code != http.StatusOK {
			t.Fatalf("validator-4: blobs at %d: %d", h, code)
		}
		for _, b := range got.Blobs {
			found[b.Commitment] = append(found[b.Commitment], h)
		}
	}
	for _, b := range acked {
		if hs := found[b.commitment]; len(hs) != 1 || hs[0] != b.height {
			t.Fatalf("the blob submitted through %s, acknowledged at height %d, is on the chain at heights %v", b.via, b.height, hs)
		}
	}
	if len(found) != len(acked) {
		t.Fatalf("%d blobs of the namespace on the chain, %d acknowledged", len(found), len(acked))
	}
	all := map[string]string{}
	for _, n := range d.Nodes {
		all[n.Name] = n.API
	}
	sameHeaders(t, 1, last, all)
	t.Logf("%d acknowledged blobs read back; done in %s", len(acked), time.Since(testStart).Round(time.Millisecond))
}
