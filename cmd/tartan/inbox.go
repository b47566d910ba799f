package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/relay"
)

const inboxUsage = "usage: tartan inbox --l1 URL --inbox 0x… --key FILE [--node URL] --height H --namespace HEX --commitment HEX [--timeout 2m]"

// runInbox proves a blob to an ExampleRollupInbox on Ethereum: it waits
// for the node's EVM proof of the blob and for the oracle to hold the
// height's commitment, then sends submitBatch.
func runInbox(ctx context.Context, e *env, args []string) error {
	flags := newFlags(e, "inbox")
	nodeURL := flags.String("node", "http://127.0.0.1:26650", "REST API of a full node or validator holding the blob")
	l1 := flags.String("l1", "", "Ethereum JSON-RPC URL")
	inboxFlag := flags.String("inbox", "", "ExampleRollupInbox's address")
	keyFile := flags.String("key", "", "file holding the sending account's secp256k1 key, hex")
	height := flags.Uint64("height", 0, "the blob's height")
	nsFlag := flags.String("namespace", "", "the blob's namespace, hex (10-byte id or 29-byte namespace)")
	comFlag := flags.String("commitment", "", "the blob's share commitment, hex")
	timeout := flags.Duration("timeout", 2*time.Minute, "how long to wait for the proof and the oracle")
	if err := parseFlags(e, flags, inboxUsage, args); err != nil {
		return err
	}
	if *l1 == "" || *inboxFlag == "" || *keyFile == "" || *height == 0 || *nsFlag == "" || *comFlag == "" {
		return usageErr("--l1, --inbox, --key, --height, --namespace and --commitment are required; %s", inboxUsage)
	}
	inbox, err := settlement.ParseAddress(*inboxFlag)
	if err != nil {
		return usageErr("--inbox: %v", err)
	}
	ns, err := parseNamespaceFlag(*nsFlag)
	if err != nil {
		return usageErr("--namespace: %v", err)
	}
	if c, err := hex.DecodeString(*comFlag); err != nil || len(c) != 32 {
		return usageErr("--commitment %q: want 64 hex characters", *comFlag)
	}
	key, err := settlement.ReadKeyFile(*keyFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := fmt.Sprintf("%s/v1/blobs/%d/%x/%s/proof?format=evm", strings.TrimRight(*nodeURL, "/"), *height, ns[:], strings.ToLower(*comFlag))
	proof, err := fetchEVMProof(ctx, url)
	if err != nil {
		return err
	}
	client, err := relay.Dial(ctx, *l1)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := relay.WaitCovered(ctx, client, inbox, *height, time.Second); err != nil {
		return err
	}
	acct, err := relay.NewAccount(ctx, client, key)
	if err != nil {
		return err
	}
	enc, err := hex.DecodeString(strings.TrimPrefix(proof.Proof, "0x"))
	if err != nil {
		return fmt.Errorf("%s: proof: %w", url, err)
	}
	batch, err := relay.SubmitBatch(ctx, acct, inbox, enc)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "accepted: batch %s (%d bytes, height %d) in L1 block %d, tx %s, gas %d\n",
		batch.Hash.Hex(), batch.Size, batch.Height, batch.Receipt.BlockNumber, batch.Receipt.TxHash.Hex(), batch.Receipt.GasUsed)
	return nil
}

// parseNamespaceFlag takes a 10-byte version-0 id or a whole namespace.
func parseNamespaceFlag(s string) (da.Namespace, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return da.Namespace{}, err
	}
	if len(b) == da.NamespaceSize {
		return da.Namespace(b), nil
	}
	return da.NewV0Namespace(b)
}

// fetchEVMProof asks for a blob's EVM proof until the node has it (503
// while the height's commitment is not closed yet).
func fetchEVMProof(ctx context.Context, url string) (api.EVMBlobProof, error) {
	var out api.EVMBlobProof
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return out, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return out, fmt.Errorf("GET %s: %w", url, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return out, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if err := json.Unmarshal(body, &out); err != nil {
				return out, fmt.Errorf("GET %s: %w", url, err)
			}
			return out, nil
		case http.StatusServiceUnavailable:
		default:
			return out, fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("GET %s: still 503 (%s): %w", url, strings.TrimSpace(string(body)), ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
