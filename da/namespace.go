package da

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
)

// Namespace sizes (SPEC §2).
const (
	NamespaceVersionSize = 1
	NamespaceIDSize      = 28
	NamespaceSize        = NamespaceVersionSize + NamespaceIDSize // 29

	// NamespaceV0PrefixSize is the number of leading zero bytes of a version-0 ID.
	NamespaceV0PrefixSize = 18
	// NamespaceV0UserSize is the number of bytes a version-0 user chooses.
	NamespaceV0UserSize = NamespaceIDSize - NamespaceV0PrefixSize // 10

	NamespaceVersionZero = 0
	NamespaceVersionMax  = 255
)

// Errors returned when a namespace is malformed or not allowed. Callers
// receive them wrapped with details; test with errors.Is.
var (
	ErrNamespaceLength   = errors.New("da: namespace has wrong length")
	ErrNamespaceVersion  = errors.New("da: unsupported namespace version")
	ErrNamespacePrefix   = errors.New("da: version-0 namespace must start with 18 zero ID bytes")
	ErrNamespaceReserved = errors.New("da: namespace is reserved")
)

// Namespace is a 29-byte namespace: one version byte, then a 28-byte ID.
// Namespaces order as byte strings (Compare).
type Namespace [NamespaceSize]byte

func reservedNS(version byte, fill byte, last byte) Namespace {
	var ns Namespace
	ns[0] = version
	for i := 1; i < NamespaceSize-1; i++ {
		ns[i] = fill
	}
	ns[NamespaceSize-1] = last
	return ns
}

// Reserved namespaces (SPEC §2).
var (
	TxNamespace                     = reservedNS(0, 0, 0x01)
	IntermediateStateRootsNamespace = reservedNS(0, 0, 0x02)
	PayForBlobNamespace             = reservedNS(0, 0, 0x04)
	PayForFibreNamespace            = reservedNS(0, 0, 0x05)
	PrimaryReservedPaddingNamespace = reservedNS(0, 0, 0xFF)
	MinSecondaryReservedNamespace   = reservedNS(0xFF, 0xFF, 0x00)
	TailPaddingNamespace            = reservedNS(0xFF, 0xFF, 0xFE)
	ParityNamespace                 = reservedNS(0xFF, 0xFF, 0xFF)
)

// NamespaceFromBytes copies b into a Namespace after checking its length,
// its version and, for version 0, its zero prefix. It does not reject
// reserved namespaces: use ValidateForBlob for user input.
func NamespaceFromBytes(b []byte) (Namespace, error) {
	var ns Namespace
	if len(b) != NamespaceSize {
		return ns, fmt.Errorf("%w: got %d bytes, want %d", ErrNamespaceLength, len(b), NamespaceSize)
	}
	copy(ns[:], b)
	return ns, ns.Validate()
}

// NewV0Namespace returns the version-0 namespace whose last 10 ID bytes
// are id, left-padded with zeros when id is shorter.
func NewV0Namespace(id []byte) (Namespace, error) {
	var ns Namespace
	if len(id) > NamespaceV0UserSize {
		return ns, fmt.Errorf("%w: version-0 user ID has %d bytes, at most %d", ErrNamespaceLength, len(id), NamespaceV0UserSize)
	}
	copy(ns[NamespaceSize-len(id):], id)
	return ns, nil
}

// ParseNamespace reads a namespace written as 58 hex characters (all 29
// bytes) or 20 hex characters (a version-0 user ID, API.md conventions).
func ParseNamespace(s string) (Namespace, error) {
	var ns Namespace
	if len(s) != 2*NamespaceSize && len(s) != 2*NamespaceV0UserSize {
		return ns, fmt.Errorf("%w: %d hex characters, want %d (29 bytes) or %d (10-byte version-0 ID)",
			ErrNamespaceLength, len(s), 2*NamespaceSize, 2*NamespaceV0UserSize)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return ns, fmt.Errorf("da: namespace is not hex: %w", err)
	}
	if len(b) == NamespaceV0UserSize {
		return NewV0Namespace(b)
	}
	return NamespaceFromBytes(b)
}

// Version is the namespace's version byte.
func (n Namespace) Version() uint8 { return n[0] }

// ID is the 28-byte namespace ID.
func (n Namespace) ID() [NamespaceIDSize]byte {
	var id [NamespaceIDSize]byte
	copy(id[:], n[NamespaceVersionSize:])
	return id
}

// String is the 58-character lowercase hex form.
func (n Namespace) String() string { return hex.EncodeToString(n[:]) }

// Compare orders namespaces as byte strings: -1, 0 or +1.
func (n Namespace) Compare(o Namespace) int { return bytes.Compare(n[:], o[:]) }

// Less reports whether n sorts before o.
func (n Namespace) Less(o Namespace) bool { return n.Compare(o) < 0 }

// Validate checks the version and, for version 0, the zero prefix.
func (n Namespace) Validate() error {
	switch n[0] {
	case NamespaceVersionZero:
		for _, b := range n[NamespaceVersionSize : NamespaceVersionSize+NamespaceV0PrefixSize] {
			if b != 0 {
				return fmt.Errorf("%w: %s", ErrNamespacePrefix, n)
			}
		}
		return nil
	case NamespaceVersionMax:
		return nil
	default:
		return fmt.Errorf("%w: version %d (only 0 and 255 exist)", ErrNamespaceVersion, n[0])
	}
}

// IsPrimaryReserved reports whether n is version 0 with 27 zero ID bytes
// before its last byte (Tx, PFB, primary padding and the like).
func (n Namespace) IsPrimaryReserved() bool {
	if n[0] != 0 {
		return false
	}
	for _, b := range n[1 : NamespaceSize-1] {
		if b != 0 {
			return false
		}
	}
	return true
}

// IsSecondaryReserved reports whether n is version 255 with 27 0xFF ID
// bytes before its last byte (tail padding, parity).
func (n Namespace) IsSecondaryReserved() bool {
	if n[0] != 0xFF {
		return false
	}
	for _, b := range n[1 : NamespaceSize-1] {
		if b != 0xFF {
			return false
		}
	}
	return true
}

// IsReserved reports whether n is in either reserved range.
func (n Namespace) IsReserved() bool { return n.IsPrimaryReserved() || n.IsSecondaryReserved() }

// IsCompact reports whether shares of n use the compact format (SPEC §3.4).
func (n Namespace) IsCompact() bool {
	return n == TxNamespace || n == PayForBlobNamespace || n == PayForFibreNamespace
}

// ValidateForBlob checks that users may post blobs under n: version 0,
// zero prefix, not reserved.
func (n Namespace) ValidateForBlob() error {
	if n[0] != NamespaceVersionZero {
		return fmt.Errorf("%w: blob namespaces must be version 0, got %d", ErrNamespaceVersion, n[0])
	}
	if err := n.Validate(); err != nil {
		return err
	}
	if n.IsReserved() {
		return fmt.Errorf("%w: %s", ErrNamespaceReserved, n)
	}
	return nil
}
