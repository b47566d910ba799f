package consensus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// Header is what makes a Tartan header trustworthy: CometBFT's signed
// header (header and commit) of the height, the validator set when it
// differs from the previous height's, and tx[0] with its Merkle proof to
// the header's DataHash, which binds the square's data root to the
// signatures without changing CometBFT (DESIGN.md §2a).
//
// A Header from the network is trusted only once Verify (or VerifyFirst)
// accepted it; before that only ValidateBasic's structural checks hold.
type Header struct {
	// Signed is the CometBFT header and the commit that signs it; never nil.
	Signed *types.SignedHeader
	// Validators is the validator set of the height, or nil when
	// Signed.ValidatorsHash equals the previous height's and the verifier
	// already holds that set.
	Validators *types.ValidatorSet
	// DataTx is tx[0], the DataCommitment bytes.
	DataTx []byte
	// DataProof proves DataTx at index 0 to Signed.DataHash; its leaf is
	// the SHA-256 of DataTx, as for types.Txs.Proof.
	DataProof merkle.Proof
}

const (
	headerVersion = 1
	// MaxHeaderSize bounds an encoded Header, checked before anything is
	// decoded. It leaves room for validator sets of several thousand
	// validators; 4 validators take well under 2 kB.
	MaxHeaderSize = 1 << 20
	// headerFixedSize is every byte of the encoding but the variable parts:
	// version, the two 4-byte and one 2-byte length prefixes, and the
	// proof's total, index and aunt count.
	headerFixedSize = 1 + 4 + 4 + 2 + 4 + 4 + 1
)

// ErrHeaderMalformed: a Header that does not decode, or whose parts are
// inconsistent (a commit for another block, a validator set that does not
// hash to ValidatorsHash). Discard it and penalise the peer that sent it.
var ErrHeaderMalformed = errors.New("consensus: malformed header")

// ErrDataProof: tx[0] is not proven at index 0 to the header's DataHash,
// so the data root is not bound to the signatures. Discard the header and
// penalise the peer that sent it.
var ErrDataProof = errors.New("consensus: tx[0] is not proven to the header's data hash")

// ErrChainID: a header (or a trusted header) of another chain. Discard it;
// the peer that sent it is misconfigured or hostile.
var ErrChainID = errors.New("consensus: header of another chain")

// NewHeader builds the Header of a committed block: sh is its signed
// header, txs its transactions (txs[0] the data commitment), vals the
// height's validator set or nil when it equals the previous height's. It
// keeps sh and vals, copies txs[0], and checks that the proof it builds
// reaches sh.DataHash (ErrDataProof otherwise).
func NewHeader(sh *types.SignedHeader, vals *types.ValidatorSet, txs types.Txs) (*Header, error) {
	switch {
	case sh == nil || sh.Header == nil || sh.Commit == nil:
		return nil, fmt.Errorf("%w: signed header, its header and its commit must not be nil", ErrHeaderMalformed)
	case len(txs) == 0:
		return nil, fmt.Errorf("%w: block has no transactions, want tx[0] first", ErrDataProof)
	}
	p := txs.Proof(0)
	if !bytes.Equal(p.RootHash, sh.DataHash) {
		return nil, fmt.Errorf("%w: transactions hash to %X, header's data hash is %X", ErrDataProof, p.RootHash, sh.DataHash)
	}
	return &Header{Signed: sh, Validators: vals, DataTx: bytes.Clone(txs[0]), DataProof: p.Proof}, nil
}

// ValidateBasic checks everything about h that needs no trusted state:
// the signed header is of chainID (ErrChainID) and consistent with its
// commit, the validator set if present is valid and hashes to
// ValidatorsHash (ErrHeaderMalformed), DataProof proves DataTx at index 0
// to DataHash (ErrDataProof), and DataTx is a DataCommitment
// (ErrDataCommitment). It does not check signatures: Verify does.
func (h *Header) ValidateBasic(chainID string) error {
	sh := h.Signed
	switch {
	case sh == nil || sh.Header == nil || sh.Commit == nil:
		return fmt.Errorf("%w: missing signed header, header or commit", ErrHeaderMalformed)
	case sh.ChainID != chainID:
		return fmt.Errorf("%w: chain id %q, want %q", ErrChainID, sh.ChainID, chainID)
	}
	if err := sh.ValidateBasic(chainID); err != nil {
		return fmt.Errorf("%w: %w", ErrHeaderMalformed, err)
	}
	if h.Validators != nil {
		if err := h.Validators.ValidateBasic(); err != nil {
			return fmt.Errorf("%w: validator set: %w", ErrHeaderMalformed, err)
		}
		if got := h.Validators.Hash(); !bytes.Equal(got, sh.ValidatorsHash) {
			return fmt.Errorf("%w: validator set hashes to %X, header's validators hash is %X", ErrHeaderMalformed, got, sh.ValidatorsHash)
		}
	}
	if h.DataProof.Index != 0 {
		return fmt.Errorf("%w: proof index %d, want 0 (tx[0])", ErrDataProof, h.DataProof.Index)
	}
	if err := h.DataProof.Verify(sh.DataHash, tmhash.Sum(h.DataTx)); err != nil {
		return fmt.Errorf("%w: %w", ErrDataProof, err)
	}
	_, err := ParseDataCommitment(h.DataTx)
	return err
}

// Commitment parses DataTx. Its values are bound to the signatures only
// once ValidateBasic (or Verify) accepted h.
func (h *Header) Commitment() (DataCommitment, error) {
	return ParseDataCommitment(h.DataTx)
}

// CompactFields are the fields a compact Tartan header takes from a
// verified Header.
type CompactFields struct {
	ChainID     string
	Height      uint64
	Time        time.Time
	PrevHash    [32]byte // CometBFT block hash of Height−1; zero at height 1
	BlockHash   [32]byte // CometBFT block hash (Signed.Header.Hash())
	SquareWidth uint16
	DataRoot    [32]byte
}

// Fields returns the compact header fields of h. h must have passed
// ValidateBasic: on any other Header the hashes, square width and data
// root it returns may be zero.
func (h *Header) Fields() CompactFields {
	sh := h.Signed
	f := CompactFields{ChainID: sh.ChainID, Height: uint64(max(sh.Height, 0)), Time: sh.Time}
	copy(f.PrevHash[:], sh.LastBlockID.Hash)
	copy(f.BlockHash[:], sh.Hash())
	if c, err := h.Commitment(); err == nil {
		f.SquareWidth, f.DataRoot = c.SquareWidth, c.DataRoot
	}
	return f
}

// Marshal encodes h, big-endian: version(1) ‖ len(4) ‖ CometBFT
// SignedHeader protobuf ‖ len(4) ‖ CometBFT ValidatorSet protobuf (length
// 0 when absent) ‖ len(2) ‖ tx[0] ‖ proof total(4) ‖ index(4) ‖ count(1) ‖
// count × 32-byte aunts. The proof's leaf hash is not encoded: it is a
// function of tx[0]. It fails (ErrHeaderMalformed) on what UnmarshalHeader
// would reject for its shape.
func (h *Header) Marshal() ([]byte, error) {
	if h.Signed == nil || h.Signed.Header == nil || h.Signed.Commit == nil {
		return nil, fmt.Errorf("%w: missing signed header, header or commit", ErrHeaderMalformed)
	}
	sh, err := h.Signed.ToProto().Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: signed header: %w", ErrHeaderMalformed, err)
	}
	var vals []byte
	if h.Validators != nil {
		// An empty set encodes to no bytes, which would read back as absent.
		if h.Validators.IsNilOrEmpty() {
			return nil, fmt.Errorf("%w: validator set is empty (use nil for absent)", ErrHeaderMalformed)
		}
		vp, err := h.Validators.ToProto()
		if err != nil {
			return nil, fmt.Errorf("%w: validator set: %w", ErrHeaderMalformed, err)
		}
		if vals, err = vp.Marshal(); err != nil {
			return nil, fmt.Errorf("%w: validator set: %w", ErrHeaderMalformed, err)
		}
	}
	p := &h.DataProof
	switch {
	case len(h.DataTx) > math.MaxUint16:
		return nil, fmt.Errorf("%w: tx[0] has %d bytes, at most %d", ErrHeaderMalformed, len(h.DataTx), math.MaxUint16)
	case p.Total < 0 || p.Total > math.MaxUint32 || p.Index < 0 || p.Index > math.MaxUint32:
		return nil, fmt.Errorf("%w: proof total %d and index %d must be in [0, 2³²)", ErrHeaderMalformed, p.Total, p.Index)
	case len(p.Aunts) > merkle.MaxAunts:
		return nil, fmt.Errorf("%w: proof has %d aunts, at most %d", ErrHeaderMalformed, len(p.Aunts), merkle.MaxAunts)
	}
	size := headerFixedSize + len(sh) + len(vals) + len(h.DataTx) + len(p.Aunts)*tmhash.Size
	if size > MaxHeaderSize {
		return nil, fmt.Errorf("%w: encodes to %d bytes, at most %d", ErrHeaderMalformed, size, MaxHeaderSize)
	}
	b := make([]byte, 0, size)
	b = append(b, headerVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sh)))
	b = append(b, sh...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vals)))
	b = append(b, vals...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.DataTx)))
	b = append(b, h.DataTx...)
	b = binary.BigEndian.AppendUint32(b, uint32(p.Total))
	b = binary.BigEndian.AppendUint32(b, uint32(p.Index))
	b = append(b, byte(len(p.Aunts)))
	for i, a := range p.Aunts {
		if len(a) != tmhash.Size {
			return nil, fmt.Errorf("%w: proof aunt %d has %d bytes, want %d", ErrHeaderMalformed, i, len(a), tmhash.Size)
		}
		b = append(b, a...)
	}
	return b, nil
}

// UnmarshalHeader decodes a Header from untrusted bytes (see Marshal). It
// checks the size, every length before using it, and that CometBFT's
// types accept their protobuf, and rejects trailing bytes; everything
// else is ValidateBasic's and Verify's. Errors wrap ErrHeaderMalformed.
// The Header does not keep b.
func UnmarshalHeader(b []byte) (*Header, error) {
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrHeaderMalformed, len(b), MaxHeaderSize)
	}
	d := decoder{b: b}
	if v := d.uint8("version"); d.err == nil && v != headerVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrHeaderMalformed, v, headerVersion)
	}
	shBytes := d.next("signed header", int(d.uint32("signed header length")))
	valsBytes := d.next("validator set", int(d.uint32("validator set length")))
	dataTx := d.next("tx[0]", int(d.uint16("tx[0] length")))
	total, index := d.uint32("proof total"), d.uint32("proof index")
	count := int(d.uint8("proof aunt count"))
	if d.err == nil && count > merkle.MaxAunts {
		return nil, fmt.Errorf("%w: proof has %d aunts, at most %d", ErrHeaderMalformed, count, merkle.MaxAunts)
	}
	aunts := d.next("proof aunts", count*tmhash.Size)
	switch {
	case d.err != nil:
		return nil, d.err
	case len(d.b) != 0:
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrHeaderMalformed, len(d.b))
	}

	var shp cmtproto.SignedHeader
	if err := shp.Unmarshal(shBytes); err != nil {
		return nil, fmt.Errorf("%w: signed header protobuf: %w", ErrHeaderMalformed, err)
	}
	sh, err := types.SignedHeaderFromProto(&shp)
	if err != nil {
		return nil, fmt.Errorf("%w: signed header: %w", ErrHeaderMalformed, err)
	}
	if sh.Header == nil || sh.Commit == nil {
		return nil, fmt.Errorf("%w: signed header without header or commit", ErrHeaderMalformed)
	}
	h := &Header{Signed: sh, DataTx: bytes.Clone(dataTx)}
	if len(valsBytes) > 0 {
		var vp cmtproto.ValidatorSet
		if err := vp.Unmarshal(valsBytes); err != nil {
			return nil, fmt.Errorf("%w: validator set protobuf: %w", ErrHeaderMalformed, err)
		}
		if h.Validators, err = types.ValidatorSetFromProto(&vp); err != nil {
			return nil, fmt.Errorf("%w: validator set: %w", ErrHeaderMalformed, err)
		}
	}
	h.DataProof = merkle.Proof{
		Total: int64(total),
		Index: int64(index),
		// A one-leaf tree's root is its leaf hash: that of tx[0]'s hash.
		LeafHash: merkle.HashFromByteSlices([][]byte{tmhash.Sum(h.DataTx)}),
		Aunts:    make([][]byte, count),
	}
	aunts = bytes.Clone(aunts)
	for i := range h.DataProof.Aunts {
		h.DataProof.Aunts[i] = aunts[i*tmhash.Size : (i+1)*tmhash.Size : (i+1)*tmhash.Size]
	}
	return h, nil
}

// decoder reads big-endian fields off b and keeps the first error.
type decoder struct {
	b   []byte
	err error
}

// next takes n bytes, naming what for the error when b is short.
func (d *decoder) next(what string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: %s needs %d bytes, %d left", ErrHeaderMalformed, what, n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint8(what string) uint8 {
	if v := d.next(what, 1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) uint16(what string) uint16 {
	if v := d.next(what, 2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) uint32(what string) uint32 {
	if v := d.next(what, 4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}
