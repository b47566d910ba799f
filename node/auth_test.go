package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

func TestAuthTokensCreateListRevoke(t *testing.T) {
	dir := t.TempDir()
	store := NewTokens(dir)
	if all, err := store.List(); err != nil || len(all) != 0 {
		t.Fatalf("a new node's tokens: %v, %v", all, err)
	}
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tokA, a, err := store.Create("ci", t0)
	if err != nil {
		t.Fatal(err)
	}
	tokB, b, err := store.Create("", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tokA, TokenPrefix) || len(tokA) != len(TokenPrefix)+43 || tokA == tokB || a.ID == b.ID {
		t.Fatalf("tokens %q %q ids %s %s: want two distinct tartan_ + 43 base64url", tokA, tokB, a.ID, b.ID)
	}
	all, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0] != a || all[1] != b || a.Name != "ci" || !a.Created.Equal(t0) {
		t.Fatalf("list %+v, want %+v then %+v", all, a, b)
	}

	// Only hashes are stored, in files only the owner can read.
	files, _ := filepath.Glob(filepath.Join(dir, "auth", "tokens", "*"))
	if len(files) != 2 {
		t.Fatalf("token files %v, want 2", files)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		secretA := strings.TrimPrefix(tokA, TokenPrefix)
		secretB := strings.TrimPrefix(tokB, TokenPrefix)
		if bytes.Contains(raw, []byte(secretA)) || bytes.Contains(raw, []byte(secretB)) {
			t.Fatalf("%s holds a token in clear: %s", f, raw)
		}
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, "auth")); st.Mode().Perm() != 0o700 {
		t.Errorf("auth dir has mode %v, want 0700", st.Mode().Perm())
	}

	for _, tok := range []string{tokA, tokB} {
		if err := store.Authorize(tok); err != nil {
			t.Fatalf("a created token: %v", err)
		}
	}
	// Names are unique and cannot pass for ids.
	for _, name := range []string{"ci", "0123456789abcdef", "has space", "-dash", strings.Repeat("n", 65)} {
		if _, _, err := store.Create(name, t0); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
	// Revoke by name, then by id.
	if got, err := store.Revoke("ci"); err != nil || got != a {
		t.Fatalf("revoke by name: %+v, %v", got, err)
	}
	if err := store.Authorize(tokA); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("a revoked token: %v, want ErrUnauthorized", err)
	}
	if _, err := store.Revoke("ci"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("revoking twice: %v, want ErrNoToken", err)
	}
	if got, err := store.Revoke(b.ID); err != nil || got != b {
		t.Fatalf("revoke by id: %+v, %v", got, err)
	}
	if all, err := store.List(); err != nil || len(all) != 0 {
		t.Fatalf("after revoking all: %v, %v", all, err)
	}
	err = store.Authorize(tokB)
	if !errors.Is(err, api.ErrUnauthorized) || !strings.Contains(err.Error(), "tartan auth token create") {
		t.Fatalf("with no tokens left: %v, want ErrUnauthorized that says how to create one", err)
	}
}

// The node and the CLI are different processes: each holds its own
// Tokens. What one writes, the other sees at its next call.
func TestAuthRevocationSeenWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	node, cli := NewTokens(dir), NewTokens(dir)
	if err := node.Authorize("tartan_nothing"); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("no tokens: %v", err)
	}
	tok, info, err := cli.Create("ops", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Authorize(tok); err != nil {
		t.Fatalf("created after the node started looking: %v", err)
	}
	tok2, _, err := cli.Create("ops2", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Revoke(info.ID); err != nil {
		t.Fatal(err)
	}
	if err := node.Authorize(tok); !errors.Is(err, api.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("the next check after a revoke: %v, want ErrUnauthorized", err)
	}
	if err := node.Authorize(tok2); err != nil {
		t.Fatalf("the other token after the revoke: %v", err)
	}
	// A token's file that is not a token is ignored, not fatal to the rest.
	bad := filepath.Join(dir, "auth", "tokens", "00000000000000aa.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := node.Authorize("tartan_unknown"); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("unknown token beside a bad file: %v", err)
	}
	if err := node.Authorize(tok2); err != nil {
		t.Fatalf("a good token beside a bad file: %v", err)
	}
	if _, err := cli.List(); err == nil || !strings.Contains(err.Error(), "00000000000000aa.json") {
		t.Fatalf("list with a bad file: %v, want an error naming it", err)
	}
	// A half-written file (a crash before the rename) is not a token.
	if err := os.WriteFile(filepath.Join(dir, "auth", "tokens", "00000000000000bb.json.tmp"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(bad)
	if all, err := cli.List(); err != nil || len(all) != 1 || all[0].Name != "ops2" {
		t.Fatalf("list beside a temporary file: %+v, %v", all, err)
	}
}

// Checks race with creations and revocations from another Tokens (run
// with -race). Every token's answer must match its state: created and not
// yet revoked tokens pass, revoked ones fail.
func TestAuthConcurrentUse(t *testing.T) {
	dir := t.TempDir()
	node, cli := NewTokens(dir), NewTokens(dir)
	rng := rand.New(rand.NewPCG(7, 11))
	const n = 24
	tokens := make([]string, n)
	infos := make([]TokenInfo, n)
	for i := range n {
		var err error
		if tokens[i], infos[i], err = cli.Create(fmt.Sprintf("t%d", i), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	revokeOrder := rng.Perm(n)[:n/2]
	var (
		mu      sync.Mutex
		revoked = map[int]bool{}
	)
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, i := range revokeOrder {
			if _, err := cli.Revoke(infos[i].ID); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			revoked[i] = true
			mu.Unlock()
		}
	})
	for w := range 4 {
		wrng := rand.New(rand.NewPCG(uint64(w), 3))
		wg.Go(func() {
			for range 300 {
				i := wrng.IntN(n)
				mu.Lock()
				wasRevoked := revoked[i]
				mu.Unlock()
				err := node.Authorize(tokens[i])
				if wasRevoked && err == nil {
					t.Errorf("token %d passed after its revocation finished", i)
					return
				}
				if err != nil && !errors.Is(err, api.ErrUnauthorized) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 8 {
			if _, _, err := NewTokens(dir).Create(fmt.Sprintf("late%d", i), time.Now()); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	for i := range n {
		err := node.Authorize(tokens[i])
		if revoked[i] != (err != nil) {
			t.Errorf("token %d (revoked %v): %v", i, revoked[i], err)
		}
	}
	if all, err := cli.List(); err != nil || len(all) != n-n/2+8 {
		t.Fatalf("list: %d tokens, %v; want %d", len(all), err, n-n/2+8)
	}
}

// A node with api_auth=always takes a token made while it runs, refuses it
// from the request after its revocation, and never logs it.
func TestAuthNodeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig(RoleValidator)
	c.API, c.RPCListen, c.Listen, c.APIAuth = "127.0.0.1:0", "127.0.0.1:0", []string{"/ip4/127.0.0.1/tcp/0"}, AuthAlways
	logs := &lockedLog{}
	testOptions = func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	t.Cleanup(func() { testOptions = nil })
	n, stop := startNode(t, dir, InitOptions{Role: RoleValidator, Config: &c, BlockTime: 100 * time.Millisecond})
	body := map[string]any{"blobs": []blobReq{{"74617274616e2d6e6574", []byte("auth end to end")}}, "timeout": "20s"}

	submit := func(token string) (int, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", url(n, "/v1/blobs"), bytes.NewReader(b))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb struct{ Error api.Error }
		json.NewDecoder(resp.Body).Decode(&eb)
		return resp.StatusCode, eb.Error.Message
	}
	if code, msg := submit(""); code != 401 || !strings.Contains(msg, "tartan auth token create") {
		t.Fatalf("no token, none created: %d %q", code, msg)
	}
	tok, info, err := NewTokens(dir).Create("e2e", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := submit(tok); code != 200 {
		t.Fatalf("token created while running: %d %q", code, msg)
	}
	wrong := []byte(tok)
	if wrong[len(wrong)-2] = 'a'; tok[len(tok)-2] == 'a' {
		wrong[len(wrong)-2] = 'b'
	}
	if code, msg := submit(string(wrong)); code != 401 || !strings.Contains(msg, "unknown or revoked") {
		t.Fatalf("a wrong token: %d %q", code, msg)
	}
	if _, err := NewTokens(dir).Revoke(info.ID); err != nil {
		t.Fatal(err)
	}
	if code, msg := submit(tok); code != 401 || !strings.Contains(msg, "revoked") {
		t.Fatalf("revoked token: %d %q", code, msg)
	}
	if code := httpJSON(t, "GET", url(n, "/v1/headers/head"), nil, nil); code != 200 {
		t.Fatalf("a read without a token: %d", code)
	}
	stop()
	out := logs.String()
	if !strings.Contains(out, "API writes need a token") {
		t.Errorf("the node did not log its auth mode at start: %s", out)
	}
	if strings.Contains(out, strings.TrimPrefix(tok, TokenPrefix)) {
		t.Fatalf("the log holds the token: %s", out)
	}
}

type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
