// Package vectors gives tests access to the known-answer vectors in
// ../shared/vectors (computed by Celestia's own code) and rebuilds their
// inputs from the formulas in that folder's README.
//
// The vectors live beside the repository, not in it: on a user's clone the
// folder is absent and every test that needs it skips, saying so. Set
// TARTAN_VECTORS to use another folder.
package vectors

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tartan-da/tartan/da"
)

// Seed is the seed of the A set of vectors.
const Seed = "celestia-da-vectors/v1/A"

// Dir returns the vectors folder, or skips the test when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("TARTAN_VECTORS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			v := filepath.Join(dir, "..", "shared", "vectors")
			if _, err := os.Stat(v); err != nil {
				tb.Skipf("known-answer vectors not found at %s (they sit beside the repository in the development tree; set TARTAN_VECTORS to point at them)", v)
			}
			return v
		}
		if filepath.Dir(dir) == dir {
			tb.Skip("known-answer vectors not found: no go.mod above the test's directory")
		}
	}
}

// Load decodes the JSON file name (relative to the vectors folder) into v.
func Load(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

// HBlock is H(seed ‖ tag ‖ be32(a) ‖ be32(c)).
func HBlock(seed, tag string, a, c uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte(tag))
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], a)
	binary.BigEndian.PutUint32(b[4:], c)
	h.Write(b[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Stream is the first n bytes of HBlock(tag,a,0) ‖ HBlock(tag,a,1) ‖ ….
func Stream(seed, tag string, a uint32, n int) []byte {
	out := make([]byte, 0, n+32)
	for c := uint32(0); len(out) < n; c++ {
		b := HBlock(seed, tag, a, c)
		out = append(out, b[:]...)
	}
	return out[:n]
}

// ODS builds the ods-v1 original square of width k (vectors README).
func ODS(seed string, k int) []da.Share {
	n := k * k
	t := n / 4
	d := n - t
	shares := make([]da.Share, 0, n)
	for b := uint32(0); len(shares) < d; b++ {
		l := 1 + int(b%4)
		if rem := d - len(shares); rem < l {
			l = rem
		}
		var ns da.Namespace
		binary.BigEndian.PutUint32(ns[1+18:], b)
		h := HBlock(seed, "ns", b, 0)
		copy(ns[1+18+4:], h[:6])
		size := 478 + 482*(l-1) - int(HBlock(seed, "pad", b, 0)[0])
		data := Stream(seed, "blob", b, size)
		shares = append(shares, SplitV0(ns, data)...)
	}
	for len(shares) < n {
		shares = append(shares, da.TailPaddingShare())
	}
	return shares
}

// SplitV0 splits data into version-0 sparse shares by the formula in the
// vectors README, independently of package da's own splitter, so a test can
// check one against the other.
func SplitV0(ns da.Namespace, data []byte) []da.Share {
	var out []da.Share
	var s da.Share
	copy(s[:], ns[:])
	s[29] = 0x01
	binary.BigEndian.PutUint32(s[30:], uint32(len(data)))
	m := copy(s[34:], data)
	out = append(out, s)
	for rest := data[m:]; len(rest) > 0; {
		var c da.Share
		copy(c[:], ns[:])
		m := copy(c[30:], rest)
		rest = rest[m:]
		out = append(out, c)
	}
	return out
}

// SharesHash is H(share_0 ‖ share_1 ‖ …), the ods_sha256 and eds_sha256 of
// the vector files.
func SharesHash(shares []da.Share) [32]byte {
	h := sha256.New()
	for i := range shares {
		h.Write(shares[i][:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
