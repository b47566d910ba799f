package node

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tartan-da/tartan/node/store"
)

// The peers a node met are remembered in its datastore, so that after a
// restart it can reach the network even if its bootstrap peers are gone.

const (
	peersKey = "p2p/peers"
	// maxKnownPeers bounds what is remembered and redialled at start.
	maxKnownPeers = 64
)

// loadPeers reads the remembered peer addresses; none on a new node.
func loadPeers(ctx context.Context, st *store.Store) ([]string, error) {
	b, err := st.Meta(ctx, peersKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var addrs []string
	if err := json.Unmarshal(b, &addrs); err != nil {
		return nil, nil // a damaged record only costs the shortcut
	}
	return addrs, nil
}

// peersLoop saves the connected peers' addresses every minute and once
// more when the node stops.
func (n *Node) peersLoop(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// The store is still open: Close runs after every loop ended.
			n.savePeers(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
			n.savePeers(ctx)
		}
	}
}

func (n *Node) savePeers(ctx context.Context) {
	addrs := n.host.PeerAddrs()
	if len(addrs) == 0 {
		return // keep what was remembered rather than forget everyone
	}
	addrs = addrs[:min(len(addrs), maxKnownPeers)]
	b, _ := json.Marshal(addrs)
	if err := n.store.PutMeta(ctx, peersKey, b); err != nil {
		n.log.Warn("remembering peers failed", "err", err)
	}
}
