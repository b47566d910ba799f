package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/api"
)

// tartan health: 0 for a node that answers /health with 200, 1 with one
// line on stderr otherwise.
func TestHealthCommand(t *testing.T) {
	s, err := api.New(api.DefaultConfig(), api.Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(s.Handler())
	t.Cleanup(up.Close)
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	t.Cleanup(sick.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	code, out, errs := runCLI(t, "", "health", "--api", up.URL)
	if code != 0 || errs != "" || !strings.Contains(out, up.URL+"/health") {
		t.Fatalf("healthy node: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// host:port as in config.json's "api" means http.
	if code, _, errs := runCLI(t, "", "health", "--api", strings.TrimPrefix(up.URL, "http://")); code != 0 {
		t.Fatalf("host:port: exit %d, %q", code, errs)
	}
	for _, tc := range []struct {
		name, url, want string
	}{
		{"503", sick.URL, "503"},
		{"not a node", up.URL + "/nope", "404"},
		{"unreachable", goneURL, "cannot reach the node"},
	} {
		code, out, errs := runCLI(t, "", "health", "--api", tc.url)
		if code != 1 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.name, code, out, errs, tc.want)
		}
		oneLine(t, errs)
	}
	if code, _, errs := runCLI(t, "", "health", "--api", "ftp://x"); code != 2 || !strings.Contains(errs, "--api") {
		t.Errorf("bad --api: exit %d, %q", code, errs)
	}
}

// The image checks its health with tartan health (exec form: the
// distroless image has no shell) and takes its version from a build
// argument.
func TestDockerfileHealthcheckAndVersion(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ") // join continued lines
	m := regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD (\[.*\])\s*$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("Dockerfile has no HEALTHCHECK … CMD [\"…\"] (exec form)")
	}
	var argv []string
	if err := json.Unmarshal([]byte(m[1]), &argv); err != nil || len(argv) < 2 {
		t.Fatalf("HEALTHCHECK CMD %s is not a JSON array of the binary and its arguments (%v)", m[1], err)
	}
	if !strings.Contains(text, "COPY --from=build /out/tartan "+argv[0]+"\n") || argv[1] != "health" {
		t.Fatalf("HEALTHCHECK runs %q: want the image's tartan binary and its health command", argv)
	}
	s, err := api.New(api.DefaultConfig(), api.Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(s.Handler())
	t.Cleanup(up.Close)
	// The check's own arguments, pointed at a node here (the last --api wins).
	if code, _, errs := runCLI(t, "", append(argv[1:], "--api", up.URL)...); code != 0 {
		t.Fatalf("%q against a healthy node: exit %d, %q", argv[1:], code, errs)
	}
	if !regexp.MustCompile(`(?m)^ARG VERSION(=.*)?$`).MatchString(text) || !strings.Contains(text, "-X main.version=${VERSION}") {
		t.Fatal("Dockerfile does not link its VERSION build argument into main.version")
	}
}
