package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tartan-da/tartan/da"
)

// genesisTime is the time of height 0 in test chains: height h has time
// genesisTime + h·blockTime.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const blockTime = time.Minute

// testODS is a deterministic k×k square for a height. Its shares are
// random bytes: the store neither parses nor commits to them.
func testODS(height uint64, k int) []da.Share {
	r := rand.New(rand.NewChaCha8([32]byte{byte(height), byte(height >> 8), byte(height >> 16), byte(k)}))
	ods := make([]da.Share, k*k)
	for i := range ods {
		for j := 0; j < da.ShareSize; j += 8 {
			binary.LittleEndian.PutUint64(ods[i][j:], r.Uint64())
		}
	}
	return ods
}

// testRoot stands in for the data root of ods (the store does not
// recompute data roots, so any function of the shares does).
func testRoot(ods []da.Share) [32]byte {
	h := sha256.New()
	for i := range ods {
		h.Write(ods[i][:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// testBlockHash stands in for the consensus engine's block hash: SHA-256
// over the compact fields (the store neither computes nor checks it).
func testBlockHash(h *da.Header) [32]byte {
	s := sha256.New()
	fmt.Fprintf(s, "%s|%d|%d|%x|%d|%x", h.ChainID, h.Height, h.Time.UnixNano(), h.PrevHash, h.SquareWidth, h.DataRoot)
	var out [32]byte
	s.Sum(out[:0])
	return out
}

// testCertificate stands in for the consensus evidence of the block
// blockHash; it is opaque to the store, which must keep it byte for byte.
func testCertificate(blockHash [32]byte) []byte {
	return append([]byte("test-certificate/"), blockHash[:]...)
}

// checkCertified reports whether h is as testHeader made it: its block
// hash is that of its fields and its certificate that of its block. A
// store that lost or mixed up any field or certificate byte fails it.
func checkCertified(h *da.Header) error {
	if want := testBlockHash(h); h.BlockHash != want {
		return fmt.Errorf("height %d: block hash %x, its fields hash to %x", h.Height, h.BlockHash, want)
	}
	if want := testCertificate(h.BlockHash); !bytes.Equal(h.Certificate, want) {
		return fmt.Errorf("height %d: certificate %x, want %x", h.Height, h.Certificate, want)
	}
	return nil
}

// testHeader is a header for height with the given square, with a
// stand-in block hash and certificate.
func testHeader(height uint64, k int, root [32]byte, prev [32]byte) *da.Header {
	h := &da.Header{
		ChainID:     "test",
		Height:      height,
		Time:        genesisTime.Add(time.Duration(height) * blockTime),
		PrevHash:    prev,
		SquareWidth: uint16(k),
		DataRoot:    root,
	}
	if height == 1 {
		h.PrevHash = [32]byte{}
	}
	h.BlockHash = testBlockHash(h)
	h.Certificate = testCertificate(h.BlockHash)
	return h
}

// block is one height of a test chain.
type block struct {
	header *da.Header
	ods    []da.Share
}

// testChain builds heights from..to (inclusive) with squares of width k,
// linked from prev.
func testChain(from, to uint64, k int, prev [32]byte) []block {
	var out []block
	for h := from; h <= to; h++ {
		ods := testODS(h, k)
		hd := testHeader(h, k, testRoot(ods), prev)
		prev = hd.Hash()
		out = append(out, block{hd, ods})
	}
	return out
}

func openStore(t testing.TB, dir string, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func putBlocks(t testing.TB, s *Store, blocks []block) {
	t.Helper()
	ctx := context.Background()
	for _, b := range blocks {
		if err := s.PutHeader(ctx, b.header); err != nil {
			t.Fatalf("PutHeader(%d): %v", b.header.Height, err)
		}
		if err := s.PutSquare(ctx, b.header.Height, b.header.DataRoot, b.ods); err != nil {
			t.Fatalf("PutSquare(%d): %v", b.header.Height, err)
		}
	}
}

// checkSquare reads the square of b back and compares it share by share.
func checkSquare(t testing.TB, s *Store, b block) {
	t.Helper()
	ods, root, err := s.Square(context.Background(), b.header.Height)
	if err != nil {
		t.Fatalf("Square(%d): %v", b.header.Height, err)
	}
	if root != b.header.DataRoot {
		t.Fatalf("Square(%d) data root %x, want %x", b.header.Height, root, b.header.DataRoot)
	}
	if len(ods) != len(b.ods) {
		t.Fatalf("Square(%d) has %d shares, want %d", b.header.Height, len(ods), len(b.ods))
	}
	for i := range ods {
		if ods[i] != b.ods[i] {
			t.Fatalf("Square(%d) share %d differs", b.header.Height, i)
		}
	}
	raw, root, err := s.SquareBytes(context.Background(), b.header.Height)
	if err != nil || root != b.header.DataRoot || len(raw) != len(b.ods)*da.ShareSize {
		t.Fatalf("SquareBytes(%d): %d bytes, data root %x, %v", b.header.Height, len(raw), root, err)
	}
	for i := range b.ods {
		if !bytes.Equal(raw[i*da.ShareSize:(i+1)*da.ShareSize], b.ods[i][:]) {
			t.Fatalf("SquareBytes(%d) share %d differs", b.header.Height, i)
		}
	}
}

func headHeight(t testing.TB, s *Store) uint64 {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h.Height
}
