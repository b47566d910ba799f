package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/node"
)

// initAuthNode inits a validator in a temp dir with the given --api.auth.
func initAuthNode(t *testing.T, mode string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "validator")
	code, _, errs := runCLI(t, "", "init", "--role", "validator", "--dir", dir, "--block-time", "100ms",
		"--api", "127.0.0.1:0", "--rpc", "127.0.0.1:0", "--api.auth", mode, "--listen", "/ip4/127.0.0.1/tcp/0", "--consensus-listen", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	return dir
}

func TestAuthTokenCLIRoundTrip(t *testing.T) {
	dir := initAuthNode(t, "always")
	if cfg, err := node.LoadConfig(dir); err != nil || cfg.APIAuth != node.AuthAlways {
		t.Fatalf("init --api.auth always wrote %+v, %v", cfg, err)
	}
	code, tokA, errs := runCLI(t, "", "auth", "token", "create", "--dir", dir, "--name", "ci")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	tokA = strings.TrimSuffix(tokA, "\n")
	if !strings.HasPrefix(tokA, node.TokenPrefix) || strings.ContainsAny(tokA, " \n") {
		t.Fatalf("create printed %q, want the token alone", tokA)
	}
	if !strings.Contains(errs, "only this once") {
		t.Errorf("create did not warn that the token is shown once: %q", errs)
	}
	code, tokB, errs := runCLI(t, "", "auth", "token", "create", "--dir", dir)
	if code != 0 {
		t.Fatalf("create without a name: exit %d: %s", code, errs)
	}
	tokB = strings.TrimSpace(tokB)

	code, list, errs := runCLI(t, "", "auth", "token", "list", "--dir", dir)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], " ci ") || !strings.Contains(lines[2], " - ") {
		t.Fatalf("list:\n%s", list)
	}
	for _, tok := range []string{tokA, tokB} {
		if strings.Contains(list, strings.TrimPrefix(tok, node.TokenPrefix)[:8]) {
			t.Fatalf("list shows part of a token:\n%s", list)
		}
	}
	idB := strings.Fields(lines[2])[0]

	// Both tokens work for the node's own check until revoked.
	tokens := node.NewTokens(dir)
	for _, tok := range []string{tokA, tokB} {
		if err := tokens.Authorize(tok); err != nil {
			t.Fatalf("a created token: %v", err)
		}
	}
	// Flags may follow the id; by name and by id.
	if code, out, errs := runCLI(t, "", "auth", "token", "revoke", idB, "--dir", dir); code != 0 || !strings.Contains(out, "revoked token "+idB) {
		t.Fatalf("revoke by id: exit %d: %s %s", code, out, errs)
	}
	if err := tokens.Authorize(tokB); err == nil {
		t.Fatal("a token revoked by id still passes")
	}
	if code, out, errs := runCLI(t, "", "auth", "token", "revoke", "--dir", dir, "ci"); code != 0 || !strings.Contains(out, "(ci)") {
		t.Fatalf("revoke by name: exit %d: %s %s", code, out, errs)
	}
	if err := tokens.Authorize(tokA); err == nil {
		t.Fatal("a token revoked by name still passes")
	}
	if code, list, _ := runCLI(t, "", "auth", "token", "list", "--dir", dir); code != 0 || strings.Count(list, "\n") != 1 {
		t.Fatalf("list after revoking all: exit %d:\n%s", code, list)
	}
}

func TestAuthTokenCLIRefuses(t *testing.T) {
	dir := initAuthNode(t, "never")
	// A node that does not check tokens says so when one is created.
	if code, _, errs := runCLI(t, "", "auth", "token", "create", "--dir", dir); code != 0 || !strings.Contains(errs, `api_auth is "never"`) {
		t.Fatalf("create on a never node: exit %d, stderr %q", code, errs)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"auth"}, 2, "usage"},
		{[]string{"auth", "token"}, 2, "create, list or revoke"},
		{[]string{"auth", "token", "rotate", "--dir", dir}, 2, "unknown subcommand"},
		{[]string{"auth", "token", "list"}, 2, "--dir is required"},
		{[]string{"auth", "token", "revoke", "--dir", dir}, 2, "one token id or name"},
		{[]string{"auth", "token", "revoke", "--dir", dir, "a", "b"}, 2, "one token id or name"},
		{[]string{"auth", "token", "list", "--dir", dir, "extra"}, 2, "unexpected argument"},
		{[]string{"auth", "token", "list", "--dir", dir, "--name", "x"}, 2, "flag provided but not defined"},
		{[]string{"auth", "token", "revoke", "--dir", dir, "nosuch"}, 1, "no token has id or name"},
		{[]string{"auth", "token", "create", "--dir", dir, "--name", "bad name"}, 1, "token name"},
		{[]string{"auth", "token", "create", "--dir", empty}, 1, "does not hold a node"},
		{[]string{"init", "--role", "validator", "--dir", filepath.Join(empty, "n"), "--api.auth", "sometimes"}, 2, "--api.auth"},
	} {
		code, _, errs := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d saying %q", tc.args, code, errs, tc.code, tc.says)
			continue
		}
		oneLine(t, errs)
	}
	if _, err := os.Stat(filepath.Join(empty, "auth")); err == nil {
		t.Error("create in a directory without a node left tokens there")
	}
}

// The devnet's nodes do not ask for tokens (unless a node's config says
// otherwise).
func TestAuthDevnetWritesNever(t *testing.T) {
	root := t.TempDir()
	var nodes []*devnetNode
	for i, r := range []node.Role{node.RoleValidator, node.RoleFull, node.RoleLight} {
		nodes = append(nodes, &devnetNode{name: string(r), role: r, dir: filepath.Join(root, string(r)), apiPort: 30000 + i, p2pPort: 31000 + i, consensusPort: 32000 + i})
	}
	var errb bytes.Buffer
	if err := prepareDevnet(&env{stdout: &errb, stderr: &errb}, nodes, 1, time.Second, 128, map[string]bool{}); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	for _, d := range nodes {
		cfg, err := node.LoadConfig(d.dir)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.APIAuth != node.AuthNever {
			t.Errorf("%s: api_auth %q, want never", d.name, cfg.APIAuth)
		}
	}
	// A choice made in a node's config survives a resume.
	cfg, _ := node.LoadConfig(nodes[1].dir)
	cfg.APIAuth = node.AuthAlways
	if err := cfg.Save(nodes[1].dir); err != nil {
		t.Fatal(err)
	}
	if err := prepareDevnet(&env{stdout: &errb, stderr: &errb}, nodes, 1, time.Second, 128, map[string]bool{}); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := node.LoadConfig(nodes[1].dir); cfg.APIAuth != node.AuthAlways {
		t.Errorf("resume replaced api_auth always with %q", cfg.APIAuth)
	}
}

// A real node with api_auth=always: a token made with the CLI while it
// runs works, and after `revoke` the next write is 401, without a restart.
func TestAuthTokenCLIWithRunningNode(t *testing.T) {
	dir := initAuthNode(t, "always")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	n, err := node.New(ctx, dir, node.Options{Version: "test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := n.Run(ctx); err != nil {
			t.Errorf("node: %v", err)
		}
	})
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)

	submit := func(token string) int {
		t.Helper()
		body := `{"blobs":[{"namespace":"74617274616e2d636c69","data":"aGVsbG8="}],"timeout":"20s"}`
		req, _ := http.NewRequest("POST", "http://"+n.APIAddr()+"/v1/blobs", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct {
			Height uint64 `json:"height"`
		}
		json.NewDecoder(resp.Body).Decode(&res)
		if resp.StatusCode == 200 && res.Height == 0 {
			t.Fatal("200 without a height")
		}
		return resp.StatusCode
	}
	if code := submit(""); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d, want 401", code)
	}
	code, tok, errs := runCLI(t, "", "auth", "token", "create", "--dir", dir, "--name", "e2e")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	tok = strings.TrimSpace(tok)
	if code := submit(tok); code != 200 {
		t.Fatalf("with a token created while the node runs: %d, want 200", code)
	}
	if code, _, errs := runCLI(t, "", "auth", "token", "revoke", "--dir", dir, "e2e"); code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, errs)
	}
	if code := submit(tok); code != http.StatusUnauthorized {
		t.Fatalf("after revoke: %d, want 401", code)
	}
	stop()
	if strings.Contains(logs.String(), strings.TrimPrefix(tok, node.TokenPrefix)) {
		t.Fatalf("the node logged the token:\n%s", logs.String())
	}
}

// tartan start --api.auth overrides config.json for one run.
func TestStartAPIAuthOverride(t *testing.T) {
	dir := initAuthNode(t, "never")
	if code, _, errs := runCLI(t, "", "start", "--dir", dir, "--api.auth", "sometimes"); code != 2 || !strings.Contains(errs, "--api.auth") {
		t.Fatalf("a bad --api.auth: exit %d, %q", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.New(ctx, dir, node.Options{Version: "test", APIAuth: node.AuthAlways})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = n.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	resp, err := http.Post("http://"+n.APIAddr()+"/v1/blobs", "application/json",
		strings.NewReader(`{"blobs":[{"namespace":"74617274616e2d636c69","data":"aGVsbG8="}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("config says never, --api.auth always: %d, want 401", resp.StatusCode)
	}
	if _, err := node.New(ctx, dir, node.Options{APIAuth: "sometimes"}); err == nil {
		t.Fatal("node.New took api_auth \"sometimes\"")
	}
}
