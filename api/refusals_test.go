package api

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRefusedSubmissionsAreLoggedAtMostEveryTenSeconds(t *testing.T) {
	var logs bytes.Buffer
	r := newRefusals(slog.New(slog.NewTextHandler(&logs, nil)))
	lines := func() int { return strings.Count(logs.String(), "submissions refused") }
	r.add(badRequest("bad_json", fmt.Errorf("request body is empty")))
	if lines() != 1 {
		t.Fatalf("the first refusal is not logged at once: %q", logs.String())
	}
	for range 50 {
		r.add(fmt.Errorf("%w: mempool full", ErrPoolFull))
	}
	r.add(fmt.Errorf("%w: not included", ErrTimeout)) // pending, not refused
	if lines() != 1 {
		t.Fatalf("50 refusals within 10 s gave %d lines", lines())
	}
	// Ten seconds later the next refusal logs the count since.
	r.mu.Lock()
	r.logged = r.logged.Add(-r.every)
	r.mu.Unlock()
	r.add(badRequest("bad_namespace", fmt.Errorf("namespace: reserved")))
	if lines() != 2 {
		t.Fatalf("a refusal after 10 s is not logged: %q", logs.String())
	}
	last := logs.String()[strings.LastIndex(logs.String(), "submissions refused"):]
	for _, want := range []string{"count=51", "pool_full=50", "bad_namespace=1", "namespace: reserved"} {
		if !strings.Contains(last, want) {
			t.Errorf("the second line lacks %q: %s", want, last)
		}
	}
	r.flush() // nothing since: no line
	if lines() != 2 {
		t.Fatalf("an empty flush logged: %q", logs.String())
	}
}

func TestRefusalsAreLoggedWithoutTheToken(t *testing.T) {
	ts, _, logs, _ := authServer(t, AuthAlways, "127.0.0.1:0", &tokenSet{tokens: map[string]bool{goodToken: true}})
	post := func(token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/blobs", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(revokedToken, submitBody([2]string{"74617274616e2d746573", "x"})); s != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", s)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(logs.String(), "submissions refused") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, "submissions refused") || !strings.Contains(out, "unauthorized=1") {
		t.Fatalf("a refused submission is not logged: %s", out)
	}
	if !strings.Contains(out, "msg=request") || !strings.Contains(out, "status=401") {
		t.Fatalf("the request is not logged at debug: %s", out)
	}
	if strings.Contains(out, revokedToken) || strings.Contains(out, goodToken) {
		t.Fatalf("the log holds a token: %s", out)
	}
}
