package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
)

// The node's answers to the REST API (api.Services). Errors are mapped to
// the API's sentinels here, so api never sees store or p2p errors.

func (n *Node) services() api.Services {
	return api.Services{Node: nodeInfo{n}, Headers: headerService{n}, Shares: shareService{n}, Blobs: blobService{n}}
}

type nodeInfo struct{ n *Node }

func (s nodeInfo) Info(context.Context) (api.NodeInfo, error) {
	n := s.n
	local, network := n.chain.Heights()
	info := api.NodeInfo{
		Role: string(n.cfg.Role), ChainID: n.genesis.ChainID, Version: n.opts.Version,
		PeerID: n.host.ID().String(), Peers: len(n.host.Peers()),
		Head: api.Heads{Network: network, Local: local},
	}
	for _, a := range n.host.Addrs() {
		info.Listen = append(info.Listen, a.String())
	}
	if n.cfg.Role != RoleLight {
		info.Head.Sampled = local // full nodes verify whole squares
	}
	return info, nil
}

type headerService struct{ n *Node }

// header reads a header, telling "not yet" from "never".
func (n *Node) header(ctx context.Context, height uint64) (*da.Header, error) {
	local, network := n.chain.Heights()
	if height > local {
		return nil, fmt.Errorf("%w: height %d is above this node's head %d (network head %d)", api.ErrNotYet, height, local, network)
	}
	h, err := n.chain.Header(ctx, height)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: no header at height %d", api.ErrNotFound, height)
	}
	return h, err
}

func (s headerService) Head(context.Context) (*da.Header, error) {
	h := s.n.chain.Head()
	if h == nil {
		return nil, fmt.Errorf("%w: no block yet", api.ErrNotYet)
	}
	return h, nil
}

func (s headerService) Header(ctx context.Context, height uint64) (*da.Header, error) {
	return s.n.header(ctx, height)
}

func (s headerService) DAH(ctx context.Context, height uint64) (*erasure.DAH, error) {
	if s.n.cfg.Role == RoleLight {
		return nil, fmt.Errorf("%w: light nodes keep only the data root", api.ErrNotServed)
	}
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	return sq.dah, nil
}

// square returns a verified square this node holds.
func (n *Node) square(ctx context.Context, height uint64) (*square, error) {
	h, err := n.header(ctx, height)
	if err != nil {
		return nil, err
	}
	sq, err := n.squares.Get(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		if n.cfg.Role == RoleLight {
			return nil, fmt.Errorf("%w: light nodes do not hold squares", api.ErrNotServed)
		}
		if !n.cfg.Archival && h.Time.Before(time.Now().Add(-n.cfg.Window.D())) {
			return nil, fmt.Errorf("%w: square %d is outside the storage window", api.ErrPruned, height)
		}
		return nil, fmt.Errorf("%w: square %d is not stored here yet", api.ErrNotYet, height)
	}
	return sq, err
}

type shareService struct{ n *Node }

func (s shareService) Sample(ctx context.Context, height uint64, row, col int) (*erasure.Sample, error) {
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	if w := 2 * sq.eds.Width(); row >= w || col >= w {
		return nil, fmt.Errorf("%w: cell (%d, %d) is outside the %d×%d square at height %d", api.ErrNotFound, row, col, w, w, height)
	}
	return sq.prover.Sample(row, col, erasure.Row)
}

type blobService struct{ n *Node }

func (s blobService) Submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	n := s.n
	if n.pool == nil {
		return 0, fmt.Errorf("%w: forwarding to the producer is not wired yet", api.ErrNotServed)
	}
	sub, err := n.pool.Add(blobs)
	if err != nil {
		return 0, err
	}
	return sub.Wait(ctx)
}

func (s blobService) NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	return sq.prover.NamespaceData(ns)
}

func (s blobService) BlobProof(ctx context.Context, height uint64, start, end int) (*erasure.BlobProof, error) {
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	return sq.prover.BlobProof(start, end)
}
