package node

import (
	"context"
	"time"
)

// metricsLoop refreshes the gauges that describe the node's state (heads,
// pool, peers) once a second; counters and histograms are updated where
// the work happens.
func (n *Node) metricsLoop(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		local, network := n.chain.Heights()
		m := n.metrics
		m.LocalHead.Set(float64(local))
		m.NetworkHead.Set(float64(network))
		m.Peers.Set(float64(len(n.host.Peers())))
		if n.validator != nil {
			subs, bytes := n.mempoolStats()
			m.PoolSubmissions.Set(float64(subs))
			m.PoolBytes.Set(float64(bytes))
		}
		m.SampledHead.Set(float64(n.sampledHead()))
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
