package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/light"

	"github.com/tartan-da/tartan/da"
)

// The node-facing side of header verification: node holds da.Headers
// whose Certificate is a marshalled Header, and never names a CometBFT
// type. A stored header's certificate always carries its validator set, so
// any stored header can be the trusted one of a later verification; on the
// wire the set is left out when it is the previous height's.

// Errors of header verification; wrapped with details, test with errors.Is.
var (
	// ErrFieldsMismatch: a header's compact fields are not the ones its
	// certificate commits to.
	ErrFieldsMismatch = errors.New("consensus: header fields differ from its certificate")
	// ErrUntrusted: the header cannot be linked to what this node trusts.
	ErrUntrusted = errors.New("consensus: header is not trusted")
)

// Verifier verifies headers of one chain.
type Verifier struct {
	chain *Chain
	cfg   VerifyConfig
}

// NewVerifier verifies headers of chain c, trusting a verified header for
// trustingPeriod.
func NewVerifier(c *Chain, trustingPeriod time.Duration) *Verifier {
	cfg := DefaultVerifyConfig(c.ID())
	cfg.TrustingPeriod = trustingPeriod
	return &Verifier{chain: c, cfg: cfg}
}

// decode reads h's certificate, checks it on its own (commit of this
// block, tx[0] proved to DataHash) and that h's fields are its.
func (v *Verifier) decode(h *da.Header) (*Header, error) {
	if h.ChainID != v.chain.ID() {
		return nil, fmt.Errorf("%w: chain %q, this node follows %q", da.ErrHeaderSequence, h.ChainID, v.chain.ID())
	}
	return checkCertificate(h)
}

// compact is the da.Header of a certificate, without the certificate.
func compact(ch *Header) *da.Header {
	f := ch.Fields()
	return &da.Header{ChainID: f.ChainID, Height: f.Height, Time: f.Time, PrevHash: f.PrevHash,
		SquareWidth: f.SquareWidth, DataRoot: f.DataRoot, BlockHash: f.BlockHash}
}

// toDA is the da.Header carrying ch.
func toDA(ch *Header) (*da.Header, error) {
	cert, err := ch.Marshal()
	if err != nil {
		return nil, err
	}
	h := compact(ch)
	h.Certificate = cert
	return h, h.Validate()
}

// Verify checks h against trusted, a stored header of this chain (nil
// for the first header, which is checked against the genesis validators),
// with CometBFT's light verification at now, and checks h's certificate
// and fields. It returns h in its stored form: with its validator set.
func (v *Verifier) Verify(trusted, h *da.Header, now time.Time) (*da.Header, error) {
	uh, err := v.decode(h)
	if err != nil {
		return nil, err
	}
	if trusted == nil {
		if h.Height != 1 {
			return nil, fmt.Errorf("%w: height %d with nothing trusted below it", ErrUntrusted, h.Height)
		}
		if err := v.cfg.VerifyFirst(v.chain.vals, uh, now); err != nil {
			return nil, err
		}
		uh.Validators = v.chain.vals
		return toDA(uh)
	}
	th, err := UnmarshalHeader(trusted.Certificate)
	if err != nil {
		return nil, fmt.Errorf("consensus: trusted header %d: %w", trusted.Height, err)
	}
	if th.Validators == nil {
		return nil, fmt.Errorf("%w: trusted header %d was stored without its validator set", ErrUntrusted, trusted.Height)
	}
	vals, err := v.cfg.Verify(th, th.Validators, uh, now)
	if err != nil {
		return nil, err
	}
	uh.Validators = vals
	return toDA(uh)
}

// Check checks h on its own, for a header trusted by its hash (a
// checkpoint): its certificate is consistent and carries its validator
// set. Who signed it is not checked: the hash is the trust. It returns h
// in its stored form.
func (v *Verifier) Check(h *da.Header) (*da.Header, error) {
	uh, err := v.decode(h)
	if err != nil {
		return nil, err
	}
	if uh.Validators == nil {
		return nil, fmt.Errorf("%w: checkpoint header %d came without its validator set", ErrUntrusted, h.Height)
	}
	return h, nil
}

// VerifyAgainstGenesis checks a header at any height whose validator set
// is still the genesis one: more than 2/3 of the genesis power signed it
// (a checkpoint named by height alone). It returns h in its stored form.
func (v *Verifier) VerifyAgainstGenesis(h *da.Header, now time.Time) (*da.Header, error) {
	uh, err := v.decode(h)
	if err != nil {
		return nil, err
	}
	vals := v.chain.vals
	if !bytes.Equal(uh.Signed.ValidatorsHash, vals.Hash()) {
		return nil, fmt.Errorf("%w: height %d is signed by another validator set than the genesis one: name its hash too", ErrUntrusted, h.Height)
	}
	if now.Sub(uh.Signed.Time) > v.cfg.TrustingPeriod {
		return nil, fmt.Errorf("%w: height %d is older than the trusting period", ErrUntrusted, h.Height)
	}
	sh := uh.Signed
	if err := vals.VerifyCommitLight(sh.ChainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		return nil, fmt.Errorf("%w: height %d: %w", ErrUntrusted, h.Height, err)
	}
	uh.Validators = vals
	return toDA(uh)
}

// CheckCertificate checks h's certificate against h alone, for a client
// that trusts h's hash from elsewhere: the certificate's CometBFT header
// hashes to h's BlockHash and is what its commit signed, tx[0] is proved
// to its DataHash, and h's fields are the certificate's. Who signed is not
// checked.
func CheckCertificate(h *da.Header) error {
	_, err := checkCertificate(h)
	return err
}

func checkCertificate(h *da.Header) (*Header, error) {
	ch, err := UnmarshalHeader(h.Certificate)
	if err != nil {
		return nil, err
	}
	if err := ch.ValidateBasic(h.ChainID); err != nil {
		return nil, err
	}
	if !compact(ch).EqualFields(h) {
		return nil, fmt.Errorf("%w: height %d", ErrFieldsMismatch, h.Height)
	}
	return ch, nil
}

// Wire is h as sent to peers after prev: without its validator set when
// prev's is the same. prev nil keeps the set.
func (v *Verifier) Wire(h, prev *da.Header) (*da.Header, error) {
	if prev == nil {
		return h, nil
	}
	uh, err := UnmarshalHeader(h.Certificate)
	if err != nil {
		return nil, err
	}
	ph, err := UnmarshalHeader(prev.Certificate)
	if err != nil {
		return nil, err
	}
	if uh.Validators == nil || !bytes.Equal(uh.Signed.ValidatorsHash, ph.Signed.ValidatorsHash) {
		return h, nil
	}
	uh.Validators = nil
	return toDA(uh)
}

// Description is what a certificate says beyond the compact fields, for
// the API.
type Description struct {
	DataHash, ValidatorsHash, Proposer []byte
	Round                              int32
	BlockHash, PartHash                []byte
	PartTotal                          uint32
	Signatures                         []Signature
	DataTx                             []byte
	ProofIndex, ProofTotal             int64
	Aunts                              [][]byte
	// Validators is the set, when it differs from the previous height's.
	Validators []Validator
}

// Signature is a validator's precommit in a commit; absent validators
// have no address and no signature.
type Signature struct {
	Address   []byte
	Timestamp time.Time
	Signature []byte
}

// Validator is a member of a validator set.
type Validator struct {
	Address, PubKey []byte
	Power           int64
}

// Describe reads h's certificate; prev (nil at the first height) decides
// whether the validator set is shown.
func (v *Verifier) Describe(h, prev *da.Header) (Description, error) {
	uh, err := UnmarshalHeader(h.Certificate)
	if err != nil {
		return Description{}, err
	}
	sh := uh.Signed
	d := Description{
		DataHash: sh.DataHash, ValidatorsHash: sh.ValidatorsHash, Proposer: sh.ProposerAddress,
		Round: sh.Commit.Round, BlockHash: sh.Commit.BlockID.Hash,
		PartTotal: sh.Commit.BlockID.PartSetHeader.Total, PartHash: sh.Commit.BlockID.PartSetHeader.Hash,
		DataTx: uh.DataTx, ProofIndex: uh.DataProof.Index, ProofTotal: uh.DataProof.Total, Aunts: uh.DataProof.Aunts,
	}
	for _, s := range sh.Commit.Signatures {
		d.Signatures = append(d.Signatures, Signature{Address: s.ValidatorAddress, Timestamp: s.Timestamp, Signature: s.Signature})
	}
	changed := prev == nil
	if prev != nil {
		ph, err := UnmarshalHeader(prev.Certificate)
		changed = err != nil || !bytes.Equal(ph.Signed.ValidatorsHash, sh.ValidatorsHash)
	}
	if changed && uh.Validators != nil {
		for _, val := range uh.Validators.Validators {
			d.Validators = append(d.Validators, Validator{Address: val.Address, PubKey: val.PubKey.Bytes(), Power: val.VotingPower})
		}
	}
	return d, nil
}

// Header is the stored header of a block the App committed: CometBFT's
// signed header and validator set of the height, with the block's tx[0]
// and its proof. The validator's own CometBFT decided the block, so it is
// not verified again.
func (e *Engine) Header(b *Block) (*da.Header, error) {
	sh, vals, err := e.SignedHeader(b.Height)
	if err != nil {
		return nil, err
	}
	return toDA(&Header{Signed: sh, Validators: vals, DataTx: b.Data.Marshal(), DataProof: b.DataProof})
}

// Unverifiable reports whether err says a header could not be judged from
// what this node trusts, rather than that it is wrong: its validator set
// is not known, too little of the trusted set signed it across a skip, or
// the trusted header is older than the trusting period. A node syncs and
// tries again instead of blaming the sender.
func Unverifiable(err error) bool {
	var (
		expired light.ErrOldHeaderExpired
		newSet  light.ErrNewValSetCantBeTrusted
	)
	return errors.Is(err, ErrUntrusted) || errors.Is(err, ErrValidatorsUnknown) || errors.Is(err, ErrTrustExpired) ||
		errors.Is(err, ErrTooFewTrusted) || errors.As(err, &expired) || errors.As(err, &newSet)
}
