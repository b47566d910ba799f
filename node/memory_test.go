package node

import (
	"errors"
	"testing"
)

func TestDefaultMemoryLimitScalesWithTheWidestSquare(t *testing.T) {
	for _, c := range []struct {
		k    int
		want int64
	}{{1, 256 << 20}, {64, 256 << 20}, {128, 256 << 20}, {256, 1 << 30}, {512, 4 << 30}} {
		if got := DefaultMemoryLimit(c.k); got != c.want {
			t.Errorf("DefaultMemoryLimit(%d) = %d MiB, want %d MiB", c.k, got>>20, c.want>>20)
		}
	}
	c := DefaultConfig(RoleFull)
	c.MemoryLimitMiB = -1
	if err := c.Validate(); !errors.Is(err, ErrConfig) {
		t.Fatalf("a negative memory_limit_mib: %v", err)
	}
}
