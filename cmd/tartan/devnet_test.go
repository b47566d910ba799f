package main

import (
	"bytes"
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/node"
)

// runMainEnv makes the test binary act as the tartan binary, so devnet
// tests run real processes (the devnet and its nodes, which re-exec
// os.Executable()) without a separate build.
const runMainEnv = "TARTAN_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeBase finds P such that the devnet's n API ports (TCP), n p2p ports
// (TCP and UDP) and n CometBFT ports (TCP) are free now.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	free := func(network string, port int) bool {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if network == "udp" {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return false
			}
			c.Close()
			return true
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		l.Close()
		return true
	}
next:
	for range 200 {
		base := 20000 + r.IntN(30000)
		if !free("tcp", base+devnetL1Offset) || !free("tcp", base+devnetL1Offset+1) {
			continue
		}
		for i := range n {
			if !free("tcp", base+i) || !free("tcp", base+devnetP2POffset+i) || !free("udp", base+devnetP2POffset+i) ||
				!free("tcp", base+devnetConsensusOffset+i) || !free("tcp", base+devnetRPCOffset+i) {
				continue next
			}
		}
		return base
	}
	t.Fatal("no free port range")
	return 0
}

type devnetProc struct {
	dir            string // --dir, when given
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{} // closed when cmd.Wait returned
	waitErr        error
}

func startDevnetProc(t *testing.T, args ...string) *devnetProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &devnetProc{cmd: exec.Command(self, append([]string{"devnet"}, args...)...),
		stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	for i, a := range args[:max(len(args)-1, 0)] {
		if a == "--dir" {
			p.dir = args[i+1]
		}
	}
	p.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
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
	})
	return p
}

// crashLogs is what the nodes' logs say after a panic or a fatal error,
// for a test that fails because a node did not stop cleanly: t.TempDir
// is gone by the time anyone could read them.
func (p *devnetProc) crashLogs() string {
	logs, _ := filepath.Glob(filepath.Join(p.dir, "*", devnetLogFile))
	var out strings.Builder
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		text := string(b)
		i := strings.Index(text, "panic:")
		if j := strings.Index(text, "fatal error:"); i < 0 || (j >= 0 && j < i) {
			i = j
		}
		if i < 0 {
			continue
		}
		fmt.Fprintf(&out, "\n%s:\n%s", path, text[i:min(len(text), i+6000)])
	}
	return out.String()
}

// stop sends SIGTERM and wants a clean exit within a few seconds.
func (p *devnetProc) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(8 * time.Second):
		t.Fatalf("devnet still running 8s after SIGTERM; stderr:\n%s", p.stderr)
	}
	if p.waitErr != nil {
		t.Fatalf("devnet exited with %v after SIGTERM; stderr:\n%s%s", p.waitErr, p.stderr, p.crashLogs())
	}
	t.Logf("devnet stopped in %s", time.Since(start).Round(time.Millisecond))
}

// waitJSON waits for D/devnet.json naming none of the pids in old.
func (p *devnetProc) waitJSON(t *testing.T, dir string, old map[int]bool) devnetJSON {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("devnet exited early (%v); stderr:\n%s", p.waitErr, p.stderr)
		default:
		}
		if b, err := os.ReadFile(filepath.Join(dir, devnetFile)); err == nil {
			var out devnetJSON
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&out); err != nil {
				t.Fatalf("devnet.json: %v:\n%s", err, b)
			}
			if len(out.Nodes) == 0 || !old[out.Nodes[0].PID] {
				return out
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no devnet.json after 60s; stderr:\n%s", p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	return doJSON(t, http.MethodGet, url, nil, out)
}

func doJSON(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp.StatusCode
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// devnetNames are the names and roles of a devnet's nodes, in order.
func devnetNames(validators, fulls, lights int) []struct{ name, role string } {
	var out []struct{ name, role string }
	for _, r := range []struct {
		role string
		n    int
	}{{"validator", validators}, {"full", fulls}, {"light", lights}} {
		for i := 1; i <= r.n; i++ {
			out = append(out, struct{ name, role string }{fmt.Sprintf("%s-%d", r.role, i), r.role})
		}
	}
	return out
}

// checkDevnet checks devnet.json against the command line (how many
// nodes of each role) and every node's answers, and returns its pids.
func checkDevnet(t *testing.T, dir string, base int, d devnetJSON, validators, fulls, lights int) map[int]bool {
	t.Helper()
	if d.ChainID != devnetChainID || d.Dir != dir {
		t.Fatalf("devnet.json: chain %q dir %q, want %q %q", d.ChainID, d.Dir, devnetChainID, dir)
	}
	want := devnetNames(validators, fulls, lights)
	if len(d.Nodes) != len(want) {
		t.Fatalf("devnet.json has %d nodes, want %d", len(d.Nodes), len(want))
	}
	pids := map[int]bool{}
	for i, n := range d.Nodes {
		if n.Name != want[i].name || n.Role != want[i].role {
			t.Fatalf("node %d is %s/%s, want %s/%s", i, n.Name, n.Role, want[i].name, want[i].role)
		}
		if api := fmt.Sprintf("http://127.0.0.1:%d", base+i); n.API != api {
			t.Fatalf("%s api %s, want %s", n.Name, n.API, api)
		}
		tcp := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", base+devnetP2POffset+i, n.PeerID)
		if !strings.HasPrefix(n.PeerID, "12D3") || len(n.P2P) == 0 || !strings.Contains(strings.Join(n.P2P, " "), tcp) {
			t.Fatalf("%s: peer %q p2p %v, want %s among them", n.Name, n.PeerID, n.P2P, tcp)
		}
		if n.PID <= 0 || pids[n.PID] || !alive(n.PID) {
			t.Fatalf("%s: pid %d is not a distinct live process", n.Name, n.PID)
		}
		pids[n.PID] = true
		var health map[string]string
		if code := getJSON(t, n.API+"/health", &health); code != http.StatusOK || health["status"] != "ok" {
			t.Fatalf("%s /health: %d %v", n.Name, code, health)
		}
		var info api.NodeInfo
		if code := getJSON(t, n.API+"/v1/node", &info); code != http.StatusOK || info.Role != n.Role || info.ChainID != devnetChainID || info.PeerID != n.PeerID {
			t.Fatalf("%s /v1/node: %d %+v", n.Name, code, info)
		}
	}
	return pids
}

// waitHeads waits until every node's network head reaches h.
func waitHeads(t *testing.T, d devnetJSON, h uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range d.Nodes {
		for {
			var info api.NodeInfo
			getJSON(t, n.API+"/v1/node", &info)
			if info.Head.Network >= h {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: network head %d, want ≥ %d", n.Name, info.Head.Network, h)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// waitBlob waits until url lists exactly one blob holding data: full
// nodes serve a height once they fetched its square.
func waitBlob(t *testing.T, url string, data []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got api.BlobsJSON
		code := getJSON(t, url, &got)
		if code == http.StatusOK {
			if len(got.Blobs) != 1 || !bytes.Equal(got.Blobs[0].Data, data) {
				t.Fatalf("GET %s: %d blobs, want the one submitted", url, len(got.Blobs))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: still %d after 10s", url, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDevnetEndToEndAndResume: the default devnet (4 validators) with a
// full and a light node comes up, takes blobs through a validator and a
// light node, serves them everywhere, stops cleanly and resumes the same
// chain from the same --dir.
func TestDevnetEndToEndAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	dir := t.TempDir()
	const validators = 4 // the default
	base := freeBase(t, validators+2)
	args := []string{"--dir", dir, "--fulls", "1", "--lights", "1", "--block-time", "300ms", "--api-port", fmt.Sprint(base)}
	start := time.Now()
	p := startDevnetProc(t, args...)
	d := p.waitJSON(t, dir, nil)
	t.Logf("devnet up in %s", time.Since(start).Round(time.Millisecond))
	pids := checkDevnet(t, dir, base, d, validators, 1, 1)
	for _, want := range []string{d.Nodes[0].PeerID, filepath.Join(dir, "light-1", devnetLogFile), "curl"} {
		if !strings.Contains(p.stdout.String(), want) {
			t.Fatalf("devnet output lacks %q:\n%s", want, p.stdout)
		}
	}
	// One genesis of 4 validators, shared by every node.
	g, err := node.LoadGenesis(filepath.Join(dir, "validator-1", node.GenesisFile))
	if err != nil || len(g.Validators) != validators {
		t.Fatalf("genesis: %+v, %v; want %d validators", g, err, validators)
	}
	// The devnet's validators keep their keys as tartan init does: 0600.
	for _, n := range d.Nodes[:validators] {
		for _, f := range validatorKeyFiles {
			if mode := permOf(t, filepath.Join(dir, n.Name, f)); mode != 0o600 {
				t.Fatalf("%s: %s has mode %v, want 0600", n.Name, f, mode)
			}
		}
	}
	full, light := d.Nodes[validators], d.Nodes[validators+1]

	// A blob in through a validator, and back.
	val := d.Nodes[0].API
	ns := "74617274616e2d746573"
	data := bytes.Repeat([]byte("devnet "), 300)
	body := map[string]any{"blobs": []map[string]any{{"namespace": ns, "data": data}}, "timeout": "20s"}
	var sub api.SubmitResult
	if code := doJSON(t, http.MethodPost, val+"/v1/blobs", body, &sub); code != http.StatusOK || sub.Height == 0 || len(sub.Commitments) != 1 {
		t.Fatalf("submit: %d %+v", code, sub)
	}
	blobURL := fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", val, sub.Height, ns)
	var got api.BlobsJSON
	if code := getJSON(t, blobURL, &got); code != http.StatusOK || len(got.Blobs) != 1 || !bytes.Equal(got.Blobs[0].Data, data) || got.Blobs[0].Commitment != sub.Commitments[0] {
		t.Fatalf("get blob back: %d, %d blobs", code, len(got.Blobs))
	}
	// Every node follows the chain: the full and light nodes over
	// libp2p, from the bootstrap addresses the devnet gave them.
	waitHeads(t, d, sub.Height+3)
	// A blob in through the light node (forwarded to a validator), and
	// both blobs back from the other validators, the full and the light
	// node.
	data2 := bytes.Repeat([]byte("light "), 200)
	body2 := map[string]any{"blobs": []map[string]any{{"namespace": ns, "data": data2}}, "timeout": "20s"}
	var sub2 api.SubmitResult
	if code := doJSON(t, http.MethodPost, light.API+"/v1/blobs", body2, &sub2); code != http.StatusOK || sub2.Height <= sub.Height {
		t.Fatalf("submit through the light node: %d %+v", code, sub2)
	}
	for _, n := range d.Nodes[1:] {
		waitBlob(t, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", n.API, sub.Height, ns), data)
		waitBlob(t, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", n.API, sub2.Height, ns), data2)
	}
	var head api.HeaderJSON
	if code := getJSON(t, val+"/v1/headers/head", &head); code != http.StatusOK {
		t.Fatalf("head: %d", code)
	}

	p.stop(t)
	for pid := range pids {
		if alive(pid) {
			t.Fatalf("node pid %d outlived the devnet", pid)
		}
	}

	// The same --dir resumes the chain: same peers, the old blocks and
	// blob, and new blocks on top. A different --block-time is warned
	// about and ignored.
	p2 := startDevnetProc(t, append(args, "--block-time", "400ms")...)
	d2 := p2.waitJSON(t, dir, pids)
	checkDevnet(t, dir, base, d2, validators, 1, 1)
	for i := range d.Nodes {
		if d2.Nodes[i].PeerID != d.Nodes[i].PeerID {
			t.Fatalf("%s came back as peer %s, was %s", d.Nodes[i].Name, d2.Nodes[i].PeerID, d.Nodes[i].PeerID)
		}
	}
	if !strings.Contains(p2.stderr.String(), "--block-time 400ms only applies to a new chain") {
		t.Fatalf("no warning about --block-time on resume; stderr:\n%s", p2.stderr)
	}
	var old api.HeaderJSON
	if code := getJSON(t, fmt.Sprintf("%s/v1/headers/%d", val, head.Height), &old); code != http.StatusOK || old.Hash != head.Hash {
		t.Fatalf("after resume, header %d: %d %s, want hash %s", head.Height, code, old.Hash, head.Hash)
	}
	var got2 api.BlobsJSON
	if code := getJSON(t, blobURL, &got2); code != http.StatusOK || len(got2.Blobs) != 1 || !bytes.Equal(got2.Blobs[0].Data, data) {
		t.Fatalf("after resume, the blob: %d, %d blobs", code, len(got2.Blobs))
	}
	waitHeads(t, d2, head.Height+2)
	waitBlob(t, fmt.Sprintf("%s/v1/blobs/%d?namespace=%s", full.API, sub2.Height, ns), data2)
	p2.stop(t)
	// A devnet of another size is not this one: refused, nothing changed.
	code, _, errs := runCLI(t, "", "devnet", "--dir", dir, "--validators", "3", "--api-port", fmt.Sprint(base))
	if code != 1 || !strings.Contains(errs, "has 4 validators, not 3") {
		t.Fatalf("resuming with --validators 3: exit %d: %q", code, errs)
	}
}

// A node that dies takes the devnet down with a non-zero exit that names
// it, and the other nodes are stopped.
func TestDevnetNodeDeathStopsAll(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	dir := t.TempDir()
	base := freeBase(t, 2)
	p := startDevnetProc(t, "--dir", dir, "--validators", "1", "--fulls", "1", "--lights", "0", "--block-time", "200ms", "--api-port", fmt.Sprint(base))
	d := p.waitJSON(t, dir, nil)
	if len(d.Nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(d.Nodes))
	}
	if err := syscall.Kill(d.Nodes[1].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("devnet still running 15s after a node died")
	}
	var ee *exec.ExitError
	if !errors.As(p.waitErr, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("devnet exit %v, want status 1", p.waitErr)
	}
	if !strings.Contains(p.stderr.String(), "full-1 stopped unexpectedly") {
		t.Fatalf("stderr does not name the dead node:\n%s", p.stderr)
	}
	if alive(d.Nodes[0].PID) {
		t.Fatal("the validator outlived the devnet")
	}
}

func TestDevnetRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad-encoding height", []string{"--fault", "bad-encoding@0"}, 2, "height"},
		{"fault kind", []string{"--fault", "lie@5"}, 2, "withhold@H"},
		{"fault height", []string{"--fault", "withhold@0"}, 2, "height"},
		{"fault syntax", []string{"--fault", "withhold"}, 2, "withhold@H"},
		{"negative fulls", []string{"--fulls", "-1"}, 2, "negative"},
		{"too many nodes", []string{"--lights", "100"}, 2, "at most"},
		{"port range", []string{"--api-port", "65500"}, 2, "--api-port"},
		{"block time", []string{"--block-time", "1ms"}, 2, "--block-time"},
		{"max square", []string{"--max-square", "100"}, 2, "--max-square"},
		{"stray argument", []string{"now"}, 2, "now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errs := runCLI(t, "", append([]string{"devnet", "--dir", dir}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errs)
			}
			oneLine(t, errs)
			if !strings.Contains(errs, tc.want) || out != "" {
				t.Fatalf("stdout %q stderr %q, want a line about %q", out, errs, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused devnet wrote %d entries in its dir", len(entries))
			}
		})
	}
}

// TestDevnetWithholdFault: --fault withhold@H reaches every validator
// (a dishonest supermajority) and no other node; each then withholds part
// of a non-empty square from height H on.
func TestDevnetWithholdFault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes")
	}
	dir := t.TempDir()
	base := freeBase(t, 3)
	p := startDevnetProc(t, "--dir", dir, "--validators", "2", "--fulls", "0", "--lights", "1", "--api-port", strconv.Itoa(base),
		"--block-time", "100ms", "--fault", "withhold@3")
	d := p.waitJSON(t, dir, nil)
	for _, n := range d.Nodes {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", n.PID))
		if err != nil {
			break // no procfs here: the behaviour below still shows it
		}
		if has := strings.Contains(string(cmdline), "--fault\x00withhold@3\x00"); has != (n.Role == "validator") {
			t.Fatalf("%s runs %q", n.Name, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	prod := d.Nodes[0].API // where the blobs go in
	var res api.SubmitResult
	body := map[string]any{"blobs": []map[string]any{{"namespace": tryNamespace, "data": bytes.Repeat([]byte("withheld"), 500)}}, "timeout": "20s"}
	if code := doJSON(t, http.MethodPost, prod+"/v1/blobs", body, &res); code != http.StatusOK {
		t.Fatalf("submit: %d", code)
	}
	if res.Height < 3 {
		// Below the fault: wait for a block from height 3 on and
		// submit another blob.
		deadline := time.Now().Add(30 * time.Second)
		var head api.HeaderJSON
		for getJSON(t, prod+"/v1/headers/head", &head) != http.StatusOK || head.Height < 3 {
			if time.Now().After(deadline) {
				t.Fatal("the head does not reach height 3")
			}
			time.Sleep(50 * time.Millisecond)
		}
		body["blobs"].([]map[string]any)[0]["data"] = bytes.Repeat([]byte("later"), 500)
		if code := doJSON(t, http.MethodPost, prod+"/v1/blobs", body, &res); code != http.StatusOK || res.Height < 3 {
			t.Fatalf("submit: %d at height %d", code, res.Height)
		}
	}
	var hd api.HeaderJSON
	if code := getJSON(t, fmt.Sprintf("%s/v1/headers/%d", prod, res.Height), &hd); code != http.StatusOK {
		t.Fatalf("header %d: %d", res.Height, code)
	}
	k := hd.SquareWidth
	for _, n := range d.Nodes[:2] {
		// The other validator may store the block a moment later (503
		// until then).
		deadline := time.Now().Add(10 * time.Second)
		for {
			code := getJSON(t, fmt.Sprintf("%s/v1/shares/%d/0/0", n.API, res.Height), nil)
			if code == http.StatusOK {
				break
			}
			if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("%s does not serve cell (0,0) at height %d: %d", n.Name, res.Height, code)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if code := getJSON(t, fmt.Sprintf("%s/v1/shares/%d/%d/%d", n.API, res.Height, 2*k-1, 2*k-1), nil); code != http.StatusNotFound {
			t.Fatalf("%s serves withheld cell (%d,%d) at height %d: %d", n.Name, 2*k-1, 2*k-1, res.Height, code)
		}
	}
	p.stop(t)
}

func TestStartFaultFlag(t *testing.T) {
	pdir, ldir := filepath.Join(t.TempDir(), "p"), filepath.Join(t.TempDir(), "l")
	if code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", pdir); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI(t, "", "init", "--role", "light", "--dir", ldir, "--genesis", filepath.Join(pdir, "genesis.json")); code != 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		dir, fault string
		code       int
		want       string
	}{
		{pdir, "lie@5", 2, "withhold@H"},
		{pdir, "withhold@0", 2, "height"},
		{ldir, "bad-encoding@2", 2, "only validators"},
		{ldir, "withhold@2", 2, "only validators"},
	} {
		code, _, errs := runCLI(t, "", "start", "--dir", tc.dir, "--fault", tc.fault)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Fatalf("start --fault %s: exit %d %q, want %d and %q", tc.fault, code, errs, tc.code, tc.want)
		}
	}
}
