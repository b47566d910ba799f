package sampling

import (
	"fmt"
	"math"
	"time"
)

// Config says how many cells a light node samples per height and how hard
// it tries. Flags map onto it as --sampling.<field in lower case>.
type Config struct {
	// Confidence is the target confidence, in (0, 1), from which the
	// sample count is derived when Samples is 0 (--sampling.confidence).
	Confidence float64
	// Samples, when positive, is an explicit sample count per height
	// (--sampling.samples); it overrides Confidence. It is clamped to the
	// 4k² cells of the square.
	Samples int
	// MaxAttempts is how many times one cell may fail within a round
	// before the session gives up and reports the height unavailable.
	MaxAttempts int
	// SessionTimeout bounds one round of a session; when it passes with
	// cells unverified the height is unavailable. 0 means no deadline.
	SessionTimeout time.Duration
	// MaxInFlight bounds the cells one session has requested and not yet
	// heard back about.
	MaxInFlight int
	// Workers bounds the heights sampled at the same time (catch-up
	// parallelism).
	Workers int
	// RetryBase and RetryMax shape the exponential backoff after which an
	// unavailable height is sampled again: RetryBase·2^(n−1) after the
	// n-th unavailable verdict, capped at RetryMax.
	RetryBase, RetryMax time.Duration
}

// DefaultConfig returns the defaults: confidence 0.9999 with the sample
// count derived from it, 4 attempts per cell, rounds of one minute, 64
// cells in flight per session, 8 heights at once, and retries from 10
// seconds doubling up to 10 minutes.
func DefaultConfig() Config {
	return Config{
		Confidence:     0.9999,
		Samples:        0,
		MaxAttempts:    4,
		SessionTimeout: time.Minute,
		MaxInFlight:    64,
		Workers:        8,
		RetryBase:      10 * time.Second,
		RetryMax:       10 * time.Minute,
	}
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c Config) Validate() error {
	switch {
	case math.IsNaN(c.Confidence) || c.Confidence <= 0 || c.Confidence >= 1:
		return fmt.Errorf("%w: confidence %v is not in (0, 1)", ErrConfig, c.Confidence)
	case c.Samples < 0:
		return fmt.Errorf("%w: samples %d is negative (0 derives it from confidence)", ErrConfig, c.Samples)
	case c.MaxAttempts < 1:
		return fmt.Errorf("%w: max attempts %d, want at least 1", ErrConfig, c.MaxAttempts)
	case c.SessionTimeout < 0:
		return fmt.Errorf("%w: session timeout %v is negative (0 means none)", ErrConfig, c.SessionTimeout)
	case c.MaxInFlight < 1:
		return fmt.Errorf("%w: max in flight %d, want at least 1", ErrConfig, c.MaxInFlight)
	case c.Workers < 1:
		return fmt.Errorf("%w: workers %d, want at least 1", ErrConfig, c.Workers)
	case c.RetryBase <= 0:
		return fmt.Errorf("%w: retry base %v, want more than 0", ErrConfig, c.RetryBase)
	case c.RetryMax < c.RetryBase:
		return fmt.Errorf("%w: retry max %v is below retry base %v", ErrConfig, c.RetryMax, c.RetryBase)
	}
	return nil
}

// backoff is the wait after the n-th (n ≥ 1) unavailable verdict in a row.
func (c Config) backoff(n int) time.Duration {
	d := c.RetryBase
	for i := 1; i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}
