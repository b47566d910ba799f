package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/bindings"
	"github.com/tartan-da/tartan/settlement/relay"
)

// TestDevnetL1EndToEnd runs `tartan devnet --l1` (real geth --dev, the
// contracts, the relayer) and takes a blob from submission to the example
// inbox accepting it on Ethereum, through `tartan inbox`. A tampered proof
// is refused; the relayer is killed with kill -9 and, restarted by the
// devnet, goes on posting with no commitment sent twice.
func TestDevnetL1EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network of processes and geth")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e := &env{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	geth, err := findGeth(ctx, e, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, e.stderr)
	}
	dir := t.TempDir()
	base := freeBase(t, 2)
	p := startDevnetProc(t, "--dir", dir, "--validators", "1", "--fulls", "1", "--lights", "0", "--block-time", "300ms",
		"--api-port", fmt.Sprint(base), "--l1", "--geth", geth)
	d := p.waitJSON(t, dir, nil)
	if d.L1 == nil || d.L1.RPC != fmt.Sprintf("http://127.0.0.1:%d", base+devnetL1Offset) || d.L1.Oracle != devnetOracle().Hex() || d.L1.RelayerPID == 0 {
		t.Fatalf("devnet.json's l1: %+v", d.L1)
	}
	full := d.Nodes[1].API
	client, err := ethclient.DialContext(ctx, d.L1.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	o := bindings.NewTartanDataRootOracle()
	oracle := o.Instance(client, common.HexToAddress(d.L1.Oracle))
	proofNonce := func() uint64 {
		n, err := bind.Call(oracle, &bind.CallOpts{Context: ctx}, o.PackProofNonce(), o.UnpackProofNonce)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	relayed := func() uint64 { // transactions the relaying account has had mined
		n, err := client.NonceAt(ctx, common.HexToAddress(d.L1.Relayer), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A blob, from submission to the inbox.
	data := []byte(fmt.Sprintf("rollup batch %d: through Tartan to Ethereum", time.Now().UnixNano()))
	b := mustSubmit(t, "full-1", full, d.L1.Namespace[len(d.L1.Namespace)-20:], data)
	keyFile := filepath.Join(d.L1.Logs, "dev.key")
	out := &lockedBuffer{}
	ie := &env{stdout: out, stderr: out}
	args := []string{"inbox", "--node", full, "--l1", d.L1.RPC, "--inbox", d.L1.Inbox, "--key", keyFile,
		"--height", fmt.Sprint(b.height), "--namespace", d.L1.Namespace, "--commitment", b.commitment, "--timeout", "90s"}
	if code := run(ctx, ie, args); code != 0 {
		t.Fatalf("tartan inbox: exit %d: %s\nrelayer: %s", code, out, logTail(filepath.Join(d.L1.Logs, "relayer.log"), 20))
	}
	batchHash := crypto.Keccak256Hash(data)
	if !strings.Contains(out.String(), "accepted: batch "+batchHash.Hex()) {
		t.Fatalf("tartan inbox said %q, want batch %s", out, batchHash.Hex())
	}
	ib := bindings.NewExampleRollupInbox()
	at, err := bind.Call(ib.Instance(client, common.HexToAddress(d.L1.Inbox)), &bind.CallOpts{Context: ctx}, ib.PackBatches(batchHash), ib.UnpackBatches)
	if err != nil || at.Uint64() != b.height {
		t.Fatalf("the inbox records batch %s at %v (%v), want %d", batchHash.Hex(), at, err, b.height)
	}

	// The same proof with one byte of the blob changed is refused.
	proof, err := fetchEVMProof(ctx, fmt.Sprintf("%s/v1/blobs/%d/%s/%s/proof?format=evm", full, b.height, d.L1.Namespace, b.commitment))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := hexutil.Decode(proof.Proof)
	if i := strings.Index(string(enc), "rollup batch"); i < 0 {
		t.Fatal("the proof does not hold the blob's bytes")
	} else {
		enc[i] ^= 1
	}
	kb, _ := os.ReadFile(keyFile)
	key, err := settlement.ParseKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := relay.NewAccount(ctx, client, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := relay.SubmitBatch(ctx, acct, common.HexToAddress(d.L1.Inbox), enc); err == nil || !strings.Contains(err.Error(), "BadProof") {
		t.Fatalf("a tampered proof: %v, want the inbox's BadProof", err)
	}

	// kill -9 the relayer: the devnet starts it again and the oracle goes
	// on, every commitment posted once.
	before := proofNonce()
	if err := syscall.Kill(d.L1.RelayerPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for proofNonce() < before+3 {
		if time.Now().After(deadline) {
			t.Fatalf("the oracle stays at nonce %d after the relayer's restart (was %d); devnet stderr:\n%s\nrelayer: %s",
				proofNonce(), before, p.stderr, logTail(filepath.Join(d.L1.Logs, "relayer.log"), 20))
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.Contains(p.stderr.String(), "relayer exited") {
		t.Fatalf("the devnet did not say it restarted the relayer:\n%s", p.stderr)
	}
	// Every transaction the relayer had mined is one commitment: read
	// between two equal nonces, so no post lands in between.
	for deadline := time.Now().Add(20 * time.Second); ; {
		n := proofNonce()
		sent := relayed()
		if proofNonce() == n && sent == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relayer sent %d transactions for %d commitments", sent, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if bal, err := client.BalanceAt(ctx, common.HexToAddress(d.L1.Relayer), nil); err != nil || bal.Cmp(big.NewInt(0)) <= 0 {
		t.Fatalf("relayer balance %v (%v)", bal, err)
	}
	p.stop(t)
}
