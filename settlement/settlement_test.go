package settlement

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

var testDomain = Domain{ChainID: "tartan-devnet", EVMChainID: 1337, Oracle: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")}

// The digest agrees with go-ethereum's own EIP-712 encoder (the one its
// signer uses), field for field.
func TestDigestMatchesGoEthereumTypedData(t *testing.T) {
	for _, c := range []Commitment{
		{Nonce: 1, Start: 1, End: 101, TupleRoot: sha256.Sum256([]byte("root"))},
		{Nonce: 1 << 40, Start: 1 << 50, End: 1<<50 + 10_000},
		{},
	} {
		for _, d := range []Domain{testDomain, {ChainID: "", EVMChainID: 0}, {ChainID: "another", EVMChainID: 11155111, Oracle: common.Address{1}}} {
			td := apitypes.TypedData{
				Types: apitypes.Types{
					"EIP712Domain": {{Name: "name", Type: "string"}, {Name: "version", Type: "string"}, {Name: "chainId", Type: "uint256"}, {Name: "verifyingContract", Type: "address"}},
					"DataCommitment": {{Name: "tartanChainId", Type: "string"}, {Name: "nonce", Type: "uint256"}, {Name: "startBlock", Type: "uint64"},
						{Name: "endBlock", Type: "uint64"}, {Name: "dataCommitment", Type: "bytes32"}},
				},
				PrimaryType: "DataCommitment",
				Domain: apitypes.TypedDataDomain{Name: DomainName, Version: DomainVersion,
					ChainId: (*math.HexOrDecimal256)(new(big.Int).SetUint64(d.EVMChainID)), VerifyingContract: d.Oracle.Hex()},
				Message: apitypes.TypedDataMessage{
					"tartanChainId": d.ChainID, "nonce": new(big.Int).SetUint64(c.Nonce).String(),
					"startBlock": new(big.Int).SetUint64(c.Start).String(), "endBlock": new(big.Int).SetUint64(c.End).String(),
					"dataCommitment": hexutil.Encode(c.TupleRoot[:]),
				},
			}
			want, _, err := apitypes.TypedDataAndHash(td)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Digest(c); !bytes.Equal(got[:], want) {
				t.Fatalf("digest of %+v under %+v: %x, go-ethereum says %x", c, d, got, want)
			}
		}
	}
}

func TestSignAndRecover(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := Commitment{Nonce: 7, Start: 601, End: 701, TupleRoot: sha256.Sum256([]byte("x"))}
	sig, err := testDomain.Sign(key, c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := testDomain.Signer(c, sig); err != nil || got != AddressOf(key) {
		t.Fatalf("signer %s (%v), want %s", got, err, AddressOf(key))
	}
	// The signature names another signer (or none) for any other
	// commitment or domain: nonce, range, root, chain, contract.
	others := []struct {
		d Domain
		c Commitment
	}{
		{testDomain, Commitment{Nonce: 8, Start: 601, End: 701, TupleRoot: c.TupleRoot}},
		{testDomain, Commitment{Nonce: 7, Start: 601, End: 702, TupleRoot: c.TupleRoot}},
		{testDomain, Commitment{Nonce: 7, Start: 601, End: 701}},
		{Domain{ChainID: "other", EVMChainID: testDomain.EVMChainID, Oracle: testDomain.Oracle}, c},
		{Domain{ChainID: testDomain.ChainID, EVMChainID: 1, Oracle: testDomain.Oracle}, c},
		{Domain{ChainID: testDomain.ChainID, EVMChainID: testDomain.EVMChainID}, c},
	}
	for i, o := range others {
		if got, err := o.d.Signer(o.c, sig); err == nil && got == AddressOf(key) {
			t.Fatalf("case %d: the signature also passes for %+v under %+v", i, o.c, o.d)
		}
	}
	bad := func(name string, mutate func([]byte) []byte) {
		s := mutate(append([]byte(nil), sig...))
		if _, err := testDomain.Signer(c, s); !errors.Is(err, ErrSignature) {
			t.Fatalf("%s: %v, want ErrSignature", name, err)
		}
	}
	bad("short", func(s []byte) []byte { return s[:64] })
	bad("v = 1", func(s []byte) []byte { s[64] = 1; return s })
	bad("zero r", func(s []byte) []byte { clear(s[:32]); return s })
	// The same signature with s' = n - s (and v flipped) is valid ECDSA
	// but malleable; the oracle refuses it and so do we.
	bad("high s", func(s []byte) []byte {
		n := crypto.S256().Params().N
		hs := new(big.Int).Sub(n, new(big.Int).SetBytes(s[32:64]))
		copy(s[32:64], common.LeftPadBytes(hs.Bytes(), 32))
		s[64] ^= 1
		return s
	})
}

// naiveRoot is RFC-6962 over leaves written the obvious way: split at the
// largest power of two below n.
func naiveRoot(leaves [][]byte) [32]byte {
	if len(leaves) == 1 {
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := naiveRoot(leaves[:k]), naiveRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func tuples(start uint64, n int) []Tuple {
	out := make([]Tuple, n)
	for i := range out {
		h := start + uint64(i)
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], h)
		out[i] = Tuple{Height: h, DataRoot: sha256.Sum256(b[:])}
	}
	return out
}

func TestTupleTree(t *testing.T) {
	enc := Tuple{Height: 0x0102, DataRoot: [32]byte{0xaa}}.Encode()
	want := append(append(make([]byte, 30), 0x01, 0x02), append([]byte{0xaa}, make([]byte, 31)...)...)
	if !bytes.Equal(enc[:], want) {
		t.Fatalf("abi.encode(uint256, bytes32) = %x, want %x", enc, want)
	}
	for _, n := range []int{1, 2, 3, 5, 100, 257} {
		ts := tuples(1000, n)
		var leaves [][]byte
		for _, tp := range ts {
			e := tp.Encode()
			leaves = append(leaves, e[:])
		}
		root, err := TupleRoot(ts)
		if err != nil || root != naiveRoot(leaves) {
			t.Fatalf("n=%d: root %x (%v), want %x", n, root, err, naiveRoot(leaves))
		}
		for i := range ts {
			p, err := ProveTuple(ts, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyTuple(root, ts[i], &p); err != nil {
				t.Fatalf("n=%d tuple %d: %v", n, i, err)
			}
			other := ts[i]
			other.DataRoot[0] ^= 1
			if VerifyTuple(root, other, &p) == nil {
				t.Fatalf("n=%d tuple %d: a changed data root verifies", n, i)
			}
			other = ts[i]
			other.Height++
			if VerifyTuple(root, other, &p) == nil {
				t.Fatalf("n=%d tuple %d: another height verifies", n, i)
			}
		}
	}
	gap := tuples(5, 4)
	gap[2].Height = 100
	for name, ts := range map[string][]Tuple{"empty": nil, "gap": gap, "height 0": tuples(0, 3), "too many": tuples(1, MaxWindow+1)} {
		if _, err := TupleRoot(ts); !errors.Is(err, ErrRange) {
			t.Fatalf("%s: %v, want ErrRange", name, err)
		}
	}
}

// A key survives its encoding, and garbage is not a key.
func TestKeyEncoding(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(EncodeKey(k))
	if err != nil || AddressOf(back) != AddressOf(k) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	if _, err := ParseKey([]byte("not a key\n")); err == nil {
		t.Fatal("garbage parsed as a key")
	}
}

// TestReadKeyFile: a key file reads back as the key written, a damaged
// one is an error naming the file, a missing one is fs.ErrNotExist.
func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good, bad := filepath.Join(dir, "good.key"), filepath.Join(dir, "bad.key")
	if err := errors.Join(os.WriteFile(good, EncodeKey(k), 0o600), os.WriteFile(bad, []byte("zz\n"), 0o600)); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadKeyFile(good); err != nil || AddressOf(back) != AddressOf(k) {
		t.Fatalf("ReadKeyFile: %v, %v", back, err)
	}
	if _, err := ReadKeyFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("damaged key file: %v, want an error naming %s", err, bad)
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "none.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key file: %v, want fs.ErrNotExist", err)
	}
}

func TestParseAddress(t *testing.T) {
	a := common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")
	for _, s := range []string{a.Hex(), strings.ToLower(a.Hex()), "0x" + strings.ToUpper(a.Hex()[2:])} {
		if got, err := ParseAddress(s); err != nil || got != a {
			t.Fatalf("%s: %s, %v", s, got, err)
		}
	}
	for _, s := range []string{"5FbDB2315678afecb367f032d93F642f64180aa3", "0x5fbDB2315678afecb367f032d93F642f64180aa3", "0x1234", ""} {
		if _, err := ParseAddress(s); err == nil {
			t.Fatalf("%q accepted", s)
		}
	}
}

// Signer never panics on untrusted bytes, and what it accepts is a
// canonical signature: r ‖ s ‖ v with low s.
func FuzzSigner(f *testing.F) {
	key, _ := crypto.GenerateKey()
	c := Commitment{Nonce: 1, Start: 1, End: 2}
	sig, _ := testDomain.Sign(key, c)
	f.Add(sig)
	f.Add(make([]byte, 65))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, sig []byte) {
		if _, err := testDomain.Signer(c, sig); err != nil {
			return
		}
		s := new(big.Int).SetBytes(sig[32:64])
		if len(sig) != SignatureSize || s.Cmp(new(big.Int).Rsh(crypto.S256().Params().N, 1)) > 0 {
			t.Fatalf("accepted a non-canonical signature %x", sig)
		}
	})
}

func TestAttestationEncoding(t *testing.T) {
	key, _ := crypto.GenerateKey()
	p := Params{Domain: testDomain, Window: 100}
	start, end := p.Range(3)
	if start != 201 || end != 301 || p.NonceOf(201) != 3 || p.NonceOf(300) != 3 || p.NonceOf(301) != 4 || p.NonceOf(1) != 1 {
		t.Fatalf("nonce 3 covers [%d, %d); heights 201, 300, 301, 1 have nonces %d %d %d %d", start, end, p.NonceOf(201), p.NonceOf(300), p.NonceOf(301), p.NonceOf(1))
	}
	c := Commitment{Nonce: 3, Start: start, End: end, TupleRoot: sha256.Sum256([]byte("r"))}
	sig, _ := p.Sign(key, c)
	a := Attestation{Commitment: c, Signature: sig}
	b, err := a.MarshalBinary()
	if err != nil || len(b) != AttestationSize {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	var back Attestation
	if err := back.UnmarshalBinary(b); err != nil || back.Commitment != c || !bytes.Equal(back.Signature, sig) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if who, err := p.Signer(back.Commitment, back.Signature); err != nil || who != AddressOf(key) {
		t.Fatalf("signer %s, %v", who, err)
	}
	for name, mut := range map[string]func([]byte) []byte{
		"short":    func(b []byte) []byte { return b[:len(b)-1] },
		"long":     func(b []byte) []byte { return append(b, 0) },
		"nonce 0":  func(b []byte) []byte { clear(b[:8]); return b },
		"empty":    func(b []byte) []byte { copy(b[16:24], b[8:16]); return b },
		"too wide": func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], 201+MaxWindow+1); return b },
		"reversed": func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], 100); return b },
		"height 0": func(b []byte) []byte { clear(b[8:16]); return b },
	} {
		if err := new(Attestation).UnmarshalBinary(mut(append([]byte(nil), b...))); !errors.Is(err, ErrEncoding) {
			t.Fatalf("%s: %v, want ErrEncoding", name, err)
		}
	}
	if (Params{Domain: testDomain}).Validate() == nil || (Params{Window: MaxWindow + 1}).Validate() == nil || p.Validate() != nil {
		t.Fatal("window bounds not enforced")
	}
}

func FuzzAttestation(f *testing.F) {
	key, _ := crypto.GenerateKey()
	c := Commitment{Nonce: 1, Start: 1, End: 101}
	sig, _ := testDomain.Sign(key, c)
	good, _ := (&Attestation{Commitment: c, Signature: sig}).MarshalBinary()
	f.Add(good)
	f.Add(make([]byte, AttestationSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Attestation
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := a.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", again, b, err)
		}
		_, _ = testDomain.Signer(a.Commitment, a.Signature) // must not panic
	})
}
