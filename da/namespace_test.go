package da_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/da"
)

func mustHexNS(t *testing.T, s string) da.Namespace {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != da.NamespaceSize {
		t.Fatalf("bad test namespace %q", s)
	}
	return da.Namespace(b)
}

func TestReservedNamespaceValues(t *testing.T) {
	z27 := strings.Repeat("00", 27)
	f27 := strings.Repeat("ff", 27)
	for _, c := range []struct {
		ns   da.Namespace
		want string
	}{
		{da.TxNamespace, "00" + z27 + "01"},
		{da.IntermediateStateRootsNamespace, "00" + z27 + "02"},
		{da.PayForBlobNamespace, "00" + z27 + "04"},
		{da.PayForFibreNamespace, "00" + z27 + "05"},
		{da.PrimaryReservedPaddingNamespace, "00" + z27 + "ff"},
		{da.MinSecondaryReservedNamespace, "ff" + f27 + "00"},
		{da.TailPaddingNamespace, "ff" + f27 + "fe"},
		{da.ParityNamespace, "ff" + f27 + "ff"},
	} {
		if got := c.ns.String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	// Tail padding sorts below parity (SPEC §2), blobs between the ranges.
	user := mustHexNS(t, "00"+strings.Repeat("00", 18)+"ffffffffffffffffffff")
	order := []da.Namespace{da.TxNamespace, da.PayForBlobNamespace, da.PrimaryReservedPaddingNamespace, user,
		da.MinSecondaryReservedNamespace, da.TailPaddingNamespace, da.ParityNamespace}
	for i := 1; i < len(order); i++ {
		if !order[i-1].Less(order[i]) || order[i].Compare(order[i-1]) != 1 {
			t.Errorf("%s does not sort below %s", order[i-1], order[i])
		}
	}
}

func TestNamespaceValidateForBlob(t *testing.T) {
	zeros18 := strings.Repeat("00", 18)
	for _, c := range []struct {
		name string
		ns   string
		want error // nil: accepted
	}{
		{"user namespace", "00" + zeros18 + "0102030405060708090a", nil},
		{"user namespace, high bytes", "00" + zeros18 + "ffffffffffffffffffff", nil},
		{"one non-zero byte before the last", "00" + zeros18 + "00000000000000000100", nil},
		{"tx", da.TxNamespace.String(), da.ErrNamespaceReserved},
		{"isr", da.IntermediateStateRootsNamespace.String(), da.ErrNamespaceReserved},
		{"pfb", da.PayForBlobNamespace.String(), da.ErrNamespaceReserved},
		{"pay for fibre", da.PayForFibreNamespace.String(), da.ErrNamespaceReserved},
		{"primary padding", da.PrimaryReservedPaddingNamespace.String(), da.ErrNamespaceReserved},
		{"all zero", strings.Repeat("00", 29), da.ErrNamespaceReserved},
		{"secondary min", da.MinSecondaryReservedNamespace.String(), da.ErrNamespaceVersion},
		{"tail padding", da.TailPaddingNamespace.String(), da.ErrNamespaceVersion},
		{"parity", da.ParityNamespace.String(), da.ErrNamespaceVersion},
		{"version 255 user", "ff" + strings.Repeat("11", 28), da.ErrNamespaceVersion},
		{"version 1", "01" + zeros18 + "0102030405060708090a", da.ErrNamespaceVersion},
		{"non-zero prefix first", "00" + "01" + strings.Repeat("00", 17) + "0102030405060708090a", da.ErrNamespacePrefix},
		{"non-zero prefix last", "00" + strings.Repeat("00", 17) + "80" + "0102030405060708090a", da.ErrNamespacePrefix},
	} {
		ns := mustHexNS(t, c.ns)
		err := ns.ValidateForBlob()
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseNamespace(t *testing.T) {
	user := "00" + strings.Repeat("00", 18) + "0102030405060708090a"
	for _, c := range []struct {
		name, in string
		want     string // 58-hex result, "" when an error is expected
		err      error
	}{
		{"58 hex", user, user, nil},
		{"58 hex upper case", strings.ToUpper(user), user, nil},
		{"20 hex", "0102030405060708090a", user, nil},
		{"20 hex reserved value still parses", "00000000000000000001", da.TxNamespace.String(), nil},
		{"58 hex tail padding parses", da.TailPaddingNamespace.String(), da.TailPaddingNamespace.String(), nil},
		{"empty", "", "", da.ErrNamespaceLength},
		{"19 hex", "0102030405060708090", "", da.ErrNamespaceLength},
		{"22 hex", "0102030405060708090a0b", "", da.ErrNamespaceLength},
		{"56 hex (28 bytes)", user[2:], "", da.ErrNamespaceLength},
		{"60 hex (30 bytes)", user + "00", "", da.ErrNamespaceLength},
		{"with 0x", "0x" + user[:56], "", nil},
		{"not hex", "zz02030405060708090a", "", nil},
		{"wrong version", "07" + user[2:], "", da.ErrNamespaceVersion},
		{"bad prefix", "0001" + user[4:], "", da.ErrNamespacePrefix},
	} {
		ns, err := da.ParseNamespace(c.in)
		switch {
		case c.want != "":
			if err != nil || ns.String() != c.want {
				t.Errorf("%s: got %s, %v; want %s", c.name, ns, err, c.want)
			}
		case err == nil:
			t.Errorf("%s: accepted as %s", c.name, ns)
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("%s: got %v, want %v", c.name, err, c.err)
		}
	}
}

func TestNamespaceFromBytes(t *testing.T) {
	for _, n := range []int{0, 1, 10, 28, 30, 58} {
		if _, err := da.NamespaceFromBytes(make([]byte, n)); !errors.Is(err, da.ErrNamespaceLength) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	b := make([]byte, 29)
	b[28] = 9
	ns, err := da.NamespaceFromBytes(b)
	if err != nil || ns.Version() != 0 || ns.ID()[27] != 9 {
		t.Fatalf("got %s, %v", ns, err)
	}
	b[0] = 2
	if _, err := da.NamespaceFromBytes(b); !errors.Is(err, da.ErrNamespaceVersion) {
		t.Fatalf("version 2: %v", err)
	}
	if _, err := da.NewV0Namespace(make([]byte, 11)); !errors.Is(err, da.ErrNamespaceLength) {
		t.Fatalf("11-byte user ID: %v", err)
	}
}

func TestNamespacePredicates(t *testing.T) {
	user := mustHexNS(t, "00"+strings.Repeat("00", 18)+"00000000000000000100")
	for _, c := range []struct {
		ns                          da.Namespace
		primary, secondary, compact bool
	}{
		{da.TxNamespace, true, false, true},
		{da.PayForBlobNamespace, true, false, true},
		{da.PayForFibreNamespace, true, false, true},
		{da.IntermediateStateRootsNamespace, true, false, false},
		{da.PrimaryReservedPaddingNamespace, true, false, false},
		{da.TailPaddingNamespace, false, true, false},
		{da.ParityNamespace, false, true, false},
		{da.MinSecondaryReservedNamespace, false, true, false},
		{user, false, false, false},
	} {
		if c.ns.IsPrimaryReserved() != c.primary || c.ns.IsSecondaryReserved() != c.secondary ||
			c.ns.IsReserved() != (c.primary || c.secondary) || c.ns.IsCompact() != c.compact {
			t.Errorf("%s: predicates wrong", c.ns)
		}
	}
}
