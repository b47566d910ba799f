package node

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
)

// The header routes answer heights as the availability route does: 404
// not_found above the network head, where the node has heard of no
// header; 503 not_yet only for a height the network has and this node
// does not hold yet.
func TestHeightsAboveTheNetworkHead(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), InitOptions{Role: RoleValidator, ChainID: "heights", BlockTime: 100 * time.Millisecond, MaxSquareWidth: 8})
	var info api.NodeInfo
	waitFor(t, 10*time.Second, "the first block", func() bool {
		return httpJSON(t, "GET", url(n, "/v1/node"), nil, &info) == http.StatusOK && info.Head.Network >= 1
	})
	above := info.Head.Network + 1000
	for _, path := range []string{
		fmt.Sprintf("/v1/headers/%d", above),
		fmt.Sprintf("/v1/headers/%d/dah", above),
		fmt.Sprintf("/v1/availability/%d", above),
	} {
		resp, err := http.Get(url(n, path))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error api.Error `json:"error"`
		}
		if resp.StatusCode != http.StatusNotFound || json.Unmarshal(raw, &e) != nil || e.Error.Code != "not_found" {
			t.Errorf("GET %s: %d %s; want 404 not_found above the network head %d", path, resp.StatusCode, raw, info.Head.Network)
		}
	}
	for _, path := range []string{"/v1/headers/1", "/v1/headers/1/dah", "/v1/availability/1"} {
		if code := httpJSON(t, "GET", url(n, path), nil, nil); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, code)
		}
	}
}
