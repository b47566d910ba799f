package node

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node/store"
	"github.com/tartan-da/tartan/p2p"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/oracle"
)

// Attestations of data roots to Ethereum (issue 11). For every range of
// Window heights (nonce n covers [(n-1)·Window+1, n·Window+1)) each
// validator with a settlement key signs the root of the range's
// Blobstream tuples, once the range is below its head, and gossips the
// signature. Every node checks what it receives against its own headers
// (the signer must be a genesis validator, the range the nonce's, the
// root the one its headers give), keeps it in the store and serves it on
// /v1/settlement, from which a relayer posts commitments holding more
// than 2/3 of the attesting power to the oracle.

// attestTopicName is the gossip topic of a chain's attestations.
func attestTopicName(chainID string) string { return "/tartan/" + chainID + "/attestations/v1" }

// attestLastKey holds the highest nonce with a stored attestation;
// attestKey(n) the attestations of nonce n, concatenated.
const attestLastKey = "attest/last"

func attestKey(nonce uint64) string { return fmt.Sprintf("attest/%020d", nonce) }

type attester struct {
	addr settlement.Address
	name string
}

type attestState struct {
	params settlement.Params
	power  map[settlement.Address]int64
	// attesters are the genesis validators with a settlement address, in
	// genesis order (the order answers list signatures in).
	attesters []attester
	total     int64
	key       *ecdsa.PrivateKey // a validator's own, nil otherwise
	topic     *p2p.Topic
	mu        sync.Mutex
	sigs      map[uint64]map[settlement.Address]settlement.Attestation
	roots     map[uint64][32]byte // tuple roots computed from local headers
	last      uint64              // highest nonce stored
	writeMu   sync.Mutex          // orders store writes of one nonce
	// pending are attestations received before this node held their
	// range's headers (a validator signs once its own head passes the
	// range; a peer may be a block behind), judged when it does.
	pending  map[uint64][][]byte
	npending int
	// syncTries counts the sync rounds that asked about a nonce.
	syncTries map[uint64]int
}

// maxPendingAttestations bounds the attestations kept for judging later.
const maxPendingAttestations = 4096

// initAttest joins the attestation topic when the genesis has settlement
// parameters, loads the stored attestations and, on a validator listed
// with a settlement address, its key.
func (n *Node) initAttest(ctx context.Context) error {
	p, ok, err := n.genesis.SettlementParams()
	if err != nil || !ok {
		return err
	}
	a := &attestState{params: p, power: map[settlement.Address]int64{},
		sigs: map[uint64]map[settlement.Address]settlement.Attestation{}, roots: map[uint64][32]byte{}, pending: map[uint64][][]byte{},
		syncTries: map[uint64]int{}}
	for _, v := range n.genesis.Validators {
		if v.SettlementAddress == "" {
			continue
		}
		addr, err := settlement.ParseAddress(v.SettlementAddress)
		if err != nil {
			return err
		}
		a.power[addr] = v.Power
		a.attesters = append(a.attesters, attester{addr, v.Name})
		a.total += v.Power
	}
	if n.cfg.Role == RoleValidator {
		key, err := LoadOrCreateSettlementKey(filepath.Join(n.dir, ConsensusDir, settlement.KeyFile))
		if err != nil {
			return err
		}
		if a.power[settlement.AddressOf(key)] > 0 {
			a.key = key
		} else {
			n.log.Warn("this validator's settlement address is not in the genesis: it does not attest", "address", settlement.AddressOf(key).Hex())
		}
	}
	n.host.ServeAttestations(settlement.AttestationSize, attestSource{a})
	if a.topic, err = n.host.JoinTopic(attestTopicName(n.genesis.ChainID), settlement.AttestationSize, n.validateAttestation, n.receiveAttestation); err != nil {
		return err
	}
	n.attest = a
	b, err := n.store.Meta(ctx, attestLastKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || len(b) != 8 {
		return fmt.Errorf("node: stored attestations: %v", err)
	}
	a.last = binary.BigEndian.Uint64(b)
	for nonce := uint64(1); nonce <= a.last; nonce++ {
		rec, err := n.store.Meta(ctx, attestKey(nonce))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("node: attestations of nonce %d: %w", nonce, err)
		}
		for ; len(rec) >= settlement.AttestationSize; rec = rec[settlement.AttestationSize:] {
			var at settlement.Attestation
			if at.UnmarshalBinary(rec[:settlement.AttestationSize]) != nil {
				continue
			}
			if signer, err := a.params.Signer(at.Commitment, at.Signature); err == nil && a.power[signer] > 0 {
				a.add(signer, at)
			}
		}
	}
	return nil
}

// add records an attestation; false when the signer's is held already.
func (a *attestState) add(signer settlement.Address, at settlement.Attestation) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.sigs[at.Nonce]
	if m == nil {
		m = map[settlement.Address]settlement.Attestation{}
		a.sigs[at.Nonce] = m
	}
	if _, ok := m[signer]; ok {
		return false
	}
	m[signer] = at
	return true
}

func (a *attestState) has(nonce uint64, signer settlement.Address) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.sigs[nonce][signer]
	return ok
}

// errRangeAhead: the range is not all below this node's head yet.
var errRangeAhead = errors.New("node: range not below the head yet")

// tuples reads the data-root tuples of nonce's range from local headers:
// errRangeAhead when the range reaches above the head, store.ErrNotFound
// when a header is not held (below a checkpoint).
func (n *Node) tuples(ctx context.Context, nonce uint64) ([]settlement.Tuple, error) {
	start, end := n.attest.params.Range(nonce)
	if local, _ := n.chain.Heights(); end-1 > local {
		return nil, errRangeAhead
	}
	out := make([]settlement.Tuple, 0, end-start)
	for h := start; h < end; h++ {
		hdr, err := n.chain.Header(ctx, h)
		if err != nil {
			return nil, err
		}
		out = append(out, settlement.Tuple{Height: h, DataRoot: hdr.DataRoot})
	}
	return out, nil
}

// tupleRoot is nonce's tuple root from local headers, cached.
func (n *Node) tupleRoot(ctx context.Context, nonce uint64) ([32]byte, error) {
	a := n.attest
	a.mu.Lock()
	root, ok := a.roots[nonce]
	a.mu.Unlock()
	if ok {
		return root, nil
	}
	ts, err := n.tuples(ctx, nonce)
	if err != nil {
		return root, err
	}
	if root, err = settlement.TupleRoot(ts); err != nil {
		return root, err
	}
	a.mu.Lock()
	a.roots[nonce] = root
	a.mu.Unlock()
	return root, nil
}

// checkAttestation decodes and judges an attestation; bad is true when
// it is provably wrong (its sender is to be penalised), false when it
// cannot be judged yet.
func (n *Node) checkAttestation(ctx context.Context, data []byte) (at settlement.Attestation, signer settlement.Address, bad bool, err error) {
	a := n.attest
	if err = at.UnmarshalBinary(data); err != nil {
		return at, signer, true, err
	}
	if start, end := a.params.Range(at.Nonce); at.Start != start || at.End != end {
		return at, signer, true, fmt.Errorf("nonce %d covers [%d, %d), not [%d, %d)", at.Nonce, start, end, at.Start, at.End)
	}
	if signer, err = a.params.Signer(at.Commitment, at.Signature); err != nil {
		return at, signer, true, err
	}
	if a.power[signer] == 0 {
		return at, signer, true, fmt.Errorf("signer %s is not an attesting validator", signer.Hex())
	}
	root, err := n.tupleRoot(ctx, at.Nonce)
	if err != nil {
		return at, signer, false, err
	}
	if root != at.TupleRoot {
		return at, signer, true, fmt.Errorf("%s signed tuple root %x for nonce %d; the headers give %x", signer.Hex(), at.TupleRoot, at.Nonce, root)
	}
	return at, signer, false, nil
}

// validateAttestation is the gossip validator: wrong attestations are
// rejected (and their sender penalised), ones this node cannot judge yet
// or holds already are ignored.
func (n *Node) validateAttestation(ctx context.Context, from peer.ID, data []byte) p2p.ValidationResult {
	at, signer, bad, err := n.checkAttestation(ctx, data)
	switch {
	case bad:
		n.log.Info("invalid attestation rejected", "from", from, "err", err)
		return p2p.Reject
	case errors.Is(err, errRangeAhead):
		n.attest.keepPending(at.Nonce, data)
		return p2p.Ignore
	case err != nil:
		return p2p.Ignore
	case n.attest.has(at.Nonce, signer):
		return p2p.Ignore
	}
	return p2p.Accept
}

// keepPending keeps an attestation to judge once its range is held.
func (a *attestState) keepPending(nonce uint64, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.npending >= maxPendingAttestations {
		return
	}
	a.pending[nonce] = append(a.pending[nonce], append([]byte(nil), data...))
	a.npending++
}

// judgePending judges the pending attestations whose range is now below
// the head.
func (n *Node) judgePending(ctx context.Context) {
	a := n.attest
	local, _ := n.chain.Heights()
	a.mu.Lock()
	var ready [][]byte
	for nonce, list := range a.pending {
		if _, end := a.params.Range(nonce); end-1 <= local {
			ready = append(ready, list...)
			a.npending -= len(list)
			delete(a.pending, nonce)
		}
	}
	a.mu.Unlock()
	for _, data := range ready {
		if at, signer, bad, err := n.checkAttestation(ctx, data); err == nil {
			n.keepAttestation(ctx, signer, at)
		} else if bad {
			n.log.Info("invalid attestation dropped", "err", err)
		}
	}
}

// receiveAttestation keeps an accepted attestation.
func (n *Node) receiveAttestation(ctx context.Context, _ peer.ID, data []byte) {
	at, signer, _, err := n.checkAttestation(ctx, data)
	if err == nil {
		n.keepAttestation(ctx, signer, at)
	}
}

// keepAttestation records and stores one attestation.
func (n *Node) keepAttestation(ctx context.Context, signer settlement.Address, at settlement.Attestation) {
	a := n.attest
	if !a.add(signer, at) {
		return
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	a.mu.Lock()
	var rec []byte
	for _, s := range a.sigs[at.Nonce] {
		b, _ := s.MarshalBinary()
		rec = append(rec, b...)
	}
	last := max(a.last, at.Nonce)
	a.last = last
	a.mu.Unlock()
	err := n.store.PutMeta(ctx, attestKey(at.Nonce), rec)
	if err == nil {
		err = n.store.PutMeta(ctx, attestLastKey, binary.BigEndian.AppendUint64(nil, last))
	}
	if err != nil {
		n.log.Warn("storing an attestation failed", "nonce", at.Nonce, "err", err)
	}
}

// attestLoop judges, as the head advances, the attestations that came
// early, and on a validator signs every range once it is below the head
// and gossips the signature; ranges it signed before a restart are found
// in the store and not signed again.
func (n *Node) attestLoop(ctx context.Context) error {
	a := n.attest
	if a == nil {
		return nil
	}
	if a.key == nil {
		for {
			changed := n.chain.Changed()
			n.judgePending(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			}
		}
	}
	self := settlement.AddressOf(a.key)
	next := uint64(1)
	if base := n.chain.Base(); base > 1 {
		// Heights below a checkpoint base are not held: start at the
		// first range that lies wholly above it.
		next = a.params.NonceOf(base)
		if start, _ := a.params.Range(next); start < base {
			next++
		}
	}
	for {
		changed := n.chain.Changed()
		n.judgePending(ctx)
		for ctx.Err() == nil {
			if a.has(next, self) {
				next++
				continue
			}
			root, err := n.tupleRoot(ctx, next)
			if errors.Is(err, errRangeAhead) {
				break
			}
			if errors.Is(err, store.ErrNotFound) {
				next++ // pruned from under us or never held: nothing to sign
				continue
			}
			if err != nil {
				n.log.Warn("attestation: cannot read the range's headers", "nonce", next, "err", err)
				break
			}
			start, end := a.params.Range(next)
			c := settlement.Commitment{Nonce: next, Start: start, End: end, TupleRoot: root}
			sig, err := a.params.Sign(a.key, c)
			if err != nil {
				return err
			}
			at := settlement.Attestation{Commitment: c, Signature: sig}
			// Published first: gossip validates it locally as if received,
			// and one already held would be ignored, not sent.
			b, _ := at.MarshalBinary()
			if err := a.topic.Publish(ctx, b); err != nil && ctx.Err() == nil {
				n.log.Warn("attestation not gossiped", "nonce", next, "err", err)
			}
			n.keepAttestation(ctx, self, at)
			n.log.Debug("attested", "nonce", next, "start", start, "end", end)
			next++
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(time.Minute):
		}
	}
}

// attestSource serves the attestations held to peers catching up.
type attestSource struct{ a *attestState }

func (s attestSource) Attestations(_ context.Context, nonce uint64) ([][]byte, error) {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	sigs, ok := s.a.sigs[nonce]
	if !ok {
		return nil, fmt.Errorf("%w: no attestations of nonce %d", p2p.ErrNotFound, nonce)
	}
	out := make([][]byte, 0, len(sigs))
	for _, at := range sigs {
		b, _ := at.MarshalBinary()
		out = append(out, b)
	}
	return out, nil
}

// Attestation sync: gossip carries an attestation once, so a node that
// was away asks peers for the ranges whose signatures it lacks.
const (
	// attestSyncEvery is the pause between rounds; attestSyncNonces how
	// many of the latest closed ranges a round looks at, and
	// attestSyncAsks how many it asks about.
	attestSyncEvery  = 5 * time.Second
	attestSyncNonces = 64
	attestSyncAsks   = 8
	attestSyncTries  = 3
)

// complete reports whether every attester's signature of nonce is held.
// Called with mu held.
func (a *attestState) complete(nonce uint64) bool { return len(a.sigs[nonce]) >= len(a.attesters) }

// attestSyncLoop runs attestation sync rounds until ctx ends.
func (n *Node) attestSyncLoop(ctx context.Context) error {
	if n.attest == nil {
		return nil
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n.syncAttestations(ctx)
		t.Reset(attestSyncEvery)
	}
}

// syncAttestations asks peers for the attestations of the latest closed
// ranges that lack a signer here; a peer that sends a wrong one is
// penalised.
func (n *Node) syncAttestations(ctx context.Context) {
	a := n.attest
	local, _ := n.chain.Heights()
	closed := a.params.NonceOf(local+1) - 1 // the ranges wholly at or below the head
	a.mu.Lock()
	for nonce := range a.syncTries {
		if nonce+attestSyncNonces <= closed {
			delete(a.syncTries, nonce)
		}
	}
	a.mu.Unlock()
	asked := 0
	for nonce := closed; nonce >= 1 && nonce+attestSyncNonces > closed && asked < attestSyncAsks && ctx.Err() == nil; nonce-- {
		if start, _ := a.params.Range(nonce); start < n.chain.Base() {
			break // not held here: nothing to check them against
		}
		a.mu.Lock()
		// A range some attester never signed (it was down) is asked
		// about a few times, not forever.
		skip := a.complete(nonce) || a.syncTries[nonce] >= attestSyncTries
		if !skip {
			a.syncTries[nonce]++
		}
		a.mu.Unlock()
		if skip {
			continue
		}
		asked++
		_ = n.fromPeers(ctx, fmt.Sprintf("the attestations of nonce %d", nonce), func(ctx context.Context, p peer.ID) error {
			ats, err := n.host.RequestAttestations(ctx, p, nonce, settlement.AttestationSize)
			if err != nil {
				return err
			}
			for _, b := range ats {
				at, signer, bad, err := n.checkAttestation(ctx, b)
				switch {
				case bad || (err == nil && at.Nonce != nonce):
					why := fmt.Errorf("attestation sync: asked for nonce %d, got nonce %d: %v", nonce, at.Nonce, err)
					n.host.Penalize(p, p2p.OffenceInvalid, why)
					return why
				case err == nil:
					n.keepAttestation(ctx, signer, at)
				}
			}
			a.mu.Lock()
			complete := a.complete(nonce)
			a.mu.Unlock()
			if !complete {
				return fmt.Errorf("%s has %d of nonce %d", p, len(ats), nonce)
			}
			return nil
		})
	}
}

// settlementService serves api.Settlement.
type settlementService struct{ n *Node }

func hex0x(b []byte) string { return "0x" + hex.EncodeToString(b) }

// rangeErr says why a nonce's range cannot be answered.
func (n *Node) rangeErr(nonce uint64, err error) error {
	start, end := n.attest.params.Range(nonce)
	switch {
	case errors.Is(err, errRangeAhead):
		if _, network := n.chain.Heights(); end-1 > network {
			return fmt.Errorf("%w: nonce %d covers heights [%d, %d), above the network head %d", api.ErrNotFound, nonce, start, end, network)
		}
		return fmt.Errorf("%w: nonce %d covers heights [%d, %d), not all held here yet", api.ErrNotYet, nonce, start, end)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: nonce %d covers heights [%d, %d), below this node's first header", api.ErrNotFound, nonce, start, end)
	}
	return err
}

func (s settlementService) Commitment(ctx context.Context, nonce uint64) (api.SettlementCommitment, error) {
	n := s.n
	a := n.attest
	root, err := n.tupleRoot(ctx, nonce)
	if err != nil {
		return api.SettlementCommitment{}, n.rangeErr(nonce, err)
	}
	start, end := a.params.Range(nonce)
	out := api.SettlementCommitment{Nonce: nonce, Start: start, End: end, TupleRoot: hex0x(root[:]),
		Attesters: []api.SettlementAttester{}, Signatures: []api.SettlementSignature{}, TotalPower: a.total}
	a.mu.Lock()
	for _, v := range a.attesters {
		out.Attesters = append(out.Attesters, api.SettlementAttester{Validator: v.name, Address: v.addr.Hex(), Power: a.power[v.addr]})
		if at, ok := a.sigs[nonce][v.addr]; ok && at.TupleRoot == root {
			out.Signatures = append(out.Signatures, api.SettlementSignature{Validator: v.name, Address: v.addr.Hex(), Signature: hex0x(at.Signature)})
			out.SignedPower += a.power[v.addr]
		}
	}
	a.mu.Unlock()
	out.Attested = 3*out.SignedPower > 2*out.TotalPower
	return out, nil
}

func (s settlementService) CommitmentAt(ctx context.Context, height uint64) (api.SettlementCommitment, error) {
	return s.Commitment(ctx, s.n.attest.params.NonceOf(height))
}

func (s settlementService) TupleProof(ctx context.Context, height uint64) (api.TupleProof, error) {
	tp, err := s.n.tupleProof(ctx, height)
	if err != nil {
		return api.TupleProof{}, err
	}
	out := api.TupleProof{Height: height, DataRoot: hex0x(tp.tuple.DataRoot[:]), Nonce: tp.nonce, TupleRoot: hex0x(tp.root[:]),
		Proof: api.BinaryMerkleJSON{SideNodes: make([]string, len(tp.proof.Aunts)), Key: uint64(tp.proof.Index), NumLeaves: uint64(tp.proof.Total)}}
	for j := range tp.proof.Aunts {
		out.Proof.SideNodes[j] = hex0x(tp.proof.Aunts[j][:])
	}
	return out, nil
}

func (s settlementService) EVMBlobProof(ctx context.Context, height uint64, k int, p *erasure.BlobProof) (api.EVMBlobProof, error) {
	tp, err := s.n.tupleProof(ctx, height)
	if errors.Is(err, api.ErrNotFound) {
		// The height is there (its blob was found): only the range
		// covering it has not closed yet.
		nonce := s.n.attest.params.NonceOf(height)
		start, end := s.n.attest.params.Range(nonce)
		err = fmt.Errorf("%w: height %d is attested with heights [%d, %d) (nonce %d), once height %d is committed", api.ErrNotYet, height, start, end, nonce, end-1)
	}
	if err != nil {
		return api.EVMBlobProof{}, err
	}
	enc, typ, err := oracle.EncodeBlobProof(oracle.NewBlobProof(p, k, tp.nonce, tp.tuple, tp.proof))
	if err != nil {
		return api.EVMBlobProof{}, err
	}
	return api.EVMBlobProof{Height: height, Nonce: tp.nonce, DataRoot: hex0x(tp.tuple.DataRoot[:]), SquareWidth: k,
		ABIType: typ, Proof: hex0x(enc)}, nil
}

// heightTuple is a height's tuple with its proof to the tuple root of the
// commitment covering it.
type heightTuple struct {
	nonce uint64
	root  [32]byte
	tuple settlement.Tuple
	proof erasure.MerkleProof
}

func (n *Node) tupleProof(ctx context.Context, height uint64) (heightTuple, error) {
	nonce := n.attest.params.NonceOf(height)
	ts, err := n.tuples(ctx, nonce)
	if err != nil {
		return heightTuple{}, n.rangeErr(nonce, err)
	}
	root, err := settlement.TupleRoot(ts)
	if err != nil {
		return heightTuple{}, err
	}
	start, _ := n.attest.params.Range(nonce)
	i := int(height - start)
	p, err := settlement.ProveTuple(ts, i)
	if err != nil {
		return heightTuple{}, err
	}
	return heightTuple{nonce: nonce, root: root, tuple: ts[i], proof: p}, nil
}
