package consensus

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// frame encodes the header layout around parts given as bytes, so tests
// can put bytes there that Marshal would never write.
func frame(version byte, signed, vals, dataTx []byte, total, index uint32, aunts [][]byte) []byte {
	b := []byte{version}
	b = binary.BigEndian.AppendUint32(b, uint32(len(signed)))
	b = append(b, signed...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vals)))
	b = append(b, vals...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(dataTx)))
	b = append(b, dataTx...)
	b = binary.BigEndian.AppendUint32(b, total)
	b = binary.BigEndian.AppendUint32(b, index)
	b = append(b, byte(len(aunts)))
	for _, a := range aunts {
		b = append(b, a...)
	}
	return b
}

// protoParts are h's signed header and validator set protobuf.
func protoParts(t *testing.T, h *Header) (signed, vals []byte) {
	t.Helper()
	signed, err := h.Signed.ToProto().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if h.Validators != nil {
		vp, err := h.Validators.ToProto()
		if err != nil {
			t.Fatal(err)
		}
		if vals, err = vp.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
	return signed, vals
}

func mustMarshal(t testing.TB, h *Header) []byte {
	t.Helper()
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHeaderRoundTrip(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a)
	if bs[0].h.Validators == nil || bs[1].h.Validators != nil {
		t.Fatal("want height 1 with its validator set and height 2 without")
	}
	var decoded []*Header
	for _, b := range bs {
		enc := mustMarshal(t, b.h)
		// The frame around CometBFT's own encodings is as documented.
		signed, vals := protoParts(t, b.h)
		p := b.h.DataProof
		if want := frame(1, signed, vals, b.h.DataTx, uint32(p.Total), uint32(p.Index), p.Aunts); !bytes.Equal(enc, want) {
			t.Fatalf("height %d encodes to\n%x\nwant\n%x", b.block.Height, enc, want)
		}
		kept := bytes.Clone(enc)
		h, err := UnmarshalHeader(enc)
		if err != nil {
			t.Fatalf("height %d: %v", b.block.Height, err)
		}
		clear(enc) // the decoded header must not share the input
		if got := mustMarshal(t, h); !bytes.Equal(got, kept) {
			t.Fatalf("height %d re-encodes differently", b.block.Height)
		}
		switch {
		case !bytes.Equal(h.Signed.Hash(), b.id.Hash):
			t.Errorf("height %d: block hash %X, want %X", b.block.Height, h.Signed.Hash(), b.id.Hash)
		case !bytes.Equal(h.Signed.Commit.Hash(), b.h.Signed.Commit.Hash()):
			t.Errorf("height %d: commit differs", b.block.Height)
		case (h.Validators == nil) != (b.h.Validators == nil) ||
			h.Validators != nil && !bytes.Equal(h.Validators.Hash(), b.h.Validators.Hash()):
			t.Errorf("height %d: validators %v, want %v", b.block.Height, h.Validators, b.h.Validators)
		case !bytes.Equal(h.DataTx, b.h.DataTx):
			t.Errorf("height %d: tx[0] %x, want %x", b.block.Height, h.DataTx, b.h.DataTx)
		case h.DataProof.Total != p.Total || h.DataProof.Index != p.Index ||
			!bytes.Equal(h.DataProof.LeafHash, p.LeafHash) || !slices.EqualFunc(h.DataProof.Aunts, p.Aunts, bytes.Equal):
			t.Errorf("height %d: proof %+v, want %+v", b.block.Height, h.DataProof, p)
		}
		decoded = append(decoded, h)
	}
	// What was decoded verifies as the original does.
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)
	if err := cfg.VerifyFirst(bs[0].vals, decoded[0], now); err != nil {
		t.Fatalf("decoded height 1: %v", err)
	}
	if _, err := cfg.Verify(decoded[0], decoded[0].Validators, decoded[1], now); err != nil {
		t.Fatalf("decoded height 2: %v", err)
	}
}

func TestUnmarshalHeaderRejects(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	h := chain(t, testChainID, a)[0].h
	enc := mustMarshal(t, h)
	signed, vals := protoParts(t, h)
	p := h.DataProof
	build := func(signed, vals []byte) []byte {
		return frame(1, signed, vals, h.DataTx, uint32(p.Total), uint32(p.Index), p.Aunts)
	}
	if _, err := UnmarshalHeader(build(signed, vals)); err != nil {
		t.Fatalf("the unchanged parts: %v", err)
	}
	protoOf := func(change func(*cmtproto.SignedHeader, *cmtproto.ValidatorSet)) []byte {
		sp := h.Signed.ToProto()
		vp, err := h.Validators.ToProto()
		if err != nil {
			t.Fatal(err)
		}
		change(sp, vp)
		s, err := sp.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		v, err := vp.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return build(s, v)
	}
	hugeLength := bytes.Clone(enc)
	binary.BigEndian.PutUint32(hugeLength[1:], math.MaxUint32)
	cases := map[string][]byte{
		"empty":                        nil,
		"version 2":                    append([]byte{2}, enc[1:]...),
		"trailing byte":                append(bytes.Clone(enc), 0),
		"over the size limit":          append(bytes.Clone(enc), make([]byte, MaxHeaderSize)...),
		"signed header length 2³²−1":   hugeLength,
		"signed header not protobuf":   build([]byte{0xff, 0xff, 0xff, 0xff}, vals),
		"signed header empty":          build(nil, vals),
		"validator set not protobuf":   build(signed, []byte{0x0a, 0xff}),
		"101 aunts":                    frame(1, signed, vals, h.DataTx, 1<<20, 0, slices.Repeat([][]byte{make([]byte, 32)}, merkle.MaxAunts+1)),
		"header without commit":        protoOf(func(s *cmtproto.SignedHeader, _ *cmtproto.ValidatorSet) { s.Commit = nil }),
		"commit without header":        protoOf(func(s *cmtproto.SignedHeader, _ *cmtproto.ValidatorSet) { s.Header = nil }),
		"data hash of 31 bytes":        protoOf(func(s *cmtproto.SignedHeader, _ *cmtproto.ValidatorSet) { s.Header.DataHash = make([]byte, 31) }),
		"commit for a nil block":       protoOf(func(s *cmtproto.SignedHeader, _ *cmtproto.ValidatorSet) { s.Commit.BlockID = cmtproto.BlockID{} }),
		"validator set without set":    protoOf(func(_ *cmtproto.SignedHeader, v *cmtproto.ValidatorSet) { v.Validators = nil }),
		"validator address not of key": protoOf(func(_ *cmtproto.SignedHeader, v *cmtproto.ValidatorSet) { v.Validators[1].Address = make([]byte, 20) }),
		"negative voting power":        protoOf(func(_ *cmtproto.SignedHeader, v *cmtproto.ValidatorSet) { v.Validators[1].VotingPower = -1 }),
	}
	for name, b := range cases {
		if _, err := UnmarshalHeader(b); !errors.Is(err, ErrHeaderMalformed) {
			t.Errorf("%s: err %v, want ErrHeaderMalformed", name, err)
		}
	}
	// Every strict prefix is short somewhere.
	for n := range len(enc) {
		if _, err := UnmarshalHeader(enc[:n]); !errors.Is(err, ErrHeaderMalformed) {
			t.Fatalf("%d of %d bytes: err %v, want ErrHeaderMalformed", n, len(enc), err)
		}
	}
}

func TestMarshalRejects(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	h := chain(t, testChainID, a)[0].h
	for name, change := range map[string]func(*Header){
		"no signed header":     func(h *Header) { h.Signed = nil },
		"no commit":            func(h *Header) { h.Signed = &types.SignedHeader{Header: h.Signed.Header} },
		"empty validator set":  func(h *Header) { h.Validators = &types.ValidatorSet{} },
		"tx[0] of 64 KiB":      func(h *Header) { h.DataTx = make([]byte, 1<<16) },
		"negative proof index": func(h *Header) { h.DataProof.Index = -1 },
		"proof total 2³²":      func(h *Header) { h.DataProof.Total = 1 << 32 },
		"aunt of 31 bytes":     func(h *Header) { h.DataProof.Aunts = [][]byte{make([]byte, 31)} },
		"101 aunts":            func(h *Header) { h.DataProof.Aunts = slices.Repeat([][]byte{make([]byte, 32)}, merkle.MaxAunts+1) },
	} {
		c := *h
		change(&c)
		if _, err := c.Marshal(); !errors.Is(err, ErrHeaderMalformed) {
			t.Errorf("%s: err %v, want ErrHeaderMalformed", name, err)
		}
	}
}

func TestNewHeader(t *testing.T) {
	a := newValidators(10)
	b := chain(t, testChainID, a)[0]
	sh := b.h.Signed
	if _, err := NewHeader(nil, nil, b.txs); !errors.Is(err, ErrHeaderMalformed) {
		t.Errorf("nil signed header: %v", err)
	}
	if _, err := NewHeader(sh, nil, nil); !errors.Is(err, ErrDataProof) {
		t.Errorf("no transactions: %v", err)
	}
	if _, err := NewHeader(sh, nil, b.txs[:7]); !errors.Is(err, ErrDataProof) {
		t.Errorf("transactions that are not the block's: %v", err)
	}
	txs := slices.Clone(b.txs)
	txs[0] = bytes.Clone(txs[0])
	h, err := NewHeader(sh, nil, txs)
	if err != nil {
		t.Fatal(err)
	}
	clear(txs[0])
	if err := h.ValidateBasic(testChainID); err != nil {
		t.Fatalf("after the caller reused tx[0]: %v", err)
	}
}

func TestHeaderFields(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a)
	for i, b := range bs {
		f := b.h.Fields()
		var prev [32]byte
		if i > 0 {
			prev = [32]byte(bs[i-1].id.Hash)
		}
		want := CompactFields{
			ChainID:     testChainID,
			Height:      uint64(i + 1),
			Time:        genesisTime.Add(time.Duration(i) * time.Second),
			PrevHash:    prev,
			BlockHash:   [32]byte(b.id.Hash),
			SquareWidth: 4,
			DataRoot:    sha256.Sum256(fmt.Appendf(nil, "root %d", i+1)),
		}
		if f != want {
			t.Errorf("height %d: fields\n%+v\nwant\n%+v", i+1, f, want)
		}
		if c, err := b.h.Commitment(); err != nil || c.SquareWidth != f.SquareWidth || c.DataRoot != f.DataRoot {
			t.Errorf("height %d: commitment %+v, %v", i+1, c, err)
		}
	}
}

// The certificate a Tartan header carries, with 4 validators and 8
// transactions: the plan allows 2 kB per height.
func TestHeaderSize(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a)
	// Height 2, as the chain carries it (its set is height 1's) and as it
	// would be after a validator change.
	without, with := mustMarshal(t, bs[1].h), mustMarshal(t, withVals(bs[1].h, bs[1].vals))
	signed, vals := protoParts(t, withVals(bs[1].h, bs[1].vals))
	hdr, err := bs[1].h.Signed.Header.ToProto().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	commit, err := bs[1].h.Signed.Commit.ToProto().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 validators, 8 txs: %d bytes with the validator set, %d without", len(with), len(without))
	t.Logf("parts: signed header %d (header %d, commit %d), validator set %d, tx[0] %d, proof %d (%d aunts)",
		len(signed), len(hdr), len(commit), len(vals), len(bs[1].h.DataTx),
		9+32*len(bs[1].h.DataProof.Aunts), len(bs[1].h.DataProof.Aunts))
	if len(with) > 2048 {
		t.Errorf("%d bytes for a height with a validator change, budget 2048", len(with))
	}
}

func FuzzUnmarshalHeader(f *testing.F) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(f, testChainID, a, a)
	for _, b := range bs {
		enc := mustMarshal(f, b.h)
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	f.Add([]byte{1})
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := UnmarshalHeader(b)
		if err != nil {
			if !errors.Is(err, ErrHeaderMalformed) {
				t.Fatalf("error %v does not wrap ErrHeaderMalformed", err)
			}
			return
		}
		// What decodes re-encodes, and the re-encoding is a fixed point.
		enc, err := h.Marshal()
		if err != nil {
			t.Fatalf("decoded header does not encode: %v", err)
		}
		h2, err := UnmarshalHeader(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !bytes.Equal(mustMarshal(t, h2), enc) {
			t.Fatal("re-encoding is not stable")
		}
		// Nothing a peer sends makes the checks panic.
		if h.ValidateBasic(testChainID) == nil {
			_ = h.Fields()
		}
		_, _ = cfg.Verify(bs[0].h, bs[0].vals, h, now)
		_ = cfg.VerifyFirst(bs[0].vals, h, now)
	})
}
