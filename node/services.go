package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
)

// The node's answers to the REST API (api.Services). Errors are mapped to
// the API's sentinels here, so api never sees store or p2p errors.

func (n *Node) services() api.Services {
	svc := api.Services{Node: nodeInfo{n}, Headers: headerService{n}, Shares: shareService{n}, Blobs: blobService{n}, Metrics: n.metrics,
		Availability: availabilityService{n}}
	if n.attest != nil {
		svc.Settlement = settlementService{n}
	}
	return svc
}

type nodeInfo struct{ n *Node }

func (s nodeInfo) Info(context.Context) (api.NodeInfo, error) {
	n := s.n
	var err error
	local, network := n.chain.Heights()
	info := api.NodeInfo{
		Role: string(n.cfg.Role), ChainID: n.genesis.ChainID, Version: n.opts.Version,
		PeerID: n.host.ID().String(), Peers: len(n.host.Peers()), Started: n.started.UTC(),
		Head: api.Heads{Network: network, Local: local},
	}
	for _, a := range n.host.Addrs() {
		info.Listen = append(info.Listen, a.String())
	}
	info.Head.Sampled = n.sampledHead()
	info.Limits.MaxSquareWidth = n.genesis.MaxSquareWidth
	if info.Limits.MaxBlobBytes, err = da.MaxBlobDataSize(n.genesis.MaxSquareWidth, da.ShareVersionZero); err != nil {
		return info, err
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

// aboveNetwork is api.ErrNotFound for a height above the network head.
// The header routes answer as the availability routes do (API.md §2):
// 404 above the network head, not yet (503) above only the local head.
// Data reads (shares, blobs, alt-DA) stay 503 for any height not held
// yet, since op-node must retry what is merely not there yet.
func (n *Node) aboveNetwork(height uint64) error {
	if _, network := n.chain.Heights(); height > network {
		return fmt.Errorf("%w: height %d is above the network head %d", api.ErrNotFound, height, network)
	}
	return nil
}

func (s headerService) Header(ctx context.Context, height uint64) (*da.Header, error) {
	if err := s.n.aboveNetwork(height); err != nil {
		return nil, err
	}
	return s.n.header(ctx, height)
}

func (s headerService) DAH(ctx context.Context, height uint64) (*erasure.DAH, error) {
	if err := s.n.aboveNetwork(height); err != nil {
		return nil, err
	}
	if s.n.cfg.Role == RoleLight {
		return nil, fmt.Errorf("%w: light nodes keep only the data root", api.ErrNotServed)
	}
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	sq.release() // the DAH is not the square's memory
	return sq.dah, nil
}

// square returns a verified square this node holds. The caller must
// release it.
func (n *Node) square(ctx context.Context, height uint64) (*square, error) {
	h, err := n.header(ctx, height)
	if err != nil {
		return nil, err
	}
	if n.cfg.Role != RoleLight && n.outsideWindow(h) {
		// Checked first: the square cache may outlive the store's pruning.
		return nil, fmt.Errorf("%w: square %d is outside the storage window", api.ErrPruned, height)
	}
	if n.corruptsAt(height) {
		return n.faultySquare(ctx, h) // served as committed, like over p2p
	}
	sq, err := n.squares.Get(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		if n.cfg.Role == RoleLight {
			return nil, fmt.Errorf("%w: light nodes do not hold squares", api.ErrNotServed)
		}
		return nil, fmt.Errorf("%w: square %d is not stored here yet", api.ErrNotYet, height)
	}
	return sq, err
}

type shareService struct{ n *Node }

func (s shareService) Sample(ctx context.Context, height uint64, row, col int) (*erasure.Sample, error) {
	if s.n.cfg.Role == RoleLight {
		return s.n.lightSample(ctx, height, row, col) // the cells it sampled (light.go)
	}
	sq, err := s.n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	defer sq.release()
	if w := 2 * sq.eds.Width(); row >= w || col >= w {
		return nil, fmt.Errorf("%w: cell (%d, %d) is outside the %d×%d square at height %d", api.ErrNotFound, row, col, w, w, height)
	}
	if withheldCell(sq.eds.Width(), row, col) && s.n.withheldAt(ctx, height) {
		return nil, fmt.Errorf("%w: cell (%d, %d)", s.n.errWithheld(api.ErrNotFound, height), row, col)
	}
	return sq.prover.Sample(row, col, erasure.Row)
}

type blobService struct{ n *Node }

func (s blobService) Submit(ctx context.Context, blobs []da.Blob) (uint64, error) {
	n := s.n
	// Check what a validator would refuse before submitting or forwarding,
	// so a client gets its 400 or 413 from here.
	for i := range blobs {
		if err := blobs[i].Validate(); err != nil {
			return 0, fmt.Errorf("blob %d: %w", i, err)
		}
	}
	if limit := n.genesis.MaxSquareWidth * n.genesis.MaxSquareWidth; da.WorstCaseShares(blobs) > limit {
		return 0, fmt.Errorf("%w: the blobs take more than the %d shares of a %d×%d square", da.ErrBlobTooLarge, limit, n.genesis.MaxSquareWidth, n.genesis.MaxSquareWidth)
	}
	if n.validator != nil {
		return n.submit(ctx, blobs)
	}
	height, err := n.forward(ctx, blobs)
	if err != nil {
		return 0, err
	}
	// Answer once this node has the block too, so the client can read the
	// blob back from here at once.
	if err := n.chain.WaitHeight(ctx, height); err != nil {
		return 0, err
	}
	return height, nil
}

// Namespaces lists the blob namespaces of a held square
// (api.NamespaceLister); light nodes hold none.
func (s blobService) Namespaces(ctx context.Context, height uint64) ([]da.Namespace, error) {
	n := s.n
	if n.cfg.Role == RoleLight {
		return nil, fmt.Errorf("%w: light nodes do not hold squares; ask a full node", api.ErrNotServed)
	}
	if n.withheldAt(ctx, height) {
		return nil, n.errWithheld(api.ErrNotFound, height)
	}
	sq, err := n.square(ctx, height)
	if err != nil {
		return nil, err
	}
	defer sq.release()
	var out []da.Namespace
	for _, row := range sq.eds.ODSRows() {
		for i := range row {
			// The ODS is sorted by namespace: each new one follows the last.
			if ns := row[i].Namespace(); !ns.IsReserved() && (len(out) == 0 || out[len(out)-1] != ns) {
				out = append(out, ns)
			}
		}
	}
	return out, nil
}

func (s blobService) NamespaceData(ctx context.Context, height uint64, ns da.Namespace) (*erasure.NamespaceData, error) {
	n := s.n
	if n.withheldAt(ctx, height) {
		return nil, n.errWithheld(api.ErrNotFound, height)
	}
	sq, err := n.square(ctx, height)
	if err == nil {
		defer sq.release()
		return sq.prover.NamespaceData(ns)
	}
	if !n.canFetch(err) {
		return nil, err
	}
	h, err := n.header(ctx, height)
	if err != nil {
		return nil, err
	}
	// Reads of the same namespace in flight share one fetch (and one
	// verification); the first reader's ctx is the API's, which no single
	// client's departure cancels (api reads.go).
	v, err, _ := n.nsFetches.Do(fmt.Sprintf("%d/%s", height, ns), func() (any, error) {
		return n.fetchNamespaceData(ctx, h, ns)
	})
	if err != nil {
		return nil, err
	}
	return v.(*erasure.NamespaceData), nil
}

// fetchNamespaceData fetches ns at h from peers and verifies it.
func (n *Node) fetchNamespaceData(ctx context.Context, h *da.Header, ns da.Namespace) (*erasure.NamespaceData, error) {
	height := h.Height
	var out *erasure.NamespaceData
	err := n.fromPeers(ctx, fmt.Sprintf("namespace %s at height %d", ns, height), func(ctx context.Context, p peer.ID) error {
		nd, err := n.host.RequestNamespaceData(ctx, p, height, ns)
		if err != nil {
			return err
		}
		if nd.Namespace != ns {
			err = fmt.Errorf("asked for namespace %s, got %s", ns, nd.Namespace)
		} else {
			err = nd.Verify(h.DataRoot, int(h.SquareWidth))
		}
		if err != nil {
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			return err
		}
		out = nd
		return nil
	})
	return out, n.prunedEverywhere(h, err)
}

func (s blobService) BlobProof(ctx context.Context, height uint64, start, end int) (*erasure.BlobProof, error) {
	n := s.n
	if n.withheldAt(ctx, height) {
		return nil, n.errWithheld(api.ErrNotFound, height)
	}
	sq, err := n.square(ctx, height)
	if err == nil {
		defer sq.release()
		return sq.prover.BlobProof(start, end)
	}
	if !n.canFetch(err) {
		return nil, err
	}
	h, err := n.header(ctx, height)
	if err != nil {
		return nil, err
	}
	var out *erasure.BlobProof
	err = n.fromPeers(ctx, fmt.Sprintf("blob proof at height %d", height), func(ctx context.Context, p peer.ID) error {
		bp, err := n.host.RequestBlobProof(ctx, p, height, start, end)
		if err != nil {
			return err
		}
		if bp.Start != start || bp.End != end {
			err = fmt.Errorf("asked for shares [%d, %d), got [%d, %d)", start, end, bp.Start, bp.End)
		} else {
			err = bp.Verify(h.DataRoot, int(h.SquareWidth))
		}
		if err != nil {
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			return err
		}
		out = bp
		return nil
	})
	return out, n.prunedEverywhere(h, err)
}

// prunedEverywhere turns a failure to fetch a height that is older than
// this node's storage window into api.ErrPruned: peers keep squares as
// long as this node would, so none will serve it again, and clients (an
// alt-DA reader, say) must hear "gone", not "try again".
func (n *Node) prunedEverywhere(h *da.Header, err error) error {
	if err != nil && !errors.Is(err, api.ErrPruned) && n.outsideWindow(h) {
		return fmt.Errorf("%w: height %d is older than the storage window and no peer serves it (%v)", api.ErrPruned, h.Height, err)
	}
	return err
}

// canFetch reports whether data this node lacks locally may be fetched
// from peers: light nodes hold no squares, and a full node may not have
// fetched a recent one yet.
func (n *Node) canFetch(err error) bool {
	return n.cfg.Role != RoleValidator && (errors.Is(err, api.ErrNotServed) || errors.Is(err, api.ErrNotYet) || errors.Is(err, api.ErrPruned))
}

// Consensus reads a header's certificate for the API; the validator set is
// shown when it differs from the previous height's.
func (s headerService) Consensus(ctx context.Context, h *da.Header) (api.ConsensusJSON, error) {
	return s.n.consensusJSON(ctx, h)
}

func (n *Node) consensusJSON(ctx context.Context, h *da.Header) (api.ConsensusJSON, error) {
	var prev *da.Header
	if h.Height > 1 {
		prev, _ = n.chain.Header(ctx, h.Height-1) // below a checkpoint base: shown
	}
	d, err := n.chain.verify.Describe(h, prev)
	if err != nil {
		return api.ConsensusJSON{}, err
	}
	x := hex.EncodeToString
	c := api.ConsensusJSON{
		DataHash: x(d.DataHash), ValidatorsHash: x(d.ValidatorsHash), Proposer: x(d.Proposer),
		Commit: api.CommitJSON{Round: d.Round, BlockID: api.BlockIDJSON{Hash: x(d.BlockHash), PartTotal: d.PartTotal, PartHash: x(d.PartHash)},
			Signatures: make([]api.SignatureJSON, len(d.Signatures))},
		DataRootProof: api.TxProofJSON{Tx: x(d.DataTx), Index: d.ProofIndex, Total: d.ProofTotal, Aunts: make([]string, len(d.Aunts))},
	}
	for i, sg := range d.Signatures {
		c.Commit.Signatures[i] = api.SignatureJSON{ValidatorAddress: x(sg.Address), Timestamp: sg.Timestamp.UTC(), Signature: x(sg.Signature)}
	}
	for i, a := range d.Aunts {
		c.DataRootProof.Aunts[i] = x(a)
	}
	for _, v := range d.Validators {
		c.Validators = append(c.Validators, api.ValidatorJSON{Address: x(v.Address), PubKey: x(v.PubKey), VotingPower: v.Power})
	}
	return c, nil
}

// headerJSON is a header in the API's shape, for events.
func (n *Node) headerJSON(ctx context.Context, h *da.Header) api.HeaderJSON {
	c, err := n.consensusJSON(ctx, h)
	if err != nil {
		n.log.Warn("header certificate unreadable", "height", h.Height, "err", err)
	}
	return api.NewHeaderJSON(h, c)
}
