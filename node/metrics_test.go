package node

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeNode parses a node's /metrics.
func scrapeNode(t *testing.T, n *Node) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url(n, "/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// metricValue reads one sample of a node's /metrics whose labels include
// labels (a histogram's _count by its family name + "_count").
func metricValue(t *testing.T, n *Node, name string, labels ...string) float64 {
	t.Helper()
	fams := scrapeNode(t, n)
	base, count := strings.CutSuffix(name, "_count")
	f := fams[base]
	if f == nil {
		t.Fatalf("%s is not in /metrics", base)
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				continue next
			}
		}
		switch {
		case count:
			return float64(m.GetHistogram().GetSampleCount())
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		default:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s%v is not in /metrics", name, labels)
	return 0
}

func TestMetricsFollowTheNode(t *testing.T) {
	tn := newTestNet(t, 1, 1, 100*time.Millisecond)
	waitFor(t, 10*time.Second, "blocks everywhere", func() bool {
		return localHead(tn.fulls[0]) >= 3 && localHead(tn.lights[0]) >= 3
	})
	waitFor(t, 10*time.Second, "the metrics to show the heads", func() bool {
		return metricValue(t, tn.validator, "tartan_local_head") >= 3 &&
			metricValue(t, tn.fulls[0], "tartan_network_head") >= 3 &&
			metricValue(t, tn.lights[0], "tartan_peers") >= 1
	})
	if metricValue(t, tn.validator, "tartan_block_build_seconds_count") < 3 ||
		metricValue(t, tn.validator, "tartan_eds_compute_seconds_count") < 3 {
		t.Fatal("the validator does not count the blocks it built")
	}
	if metricValue(t, tn.fulls[0], "tartan_block_build_seconds_count") != 0 {
		t.Fatal("a full node counts blocks it never built")
	}
	waitFor(t, 10*time.Second, "verdicts and libp2p connections in the metrics", func() bool {
		return metricValue(t, tn.lights[0], "tartan_availability_verdicts_total", "status", "available") >= 1 &&
			metricValue(t, tn.fulls[0], "tartan_availability_verdicts_total", "status", "available") >= 1 &&
			metricValue(t, tn.lights[0], "libp2p_rcmgr_connections", "dir", "outbound", "scope", "system") >= 1
	})
	if metricValue(t, tn.validator, "go_goroutines") < 1 {
		t.Fatal("no Go runtime metrics")
	}
}

// dashboardMetric finds the metric names in a PromQL expression.
var dashboardMetric = regexp.MustCompile(`\b(?:tartan|libp2p|go|process)_[a-z0-9_]+`)

// Every metric the shipped Grafana dashboard queries is one a node
// exposes, on every role.
func TestGrafanaDashboardQueriesExposedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/tartan.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	queried := map[string][]string{} // metric → panels
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range dashboardMetric.FindAllString(tg.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(m, suffix); ok && strings.HasSuffix(b, "_seconds") {
						m = b
					}
				}
				queried[m] = append(queried[m], p.Title)
			}
		}
	}
	if len(queried) < 20 {
		t.Fatalf("only %d metrics queried: %v", len(queried), queried)
	}
	tn := newTestNet(t, 1, 1, 100*time.Millisecond)
	waitFor(t, 10*time.Second, "blocks everywhere", func() bool {
		return localHead(tn.fulls[0]) >= 2 && localHead(tn.lights[0]) >= 2
	})
	for _, n := range []*Node{tn.validator, tn.fulls[0], tn.lights[0]} {
		if resp, err := http.Get(url(n, "/health")); err == nil { // the HTTP series start with a request
			resp.Body.Close()
		}
		fams := scrapeNode(t, n)
		for m, panels := range queried {
			if fams[m] == nil {
				t.Errorf("%s node: the dashboard's %q queries %s, which it does not expose", n.cfg.Role, panels[0], m)
			}
		}
	}
}
