package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const healthUsage = "usage: tartan health [--api URL] [--timeout 5s]"

// runHealth: tartan health. It succeeds when the node's REST API answers
// GET /health with 200, so a container's HEALTHCHECK (the image has no
// shell or curl) and scripts can ask whether a node runs.
func runHealth(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "health")
	apiURL := fs.String("api", "http://127.0.0.1:26650", "the node's REST API: a URL, or host:port for http")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseFlags(e, fs, healthUsage, args); err != nil {
		return err
	}
	base := strings.TrimRight(*apiURL, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usageErr("--api %q: want a URL like http://127.0.0.1:26650", *apiURL)
	}
	if *timeout <= 0 {
		return usageErr("--timeout %s: want a positive duration", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := base + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErr("--api %q: %v", *apiURL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if ctx.Err() != nil {
		return fmt.Errorf("%s: no answer within --timeout %s", url, *timeout)
	}
	if err != nil {
		return fmt.Errorf("cannot reach the node: %v", oneLineText(err.Error()))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s, not 200 OK", url, resp.Status)
	}
	_, err = fmt.Fprintf(e.stdout, "ok: %s answered 200\n", url)
	return err
}
