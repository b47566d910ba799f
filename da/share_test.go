package da_test

import (
	"errors"
	"testing"

	"github.com/tartan-da/tartan/da"
)

func TestInfoByte(t *testing.T) {
	// Examples from SPEC §3.1.
	for _, c := range []struct {
		version uint8
		start   bool
		want    byte
	}{
		{0, true, 0x01}, {0, false, 0x00}, {1, true, 0x03}, {1, false, 0x02}, {2, true, 0x05}, {127, true, 0xFF},
	} {
		got, err := da.InfoByte(c.version, c.start)
		if err != nil || got != c.want {
			t.Errorf("InfoByte(%d, %v) = %#x, %v; want %#x", c.version, c.start, got, err, c.want)
		}
	}
	if _, err := da.InfoByte(128, false); !errors.Is(err, da.ErrShareVersion) {
		t.Errorf("version 128: %v", err)
	}
}

func TestShareFromBytesAndAccessors(t *testing.T) {
	for _, n := range []int{0, 1, 511, 513, 1024} {
		if _, err := da.ShareFromBytes(make([]byte, n)); !errors.Is(err, da.ErrShareLength) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	ns := testNS(t, 0x44)
	raw := make([]byte, da.ShareSize)
	copy(raw, ns[:])
	raw[29] = 0x03 // v1 start
	raw[30], raw[31], raw[32], raw[33] = 0x01, 0x02, 0x03, 0x04
	s, err := da.ShareFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[40] = 0xEE // the share is a copy
	if s.Namespace() != ns || s.InfoByte() != 0x03 || s.Version() != 1 || !s.IsSequenceStart() ||
		s.SequenceLen() != 0x01020304 || s.IsPadding() || s.IsCompact() || s[40] != 0 {
		t.Fatalf("accessors wrong on %x", s[:34])
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s[29] = 3 << 1
	if err := s.Validate(); !errors.Is(err, da.ErrShareVersion) {
		t.Fatalf("share version 3: %v", err)
	}
	s[29] = 1
	s[0] = 9
	if err := s.Validate(); !errors.Is(err, da.ErrNamespaceVersion) {
		t.Fatalf("namespace version 9: %v", err)
	}
}

func TestPaddingShares(t *testing.T) {
	ns := testNS(t, 0x55)
	p := da.PaddingShare(ns, 1)
	if p.Namespace() != ns || p.InfoByte() != 0x03 || p.SequenceLen() != 0 || !p.IsPadding() {
		t.Fatalf("namespace padding %x", p[:34])
	}
	for _, b := range p[34:] {
		if b != 0 {
			t.Fatal("padding share has non-zero payload")
		}
	}
	tail := da.TailPaddingShare()
	// SPEC §9: FF×28 ‖ FE ‖ 01 ‖ 00000000 ‖ 00×478.
	want := make([]byte, da.ShareSize)
	for i := range 28 {
		want[i] = 0xFF
	}
	want[28], want[29] = 0xFE, 0x01
	if string(tail[:]) != string(want) || !tail.IsPadding() {
		t.Fatalf("tail padding share %x", tail[:34])
	}
	// A continuation share is never padding by its header alone; a share in
	// a padding namespace always is.
	var cont da.Share
	copy(cont[:], ns[:])
	if cont.IsPadding() {
		t.Fatal("continuation share taken for padding")
	}
	copy(cont[:], da.PrimaryReservedPaddingNamespace[:])
	if !cont.IsPadding() {
		t.Fatal("primary reserved padding namespace not taken for padding")
	}
	var start da.Share
	copy(start[:], ns[:])
	start[29], start[33] = 1, 1
	if start.IsPadding() {
		t.Fatal("start share of length 1 taken for padding")
	}
}
