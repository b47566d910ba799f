package oracle

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/settlement"
)

// Gas of an inbox accepting a blob proved to an attested root at k=128.
// Issue 11's targets are 90k and 2.1M. The 100-share one is met; the
// 1-share one is not: the proof's ~1.8 kB of calldata alone costs ~93k
// under Osaka's calldata floor (EIP-7623), before any execution, so the
// bound here guards the figure measured (141k, with the inbox's 22k
// storage write) against regressions instead.
//
// verifyBatch checks the proof alone (no storage write): at k=128 it costs
// 107.8k for one share, still above 90k. Its 2,628 bytes of calldata have
// an EIP-7623 floor of 92.7k (21k + 10 gas a token) before any
// execution, so no proof in this ABI form can meet 90k under Osaka; a
// packed encoding and a leaner walk would both be needed.
const (
	maxOneShareGas       = 150_000
	maxOneShareVerifyGas = 125_000
	maxHundredShareGas   = 2_100_000
)

// blobCase is a blob placed in a square of width k behind `before`
// shares of a lower namespace, with its proof.
type blobCase struct {
	name   string
	k      int
	shares int // the blob's
	before int // shares of another blob ahead of it
}

func v0NS(t *testing.T, last byte) da.Namespace {
	ns, err := da.NewV0Namespace([]byte{0x74, 0x61, 0x72, 0x74, 0x61, 0x6e, 0, 0, 0, last})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// blobOf is a version-0 blob that fills n shares exactly.
func blobOf(t *testing.T, ns da.Namespace, n int, seed byte) da.Blob {
	data := make([]byte, da.FirstSparseShareContentSize+(n-1)*da.ContinuationSparseShareContentSize)
	for i := range data {
		data[i] = byte(i*7) ^ seed
	}
	b, err := da.NewBlob(ns, data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// build lays the case out and proves the blob's shares.
func (c blobCase) build(t *testing.T) (da.Blob, *erasure.BlobProof, *erasure.DAH) {
	t.Helper()
	sb, err := da.NewSquareBuilder(512)
	if err != nil {
		t.Fatal(err)
	}
	blob := blobOf(t, v0NS(t, 0x50), c.shares, 1)
	if err := sb.Append(blob); err != nil {
		t.Fatal(err)
	}
	if c.before > 0 {
		if err := sb.Append(blobOf(t, v0NS(t, 0x10), c.before, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if sb.Width() < c.k {
		if err := sb.Append(blobOf(t, v0NS(t, 0xf0), (c.k/2)*(c.k/2)+1-sb.WorstCaseShares()+1, 3)); err != nil {
			t.Fatal(err)
		}
	}
	sq, err := sb.Export()
	if err != nil {
		t.Fatal(err)
	}
	if sq.Width != c.k {
		t.Fatalf("%s: the square is %d wide, want %d", c.name, sq.Width, c.k)
	}
	eds, err := erasure.Extend(sq.Shares)
	if err != nil {
		t.Fatal(err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := erasure.NewProver(eds, dah)
	if err != nil {
		t.Fatal(err)
	}
	start := sq.BlobStarts[0]
	p, err := pr.BlobProof(start, start+c.shares)
	if err != nil {
		t.Fatal(err)
	}
	return blob, p, dah
}

// inboxFixture is the oracle holding one commitment (window 100, the
// blob's height 42 in it) and an inbox for the blob's namespace.
type inboxFixture struct {
	*fixture
	inbox    *Contract
	verifier *Contract
	inboxAt  common.Address
	tuples   []settlement.Tuple
}

const blobHeight = 42

func newInbox(t *testing.T, dataRoot [32]byte) *inboxFixture {
	t.Helper()
	return newInboxRoots(t, map[uint64][32]byte{blobHeight: dataRoot})
}

// newInboxRoots is newInbox with the data roots of several heights of
// [1, 100] set.
func newInboxRoots(t *testing.T, roots map[uint64][32]byte) *inboxFixture {
	t.Helper()
	f := deploy(t, 100)
	ts, c := f.rangeOf(1)
	for h, r := range roots {
		ts[h-1].DataRoot = r
	}
	root, err := settlement.TupleRoot(ts)
	if err != nil {
		t.Fatal(err)
	}
	c.TupleRoot = root
	f.commit(c, f.set, f.sigs(c, 0, 1, 2, 3), "")
	inbox, err := Load("ExampleRollupInbox")
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := Load("TartanBlobVerifier")
	if err != nil {
		t.Fatal(err)
	}
	ns := v0NS(t, 0x50)
	var ns29 [29]byte
	copy(ns29[:], ns[:])
	args, err := inbox.ABI.Pack("", f.addr, ns29)
	if err != nil {
		t.Fatal(err)
	}
	r := f.send(nil, append(append([]byte(nil), inbox.Bytecode...), args...))
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("inbox deploy failed")
	}
	return &inboxFixture{fixture: f, inbox: inbox, verifier: verifier, inboxAt: r.ContractAddress, tuples: ts}
}

func (f *inboxFixture) proofOf(p *erasure.BlobProof, k int) BlobProof {
	return f.proofAt(blobHeight, p, k)
}

func (f *inboxFixture) proofAt(height uint64, p *erasure.BlobProof, k int) BlobProof {
	tp, err := settlement.ProveTuple(f.tuples, int(height-1))
	if err != nil {
		f.t.Fatal(err)
	}
	return NewBlobProof(p, k, 1, f.tuples[height-1], tp)
}

func (f *inboxFixture) namespaceProofAt(height uint64, nd *erasure.NamespaceData, k int) NamespaceProof {
	tp, err := settlement.ProveTuple(f.tuples, int(height-1))
	if err != nil {
		f.t.Fatal(err)
	}
	return NewNamespaceProof(nd, k, 1, f.tuples[height-1], tp)
}

// proveNamespace calls the inbox's proveNamespace: the revert reason, ""
// when accepted, and then with mine the transaction's gas.
func (f *inboxFixture) proveNamespace(np NamespaceProof, mine bool) (string, uint64) {
	f.t.Helper()
	data, err := f.inbox.ABI.Pack("proveNamespace", np)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.run(data, mine)
}

// run calls the inbox with data: its revert reason or "".
func (f *inboxFixture) run(data []byte, mine bool) (string, uint64) {
	f.t.Helper()
	if _, err := f.call(f.inboxAt, data); err != nil {
		if name := revertName(f.verifier, err); name != "" {
			return name, 0
		}
		if name := revertName(f.inbox, err); name != "" {
			return name, 0
		}
		return err.Error(), 0
	}
	if !mine {
		return "", 0
	}
	r := f.send(&f.inboxAt, data)
	if r.Status != types.ReceiptStatusSuccessful {
		f.t.Fatal("the inbox's transaction failed on chain after its call passed")
	}
	return "", r.GasUsed
}

// submit calls submitBatch; it returns the revert reason ("" when the
// batch is accepted) and, accepted, the gas of the transaction.
func (f *inboxFixture) submit(bp BlobProof, mine bool) (string, uint64) {
	f.t.Helper()
	data, err := f.inbox.ABI.Pack("submitBatch", bp)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.run(data, mine)
}

// clone deep-copies a proof so a tamper touches one field.
func clone(bp BlobProof) BlobProof {
	out := bp
	out.Shares = append([]byte(nil), bp.Shares...)
	out.Rows = make([]RowProof, len(bp.Rows))
	for i, r := range bp.Rows {
		r.Nodes = append([]byte(nil), r.Nodes...)
		r.RowRoot = append([]byte(nil), r.RowRoot...)
		r.RootAunts = append([][32]byte(nil), r.RootAunts...)
		out.Rows[i] = r
	}
	out.TupleProof.SideNodes = append([][32]byte(nil), bp.TupleProof.SideNodes...)
	return out
}

// Every case is accepted as built and refused after any single change;
// the accepted batch is the blob's data; the k=128 gas is measured.
func TestVerifierTamperMatrix(t *testing.T) {
	cases := []blobCase{
		{"k=1, 1 share", 1, 1, 0},
		{"k=2, 1 share", 2, 1, 0},
		{"k=2, 1 share in row 1", 2, 1, 2},
		{"k=16, 1 share", 16, 1, 0},
		{"k=16, 100 shares over 7 rows", 16, 100, 0},
		{"k=128, 1 share", 128, 1, 0},
		{"k=128, 100 shares in one row", 128, 100, 0},
		{"k=128, 100 shares over two rows", 128, 100, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blob, p, dah := c.build(t)
			f := newInbox(t, dah.DataRoot())
			good := f.proofOf(p, c.k)
			rows := map[bool]bool{len(good.Rows) > 1: true}
			if (c.before == 100 || (c.k == 16 && c.shares == 100)) != rows[true] {
				t.Fatalf("the blob spans %d rows", len(good.Rows))
			}
			tampers := map[string]func(*BlobProof){
				"share byte":       func(b *BlobProof) { b.Shares[len(b.Shares)-7] ^= 1 },
				"share namespace":  func(b *BlobProof) { b.Shares[28] ^= 1 },
				"a share dropped":  func(b *BlobProof) { b.Shares = b.Shares[:len(b.Shares)-512] },
				"a share added":    func(b *BlobProof) { b.Shares = append(b.Shares, b.Shares[:512]...) },
				"row root":         func(b *BlobProof) { b.Rows[0].RowRoot[89] ^= 1 },
				"row root min ns":  func(b *BlobProof) { b.Rows[0].RowRoot[28] ^= 1 },
				"row index":        func(b *BlobProof) { b.Rows[0].Row = new(big.Int).Add(b.Rows[0].Row, big.NewInt(1)) },
				"range":            func(b *BlobProof) { b.Rows[0].Start = new(big.Int).Add(b.Rows[0].Start, big.NewInt(1)) },
				"square width":     func(b *BlobProof) { b.SquareWidth = big.NewInt(int64(2 * c.k)) },
				"data root":        func(b *BlobProof) { b.Tuple.DataRoot[0] ^= 1 },
				"height":           func(b *BlobProof) { b.Tuple.Height = big.NewInt(blobHeight + 1) },
				"nonce":            func(b *BlobProof) { b.Nonce = big.NewInt(2) },
				"no rows":          func(b *BlobProof) { b.Rows = nil },
				"last row dropped": func(b *BlobProof) { b.Rows = b.Rows[:len(b.Rows)-1] },
			}
			if len(good.Rows[0].Nodes) > 0 {
				tampers["proof node"] = func(b *BlobProof) { b.Rows[0].Nodes[len(b.Rows[0].Nodes)-1] ^= 1 }
				tampers["proof node dropped"] = func(b *BlobProof) { b.Rows[0].Nodes = b.Rows[0].Nodes[:len(b.Rows[0].Nodes)-90] }
			}
			if len(good.Rows[0].RootAunts) > 0 {
				tampers["root aunt"] = func(b *BlobProof) { b.Rows[0].RootAunts[0][3] ^= 1 }
			}
			if len(good.TupleProof.SideNodes) > 0 {
				tampers["tuple side node"] = func(b *BlobProof) { b.TupleProof.SideNodes[0][3] ^= 1 }
			}
			for name, tamper := range tampers {
				bad := clone(good)
				tamper(&bad)
				if reason, _ := f.submit(bad, false); reason == "" {
					t.Errorf("tampered %s: accepted", name)
				}
			}
			reason, gas := f.submit(good, true)
			if reason != "" {
				t.Fatalf("the proof as built is refused: %s", reason)
			}
			// The inbox recorded the blob's data at its height.
			key, _ := f.inbox.ABI.Pack("batches", sha3(blob.Data))
			out, err := f.call(f.inboxAt, key)
			if err != nil || new(big.Int).SetBytes(out).Uint64() != blobHeight {
				t.Fatalf("batches[keccak(data)] = %x (%v), want %d", out, err, blobHeight)
			}
			// The proof alone: verifyBatch checks it as submitBatch does
			// and stores nothing.
			vdata, err := f.inbox.ABI.Pack("verifyBatch", good)
			if err != nil {
				t.Fatal(err)
			}
			zeros := 0
			for _, b := range vdata {
				if b == 0 {
					zeros++
				}
			}
			t.Logf("calldata %d bytes, %d zero: standard %d gas, floor %d", len(vdata), zeros, 4*zeros+16*(len(vdata)-zeros), 10*(zeros+4*(len(vdata)-zeros)))
			reason, vgas := f.run(vdata, true)
			if reason != "" {
				t.Fatalf("verifyBatch refuses the proof: %s", reason)
			}
			t.Logf("%s: %d rows, %d bytes of calldata proof, %d gas to verify, %d gas to submit", c.name, len(good.Rows), proofBytes(good), vgas, gas)
			if c.k == 128 {
				limit, vlimit := uint64(maxHundredShareGas), uint64(maxHundredShareGas)
				if c.shares == 1 {
					limit, vlimit = maxOneShareGas, maxOneShareVerifyGas
				}
				if gas > limit || vgas > vlimit {
					t.Errorf("%s: %d gas to submit, %d to verify; bounds %d and %d", c.name, gas, vgas, limit, vlimit)
				}
			}
		})
	}
}

func proofBytes(bp BlobProof) int {
	n := len(bp.Shares) + 32*len(bp.TupleProof.SideNodes)
	for _, r := range bp.Rows {
		n += len(r.Nodes) + len(r.RowRoot) + 32*len(r.RootAunts)
	}
	return n
}

func sha3(b []byte) [32]byte { return crypto.Keccak256Hash(b) }
