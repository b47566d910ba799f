package oracle

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/tartan-da/tartan/settlement"
)

// Gas targets of issue 11, at Osaka rules.
const maxCommitRangeGas = 120_000

// l1 is a simulated Ethereum chain, pinned to Osaka's rules, with one
// funded account that deploys and relays.
type l1 struct {
	t       *testing.T
	b       *simulated.Backend
	c       simulated.Client
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
}

func newL1(t *testing.T) *l1 {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	cfg := *params.AllDevChainProtocolChanges
	cfg.BogotaTime = nil // Osaka and nothing later: gas figures stay comparable
	if cfg.OsakaTime == nil || *cfg.OsakaTime != 0 {
		t.Fatal("the dev chain config does not start at Osaka")
	}
	b := simulated.NewBackend(types.GenesisAlloc{from: {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}},
		func(_ *node.Config, ec *ethconfig.Config) { ec.Genesis.Config = &cfg })
	t.Cleanup(func() { b.Close() })
	return &l1{t: t, b: b, c: b.Client(), key: key, from: from, chainID: cfg.ChainID}
}

// send mines one transaction and returns its receipt.
func (l *l1) send(to *common.Address, data []byte) *types.Receipt {
	l.t.Helper()
	ctx := context.Background()
	nonce, err := l.c.PendingNonceAt(ctx, l.from)
	if err != nil {
		l.t.Fatal(err)
	}
	head, err := l.c.HeaderByNumber(ctx, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	tip := big.NewInt(1e9)
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: l.chainID, Nonce: nonce, GasTipCap: tip,
		GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip), Gas: 10_000_000, To: to, Data: data})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(l.chainID), l.key)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := l.c.SendTransaction(ctx, signed); err != nil {
		l.t.Fatal(err)
	}
	l.b.Commit()
	r, err := l.c.TransactionReceipt(ctx, signed.Hash())
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

func (l *l1) call(to common.Address, data []byte) ([]byte, error) {
	return l.c.CallContract(context.Background(), ethereum.CallMsg{From: l.from, To: &to, Data: data}, nil)
}

// revertName is the custom error a call reverts with, "" when it does not.
func revertName(c *Contract, err error) string {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return ""
	}
	s, _ := de.ErrorData().(string)
	b := common.FromHex(s)
	for name, e := range c.ABI.Errors {
		if len(b) >= 4 && bytes.Equal(b[:4], e.ID[:4]) {
			return name
		}
	}
	return "unknown " + s
}

// fixture is an oracle deployed for four attesters of power 10.
type fixture struct {
	*l1
	c      *Contract
	addr   common.Address
	keys   []*ecdsa.PrivateKey
	set    []Attester
	dom    settlement.Domain
	window uint64
}

func deploy(t *testing.T, window uint64) *fixture {
	t.Helper()
	l := newL1(t)
	c, err := Load("TartanDataRootOracle")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{l1: l, c: c, window: window}
	for range 4 {
		k, _ := crypto.GenerateKey()
		f.keys = append(f.keys, k)
		f.set = append(f.set, Attester{Addr: crypto.PubkeyToAddress(k.PublicKey), Power: big.NewInt(10)})
	}
	input, err := c.DeployInput("tartan-test", window, f.set, l.from)
	if err != nil {
		t.Fatal(err)
	}
	r := l.send(nil, input)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("deploy failed (gas %d)", r.GasUsed)
	}
	f.addr = r.ContractAddress
	f.dom = settlement.Domain{ChainID: "tartan-test", EVMChainID: l.chainID.Uint64(), Oracle: f.addr}
	return f
}

// rangeOf builds nonce's tuples (data roots derived from the height) and
// its commitment.
func (f *fixture) rangeOf(nonce uint64) ([]settlement.Tuple, settlement.Commitment) {
	p := settlement.Params{Domain: f.dom, Window: f.window}
	start, end := p.Range(nonce)
	var ts []settlement.Tuple
	for h := start; h < end; h++ {
		ts = append(ts, settlement.Tuple{Height: h, DataRoot: sha256.Sum256(binary.BigEndian.AppendUint64(nil, h))})
	}
	root, err := settlement.TupleRoot(ts)
	if err != nil {
		f.t.Fatal(err)
	}
	return ts, settlement.Commitment{Nonce: nonce, Start: start, End: end, TupleRoot: root}
}

// sigs has the attesters marked in who sign c (the others absent).
func (f *fixture) sigs(c settlement.Commitment, who ...int) [][]byte {
	out := make([][]byte, len(f.keys))
	for _, i := range who {
		s, err := f.dom.Sign(f.keys[i], c)
		if err != nil {
			f.t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func (f *fixture) uint(method string, args ...any) uint64 {
	f.t.Helper()
	data, err := f.c.ABI.Pack(method, args...)
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := f.call(f.addr, data)
	if err != nil {
		f.t.Fatalf("%s: %v", method, err)
	}
	v, err := f.c.ABI.Unpack(method, out)
	if err != nil {
		f.t.Fatal(err)
	}
	switch x := v[0].(type) {
	case uint64:
		return x
	case *big.Int:
		return x.Uint64()
	}
	f.t.Fatalf("%s returned %T", method, v[0])
	return 0
}

// commit posts c and wants it to revert with wantErr ("" for success).
func (f *fixture) commit(c settlement.Commitment, set []Attester, sigs [][]byte, wantErr string) *types.Receipt {
	f.t.Helper()
	data, err := f.c.CommitRange(c, set, sigs)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.call(f.addr, data); revertName(f.c, err) != wantErr {
		f.t.Fatalf("commitRange of nonce %d: %v (%s), want %q", c.Nonce, err, revertName(f.c, err), wantErr)
	}
	if wantErr != "" {
		return nil
	}
	r := f.send(&f.addr, data)
	if r.Status != types.ReceiptStatusSuccessful {
		f.t.Fatalf("commitRange of nonce %d failed on chain", c.Nonce)
	}
	return r
}

// The digest the contract checks is the one settlement signs.
func TestOracleDigestIsSettlements(t *testing.T) {
	f := deploy(t, 100)
	_, c := f.rangeOf(3)
	data, _ := f.c.ABI.Pack("commitmentDigest", new(big.Int).SetUint64(c.Nonce), c.Start, c.End, c.TupleRoot)
	out, err := f.call(f.addr, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.dom.Digest(c); !bytes.Equal(out, want[:]) {
		t.Fatalf("contract digest %x, settlement's %x", out, want)
	}
}

func TestOracleCommitRange(t *testing.T) {
	f := deploy(t, 100)
	ts, c1 := f.rangeOf(1)

	// Refused: half the power, a stranger in an attester's place, a set
	// that is not the stored one, a malleable signature.
	f.commit(c1, f.set, f.sigs(c1, 0, 1), "NoQuorum")
	stranger, _ := crypto.GenerateKey()
	forged := f.sigs(c1, 1, 2, 3)
	forged[0], _ = f.dom.Sign(stranger, c1)
	f.commit(c1, f.set, forged, "BadSignature")
	other := append([]Attester(nil), f.set...)
	other[3] = Attester{Addr: other[3].Addr, Power: big.NewInt(11)}
	f.commit(c1, other, f.sigs(c1, 0, 1, 2, 3), "WrongAttesterSet")
	high := f.sigs(c1, 0, 1, 2)
	n := crypto.S256().Params().N
	s := new(big.Int).Sub(n, new(big.Int).SetBytes(high[0][32:64]))
	copy(high[0][32:64], common.LeftPadBytes(s.Bytes(), 32))
	high[0][64] ^= 1 // 27 <-> 28: the same signer, malleated
	f.commit(c1, f.set, high, "BadSignature")
	f.commit(c1, f.set, f.sigs(c1, 0, 1, 2, 3)[:3], "SignatureCount")
	wrongRoot := c1
	wrongRoot.TupleRoot[0] ^= 1
	bad := f.sigs(c1, 0, 1, 2, 3) // over the right root, sent with another
	data, _ := f.c.CommitRange(wrongRoot, f.set, bad)
	if _, err := f.call(f.addr, data); revertName(f.c, err) != "BadSignature" {
		t.Fatalf("signatures over another root: %v", err)
	}

	// All four sign: stored, under the gas target.
	r := f.commit(c1, f.set, f.sigs(c1, 0, 1, 2, 3), "")
	t.Logf("commitRange with 4 attesters: %d gas (target ≤ %d)", r.GasUsed, maxCommitRangeGas)
	if r.GasUsed > maxCommitRangeGas {
		t.Errorf("commitRange with 4 attesters used %d gas, target ≤ %d", r.GasUsed, maxCommitRangeGas)
	}
	if len(r.Logs) != 1 || r.Logs[0].Topics[0] != f.c.ABI.Events["DataCommitmentStored"].ID ||
		r.Logs[0].Topics[3] != common.Hash(c1.TupleRoot) || new(big.Int).SetBytes(r.Logs[0].Topics[1][:]).Uint64() != c1.Start {
		t.Fatalf("logs %+v", r.Logs)
	}
	if f.uint("proofNonce") != 1 || f.uint("latestBlock") != c1.End {
		t.Fatalf("proofNonce %d latestBlock %d", f.uint("proofNonce"), f.uint("latestBlock"))
	}

	// A replay and a skipped range are refused; the next range with 3 of
	// 4 (30 of 40, more than 2/3) is stored.
	f.commit(c1, f.set, f.sigs(c1, 0, 1, 2, 3), "NotNextRange")
	_, c3 := f.rangeOf(3)
	f.commit(c3, f.set, f.sigs(c3, 0, 1, 2, 3), "NotNextRange")
	ts2, c2 := f.rangeOf(2)
	f.commit(c2, f.set, f.sigs(c2, 0, 2, 3), "")

	// verifyAttestation: every proof settlement builds checks out; a
	// changed root, height, key or nonce does not.
	verify := func(nonce uint64, tp Tuple, p MerkleProof) bool {
		t.Helper()
		data, err := f.c.ABI.Pack("verifyAttestation", new(big.Int).SetUint64(nonce), tp, p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.call(f.addr, data)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(out).Sign() == 1
	}
	for _, tc := range []struct {
		nonce uint64
		ts    []settlement.Tuple
	}{{1, ts}, {2, ts2}} {
		for _, i := range []int{0, 1, 37, len(tc.ts) - 1} {
			sp, err := settlement.ProveTuple(tc.ts, i)
			if err != nil {
				t.Fatal(err)
			}
			p := MerkleProof{Key: big.NewInt(int64(sp.Index)), NumLeaves: big.NewInt(int64(sp.Total))}
			for _, a := range sp.Aunts {
				p.SideNodes = append(p.SideNodes, a)
			}
			tp := Tuple{Height: new(big.Int).SetUint64(tc.ts[i].Height), DataRoot: tc.ts[i].DataRoot}
			if !verify(tc.nonce, tp, p) {
				t.Fatalf("nonce %d tuple %d: a good proof fails", tc.nonce, i)
			}
			badRoot := tp
			badRoot.DataRoot[5] ^= 1
			badHeight := Tuple{Height: new(big.Int).Add(tp.Height, big.NewInt(1)), DataRoot: tp.DataRoot}
			badKey := p
			badKey.Key = new(big.Int).Xor(p.Key, big.NewInt(1))
			if verify(tc.nonce, badRoot, p) || verify(tc.nonce, badHeight, p) || verify(tc.nonce, tp, badKey) || verify(3-tc.nonce, tp, p) || verify(9, tp, p) {
				t.Fatalf("nonce %d tuple %d: a changed root, height, key or nonce passes", tc.nonce, i)
			}
		}
	}

	// The guardian freezes writes; nobody else can.
	freeze := func(v bool) []byte { d, _ := f.c.ABI.Pack("setFrozen", v); return d }
	if _, err := f.l1.c.CallContract(context.Background(), ethereum.CallMsg{From: common.Address{9}, To: &f.addr, Data: freeze(true)}, nil); revertName(f.c, err) != "NotGuardian" {
		t.Fatalf("a stranger freezing: %v", err)
	}
	if r := f.send(&f.addr, freeze(true)); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("the guardian could not freeze")
	}
	_, c3 = f.rangeOf(3)
	f.commit(c3, f.set, f.sigs(c3, 0, 1, 2, 3), "Frozen")
	f.send(&f.addr, freeze(false))
	f.commit(c3, f.set, f.sigs(c3, 0, 1, 2, 3), "")
}

// The attester set changes only with the current set's signatures; then
// only the new set can commit.
func TestOracleRotation(t *testing.T) {
	f := deploy(t, 10)
	var next []Attester
	var nextKeys []*ecdsa.PrivateKey
	for range 3 {
		k, _ := crypto.GenerateKey()
		nextKeys = append(nextKeys, k)
		next = append(next, Attester{Addr: crypto.PubkeyToAddress(k.PublicKey), Power: big.NewInt(5)})
	}
	h, err := f.c.AttestersHash(next)
	if err != nil {
		t.Fatal(err)
	}
	digest := f.dom.AttesterSetDigest(1, h)
	sign := func(keys []*ecdsa.PrivateKey, who ...int) []Signature {
		out := make([]Signature, len(keys))
		for _, i := range who {
			s, err := settlement.SignDigest(keys[i], digest)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = SplitSignature(s)
		}
		return out
	}
	update := func(cur []Attester, sigs []Signature, want string) {
		t.Helper()
		data, err := f.c.ABI.Pack("updateAttesters", next, cur, sigs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.call(f.addr, data); revertName(f.c, err) != want {
			t.Fatalf("updateAttesters: %v, want %q", err, want)
		}
		if want == "" {
			if r := f.send(&f.addr, data); r.Status != types.ReceiptStatusSuccessful {
				t.Fatal("updateAttesters failed on chain")
			}
		}
	}
	update(next, sign(nextKeys, 0, 1, 2), "WrongAttesterSet") // the new set cannot appoint itself
	update(f.set, sign(f.keys, 0, 1), "NoQuorum")
	update(f.set, sign(f.keys, 0, 1, 3), "")
	if got := f.uint("attesterSetNonce"); got != 1 {
		t.Fatalf("attesterSetNonce %d", got)
	}
	_, c1 := f.rangeOf(1)
	f.commit(c1, f.set, f.sigs(c1, 0, 1, 2, 3), "WrongAttesterSet")
	sigs := make([][]byte, len(nextKeys))
	for i, k := range nextKeys {
		sigs[i], _ = f.dom.Sign(k, c1)
	}
	f.commit(c1, next, sigs, "")
	if !strings.HasPrefix(f.c.Name, "TartanDataRootOracle") {
		t.Fatal(f.c.Name)
	}
}
