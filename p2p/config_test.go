package p2p

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	const peerAddr = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
	cases := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"default", func(*Config) {}, true},
		{"bootstrap peer", func(c *Config) { c.BootstrapPeers = []string{peerAddr} }, true},
		{"light node", func(c *Config) { c.DHTMode = DHTClient }, true},
		{"no chain id", func(c *Config) { c.ChainID = "" }, false},
		{"slash in chain id", func(c *Config) { c.ChainID = "a/b" }, false},
		{"space in chain id", func(c *Config) { c.ChainID = "a b" }, false},
		{"long chain id", func(c *Config) { c.ChainID = strings.Repeat("x", 65) }, false},
		{"no listen address", func(c *Config) { c.ListenAddrs = nil }, false},
		{"bad listen address", func(c *Config) { c.ListenAddrs = []string{"127.0.0.1:80"} }, false},
		{"bootstrap without peer id", func(c *Config) { c.BootstrapPeers = []string{"/ip4/127.0.0.1/tcp/4001"} }, false},
		{"no DHT mode", func(c *Config) { c.DHTMode = 0 }, false},
		{"zero connections", func(c *Config) { c.Resources.Conns = 0 }, false},
		{"little memory", func(c *Config) { c.Resources.Memory = 1 << 20 }, false},
		{"watermarks inverted", func(c *Config) { c.ConnLow, c.ConnHigh = 10, 5 }, false},
		{"high watermark over the limit", func(c *Config) { c.ConnHigh = c.Resources.Conns }, false},
		{"no stream timeout", func(c *Config) { c.StreamTimeout = 0 }, false},
		{"no concurrency", func(c *Config) { c.MaxConcurrentRequests = 0 }, false},
		{"header range over the protocol max", func(c *Config) { c.MaxHeaderRange = HeaderRangeMaxCount + 1 }, false},
		{"no ban threshold", func(c *Config) { c.BanThreshold = 0 }, false},
		{"no ban duration", func(c *Config) { c.BanDuration = 0 }, false},
		{"no discovery interval", func(c *Config) { c.DiscoveryInterval = -time.Second }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.mutate(&cfg)
			err := cfg.Validate()
			if c.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !c.ok && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v, want ErrConfig", err)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ChainID = ""
	if _, err := New(cfg, nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("New: %v, want ErrConfig", err)
	}
	if _, err := New(DefaultConfig(), nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("New without a key: %v, want ErrConfig", err)
	}
}
