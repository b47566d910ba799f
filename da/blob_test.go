package da_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/internal/vectors"
)

func testNS(t testing.TB, id ...byte) da.Namespace {
	t.Helper()
	// A leading non-zero byte keeps short IDs out of the reserved range.
	ns, err := da.NewV0Namespace(append([]byte{0x7A}, id...))
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var testSigner = bytes.Repeat([]byte{0xA5}, da.SignerSize)

// boundarySizes lists data sizes on and around every share boundary for
// the given share version, up to shares shares.
func boundarySizes(version uint8, shares int) []int {
	first := da.FirstSparseShareContentSize
	if version != 0 {
		first = da.FirstSparseShareContentSizeWithSigner
	}
	sizes := []int{1, 2}
	for n := 1; n <= shares; n++ {
		edge := first + (n-1)*da.ContinuationSparseShareContentSize
		sizes = append(sizes, edge-1, edge, edge+1)
	}
	return sizes
}

func TestSparseShareCount(t *testing.T) {
	for _, c := range []struct {
		n       int
		version uint8
		want    int
	}{
		{0, 0, 0}, {-1, 0, 0}, {1, 0, 1}, {478, 0, 1}, {479, 0, 2}, {960, 0, 2}, {961, 0, 3},
		{1, 1, 1}, {458, 1, 1}, {459, 1, 2}, {940, 1, 2}, {941, 1, 3}, {36, 2, 1},
	} {
		if got := da.SparseShareCount(c.n, c.version); got != c.want {
			t.Errorf("SparseShareCount(%d, v%d) = %d, want %d", c.n, c.version, got, c.want)
		}
	}
}

// Blob → shares → blobs gives the blob back, the share count function
// agrees with the splitter, and every share has the right header.
func TestBlobRoundTripBoundaries(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ns := testNS(t, 0xB1, 0x0B)
	for _, version := range []uint8{0, 1} {
		sizes := boundarySizes(version, 6)
		for range 40 {
			sizes = append(sizes, 1+r.IntN(20000))
		}
		for _, size := range sizes {
			var signer []byte
			if version == 1 {
				signer = testSigner
			}
			b, err := da.NewBlob(ns, randBytes(r, size), version, signer)
			if err != nil {
				t.Fatal(err)
			}
			shares, err := b.Shares()
			if err != nil {
				t.Fatal(err)
			}
			if len(shares) != b.ShareCount() || len(shares) != da.SparseShareCount(size, version) {
				t.Fatalf("v%d size %d: %d shares, ShareCount %d", version, size, len(shares), b.ShareCount())
			}
			for i := range shares {
				s := &shares[i]
				if s.Namespace() != ns || s.Version() != version || s.IsSequenceStart() != (i == 0) || s.IsPadding() {
					t.Fatalf("v%d size %d: share %d has a bad header %x", version, size, i, s[:30])
				}
			}
			if got := shares[0].SequenceLen(); int(got) != size {
				t.Fatalf("v%d size %d: sequence length %d", version, size, got)
			}
			if version == 1 && !bytes.Equal(shares[0][34:54], signer) {
				t.Fatalf("size %d: signer not after the sequence length", size)
			}
			if version == 0 {
				if want := vectors.SplitV0(ns, b.Data); !slices.Equal(shares, want) {
					t.Fatalf("size %d: shares differ from vectors.SplitV0", size)
				}
			}
			got, err := da.BlobsFromShares(shares)
			if err != nil {
				t.Fatalf("v%d size %d: %v", version, size, err)
			}
			if len(got) != 1 || got[0].Start != 0 || !blobEqual(&got[0].Blob, &b) {
				t.Fatalf("v%d size %d: round trip gave %d blobs", version, size, len(got))
			}
		}
	}
}

func blobEqual(a, b *da.Blob) bool {
	return a.Namespace == b.Namespace && a.ShareVersion == b.ShareVersion &&
		bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Signer, b.Signer)
}

func TestNewBlobValidation(t *testing.T) {
	ns := testNS(t, 1)
	if ns.IsReserved() {
		t.Fatal("test namespace is reserved")
	}
	badPrefix := ns
	badPrefix[5] = 1
	v255 := ns
	v255[0] = 0xFF
	for _, c := range []struct {
		name    string
		ns      da.Namespace
		data    []byte
		version uint8
		signer  []byte
		want    error
	}{
		{"empty data", ns, nil, 0, nil, da.ErrBlobEmpty},
		{"empty data v1", ns, []byte{}, 1, testSigner, da.ErrBlobEmpty},
		{"tx namespace", da.TxNamespace, []byte{1}, 0, nil, da.ErrNamespaceReserved},
		{"primary padding", da.PrimaryReservedPaddingNamespace, []byte{1}, 0, nil, da.ErrNamespaceReserved},
		{"tail padding", da.TailPaddingNamespace, []byte{1}, 0, nil, da.ErrNamespaceVersion},
		{"parity", da.ParityNamespace, []byte{1}, 0, nil, da.ErrNamespaceVersion},
		{"version 255", v255, []byte{1}, 0, nil, da.ErrNamespaceVersion},
		{"non-zero prefix", badPrefix, []byte{1}, 0, nil, da.ErrNamespacePrefix},
		{"v0 with signer", ns, []byte{1}, 0, testSigner, da.ErrSignerLength},
		{"v1 without signer", ns, []byte{1}, 1, nil, da.ErrSignerLength},
		{"v1 short signer", ns, []byte{1}, 1, testSigner[:19], da.ErrSignerLength},
		{"v1 long signer", ns, []byte{1}, 1, append(testSigner, 0), da.ErrSignerLength},
		{"v2 by a user", ns, make([]byte, 36), 2, testSigner, da.ErrShareVersion},
		{"v3", ns, []byte{1}, 3, nil, da.ErrShareVersion},
		{"v127", ns, []byte{1}, 127, nil, da.ErrShareVersion},
	} {
		_, err := da.NewBlob(c.ns, c.data, c.version, c.signer)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if b, err := da.NewBlob(ns, []byte{1}, 1, testSigner); err != nil || b.ShareVersion != 1 {
		t.Fatalf("valid v1 blob: %v", err)
	}
	// Version 2 is valid in a square with exactly 36 bytes and a signer.
	v2 := da.Blob{Namespace: ns, Data: make([]byte, da.FibreBlobDataSize), ShareVersion: 2, Signer: testSigner}
	if err := v2.Validate(); err != nil {
		t.Fatalf("v2 blob: %v", err)
	}
	v2.Data = v2.Data[:35]
	if err := v2.Validate(); !errors.Is(err, da.ErrFibreBlob) {
		t.Fatalf("v2 blob of 35 bytes: %v", err)
	}
	if _, err := (&da.Blob{Namespace: ns}).Shares(); !errors.Is(err, da.ErrBlobEmpty) {
		t.Fatalf("Shares of an empty blob: %v", err)
	}
}

func TestFibreBlobRoundTrip(t *testing.T) {
	ns := testNS(t, 0xF1)
	data := bytes.Repeat([]byte{0xC0}, da.FibreBlobDataSize)
	b := da.Blob{Namespace: ns, Data: data, ShareVersion: 2, Signer: testSigner}
	shares, err := b.Shares()
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) != 1 || shares[0][29] != 0x05 || shares[0].SequenceLen() != 36 {
		t.Fatalf("v2 shares: %d shares, header %x", len(shares), shares[0][:34])
	}
	got, err := da.BlobsFromShares(shares)
	if err != nil || len(got) != 1 || !blobEqual(&got[0].Blob, &b) {
		t.Fatalf("v2 round trip: %v", err)
	}
	bad := shares[0]
	bad[33] = 37
	if _, err := da.BlobsFromShares([]da.Share{bad}); !errors.Is(err, da.ErrFibreBlob) {
		t.Fatalf("v2 share with sequence length 37: %v", err)
	}
}

func mustShares(t testing.TB, b da.Blob) []da.Share {
	t.Helper()
	s, err := b.Shares()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every malformed sequence gets its own error, naming the share.
func TestBlobsFromSharesErrors(t *testing.T) {
	a, b := testNS(t, 0x0A), testNS(t, 0x0B)
	three := mustShares(t, da.Blob{Namespace: a, Data: make([]byte, 478+482+10)}) // 3 shares
	one := mustShares(t, da.Blob{Namespace: b, Data: []byte{1, 2, 3}})
	full := mustShares(t, da.Blob{Namespace: a, Data: bytes.Repeat([]byte{0xFF}, 478+482)}) // 2 full shares
	v1 := mustShares(t, da.Blob{Namespace: a, Data: make([]byte, 1000), ShareVersion: 1, Signer: testSigner})
	join := func(parts ...[]da.Share) []da.Share { return slices.Concat(parts...) }
	edit := func(s []da.Share, i int, f func(*da.Share)) []da.Share {
		s = slices.Clone(s)
		f(&s[i])
		return s
	}
	for _, c := range []struct {
		name   string
		shares []da.Share
		want   error
		index  string
	}{
		{"continuation without start", three[1:], da.ErrShareSequence, "share 0"},
		{"truncated by the end", three[:2], da.ErrShareSequence, "only 2 remain"},
		{"truncated by another namespace", join(three[:2], one), da.ErrShareNamespace, "share 2"},
		{"truncated by a new start", join(three[:2], three[:1]), da.ErrShareSequence, "share 2 starts"},
		{"truncated by padding", join(three[:2], []da.Share{da.PaddingShare(a, 0)}), da.ErrShareSequence, "share 2 starts"},
		{"sequence length too short", edit(three, 0, func(s *da.Share) { s[32], s[33] = 0, 1 }), da.ErrShareSequence, "accounts for 1 shares only"},
		{"sequence length short of the data", edit(full, 0, func(s *da.Share) { s[33]-- }), da.ErrShareSequence, "non-zero bytes"},
		{"sequence length too long", edit(three, 0, func(s *da.Share) { s[32] += 4 }), da.ErrShareSequence, "only 3 remain"},
		{"huge sequence length", edit(one, 0, func(s *da.Share) { s[30] = 0xFF }), da.ErrShareSequence, "only 1 remain"},
		{"version change inside", join(v1[:1], edit(v1[1:], 0, func(s *da.Share) { s[29] = 0x00 })), da.ErrShareSequence, "share version 0 inside"},
		{"unsupported share version", edit(one, 0, func(s *da.Share) { s[29] = 3<<1 | 1 }), da.ErrShareVersion, "share 0"},
		{"non-zero tail in last share", edit(three, 2, func(s *da.Share) { s[511] = 1 }), da.ErrShareSequence, "non-zero bytes"},
		{"non-zero tail in single share", edit(one, 0, func(s *da.Share) { s[40] = 1 }), da.ErrShareSequence, "non-zero bytes"},
		{"unsorted", join(one, three), da.ErrUnsortedNamespace, "share 1"},
		{"reserved blob namespace", []da.Share{edit(one, 0, func(s *da.Share) { copy(s[:], da.IntermediateStateRootsNamespace[:]) })[0]}, da.ErrNamespaceReserved, "share 0"},
		{"bad namespace version", edit(one, 0, func(s *da.Share) { s[0] = 7 }), da.ErrNamespaceVersion, "share 0"},
	} {
		_, err := da.BlobsFromShares(c.shares)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte(c.index)) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.index)
		}
	}
}

// Compact shares and all kinds of padding are skipped; namespace padding
// and tail padding keep their positions out of the blob list.
func TestBlobsFromSharesSkips(t *testing.T) {
	a, b := testNS(t, 0x0A), testNS(t, 0x0B)
	var tx, pfb da.Share
	copy(tx[:], da.TxNamespace[:])
	tx[29] = 1
	tx[33] = 200 // a compact sequence, its content is not parsed
	tx[100] = 0xEE
	copy(pfb[:], da.PayForBlobNamespace[:])
	pfb[29] = 0 // a compact continuation
	pfb[77] = 0x11
	ba := mustShares(t, da.Blob{Namespace: a, Data: []byte("alpha")})
	bb := mustShares(t, da.Blob{Namespace: b, Data: make([]byte, 2000)})
	shares := slices.Concat([]da.Share{tx, pfb, da.PaddingShare(da.PrimaryReservedPaddingNamespace, 0)}, ba,
		[]da.Share{da.PaddingShare(a, 0), da.PaddingShare(a, 0)}, bb, []da.Share{da.TailPaddingShare()})
	got, err := da.BlobsFromShares(shares)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Start != 3 || got[1].Start != 6 || got[0].Namespace != a || string(got[0].Data) != "alpha" || len(got[1].Data) != 2000 {
		t.Fatalf("got %+v", got)
	}
	if got, err := da.BlobsFromShares(nil); err != nil || len(got) != 0 {
		t.Fatalf("no shares: %v %v", got, err)
	}
}

type mochaBlock struct {
	K         int      `json:"k"`
	ODSShares []string `json:"ods_shares"`
	Blobs     []struct {
		Namespace  string `json:"namespace"`
		Commitment string `json:"commitment"`
	} `json:"blobs"`
}

// A real Celestia ODS: compact PFB share, a blob, tail padding.
func TestMochaBlockBlobs(t *testing.T) {
	var v mochaBlock
	vectors.Load(t, "mocha_block_10383867.json", &v)
	if len(v.ODSShares) != v.K*v.K {
		t.Fatalf("%d shares for k=%d", len(v.ODSShares), v.K)
	}
	ods := make([]da.Share, len(v.ODSShares))
	compact := 0
	for i, h := range v.ODSShares {
		raw, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		if ods[i], err = da.ShareFromBytes(raw); err != nil {
			t.Fatal(err)
		}
		if ods[i].IsCompact() {
			compact++
		}
	}
	if compact == 0 {
		t.Fatal("the Mocha square has no compact shares: the test would prove nothing about skipping them")
	}
	blobs, err := da.BlobsFromShares(ods)
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) == 0 {
		t.Fatal("no blobs found in the Mocha square")
	}
	covered := make([]bool, len(ods))
	for _, b := range blobs {
		shares, err := b.Shares()
		if err != nil {
			t.Fatal(err)
		}
		for j := range shares {
			if ods[b.Start+j] != shares[j] {
				t.Fatalf("blob at %d: share %d differs from the ODS", b.Start, b.Start+j)
			}
			covered[b.Start+j] = true
		}
		if b.Start%da.SubTreeWidth(len(shares), da.SubtreeRootThreshold) != 0 {
			t.Fatalf("blob at %d is not aligned", b.Start)
		}
	}
	for i := range ods {
		if !covered[i] && !ods[i].IsCompact() && !ods[i].IsPadding() {
			t.Fatalf("share %d is neither a blob's, compact nor padding", i)
		}
	}
	// The file lists no blobs today; check them if it ever does.
	if len(v.Blobs) > 0 && len(v.Blobs) != len(blobs) {
		t.Fatalf("found %d blobs, the file lists %d", len(blobs), len(v.Blobs))
	}
	for i, want := range v.Blobs {
		if got := blobs[i].Namespace.String(); got != want.Namespace {
			t.Fatalf("blob %d namespace %s, want %s", i, got, want.Namespace)
		}
		c, err := da.CreateCommitment(&blobs[i].Blob)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(c[:]); want.Commitment != "" && got != want.Commitment {
			t.Fatalf("blob %d commitment %s, want %s", i, got, want.Commitment)
		}
	}
}

// odsV1Blobs rebuilds the blobs of the ods-v1 square of width k from the
// vectors README formula, independently of vectors.ODS.
func odsV1Blobs(seed string, k int) (blobs []da.Blob, starts []int) {
	d := k*k - k*k/4
	for b, start := uint32(0), 0; start < d; b++ {
		l := min(1+int(b%4), d-start)
		var ns da.Namespace
		ns[1+18], ns[1+18+1], ns[1+18+2], ns[1+18+3] = byte(b>>24), byte(b>>16), byte(b>>8), byte(b)
		h := vectors.HBlock(seed, "ns", b, 0)
		copy(ns[1+18+4:], h[:6])
		size := 478 + 482*(l-1) - int(vectors.HBlock(seed, "pad", b, 0)[0])
		blobs = append(blobs, da.Blob{Namespace: ns, Data: vectors.Stream(seed, "blob", b, size)})
		starts = append(starts, start)
		start += l
	}
	return blobs, starts
}

func TestODSVectorsParse(t *testing.T) {
	for _, k := range []int{1, 2, 4, 8, 16, 32, 64} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			ods := vectors.ODS(vectors.Seed, k)
			want, starts := odsV1Blobs(vectors.Seed, k)
			got, err := da.BlobsFromShares(ods)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d blobs, want %d", len(got), len(want))
			}
			var resplit []da.Share
			for i := range got {
				if got[i].Start != starts[i] || !blobEqual(&got[i].Blob, &want[i]) {
					t.Fatalf("blob %d differs (start %d, want %d)", i, got[i].Start, starts[i])
				}
				resplit = append(resplit, vectors.SplitV0(want[i].Namespace, want[i].Data)...)
				if resplit, err = got[i].AppendShares(resplit); err != nil {
					t.Fatal(err)
				}
			}
			// Each blob's shares appear twice in resplit: SplitV0's, then ours.
			for i, at := 0, 0; i < len(got); i++ {
				n := got[i].ShareCount()
				if !slices.Equal(resplit[at:at+n], resplit[at+n:at+2*n]) || !slices.Equal(resplit[at:at+n], ods[starts[i]:starts[i]+n]) {
					t.Fatalf("blob %d: da's shares, SplitV0's and the ODS differ", i)
				}
				at += 2 * n
			}
		})
	}
}
