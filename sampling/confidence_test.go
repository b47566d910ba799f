package sampling

import (
	"errors"
	"math"
	"testing"
	"time"
)

// Sample counts worked out independently of SampleCount (by stepping s up
// until 1 − (1−f)^s reaches the target, and capping at the 3k² − 2k cells
// that make a hit certain).
func TestSampleCountTable(t *testing.T) {
	tests := []struct {
		k          int
		confidence float64
		want       int
	}{
		{1, 0.9999, 1}, // f = 1: one sample always hits
		{2, 0.9999, 8}, // 8 = 3·4 − 4 distinct cells must hit
		{4, 0.9999, 19},
		{8, 0.9999, 25},
		{16, 0.9999, 28},
		{32, 0.9999, 30},
		{64, 0.9999, 31},
		{128, 0.9999, 32},
		{512, 0.9999, 32},
		{MaxWidth, 0.9999, 33},
		{2, 0.99, 6},
		{4, 0.99, 10},
		{16, 0.99, 14},
		{128, 0.99, 16},
		{MaxWidth, 0.99, 17},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Confidence = tt.confidence
		if got := SampleCount(tt.k, cfg); got != tt.want {
			t.Errorf("SampleCount(k=%d, %v) = %d, want %d", tt.k, tt.confidence, got, tt.want)
		}
	}
}

func TestSampleCountIsMinimal(t *testing.T) {
	targets := []float64{0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1 - 1e-9, 1 - 1e-15}
	for k := 1; k <= 600; k = k*2 - k/2 + 1 {
		for _, c := range targets {
			cfg := DefaultConfig()
			cfg.Confidence = c
			s := SampleCount(k, cfg)
			if s < 1 || s > cellCount(k) {
				t.Fatalf("k=%d c=%v: s = %d outside [1, 4k²]", k, c, s)
			}
			if got := Confidence(k, s); got < c {
				t.Errorf("k=%d c=%v: Confidence(s=%d) = %v < target", k, c, s, got)
			}
			if s > 1 && Confidence(k, s-1) >= c {
				t.Errorf("k=%d c=%v: s=%d is not minimal, s−1 gives %v", k, c, s, Confidence(k, s-1))
			}
		}
	}
}

func TestSampleCountExplicit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Samples = 20
	for _, tt := range []struct{ k, want int }{{1, 4}, {2, 16}, {4, 20}, {128, 20}} {
		if got := SampleCount(tt.k, cfg); got != tt.want {
			t.Errorf("SampleCount(k=%d, samples 20) = %d, want %d", tt.k, got, tt.want)
		}
	}
	if got := SampleCount(0, cfg); got != 0 {
		t.Errorf("SampleCount(k=0) = %d, want 0", got)
	}
	if got := SampleCount(MaxWidth+1, DefaultConfig()); got != 0 {
		t.Errorf("SampleCount(k=MaxWidth+1) = %d, want 0", got)
	}
}

func TestConfidenceProperties(t *testing.T) {
	for _, k := range []int{1, 2, 3, 4, 7, 16, 64, 128} {
		f := FractionBound(k)
		if want := float64((k+1)*(k+1)) / float64(4*k*k); f != want {
			t.Errorf("FractionBound(%d) = %v, want %v", k, f, want)
		}
		prev, prevExact := 0.0, 0.0
		for s := 0; s <= min(cellCount(k), 400); s++ {
			c, e := Confidence(k, s), ExactConfidence(k, s)
			if c < prev || e < prevExact {
				t.Fatalf("k=%d s=%d: not monotone (%v after %v, exact %v after %v)", k, s, c, prev, e, prevExact)
			}
			if c > e+1e-12 {
				t.Fatalf("k=%d s=%d: bound %v above the exact %v", k, s, c, e)
			}
			if s < certain(k) {
				if want := 1 - math.Pow(1-f, float64(s)); math.Abs(c-want) > 1e-12 {
					t.Fatalf("k=%d s=%d: Confidence %v, want 1−(1−f)^s = %v", k, s, c, want)
				}
			} else if c != 1 || e != 1 {
				t.Fatalf("k=%d s=%d ≥ %d: confidence %v exact %v, want certainty", k, s, certain(k), c, e)
			}
			prev, prevExact = c, e
		}
	}
	// Exact, by direct binomials: k=2, 16 cells, 9 withheld, s=3:
	// 1 − C(7,3)/C(16,3) = 1 − 35/560.
	if got, want := ExactConfidence(2, 3), 1-35.0/560; math.Abs(got-want) > 1e-12 {
		t.Errorf("ExactConfidence(2, 3) = %v, want %v", got, want)
	}
	if Confidence(4, 0) != 0 || Confidence(0, 5) != 0 || ExactConfidence(4, -1) != 0 {
		t.Error("confidence of no samples or no square is not 0")
	}
	a := AssuranceFor(128, 32)
	if a.Width != 128 || a.Samples != 32 || a.Bound != "(k+1)^2 of 4k^2 withheld" || a.Confidence < 0.9999 {
		t.Errorf("AssuranceFor(128, 32) = %+v", a)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"confidence 0", func(c *Config) { c.Confidence = 0 }},
		{"confidence 1", func(c *Config) { c.Confidence = 1 }},
		{"confidence NaN", func(c *Config) { c.Confidence = math.NaN() }},
		{"confidence negative", func(c *Config) { c.Confidence = -0.5 }},
		{"samples negative", func(c *Config) { c.Samples = -1 }},
		{"attempts 0", func(c *Config) { c.MaxAttempts = 0 }},
		{"timeout negative", func(c *Config) { c.SessionTimeout = -time.Second }},
		{"in flight 0", func(c *Config) { c.MaxInFlight = 0 }},
		{"workers 0", func(c *Config) { c.Workers = 0 }},
		{"retry base 0", func(c *Config) { c.RetryBase = 0 }},
		{"retry max below base", func(c *Config) { c.RetryMax = c.RetryBase / 2 }},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.edit(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, want ErrConfig", tt.name, err)
		}
	}
	c := DefaultConfig()
	c.Samples, c.SessionTimeout = 40, 0
	if err := c.Validate(); err != nil {
		t.Errorf("explicit samples, no timeout: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	c := DefaultConfig()
	c.RetryBase, c.RetryMax = time.Second, 10*time.Second
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := c.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := c.backoff(1000); got != 10*time.Second {
		t.Errorf("backoff(1000) = %v, want the cap", got)
	}
}
