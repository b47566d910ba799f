package p2p

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// BenchmarkTransport moves a k=256 original square's bytes (32 MiB) from
// one host to another on loopback over each transport a node listens on,
// as a full node fetches a square. cpu-ms/op is both ends' CPU: the reason
// hosts dial TCP first (preferTCP).
func BenchmarkTransport(b *testing.B) {
	const size = 32 << 20
	payload := make([]byte, size)
	for _, tr := range []struct{ name, listen string }{
		{"tcp", "/ip4/127.0.0.1/tcp/0"},
		{"quic", "/ip4/127.0.0.1/udp/0/quic-v1"},
	} {
		b.Run(tr.name, func(b *testing.B) {
			cfg := testConfig()
			cfg.ListenAddrs = []string{tr.listen}
			cfg.StreamTimeout = time.Minute
			server, client := newHost(b, cfg), newHost(b, cfg)
			p := Protocol{ID: server.ProtocolID("bulk", "v1"), MaxRequestSize: 8, MaxResponseSize: size}
			server.Handle(p, func(context.Context, peer.ID, []byte) ([]byte, error) { return payload, nil })
			ctx := context.Background()
			if err := client.Connect(ctx, server.Addrs()[0]); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			start := benchCPU(b)
			for b.Loop() {
				got, err := client.Request(ctx, server.ID(), p, []byte("go"))
				if err != nil || len(got) != size {
					b.Fatalf("%d bytes, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(benchCPU(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// benchCPU is the CPU time this process has used, user and system.
func benchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(fmt.Errorf("getrusage: %w", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
