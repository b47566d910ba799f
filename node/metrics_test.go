package node

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metricValue reads one unlabelled sample from a node's /metrics.
func metricValue(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	resp, err := http.Get(url(n, "/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("%s is not in /metrics", name)
	return 0
}

func TestMetricsFollowTheNode(t *testing.T) {
	tn := newTestNet(t, 1, 1, 100*time.Millisecond)
	waitFor(t, 10*time.Second, "blocks everywhere", func() bool {
		return localHead(tn.fulls[0]) >= 3 && localHead(tn.lights[0]) >= 3
	})
	waitFor(t, 10*time.Second, "the metrics to show the heads", func() bool {
		return metricValue(t, tn.producer, "tartan_local_head") >= 3 &&
			metricValue(t, tn.fulls[0], "tartan_network_head") >= 3 &&
			metricValue(t, tn.lights[0], "tartan_peers") >= 1
	})
	if metricValue(t, tn.producer, "tartan_block_build_seconds_count") < 3 ||
		metricValue(t, tn.producer, "tartan_eds_compute_seconds_count") < 3 {
		t.Fatal("the producer does not count the blocks it built")
	}
	if metricValue(t, tn.fulls[0], "tartan_block_build_seconds_count") != 0 {
		t.Fatal("a full node counts blocks it never built")
	}
}
