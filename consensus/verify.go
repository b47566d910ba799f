package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	cmtmath "github.com/cometbft/cometbft/libs/math"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"
)

// Verification defaults.
const (
	// DefaultTrustingPeriod is how long a verified header can anchor the
	// verification of later ones. It must stay below the unbonding period,
	// so that validators who sign a conflicting header can still be
	// punished.
	DefaultTrustingPeriod = 14 * 24 * time.Hour
	// DefaultMaxClockDrift is how far ahead of the local clock a header's
	// time may be.
	DefaultMaxClockDrift = 10 * time.Second
)

// Errors of verification; wrapped with CometBFT's error, so details
// survive. Test with errors.Is.
var (
	// ErrConfig: a VerifyConfig field is out of range. Fix the
	// configuration.
	ErrConfig = errors.New("consensus: invalid verify config")
	// ErrNotVerified: the header is not signed by more than 2/3 of its
	// validator set's power, its signatures are for another block, or it
	// does not follow the trusted header (height, time, next validators).
	// Discard it and penalise the peer that sent it.
	ErrNotVerified = errors.New("consensus: header does not verify")
	// ErrTrustExpired: the trusted header is older than the trusting
	// period, so its validators may have unbonded. Start again from a
	// newer trusted checkpoint.
	ErrTrustExpired = errors.New("consensus: trusted header is outside the trusting period")
	// ErrTooFewTrusted: across a skip of heights, less than the trust
	// level of the trusted validator set signed. Not evidence of an
	// attack: verify a height in between first (bisection).
	ErrTooFewTrusted = errors.New("consensus: too little of the trusted validator set signed")
	// ErrValidatorsUnknown: the header omits its validator set and it
	// differs from the trusted one, or the trusted set given does not hash
	// to the trusted header's. Fetch the header with its validator set.
	ErrValidatorsUnknown = errors.New("consensus: validator set of the header is unknown")
)

// VerifyConfig says what a light verification accepts.
type VerifyConfig struct {
	// ChainID is the chain every header must belong to.
	ChainID string
	// TrustingPeriod is how long after its time a trusted header can
	// verify later ones.
	TrustingPeriod time.Duration
	// MaxClockDrift is how far a header's time may be ahead of now.
	MaxClockDrift time.Duration
	// TrustLevel is the share of the trusted validator set's power, in
	// [1/3, 1], that must sign a header across a skip of heights.
	TrustLevel cmtmath.Fraction
}

// DefaultVerifyConfig returns the defaults for chainID: a trusting period
// of DefaultTrustingPeriod, DefaultMaxClockDrift, and CometBFT's default
// trust level of 1/3 (at least one honest validator signed).
func DefaultVerifyConfig(chainID string) VerifyConfig {
	return VerifyConfig{
		ChainID:        chainID,
		TrustingPeriod: DefaultTrustingPeriod,
		MaxClockDrift:  DefaultMaxClockDrift,
		TrustLevel:     light.DefaultTrustLevel,
	}
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c VerifyConfig) Validate() error {
	switch {
	case c.ChainID == "" || len(c.ChainID) > types.MaxChainIDLen:
		return fmt.Errorf("%w: chain id has %d bytes, want 1 to %d", ErrConfig, len(c.ChainID), types.MaxChainIDLen)
	case c.TrustingPeriod <= 0:
		return fmt.Errorf("%w: trusting period %v, want more than 0", ErrConfig, c.TrustingPeriod)
	case c.MaxClockDrift < 0:
		return fmt.Errorf("%w: max clock drift %v is negative", ErrConfig, c.MaxClockDrift)
	}
	if err := light.ValidateTrustLevel(c.TrustLevel); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Verify checks untrusted against trusted, a header already verified,
// whose validator set trustedVals the caller kept. It runs CometBFT's
// light verification: for the next height, more than 2/3 of the
// untrusted set signed and that set is the one trusted named next; across
// a skip, at least TrustLevel of trustedVals and more than 2/3 of the
// untrusted set signed. Either way trusted must be within the trusting
// period at now and untrusted not ahead of now by more than the clock
// drift. The untrusted set is untrusted.Validators, or trustedVals when
// it is omitted and the hash is unchanged (ErrValidatorsUnknown
// otherwise). It checks untrusted.ValidateBasic first, so tx[0] is bound
// to the signatures once Verify returns nil.
//
// It returns the validator set of the untrusted height, for the caller to
// keep for the next verification: trustedVals itself when unchanged.
func (c VerifyConfig) Verify(trusted *Header, trustedVals *types.ValidatorSet, untrusted *Header, now time.Time) (*types.ValidatorSet, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if trusted == nil || trusted.Signed == nil || trusted.Signed.Header == nil || untrusted == nil {
		return nil, fmt.Errorf("%w: nil header", ErrHeaderMalformed)
	}
	if trusted.Signed.ChainID != c.ChainID {
		return nil, fmt.Errorf("%w: trusted header of chain %q, want %q", ErrChainID, trusted.Signed.ChainID, c.ChainID)
	}
	var trustedHash []byte
	if trustedVals != nil {
		trustedHash = trustedVals.Hash()
	}
	if trustedHash == nil || !bytes.Equal(trustedHash, trusted.Signed.ValidatorsHash) {
		return nil, fmt.Errorf("%w: trusted validator set is not the trusted header's (height %d)", ErrValidatorsUnknown, trusted.Signed.Height)
	}
	// The structural checks and the tx[0] proof are cheap; signatures are
	// not, so they come last.
	if err := untrusted.ValidateBasic(c.ChainID); err != nil {
		return nil, err
	}
	vals := untrusted.Validators
	if vals == nil {
		if !bytes.Equal(untrusted.Signed.ValidatorsHash, trustedHash) {
			return nil, fmt.Errorf("%w: height %d omits its validator set, whose hash %X differs from the trusted %X",
				ErrValidatorsUnknown, untrusted.Signed.Height, untrusted.Signed.ValidatorsHash, trustedHash)
		}
		vals = trustedVals
	}
	err := light.Verify(trusted.Signed, trustedVals, untrusted.Signed, vals,
		c.TrustingPeriod, now, c.MaxClockDrift, c.TrustLevel)
	if err != nil {
		return nil, lightError(err, trusted.Signed.Height, untrusted.Signed.Height)
	}
	return vals, nil
}

// lightError wraps an error of CometBFT's light verification in the
// sentinel the caller acts on.
func lightError(err error, from, to int64) error {
	sentinel := ErrNotVerified
	switch {
	case errors.As(err, new(light.ErrOldHeaderExpired)):
		sentinel = ErrTrustExpired
	case errors.As(err, new(light.ErrNewValSetCantBeTrusted)):
		sentinel = ErrTooFewTrusted
	}
	return fmt.Errorf("%w: height %d from trusted height %d: %w", sentinel, to, from, err)
}

// VerifyFirst checks h, the chain's first header (height 1), against the
// genesis validator set: ValidateBasic (chain id, tx[0] proof), the
// header's validators hash is genesisVals', its time is not ahead of now
// by more than the clock drift, and more than 2/3 of genesisVals' power
// signed it. The genesis set is trusted as configured, without a
// trusting period: a node that starts long after genesis should start
// from a trusted checkpoint instead.
func (c VerifyConfig) VerifyFirst(genesisVals *types.ValidatorSet, h *Header, now time.Time) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("%w: nil header", ErrHeaderMalformed)
	}
	if err := h.ValidateBasic(c.ChainID); err != nil {
		return err
	}
	sh := h.Signed
	switch {
	case sh.Height != 1:
		return fmt.Errorf("%w: first header has height %d, want 1", ErrNotVerified, sh.Height)
	case genesisVals.IsNilOrEmpty():
		return fmt.Errorf("%w: no genesis validator set", ErrValidatorsUnknown)
	case !bytes.Equal(sh.ValidatorsHash, genesisVals.Hash()):
		return fmt.Errorf("%w: first header's validators hash %X is not the genesis set's %X", ErrNotVerified, sh.ValidatorsHash, genesisVals.Hash())
	case !sh.Time.Before(now.Add(c.MaxClockDrift)):
		return fmt.Errorf("%w: first header's time %v is ahead of now %v by more than %v", ErrNotVerified, sh.Time, now, c.MaxClockDrift)
	}
	if err := genesisVals.VerifyCommitLight(c.ChainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		return fmt.Errorf("%w: first header: %w", ErrNotVerified, err)
	}
	return nil
}
