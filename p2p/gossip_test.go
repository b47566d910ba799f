package p2p

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/tartan-da/tartan/da"
)

// headerSink records delivered headers.
type headerSink struct {
	mu   sync.Mutex // guards got
	got  []*da.Header
	recv chan *da.Header
}

func newSink() *headerSink { return &headerSink{recv: make(chan *da.Header, 64)} }

func (s *headerSink) handle(_ context.Context, _ peer.ID, h *da.Header) {
	s.mu.Lock()
	s.got = append(s.got, h)
	s.mu.Unlock()
	s.recv <- h
}

func (s *headerSink) heights() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, h := range s.got {
		out = append(out, h.Height)
	}
	return out
}

func (s *headerSink) wait(t *testing.T, want *da.Header) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-s.recv:
			if got.Hash() == want.Hash() {
				if !got.EqualFields(want) || !bytes.Equal(got.Certificate, want.Certificate) {
					t.Fatalf("header %d delivered with other fields or another certificate", got.Height)
				}
				return
			}
		case <-timeout:
			t.Fatalf("header %d not delivered within 10s", want.Height)
		}
	}
}

// gossipNet is three running hosts joined to the header topic: a is the
// bootstrap peer of b and c. Each accepts only headers certified by vs.
type gossipNet struct {
	hosts  []*Host
	topics []*HeaderTopic
	sinks  []*headerSink
	vs     validatorSet
}

func newGossipNet(t *testing.T) *gossipNet {
	t.Helper()
	g := &gossipNet{vs: 1}
	validate := AllHeaders(certifiedBy(testChain, g.vs))
	for i := range 3 {
		cfg := testConfig()
		if i > 0 {
			cfg.BootstrapPeers = bootstrapTo(g.hosts[0])
		}
		h := newHost(t, cfg)
		sink := newSink()
		topic, err := h.JoinHeaders(validate, sink.handle)
		if err != nil {
			t.Fatal(err)
		}
		g.hosts, g.topics, g.sinks = append(g.hosts, h), append(g.topics, topic), append(g.sinks, sink)
	}
	for _, h := range g.hosts {
		run(t, h)
	}
	// b and c may or may not find each other (through the DHT); what is
	// needed is that a has both in its mesh and they have a, so that a
	// header from b reaches c whether directly or forwarded by a.
	for i, topic := range g.topics {
		want := []peer.ID{g.hosts[0].ID()}
		if i == 0 {
			want = []peer.ID{g.hosts[1].ID(), g.hosts[2].ID()}
		}
		eventually(t, fmt.Sprintf("host %d has %v in its header mesh", i, want), func() bool {
			for _, p := range want {
				if !slices.Contains(topic.MeshPeers(), p) {
					return false
				}
			}
			return true
		})
	}
	return g
}

func TestHeaderGossipReachesEveryHost(t *testing.T) {
	g := newGossipNet(t)
	hs := chain(t, testChain, g.vs, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Each host publishes one header; the other two receive it, the
	// publisher does not get its own back.
	for i, h := range hs {
		if err := g.topics[i].Publish(ctx, h); err != nil {
			t.Fatal(err)
		}
		for j, sink := range g.sinks {
			if j != i {
				sink.wait(t, h)
			}
		}
	}
	for j, sink := range g.sinks {
		want := []uint64{1, 2, 3}
		want = slices.DeleteFunc(want, func(h uint64) bool { return h == uint64(j+1) })
		got := sink.heights()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("host %d received heights %v, want %v", j, got, want)
		}
	}
}

func TestHeaderPublishValidatesLocally(t *testing.T) {
	g := newGossipNet(t)
	other := chain(t, testChain, g.vs+1, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.topics[0].Publish(ctx, other); err == nil {
		t.Fatal("publishing a header certified by other validators succeeded")
	}
	if err := g.topics[0].Publish(ctx, chain(t, testChain, g.vs, 1)[0]); err != nil {
		t.Fatalf("publishing a certified header: %v", err)
	}
}

// rogue is a host speaking gossipsub on the header topic without
// validating: it sends whatever bytes the test gives it.
func rogue(t *testing.T, target *Host) (*Host, *pubsub.Topic) {
	t.Helper()
	r := newHost(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ps, err := pubsub.NewGossipSub(ctx, r.host,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(), pubsub.WithMessageIdFn(messageID),
		pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := ps.Join(HeaderTopicName(testChain))
	if err != nil {
		t.Fatal(err)
	}
	connect(t, r, target)
	eventually(t, "the rogue sees the target on the topic", func() bool {
		return slices.Contains(topic.ListPeers(), target.ID())
	})
	return r, topic
}

func TestBadHeaderGossipIsRejectedAndPenalised(t *testing.T) {
	g := newGossipNet(t)
	a := g.hosts[0]
	good := chain(t, testChain, g.vs, 2)
	badCert := *good[0]
	badCert.Certificate = slices.Clone(badCert.Certificate)
	badCert.Certificate[len(badCert.Certificate)-1] ^= 1
	// Fields changed under a valid certificate: what the node's check of
	// the certificate against the compact fields catches.
	forged := *good[0]
	forged.DataRoot[0] ^= 1
	otherChain := chain(t, "other-chain", g.vs, 1)[0]
	impostor := chain(t, testChain, g.vs+2, 1)[0]
	encode := func(h *da.Header) []byte {
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name    string
		payload []byte
		score   int
	}{
		{"bad certificate", encode(&badCert), OffenceInvalid.points()},
		{"fields not certified", encode(&forged), OffenceInvalid.points()},
		{"other chain", encode(otherChain), OffenceInvalid.points()},
		{"other validators", encode(impostor), OffenceInvalid.points()},
		{"garbage", []byte("not a header"), OffenceMalformed.points()},
		{"oversized", make([]byte, da.HeaderMaxSize+1), OffenceMalformed.points()},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, topic := rogue(t, a)
			if err := topic.Publish(ctx, c.payload); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the target penalises the rogue", func() bool { return a.Score(r.ID()) >= c.score })
			if got := a.Score(r.ID()); got != c.score {
				t.Errorf("score %d, want %d", got, c.score)
			}
			if banned := c.score >= a.cfg.BanThreshold; banned {
				eventually(t, "the banned rogue is disconnected", func() bool { return !connected(a, r.ID()) })
				if err := r.Connect(ctx, a.Addrs()[0]); err == nil {
					// The dial may complete on the rogue's side before the
					// target's gater closes it; the target must not keep it.
					eventually(t, "the target refuses the rogue", func() bool { return !connected(a, r.ID()) })
				}
			}
		})
	}
	// A good header published after all the bad ones arrives; none of the
	// bad ones was ever delivered, at a or through a to the others.
	if err := g.topics[1].Publish(ctx, good[1]); err != nil {
		t.Fatal(err)
	}
	g.sinks[0].wait(t, good[1])
	g.sinks[2].wait(t, good[1])
	for i, sink := range g.sinks {
		for _, h := range sink.got {
			if h.Hash() != good[1].Hash() {
				t.Errorf("host %d delivered an invalid header: height %d chain %q", i, h.Height, h.ChainID)
			}
		}
	}
}

func TestJoinAfterRunFails(t *testing.T) {
	h := newHost(t, testConfig())
	run(t, h)
	_, err := h.JoinHeaders(certifiedBy(testChain, 1), nil)
	if !isErr(err, ErrRunning) {
		t.Fatalf("JoinHeaders after Run: %v, want ErrRunning", err)
	}
	if err := h.Run(context.Background()); !isErr(err, ErrRunning) {
		t.Fatalf("second Run: %v, want ErrRunning", err)
	}
}

func TestPublishAfterCloseFails(t *testing.T) {
	h := newHost(t, testConfig())
	topic, err := h.JoinHeaders(func(context.Context, peer.ID, *da.Header) ValidationResult { return Accept }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	hdr := chain(t, testChain, validatorSet(1), 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := topic.Publish(ctx, hdr); !isErr(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
	if err := h.Run(ctx); !isErr(err, ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
}
