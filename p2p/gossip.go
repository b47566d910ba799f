package p2p

import (
	"context"
	"crypto/sha256"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
)

// ValidationResult is a gossip validator's verdict. The zero value is not
// a verdict: a validator that forgets to decide ignores the message.
type ValidationResult int

const (
	// Accept delivers the message and forwards it to other peers.
	Accept ValidationResult = iota + 1
	// Ignore drops the message without blaming the sender: a header this
	// node cannot judge yet, a duplicate, an old height.
	Ignore
	// Reject drops the message and penalises the peer that sent it
	// (OffenceInvalid): only for what is provably wrong.
	Reject
)

func (r ValidationResult) pubsub() pubsub.ValidationResult {
	switch r {
	case Accept:
		return pubsub.ValidationAccept
	case Reject:
		return pubsub.ValidationReject
	}
	return pubsub.ValidationIgnore
}

// PayloadValidator judges one gossip message of a topic. from is the peer
// that forwarded it (this host's own ID for a local publication). It runs
// concurrently for different messages and must not block for long.
type PayloadValidator func(ctx context.Context, from peer.ID, data []byte) ValidationResult

// PayloadHandler receives every accepted message of a topic, one at a
// time; it must return quickly (hand work to a queue), or gossipsub drops
// messages for it. Messages this host published are not delivered to it.
type PayloadHandler func(ctx context.Context, from peer.ID, data []byte)

// HeaderTopicName is the gossip topic of a chain's headers.
func HeaderTopicName(chainID string) string { return "/tartan/" + chainID + "/headers/v1" }

// FraudTopicName is the gossip topic of a chain's fraud proofs.
func FraudTopicName(chainID string) string { return "/tartan/" + chainID + "/fraud/v1" }

// messageID identifies a gossip message by its content, so that the same
// header forwarded by several peers is one message.
func messageID(m *pb.Message) string {
	sum := sha256.Sum256(m.Data)
	return string(sum[:])
}

// Topic is a joined gossip topic carrying opaque payloads of at most
// maxSize bytes.
type Topic struct {
	h       *Host
	name    string
	maxSize int
	// validate returns the verdict and, for Reject, the offence to charge.
	validate func(ctx context.Context, from peer.ID, msg *pubsub.Message) (ValidationResult, Offence)
	handle   func(ctx context.Context, from peer.ID, msg *pubsub.Message)

	// Set by join in Run, before h.ready closes; read after waitReady.
	topic *pubsub.Topic
	sub   *pubsub.Subscription
}

// JoinTopic registers the gossip topic name (a name under /tartan/<chain>/
// such as FraudTopicName) with payloads of at most maxSize bytes, checked
// before validate sees them. validate must not be nil; handle may be nil
// for a topic this host only publishes to. Call before Run.
func (h *Host) JoinTopic(name string, maxSize int, validate PayloadValidator, handle PayloadHandler) (*Topic, error) {
	if validate == nil || maxSize <= 0 {
		return nil, fmt.Errorf("%w: topic %s needs a validator and a positive size limit", ErrConfig, name)
	}
	t := &Topic{h: h, name: name, maxSize: maxSize,
		validate: func(ctx context.Context, from peer.ID, msg *pubsub.Message) (ValidationResult, Offence) {
			return validate(ctx, from, msg.Data), OffenceInvalid
		},
	}
	if handle != nil {
		t.handle = func(ctx context.Context, from peer.ID, msg *pubsub.Message) { handle(ctx, from, msg.Data) }
	}
	return t, h.addTopic(t)
}

func (h *Host) addTopic(t *Topic) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return ErrClosed
	case h.running:
		return fmt.Errorf("%w: join topic %s before Run", ErrRunning, t.name)
	}
	for _, o := range h.topics {
		if o.name == t.name {
			return fmt.Errorf("%w: topic %s joined twice", ErrConfig, t.name)
		}
	}
	h.topics = append(h.topics, t)
	return nil
}

// Publish gossips data, after validating it as if received. It waits for
// Run to have started.
func (t *Topic) Publish(ctx context.Context, data []byte) error {
	if len(data) > t.maxSize {
		return fmt.Errorf("%w: %d bytes on topic %s, limit %d", ErrTooLarge, len(data), t.name, t.maxSize)
	}
	if err := t.h.waitReady(ctx); err != nil {
		return err
	}
	if err := t.topic.Publish(ctx, data); err != nil {
		return fmt.Errorf("p2p: publish on %s: %w", t.name, err)
	}
	return nil
}

// Peers are the peers known to subscribe to the topic.
func (t *Topic) Peers() []peer.ID {
	select {
	case <-t.h.ready:
		return t.topic.ListPeers()
	default:
		return nil
	}
}

// MeshPeers are the peers this host forwards the topic's messages to (its
// gossipsub mesh). A message received while the mesh is still empty, just
// after start, is delivered but not forwarded: sync covers that gap.
func (t *Topic) MeshPeers() []peer.ID { return t.h.mesh.peers(t.name) }

func (t *Topic) join(ps *pubsub.PubSub) error {
	self := t.h.ID()
	val := func(ctx context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		if len(msg.Data) > t.maxSize {
			t.h.Penalize(from, OffenceMalformed, fmt.Errorf("%w: %d bytes on %s", ErrTooLarge, len(msg.Data), t.name))
			return pubsub.ValidationReject
		}
		res, off := t.validate(ctx, from, msg)
		if res == Reject && from != self {
			t.h.Penalize(from, off, fmt.Errorf("gossip rejected on %s", t.name))
		}
		return res.pubsub()
	}
	if err := ps.RegisterTopicValidator(t.name, val, pubsub.WithValidatorTimeout(t.h.cfg.StreamTimeout)); err != nil {
		return fmt.Errorf("p2p: topic %s validator: %w", t.name, err)
	}
	topic, err := ps.Join(t.name)
	if err != nil {
		return fmt.Errorf("p2p: join %s: %w", t.name, err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		_ = topic.Close()
		return fmt.Errorf("p2p: subscribe %s: %w", t.name, err)
	}
	t.topic, t.sub = topic, sub
	return nil
}

func (t *Topic) leave(ps *pubsub.PubSub) {
	if t.sub != nil {
		t.sub.Cancel()
	}
	if t.topic != nil {
		_ = t.topic.Close()
	}
	_ = ps.UnregisterTopicValidator(t.name)
}

// deliver hands accepted messages to the handler until ctx ends. The
// subscription is read even without a handler, so gossipsub keeps this
// host in the topic's mesh.
func (t *Topic) deliver(ctx context.Context) {
	self := t.h.ID()
	for {
		msg, err := t.sub.Next(ctx)
		if err != nil {
			return // ctx ended or the subscription was cancelled
		}
		if t.handle == nil || msg.ReceivedFrom == self {
			continue
		}
		t.handle(ctx, msg.ReceivedFrom, msg)
	}
}

// HeaderValidator judges a decoded header: the consumer checks its
// consensus certificate (package consensus) and what needs chain state
// (current head, sequence, prev hash).
type HeaderValidator func(ctx context.Context, from peer.ID, h *da.Header) ValidationResult

// HeaderHandler receives every accepted header; see PayloadHandler.
type HeaderHandler func(ctx context.Context, from peer.ID, h *da.Header)

// HeaderTopic is the joined header topic.
type HeaderTopic struct{ t *Topic }

// JoinHeaders registers the header topic. Before validate sees a header,
// p2p checks its size (da.HeaderMaxSize), decodes it and checks its chain
// id; a header that fails is rejected and its sender penalised. validate
// must not be nil; handle may be nil (a node that only publishes). Call
// before Run.
func (h *Host) JoinHeaders(validate HeaderValidator, handle HeaderHandler) (*HeaderTopic, error) {
	if validate == nil {
		return nil, fmt.Errorf("%w: header topic needs a validator", ErrConfig)
	}
	chain := h.cfg.ChainID
	t := &Topic{h: h, name: HeaderTopicName(chain), maxSize: da.HeaderMaxSize}
	t.validate = func(ctx context.Context, from peer.ID, msg *pubsub.Message) (ValidationResult, Offence) {
		hdr := new(da.Header)
		if err := hdr.UnmarshalBinary(msg.Data); err != nil {
			return Reject, OffenceMalformed
		}
		if hdr.ChainID != chain {
			return Reject, OffenceInvalid
		}
		msg.ValidatorData = hdr
		return validate(ctx, from, hdr), OffenceInvalid
	}
	if handle != nil {
		t.handle = func(ctx context.Context, from peer.ID, msg *pubsub.Message) {
			if hdr, ok := msg.ValidatorData.(*da.Header); ok {
				handle(ctx, from, hdr)
			}
		}
	}
	return &HeaderTopic{t}, h.addTopic(t)
}

// Publish gossips hdr. It is validated locally first, as if received, so
// the publisher's own validator must accept it.
func (t *HeaderTopic) Publish(ctx context.Context, hdr *da.Header) error {
	b, err := hdr.MarshalBinary()
	if err != nil {
		return fmt.Errorf("p2p: publish header: %w", err)
	}
	return t.t.Publish(ctx, b)
}

// Peers are the peers known to subscribe to the header topic.
func (t *HeaderTopic) Peers() []peer.ID { return t.t.Peers() }

// MeshPeers are the peers this host forwards headers to; see
// Topic.MeshPeers.
func (t *HeaderTopic) MeshPeers() []peer.ID { return t.t.MeshPeers() }

// AllHeaders runs validators in order and returns the first verdict that
// is not Accept; Accept if all accept.
func AllHeaders(vs ...HeaderValidator) HeaderValidator {
	return func(ctx context.Context, from peer.ID, h *da.Header) ValidationResult {
		for _, v := range vs {
			if r := v(ctx, from, h); r != Accept {
				return r
			}
		}
		return Accept
	}
}
