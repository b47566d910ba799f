package consensus

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	cmtmath "github.com/cometbft/cometbft/libs/math"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"
)

func TestVerifyAccepts(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	b := append(append([]testValidator{}, a[:3]...), newValidators(10)...) // 3 of a's 4 stay
	bs := chain(t, testChainID, a, a, b, b, b, b)
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)
	aVals, bVals := bs[0].vals, bs[2].vals

	if err := cfg.VerifyFirst(aVals, bs[0].h, now); err != nil {
		t.Fatalf("first header: %v", err)
	}
	// Height by height, keeping the set Verify returns.
	vals := aVals
	for i := 1; i < len(bs); i++ {
		got, err := cfg.Verify(bs[i-1].h, vals, bs[i].h, now)
		if err != nil {
			t.Fatalf("height %d: %v", i+1, err)
		}
		if !bytes.Equal(got.Hash(), bs[i].vals.Hash()) {
			t.Fatalf("height %d: returned set %X, want %X", i+1, got.Hash(), bs[i].vals.Hash())
		}
		vals = got
	}
	for _, tt := range []struct {
		name          string
		trusted       int // index into bs
		trustedVals   *types.ValidatorSet
		untrusted     *Header
		wantVals      *types.ValidatorSet
		validatorsNil bool
	}{
		{"skip within one set, validators omitted", 2, bVals, bs[5].h, bVals, true},
		{"skip across a change, 3 of 4 trusted signed", 0, aVals, bs[2].h, bVals, false},
		{"skip across a change, validators given", 0, aVals, withVals(bs[5].h, bVals), bVals, false},
		{"skip of one height, validators given", 1, aVals, withVals(bs[3].h, bVals), bVals, false},
	} {
		if (tt.untrusted.Validators == nil) != tt.validatorsNil {
			t.Fatalf("%s: the chain builder gave validators %v", tt.name, tt.untrusted.Validators)
		}
		got, err := cfg.Verify(bs[tt.trusted].h, tt.trustedVals, tt.untrusted, now)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		} else if !bytes.Equal(got.Hash(), tt.wantVals.Hash()) {
			t.Errorf("%s: returned set %X, want %X", tt.name, got.Hash(), tt.wantVals.Hash())
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	b := append(append([]testValidator{}, a[:3]...), newValidators(10)...)
	mostlyNew := append(append([]testValidator{}, a[:1]...), newValidators(10, 10, 10)...) // 1 of a's 4 stays
	bs := chain(t, testChainID, a, a, b, b, a, a)
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)
	aVals, bVals := bs[0].vals, bs[2].vals

	// Signatures of all of a over a block other than height 2's, put in
	// the commit for height 2: the header and commit agree, the votes don't.
	other := makeBlock(t, testChainID, 2, blockTxs(t, 99), bs[0].id, bs[0].h.Signed.Commit, aVals, aVals)
	forged := *bs[1].h
	forgedCommit := commitFor(t, testChainID, other.id, 2, other.block.Time, aVals, a)
	forgedCommit.BlockID = bs[1].id
	forged.Signed = &types.SignedHeader{Header: bs[1].h.Signed.Header, Commit: forgedCommit}

	// Height 2 of another chain with the same validators.
	otherChain := chain(t, "tartan-other", a, a)

	// Heights 1..5 where the set at 5 keeps only 1 of the 4 trusted at 1.
	skipChain := chain(t, testChainID, a, a, a, a, mostlyNew)

	// tx[0]'s proof in another list of transactions: the leaf matches,
	// the root is not DataHash.
	badProof := *bs[1].h
	otherTxs := blockTxs(t, 99)
	otherTxs[0] = bs[1].txs[0]
	badProof.DataProof = otherTxs.Proof(0).Proof
	// tx[0] changed after the fact, proof unchanged.
	badData := *bs[1].h
	badData.DataTx = DataCommitment{SquareWidth: 8, DataRoot: [32]byte{1}}.Marshal()
	// A blob tx (tx[1]) with its valid proof, passed off as tx[0].
	notFirst := *bs[1].h
	p1 := bs[1].txs.Proof(1)
	notFirst.DataTx, notFirst.DataProof = p1.Data, p1.Proof

	// A block whose tx[0] is a blob tx: its proof is fine, its content is not.
	blobFirst := &chainBuilder{t: t, chainID: testChainID}
	blobFirst.add(a, a, nil, a)
	txs := blockTxs(t, 2)
	txs[0] = txs[1]
	notCommitment := blobFirst.add(a, a, txs, a).h

	// Three equal validators, two of whom sign: exactly 2/3, not more.
	three := newValidators(5, 5, 5)
	threeChain := &chainBuilder{t: t, chainID: testChainID}
	threeChain.add(three, three, nil, three)
	twoThirds := threeChain.add(three, three, nil, three[:2])

	// The clock the trusted header expires at.
	expiry := bs[0].block.Time.Add(cfg.TrustingPeriod)

	for _, tt := range []struct {
		name        string
		trusted     *Header
		trustedVals *types.ValidatorSet
		untrusted   *Header
		now         time.Time
		want        error
	}{
		{"adjacent, half the power signed", bs[0].h, aVals, resigned(t, testChainID, bs[1], a[:2]), now, ErrNotVerified},
		{"adjacent, exactly 2/3 of the power signed", threeChain.blocks[0].h, threeChain.blocks[0].vals, twoThirds.h, now, ErrNotVerified},
		{"skip, half its own set signed", bs[1].h, aVals, withVals(resigned(t, testChainID, bs[3], b[:2]), bVals), now, ErrNotVerified},
		{"signatures over another block", bs[0].h, aVals, &forged, now, ErrNotVerified},
		{"header of another chain", bs[0].h, aVals, otherChain[1].h, now, ErrChainID},
		{"trusted header of another chain", otherChain[0].h, otherChain[0].vals, bs[1].h, now, ErrChainID},
		{"skip where 1/4 of the trusted set signed", skipChain[0].h, aVals, skipChain[4].h, now, ErrTooFewTrusted},
		{"tx[0] proof of other transactions", bs[0].h, aVals, &badProof, now, ErrDataProof},
		{"tx[0] changed, proof kept", bs[0].h, aVals, &badData, now, ErrDataProof},
		{"proof of tx[1]", bs[0].h, aVals, &notFirst, now, ErrDataProof},
		{"tx[0] not a data commitment", blobFirst.blocks[0].h, aVals, notCommitment, now, ErrDataCommitment},
		{"adjacent, trusted header expired", bs[0].h, aVals, bs[1].h, expiry, ErrTrustExpired},
		{"skip, trusted header expired", bs[0].h, aVals, bs[4].h, expiry.Add(time.Hour), ErrTrustExpired},
		{"validators omitted, hash changed (skip)", bs[0].h, aVals, bs[3].h, now, ErrValidatorsUnknown},
		{"validators omitted, hash changed (adjacent)", bs[3].h, bVals, withVals(bs[4].h, nil), now, ErrValidatorsUnknown},
		{"trusted set is not the trusted header's", bs[0].h, bVals, withVals(bs[3].h, bVals), now, ErrValidatorsUnknown},
		{"validators given are not the header's", bs[1].h, aVals, withVals(bs[2].h, aVals), now, ErrHeaderMalformed},
		{"height goes back", bs[3].h, bVals, withVals(bs[2].h, bVals), now, ErrNotVerified},
		{"same height", bs[1].h, aVals, bs[1].h, now, ErrNotVerified},
		{"header from the future", bs[0].h, aVals, bs[1].h, bs[1].block.Time.Add(-cfg.MaxClockDrift), ErrNotVerified},
	} {
		if _, err := cfg.Verify(tt.trusted, tt.trustedVals, tt.untrusted, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

// The rejections above are only meaningful if the same headers, signed
// properly, pass: each base case is checked here.
func TestVerifyRejectionBases(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a, a)
	cfg := DefaultVerifyConfig(testChainID)
	vals := bs[0].vals
	// Resigned by all: the rebuilt commit is as good as the original.
	if _, err := cfg.Verify(bs[0].h, vals, resigned(t, testChainID, bs[1], a), genesisTime.Add(time.Hour)); err != nil {
		t.Fatalf("resigned by all: %v", err)
	}
	// 3 of 4 is more than 2/3.
	if _, err := cfg.Verify(bs[0].h, vals, resigned(t, testChainID, bs[1], a[1:]), genesisTime.Add(time.Hour)); err != nil {
		t.Fatalf("resigned by 3 of 4: %v", err)
	}
	// Just inside the trusting period, and a header just inside the drift.
	inside := bs[0].block.Time.Add(cfg.TrustingPeriod - time.Nanosecond)
	if _, err := cfg.Verify(bs[0].h, vals, bs[2].h, inside); err != nil {
		t.Fatalf("just inside the trusting period: %v", err)
	}
	if _, err := cfg.Verify(bs[0].h, vals, bs[1].h, bs[1].block.Time.Add(-cfg.MaxClockDrift+time.Nanosecond)); err != nil {
		t.Fatalf("just inside the clock drift: %v", err)
	}
}

func TestVerifyKeepsCometBFTDetails(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a)
	skip := chain(t, testChainID, a, a, newValidators(10, 10, 10, 10))
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)

	_, err := cfg.Verify(bs[0].h, bs[0].vals, resigned(t, testChainID, bs[1], a[:2]), now)
	if !errors.As(err, new(light.ErrInvalidHeader)) {
		t.Errorf("half signed: %v does not carry light.ErrInvalidHeader", err)
	}
	_, err = cfg.Verify(skip[0].h, skip[0].vals, skip[2].h, now)
	var few light.ErrNewValSetCantBeTrusted
	if !errors.As(err, &few) || few.Reason.Got != 0 {
		t.Errorf("none of the trusted signed: %v, want light.ErrNewValSetCantBeTrusted with 0 power", err)
	}
}

func TestVerifyFirst(t *testing.T) {
	a := newValidators(10, 10, 10, 10)
	bs := chain(t, testChainID, a, a)
	cfg := DefaultVerifyConfig(testChainID)
	now := genesisTime.Add(time.Hour)
	if err := cfg.VerifyFirst(bs[0].vals, bs[0].h, now); err != nil {
		t.Fatalf("first header: %v", err)
	}
	// The validator set need not travel with the first header.
	if err := cfg.VerifyFirst(bs[0].vals, withVals(bs[0].h, nil), now); err != nil {
		t.Fatalf("first header without its set: %v", err)
	}
	otherChain := chain(t, "tartan-other", a)
	for _, tt := range []struct {
		name    string
		genesis *types.ValidatorSet
		h       *Header
		now     time.Time
		want    error
	}{
		{"another genesis set", valSet(newValidators(10, 10, 10, 10)), withVals(bs[0].h, nil), now, ErrNotVerified},
		{"the genesis keys with other powers", valSet(append(slices.Clone(a[:3]), testValidator{a[3].pv, 11})), withVals(bs[0].h, nil), now, ErrNotVerified},
		{"half the power signed", bs[0].vals, resigned(t, testChainID, bs[0], a[:2]), now, ErrNotVerified},
		{"height 2", bs[0].vals, bs[1].h, now, ErrNotVerified},
		{"another chain", bs[0].vals, otherChain[0].h, now, ErrChainID},
		{"from the future", bs[0].vals, bs[0].h, genesisTime.Add(-time.Minute), ErrNotVerified},
		{"no genesis set", nil, withVals(bs[0].h, nil), now, ErrValidatorsUnknown},
	} {
		if err := cfg.VerifyFirst(tt.genesis, tt.h, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifyConfigValidate(t *testing.T) {
	if err := DefaultVerifyConfig(testChainID).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mutate := range map[string]func(*VerifyConfig){
		"no chain id":            func(c *VerifyConfig) { c.ChainID = "" },
		"chain id too long":      func(c *VerifyConfig) { c.ChainID = string(make([]byte, types.MaxChainIDLen+1)) },
		"zero trusting period":   func(c *VerifyConfig) { c.TrustingPeriod = 0 },
		"negative drift":         func(c *VerifyConfig) { c.MaxClockDrift = -time.Second },
		"trust level 1/4":        func(c *VerifyConfig) { c.TrustLevel = cmtmath.Fraction{Numerator: 1, Denominator: 4} },
		"trust level above 1":    func(c *VerifyConfig) { c.TrustLevel = cmtmath.Fraction{Numerator: 4, Denominator: 3} },
		"trust level zero denom": func(c *VerifyConfig) { c.TrustLevel = cmtmath.Fraction{} },
	} {
		c := DefaultVerifyConfig(testChainID)
		mutate(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
	a := newValidators(10)
	bs := chain(t, testChainID, a, a)
	if _, err := (VerifyConfig{ChainID: testChainID}).Verify(bs[0].h, bs[0].vals, bs[1].h, genesisTime); !errors.Is(err, ErrConfig) {
		t.Errorf("Verify with a zero config: %v, want ErrConfig", err)
	}
}
