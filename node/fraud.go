package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/consensus"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/sampling"
)

// Bad-encoding fraud proofs (DESIGN.md §2, §7, §8; SPEC §13).
//
// A full node whose re-extended ODS does not reproduce a header's data
// root fetches the square as committed (the DAH, which hashes to the data
// root, and every row, each hashing to its root) and repairs it against
// the DAH. A square that is correct after all means the peer lied about
// the ODS: it is penalised and the square fetched elsewhere. A square that
// is not a codeword yields a BadEncodingProof, which the node verifies,
// stores, publishes on the fraud topic and applies.
//
// Every role joins the fraud topic. A proof is verified against the local
// header of its height; a valid one marks the height `fraud` for good
// (it wins over available and unavailable), is stored, and emits a
// `fraud` event. A proof for a height whose header is not known yet is
// kept, a few at most, until the header arrives.
//
// Persistence (meta keys of the store):
//
//	fraud/heights      the heights with a proof, 8 bytes each, ascending
//	fraud/proof/<h>    the proof (erasure.BadEncodingProof MarshalBinary)
const fraudHeightsKey = "fraud/heights"

func fraudProofKey(h uint64) string { return "fraud/proof/" + strconv.FormatUint(h, 10) }

// Bounds of the proofs kept for heights whose header is not known yet:
// how many, and how far above the network head they may claim to be.
const (
	maxPendingFraud   = 8
	pendingFraudAhead = 1000
)

// fraudState is what a node knows about fraud proofs.
type fraudState struct {
	topic *p2p.Topic

	mu      sync.Mutex
	proven  map[uint64][]byte   // height → the encoded proof held for it
	pending map[uint64][][]byte // proofs awaiting their header, unverified
	npend   int
	// pinned is the badly encoded square of a validator running the
	// bad-encoding fault: its store keeps only the ODS, which re-extends
	// to a different square.
	pinned *square
}

func newFraudState() *fraudState {
	return &fraudState{proven: map[uint64][]byte{}, pending: map[uint64][][]byte{}}
}

// fraudAt reports whether a valid fraud proof is held for height.
func (n *Node) fraudAt(height uint64) bool {
	n.fraud.mu.Lock()
	defer n.fraud.mu.Unlock()
	_, ok := n.fraud.proven[height]
	return ok
}

// fraudHeights are the heights with a proof, ascending.
func (n *Node) fraudHeights() []uint64 {
	n.fraud.mu.Lock()
	defer n.fraud.mu.Unlock()
	out := make([]uint64, 0, len(n.fraud.proven))
	for h := range n.fraud.proven {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// FraudProof returns the verified bad-encoding proof this node holds for
// height, api.ErrNotFound if none.
func (n *Node) FraudProof(height uint64) (*erasure.BadEncodingProof, error) {
	n.fraud.mu.Lock()
	b, ok := n.fraud.proven[height]
	n.fraud.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: no fraud proof for height %d", api.ErrNotFound, height)
	}
	p := new(erasure.BadEncodingProof)
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return p, nil
}

// initFraud joins the fraud topic and loads the stored proofs; New calls
// it before Run.
func (n *Node) initFraud(ctx context.Context) error {
	n.fraud = newFraudState()
	t, err := n.host.JoinTopic(p2p.FraudTopicName(n.genesis.ChainID), erasure.MaxBadEncodingProofSize, n.validateFraud, n.receiveFraud)
	if err != nil {
		return err
	}
	n.fraud.topic = t
	n.host.ServeFraud(fraudSource{n})
	b, err := n.store.Meta(ctx, fraudHeightsKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for ; len(b) >= 8; b = b[8:] {
		h := binary.BigEndian.Uint64(b)
		p, err := n.store.Meta(ctx, fraudProofKey(h))
		if errors.Is(err, store.ErrNotFound) {
			// Peers still hold it: fraud sync fetches it again.
			n.log.Warn("stored fraud proof missing", "height", h)
			continue
		}
		if err != nil {
			return fmt.Errorf("node: fraud proof of height %d: %w", h, err)
		}
		n.fraud.proven[h] = p
	}
	return nil
}

// checkFraud decodes a proof and verifies it against the local header of
// its height. It returns the proof and that header; the header is nil
// when this node does not have it yet, and the error wraps
// erasure.ErrFraudProofInvalid or erasure.ErrProofEncoding when the proof
// is wrong.
func (n *Node) checkFraud(ctx context.Context, data []byte) (*erasure.BadEncodingProof, *da.Header, error) {
	p := new(erasure.BadEncodingProof)
	if err := p.UnmarshalBinary(data); err != nil {
		return nil, nil, err
	}
	if p.Height == 0 {
		return nil, nil, fmt.Errorf("%w: height 0", erasure.ErrFraudProofInvalid)
	}
	h, err := n.chain.Header(ctx, p.Height)
	if err != nil {
		return p, nil, err
	}
	if p.HeaderHash != h.Hash() {
		return nil, nil, fmt.Errorf("%w: proof for header %x, height %d is %x here", erasure.ErrFraudProofInvalid, p.HeaderHash, p.Height, h.Hash())
	}
	if err := p.Verify(h.DataRoot, int(h.SquareWidth)); err != nil {
		return nil, nil, err
	}
	return p, h, nil
}

// validateFraud judges a gossiped proof: invalid ones are rejected (their
// sender penalised); one for a height already proven, or whose header is
// not known yet, is ignored (the latter kept until the header arrives).
func (n *Node) validateFraud(ctx context.Context, from peer.ID, data []byte) p2p.ValidationResult {
	p, h, err := n.checkFraud(ctx, data)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound) && p != nil:
		n.keepPendingFraud(p.Height, data)
		return p2p.Ignore
	case errors.Is(err, erasure.ErrFraudProofInvalid) || errors.Is(err, erasure.ErrProofEncoding):
		n.log.Info("invalid fraud proof rejected", "from", from, "err", err)
		return p2p.Reject
	default:
		return p2p.Ignore // the store failed: cannot judge
	}
	n.fraud.mu.Lock()
	held, ok := n.fraud.proven[h.Height]
	n.fraud.mu.Unlock()
	if ok && !bytes.Equal(held, data) {
		return p2p.Ignore // proven already: no need to spread another
	}
	return p2p.Accept
}

// receiveFraud applies a proof the validator accepted.
func (n *Node) receiveFraud(ctx context.Context, from peer.ID, data []byte) {
	p, h, err := n.checkFraud(ctx, data)
	if err != nil || h == nil {
		return // the header went away meanwhile (pruned): nothing to mark
	}
	n.log.Warn("fraud proof received: the validators committed to a badly encoded square", "height", h.Height, "from", from)
	n.applyFraud(ctx, p, h, data)
}

// keepPendingFraud keeps an unverified proof for a height whose header is
// not known yet, within the bounds.
func (n *Node) keepPendingFraud(height uint64, data []byte) {
	_, network := n.chain.Heights()
	if height > network+pendingFraudAhead {
		return
	}
	f := n.fraud
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.proven[height]; ok || f.npend >= maxPendingFraud {
		return
	}
	for _, d := range f.pending[height] {
		if bytes.Equal(d, data) {
			return
		}
	}
	f.pending[height] = append(f.pending[height], bytes.Clone(data))
	f.npend++
}

// checkPendingFraud verifies the kept proofs whose header is now stored
// and applies the valid ones; availLoop calls it as the chain grows.
func (n *Node) checkPendingFraud(ctx context.Context) {
	local, _ := n.chain.Heights()
	f := n.fraud
	f.mu.Lock()
	var due [][]byte
	for h, ds := range f.pending {
		if h <= local {
			due = append(due, ds...)
			f.npend -= len(ds)
			delete(f.pending, h)
		}
	}
	f.mu.Unlock()
	for _, d := range due {
		p, h, err := n.checkFraud(ctx, d)
		if err != nil || h == nil {
			if errors.Is(err, erasure.ErrFraudProofInvalid) || errors.Is(err, erasure.ErrProofEncoding) {
				n.log.Info("kept fraud proof is invalid", "err", err)
			}
			continue
		}
		n.log.Warn("kept fraud proof verified: the validators committed to a badly encoded square", "height", h.Height)
		n.applyFraud(ctx, p, h, d)
	}
}

// fraudNotice is the data of a `fraud` event.
type fraudNotice struct {
	Kind       string `json:"kind"`
	HeaderHash string `json:"header_hash"`
	Axis       string `json:"axis"`
	Index      int    `json:"index"`
}

// fraudEvent is the event that announces a proof for height.
func fraudEvent(height uint64, p *erasure.BadEncodingProof) api.Event {
	return api.Event{Type: api.EventFraud, Height: height, Data: fraudNotice{
		Kind: "bad-encoding", HeaderHash: hex.EncodeToString(p.HeaderHash[:]), Axis: p.Axis.String(), Index: p.Index,
	}}
}

// applyFraud records a verified proof for header h: stored, the height
// marked fraud in the availability state, events emitted. It reports
// whether the proof was new.
func (n *Node) applyFraud(ctx context.Context, p *erasure.BadEncodingProof, h *da.Header, data []byte) bool {
	f := n.fraud
	f.mu.Lock()
	if _, ok := f.proven[h.Height]; ok {
		f.mu.Unlock()
		return false
	}
	f.proven[h.Height] = bytes.Clone(data)
	heights := make([]byte, 0, 8*len(f.proven))
	for _, x := range slicesSortedKeys(f.proven) {
		heights = binary.BigEndian.AppendUint64(heights, x)
	}
	// Stored under the lock, so two proofs' height lists do not race.
	err := n.store.PutMeta(ctx, fraudProofKey(h.Height), data)
	if err == nil {
		err = n.store.PutMeta(ctx, fraudHeightsKey, heights)
	}
	f.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		n.log.Error("storing a fraud proof", "height", h.Height, "err", err)
	}
	now := time.Now()
	local, _ := n.chain.Heights()
	if s := n.sampler; s != nil {
		s.mu.Lock()
		s.sched.SetHead(max(local, h.Height))
		_ = s.sched.Fraud(h.Height)
		s.updated[h.Height] = now
		s.mu.Unlock()
		if err := n.putVerdict(ctx, h.Height, sampling.StatusFraud, now); err != nil && ctx.Err() == nil {
			n.log.Warn("storing a fraud verdict", "height", h.Height, "err", err)
		}
		select {
		case s.done <- struct{}{}:
		default:
		}
	} else if t := n.tracker; t != nil {
		t.mu.Lock()
		if h.Height < t.next { // judged already; later heights are judged by trackSquares
			_ = t.sched.Fraud(h.Height)
			t.updated[h.Height] = now
		}
		t.mu.Unlock()
	}
	n.events.add(fraudEvent(h.Height, p))
	if av, err := n.availability(ctx, h.Height); err == nil {
		n.events.add(api.Event{Type: api.EventAvailability, Height: h.Height, Data: av})
	}
	return true
}

func slicesSortedKeys(m map[uint64][]byte) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// applyStoredFraud marks the heights with a stored proof in the light
// node's scheduler, after restore fed it the stored verdicts (a height
// may have been stored available before its proof came).
func (s *sampler) applyStoredFraud() {
	hs := s.n.fraudHeights()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hs {
		_ = s.sched.Fraud(h) // heights below the floor are pruned: nothing to mark
	}
}

// errNotEncoded: a square's cells as committed are no codeword; a proof
// is held for it.
var errNotEncoded = errors.New("node: the square is badly encoded (fraud proof held)")

// judgeSquare is called when peer p's ODS does not reproduce h's data
// root. It fetches the square as committed (from p first, then from the
// other peers) and repairs it against the DAH: a square that is correct
// after all means p's ODS was a lie (p is penalised, an error returned so
// the square is fetched elsewhere); a badly encoded one yields a proof,
// applied and published, and errNotEncoded. When no peer serves the
// committed square, nothing is decided and the error says so.
func (n *Node) judgeSquare(ctx context.Context, h *da.Header, p peer.ID, odsErr error) error {
	var (
		part *erasure.PartialEDS
		dah  *erasure.DAH
	)
	peers := append([]peer.ID{p}, slices.DeleteFunc(n.peersInRandomOrder(), func(q peer.ID) bool { return q == p })...)
	err := fmt.Errorf("%w: no peer serves square %d as committed", api.ErrUnavailable, h.Height)
	for _, q := range peers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var e error
		if part, dah, e = n.committedSquare(ctx, h, q); e == nil {
			break
		}
		err = fmt.Errorf("%w; committed square from %s: %w", odsErr, q, e)
	}
	if part == nil {
		return err
	}
	rerr := part.Repair(dah)
	var berr *erasure.ByzantineError
	switch {
	case rerr == nil:
		// The committed square is a codeword hashing to the data root:
		// the ODS p sent was not its first quadrant.
		n.host.Penalize(p, p2p.OffenceInvalid, odsErr)
		return odsErr
	case !errors.As(rerr, &berr):
		return fmt.Errorf("judging square %d: %w", h.Height, rerr)
	}
	return n.proveBadEncoding(ctx, h, part, dah, berr)
}

// proveBadEncoding turns the bad axis Repair found in part, whose cells
// were all proved against dah, into a fraud proof, applies and publishes
// it, and returns errNotEncoded.
func (n *Node) proveBadEncoding(ctx context.Context, h *da.Header, part *erasure.PartialEDS, dah *erasure.DAH, berr *erasure.ByzantineError) error {
	proof, err := erasure.NewBadEncodingProof(berr, part, dah, h.Height, h.Hash())
	if err != nil {
		return fmt.Errorf("square %d: %w; no fraud proof from the cells held: %v", h.Height, berr, err)
	}
	data, err := proof.MarshalBinary()
	if err != nil {
		return err
	}
	n.log.Warn("badly encoded square: fraud proof built", "height", h.Height, "axis", proof.Axis, "index", proof.Index, "reason", berr.Reason)
	if n.applyFraud(ctx, proof, h, data) {
		n.publishFraud(ctx, h.Height, data)
	}
	return errNotEncoded
}

// committedSquare fetches h's square as committed from peer q: the DAH,
// checked against the data root, and every row, each checked against its
// root. Answers that do not verify penalise q; a peer that lacks them
// (p2p.ErrNotFound) is not.
func (n *Node) committedSquare(ctx context.Context, h *da.Header, q peer.ID) (*erasure.PartialEDS, *erasure.DAH, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	k := int(h.SquareWidth)
	dah, err := n.host.RequestDAH(ctx, q, h.Height, k)
	if err != nil {
		return nil, nil, err
	}
	if dah.DataRoot() != h.DataRoot {
		err := fmt.Errorf("%w: DAH of height %d does not hash to the data root", ErrBadSquare, h.Height)
		n.host.Penalize(q, p2p.OffenceInvalid, err)
		return nil, nil, err
	}
	part, err := erasure.NewPartialEDS(k)
	if err != nil {
		return nil, nil, err
	}
	hasher := da.NewNMTHasher()
	per := p2p.MaxRowsPerRequest(k)
	for first := 0; first < 2*k; first += per {
		count := min(per, 2*k-first)
		cells, err := n.host.RequestRows(ctx, q, h.Height, k, first, count)
		if err != nil {
			return nil, nil, err
		}
		for r := range count {
			row := cells[r*2*k : (r+1)*2*k]
			root, err := erasure.AxisRoot(hasher, k, erasure.Row, first+r, row)
			if err != nil || root != dah.RowRoots[first+r] {
				err := fmt.Errorf("%w: row %d of height %d does not hash to its root", ErrBadSquare, first+r, h.Height)
				n.host.Penalize(q, p2p.OffenceInvalid, err)
				return nil, nil, err
			}
			for c := range row {
				if err := part.Set(first+r, c, &row[c]); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	return part, dah, nil
}

// publishFraud gossips a proof this node built.
func (n *Node) publishFraud(ctx context.Context, height uint64, data []byte) {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.fraud.topic.Publish(pctx, data); err != nil && ctx.Err() == nil {
		n.log.Warn("fraud proof not gossiped", "height", height, "err", err)
	}
}

// --- the validators' bad-encoding fault (devnet only) ---

// corruptsAt reports whether this validator committed to a badly encoded
// square at height (Options.BadEncoding; the App corrupts it).
func (n *Node) corruptsAt(height uint64) bool {
	return n.cfg.Role == RoleValidator && n.opts.BadEncoding != 0 && height == n.opts.BadEncoding
}

// faultySquare is the badly encoded square a validator with the fault
// committed to at h: pinned in memory, or rebuilt from the stored ODS the
// same way (after a restart), and checked against h's data root. The
// caller must release it.
func (n *Node) faultySquare(ctx context.Context, h *da.Header) (*square, error) {
	f := n.fraud
	f.mu.Lock()
	sq := f.pinned
	if sq != nil && sq.height == h.Height {
		sq.hold()
		f.mu.Unlock()
		return sq, nil
	}
	f.mu.Unlock()
	ods, _, err := n.store.Square(ctx, h.Height)
	if err != nil {
		return nil, err
	}
	eds, err := erasure.Extend(ods)
	if err != nil {
		return nil, err
	}
	consensus.CorruptEDS(eds)
	dah, err := erasure.Commit(eds)
	if err != nil {
		return nil, err
	}
	if dah.DataRoot() != h.DataRoot {
		return nil, fmt.Errorf("%w: height %d rebuilt with the bad-encoding fault", ErrBadSquare, h.Height)
	}
	if sq, err = fromEDS(h.Height, eds, dah); err != nil {
		return nil, err
	}
	n.pinFaulty(sq)
	sq.hold()
	return sq, nil
}

// pinFaulty keeps the validator's badly encoded square in memory, held
// while pinned (the cache may hold it too).
func (n *Node) pinFaulty(sq *square) {
	f := n.fraud
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pinned != nil {
		f.pinned.release()
	}
	sq.hold()
	f.pinned = sq
}

// --- serving squares as committed (p2p.RowSource) ---

func (s squareSource) DAH(ctx context.Context, height uint64) (*erasure.DAH, error) {
	sq, err := s.whole(ctx, height)
	if err != nil {
		return nil, err
	}
	sq.release() // the DAH is not the square's memory
	return sq.dah, nil
}

func (s squareSource) Rows(ctx context.Context, height uint64, first, count int) (int, []da.Share, error) {
	sq, err := s.whole(ctx, height)
	if err != nil {
		return 0, nil, err
	}
	defer sq.release()
	k := sq.eds.Width()
	if first+count > 2*k {
		return 0, nil, fmt.Errorf("%w: rows [%d,%d) of a %d-row square", p2p.ErrMalformed, first, first+count, 2*k)
	}
	// A copy: the square's memory may be reused once released.
	return k, slices.Clone(sq.eds.Shares()[first*2*k : (first+count)*2*k]), nil
}

// --- catching up on proofs gossiped while this node was away ---

// fraudSource serves the proofs this node holds (p2p.FraudSource).
type fraudSource struct{ n *Node }

func (s fraudSource) FraudHeights(_ context.Context, from uint64, limit int) ([]uint64, error) {
	hs := s.n.fraudHeights()
	i, _ := slices.BinarySearch(hs, from)
	hs = hs[i:]
	return hs[:min(len(hs), limit)], nil
}

func (s fraudSource) FraudProof(_ context.Context, height uint64) ([]byte, error) {
	s.n.fraud.mu.Lock()
	defer s.n.fraud.mu.Unlock()
	b, ok := s.n.fraud.proven[height]
	if !ok {
		return nil, fmt.Errorf("%w: no fraud proof for height %d", p2p.ErrNotFound, height)
	}
	return b, nil
}

// How often a node asks peers for the proofs it may have missed: soon
// after start (retrying until some peer answers), then now and then.
const (
	fraudSyncFirst = time.Second
	fraudSyncEvery = 30 * time.Second
	// fraudSyncPeers is how many peers are asked per round, and
	// fraudSyncFetches how many proofs at most are fetched from each.
	fraudSyncPeers   = 3
	fraudSyncFetches = 16
)

// fraudSyncLoop fetches from peers the proofs this node lacks (every
// role): a proof is gossiped once, when built, so a node that was down,
// joined later or caught up since would otherwise never see it.
func (n *Node) fraudSyncLoop(ctx context.Context) error {
	t := time.NewTimer(fraudSyncFirst)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n.syncFraud(ctx) {
			t.Reset(fraudSyncEvery)
		} else {
			t.Reset(2 * fraudSyncFirst)
		}
	}
}

// syncFraud asks a few peers which heights have a proof and fetches those
// it lacks; it reports whether any peer answered.
func (n *Node) syncFraud(ctx context.Context) bool {
	answered := false
	peers := n.peersInRandomOrder()
	for _, p := range peers[:min(len(peers), fraudSyncPeers)] {
		if ctx.Err() != nil {
			return answered
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		hs, err := n.host.RequestFraudHeights(rctx, p, 1)
		if err == nil {
			answered = true
			n.fetchFraud(rctx, p, hs)
		}
		cancel()
	}
	return answered
}

// fetchFraud fetches from p the proofs of heights it listed that this
// node lacks, verifies them and applies the valid ones; an invalid one
// penalises p.
func (n *Node) fetchFraud(ctx context.Context, p peer.ID, heights []uint64) {
	_, network := n.chain.Heights()
	fetched := 0
	for _, h := range heights {
		if fetched == fraudSyncFetches || ctx.Err() != nil || h > network+pendingFraudAhead {
			return
		}
		if n.fraudAt(h) {
			continue
		}
		fetched++
		data, err := n.host.RequestFraudProof(ctx, p, h)
		if err != nil {
			continue
		}
		proof, hd, err := n.checkFraud(ctx, data)
		switch {
		case proof != nil && proof.Height != h:
			n.host.Penalize(p, p2p.OffenceInvalid, fmt.Errorf("asked for the fraud proof of height %d, got height %d", h, proof.Height))
			return
		case err == nil && hd != nil:
			n.log.Warn("fraud proof fetched: the validators committed to a badly encoded square", "height", h, "from", p)
			n.applyFraud(ctx, proof, hd, data)
		case errors.Is(err, store.ErrNotFound) && proof != nil:
			n.keepPendingFraud(h, data)
		case errors.Is(err, erasure.ErrFraudProofInvalid) || errors.Is(err, erasure.ErrProofEncoding):
			n.host.Penalize(p, p2p.OffenceInvalid, err)
			return
		}
	}
}
