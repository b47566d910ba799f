package sampling

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The persisted form of a session, written before its first request and
// again as cells are verified, so a restart asks exactly the cells still
// missing and never draws new ones. All integers are big-endian.
//
//	version   1 byte   snapshotVersion
//	flags     1 byte   bit 0: empty block; other bits zero
//	height    8 bytes
//	k         2 bytes  1 … MaxWidth (1 for an empty block)
//	count     4 bytes  s: 0 for an empty block, else 1 … 4k²
//	cells     s × 4    row (2 bytes), column (2 bytes), each < 2k,
//	                   strictly increasing row-major
//	verified  ⌈s/8⌉    bit i%8 of byte i/8 set when cell i is verified;
//	                   padding bits zero
//
// The encoding is canonical: one session state has one byte string.
const (
	snapshotVersion   = 1
	snapshotHeader    = 1 + 1 + 8 + 2 + 4
	snapshotFlagEmpty = 1
)

// AppendBinary appends the session's snapshot to dst. Cells in flight are
// recorded as not yet verified: after a restart they are asked again.
func (s *Session) AppendBinary(dst []byte) ([]byte, error) {
	var flags byte
	if s.empty {
		flags |= snapshotFlagEmpty
	}
	dst = append(dst, snapshotVersion, flags)
	dst = binary.BigEndian.AppendUint64(dst, s.height)
	dst = binary.BigEndian.AppendUint16(dst, uint16(s.k))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s.cells)))
	for _, c := range s.cells {
		dst = binary.BigEndian.AppendUint16(dst, c.Row)
		dst = binary.BigEndian.AppendUint16(dst, c.Col)
	}
	bits := len(dst)
	dst = append(dst, make([]byte, (len(s.cells)+7)/8)...)
	for i, st := range s.state {
		if st == cellVerified {
			dst[bits+i/8] |= 1 << (i % 8)
		}
	}
	return dst, nil
}

// MarshalBinary returns the session's snapshot (see AppendBinary).
func (s *Session) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, snapshotHeader+len(s.cells)*4+(len(s.cells)+7)/8))
}

// RestoreSession rebuilds a session from its snapshot: the same height,
// width and cells, with the verified ones verified and the rest to be
// asked, in a new round starting at now. Bytes that are not a snapshot
// return an error wrapping ErrSnapshot that says what is wrong.
func RestoreSession(data []byte, cfg Config, now time.Time) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(data) < snapshotHeader {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrSnapshot, len(data), snapshotHeader)
	}
	if data[0] != snapshotVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrSnapshot, data[0], snapshotVersion)
	}
	flags := data[1]
	if flags&^snapshotFlagEmpty != 0 {
		return nil, fmt.Errorf("%w: unknown flags %#02x", ErrSnapshot, flags)
	}
	height := binary.BigEndian.Uint64(data[2:])
	k := int(binary.BigEndian.Uint16(data[10:]))
	count := binary.BigEndian.Uint32(data[12:])
	if k < 1 || k > MaxWidth {
		return nil, fmt.Errorf("%w: square width %d, want 1 to %d", ErrSnapshot, k, MaxWidth)
	}
	if flags&snapshotFlagEmpty != 0 {
		if k != 1 || count != 0 || len(data) != snapshotHeader {
			return nil, fmt.Errorf("%w: empty block with width %d, %d cells, %d bytes", ErrSnapshot, k, count, len(data))
		}
		return NewEmptySession(height), nil
	}
	if count == 0 || uint64(count) > uint64(cellCount(k)) {
		return nil, fmt.Errorf("%w: %d cells in a square of %d", ErrSnapshot, count, cellCount(k))
	}
	s := int(count)
	if want := snapshotHeader + 4*s + (s+7)/8; len(data) != want {
		return nil, fmt.Errorf("%w: %d bytes for %d cells, want %d", ErrSnapshot, len(data), s, want)
	}
	cells := make([]Cell, s)
	p := data[snapshotHeader:]
	for i := range cells {
		c := Cell{Row: binary.BigEndian.Uint16(p[4*i:]), Col: binary.BigEndian.Uint16(p[4*i+2:])}
		if int(c.Row) >= 2*k || int(c.Col) >= 2*k {
			return nil, fmt.Errorf("%w: cell %d %v outside a %d×%d square", ErrSnapshot, i, c, 2*k, 2*k)
		}
		if i > 0 && cells[i-1].compare(c) >= 0 {
			return nil, fmt.Errorf("%w: cell %d %v does not follow %v", ErrSnapshot, i, c, cells[i-1])
		}
		cells[i] = c
	}
	bits := p[4*s:]
	if pad := s % 8; pad != 0 && bits[len(bits)-1]>>pad != 0 {
		return nil, fmt.Errorf("%w: padding bits set in the verified bitmap", ErrSnapshot)
	}
	sess := newSession(height, k, cells, cfg, now)
	for i := range cells {
		if bits[i/8]&(1<<(i%8)) != 0 {
			sess.state[i] = cellVerified
			sess.verified++
		}
	}
	return sess, nil
}
