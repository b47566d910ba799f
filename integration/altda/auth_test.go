package altda_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	altda "github.com/ethereum-optimism/optimism/op-alt-da"
)

// The op-alt-da client cannot set headers, so a node that needs tokens
// takes one as the password in the server URL (README "OP Stack
// alt-DA"): a validator under api_auth always refuses the client without
// it, serves it with it, and refuses it again once the token is revoked,
// without a restart. Reads need no token.
func TestAltDATokenInURL(t *testing.T) {
	tmp := t.TempDir()
	bin := buildTartan(t, tmp)
	dir := filepath.Join(tmp, "validator")
	port := freeBase(t, 1)
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			msg := err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				msg += ": " + string(ee.Stderr)
			}
			t.Fatalf("tartan %s: %s", strings.Join(args, " "), msg)
		}
		return strings.TrimSpace(string(out))
	}
	cli("init", "--role", "validator", "--dir", dir, "--chain-id", "authnet", "--block-time", "200ms",
		"--api", fmt.Sprintf("127.0.0.1:%d", port), "--listen", "/ip4/127.0.0.1/tcp/0", "--api.auth", "always",
		"--consensus-listen", fmt.Sprintf("127.0.0.1:%d", port+200))
	token := cli("auth", "token", "create", "--dir", dir, "--name", "op-batcher")

	out := &lockedBuffer{}
	cmd := exec.Command(bin, "start", "--dir", dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("node output:\n%s", out)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not answer /health in 60s:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data := []byte("a batch that needs a token to be posted")

	if _, err := altda.NewDAClient(base, false, false).SetInput(ctx, data); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("put without a token: %v, want a 401 failure", err)
	}
	withToken := strings.Replace(base, "http://", "http://op:"+token+"@", 1)
	c, err := altda.NewDAClient(withToken, false, false).SetInput(ctx, data)
	if err != nil {
		t.Fatalf("put with the token in the URL: %v", err)
	}
	got, err := altda.NewDAClient(base, false, false).GetInput(ctx, c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get without a token: %q %v", got, err)
	}
	if strings.Contains(out.String(), token) {
		t.Fatal("the node logged the token")
	}
	cli("auth", "token", "revoke", "--dir", dir, "op-batcher")
	if _, err := altda.NewDAClient(withToken, false, false).SetInput(ctx, []byte("after the revocation")); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("put with a revoked token: %v, want a 401 failure", err)
	}
}
