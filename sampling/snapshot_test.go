package sampling

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func snapshotOf(t testing.TB, k int, cells []Cell, verify ...Cell) []byte {
	s, err := NewSession(0x0102030405060708, k, cells, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range verify {
		if err := s.Verified(c); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The layout of §"persisted form" in snapshot.go, byte for byte.
func TestSnapshotLayout(t *testing.T) {
	cells := []Cell{{0, 1}, {2, 3}, {0, 0}, {7, 0}, {1, 5}, {3, 3}, {4, 4}, {5, 5}, {6, 6}}
	got := snapshotOf(t, 4, cells, Cell{0, 0}, Cell{7, 0})
	want := []byte{
		1, 0, // version, flags
		1, 2, 3, 4, 5, 6, 7, 8, // height
		0, 4, // k
		0, 0, 0, 9, // count
		0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 5, 0, 2, 0, 3, 0, 3, 0, 3, // sorted cells
		0, 4, 0, 4, 0, 5, 0, 5, 0, 6, 0, 6, 0, 7, 0, 0,
		0b00000001, 0b00000001, // (0,0) is cell 0, (7,0) is cell 8
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("snapshot\n got %v\nwant %v", got, want)
	}
	empty, _ := NewEmptySession(3).MarshalBinary()
	if want := []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0}; !bytes.Equal(empty, want) {
		t.Fatalf("empty snapshot %v, want %v", empty, want)
	}
}

func TestRestoreSessionRejects(t *testing.T) {
	good := snapshotOf(t, 2, []Cell{{0, 0}, {1, 2}, {3, 3}}, Cell{1, 2})
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	put16 := func(b []byte, at int, v uint16) []byte { binary.BigEndian.PutUint16(b[at:], v); return b }
	put32 := func(b []byte, at int, v uint32) []byte { binary.BigEndian.PutUint32(b[at:], v); return b }
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"short header", good[:15]},
		{"version", edit(func(b []byte) []byte { b[0] = 2; return b })},
		{"unknown flag", edit(func(b []byte) []byte { b[1] = 2; return b })},
		{"k 0", edit(func(b []byte) []byte { return put16(b, 10, 0) })},
		{"k too big", edit(func(b []byte) []byte { return put16(b, 10, MaxWidth+1) })},
		{"no cells", edit(func(b []byte) []byte { return put32(b, 12, 0)[:16] })},
		{"more cells than the square", edit(func(b []byte) []byte { return put32(b, 12, 17) })},
		{"count too big for the bytes", edit(func(b []byte) []byte { return put32(b, 12, 4) })},
		{"huge count", edit(func(b []byte) []byte { return put32(b, 12, 0xffffffff) })},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"row outside", edit(func(b []byte) []byte { return put16(b, 16+8, 4) })},
		{"col outside", edit(func(b []byte) []byte { return put16(b, 16+10, 9) })},
		{"unsorted", edit(func(b []byte) []byte { return put32(b, 16+8, 0x00010000) })},
		{"duplicate", edit(func(b []byte) []byte { return put32(b, 16+4, 0) })},
		{"padding bit", edit(func(b []byte) []byte { b[len(b)-1] |= 0x80; return b })},
		{"empty with cells", edit(func(b []byte) []byte { b[1] = 1; return b })},
		{"empty wider than 1", []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 0, 0, 0, 0}},
	} {
		if s, err := RestoreSession(tt.data, testConfig(), t0); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: RestoreSession = %v, %v; want ErrSnapshot", tt.name, s, err)
		}
	}
	s, err := RestoreSession(good, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Progress(); p.Requested != 3 || p.Verified != 1 {
		t.Errorf("restored progress %+v", p)
	}
	bad := testConfig()
	bad.Workers = 0
	if _, err := RestoreSession(good, bad, t0); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v", err)
	}
}

// Any bytes: an error naming the problem, or a session whose snapshot is
// exactly those bytes (the encoding is canonical) and that behaves.
func FuzzRestoreSession(f *testing.F) {
	f.Add(snapshotOf(f, 2, []Cell{{0, 0}, {1, 2}, {3, 3}}, Cell{1, 2}))
	f.Add(snapshotOf(f, 4, []Cell{{0, 1}, {2, 3}, {0, 0}, {7, 0}, {1, 5}, {3, 3}, {4, 4}, {5, 5}, {6, 6}}, Cell{7, 0}))
	cells, _ := SelectCells(seeded(1), 128, 32)
	f.Add(snapshotOf(f, 128, cells, cells[3], cells[31]))
	empty, _ := NewEmptySession(3).MarshalBinary()
	f.Add(empty)
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := RestoreSession(data, testConfig(), t0)
		if err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("error %v does not wrap ErrSnapshot", err)
			}
			return
		}
		b, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("re-encoding differs: %x, %v", b, err)
		}
		p := s.Progress()
		got := s.Next(1 << 20)
		if want := min(p.Requested-p.Verified, testConfig().MaxInFlight); len(got) != want {
			t.Fatalf("restored session asks %d cells, want %d", len(got), want)
		}
		if _, err := NewSession(s.Height(), s.Width(), s.Cells(), testConfig(), t0); err != nil && !s.Empty() {
			t.Fatalf("decoded cells rejected by NewSession: %v", err)
		}
	})
}
