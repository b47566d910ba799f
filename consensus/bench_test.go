package consensus

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tartan-da/tartan/da"
)

// fullMempool is n blob transactions of size bytes each, distinct.
func fullMempool(b *testing.B, n, size int) [][]byte {
	txs := make([][]byte, n)
	for i := range txs {
		ns, _ := da.NewV0Namespace([]byte(fmt.Sprintf("bench-%d", i%4)))
		blob, err := da.NewBlob(ns, bytes.Repeat([]byte{byte(i)}, size), da.ShareVersionZero, nil)
		if err != nil {
			b.Fatal(err)
		}
		txs[i] = BlobTx([]da.Blob{blob})
	}
	return txs
}

// BenchmarkProposal is one validator's work on a block of 1 MiB blobs up
// to a k=128 square: as proposer (Prepare, its own Process, Finalize,
// Commit) and as any other validator (Process, Finalize, Commit).
func BenchmarkProposal(b *testing.B) {
	ctx := context.Background()
	mempool := fullMempool(b, 10, 1<<20)
	for _, role := range []string{"proposer", "voter"} {
		b.Run(role+"/k=128", func(b *testing.B) {
			a, _ := newTestApp(b, 128)
			prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 30, Height: 1})
			if err != nil {
				b.Fatal(err)
			}
			size := 0
			for _, tx := range prep.Txs {
				size += len(tx)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				a, _ := newTestApp(b, 128)
				h := int64(i + 1)
				if role == "proposer" {
					if _, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 30, Height: h}); err != nil {
						b.Fatal(err)
					}
				}
				if r, _ := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: h}); r.Status != abci.ResponseProcessProposal_ACCEPT {
					b.Fatal("rejected")
				}
				if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: h, Hash: make([]byte, 32)}); err != nil {
					b.Fatal(err)
				}
				if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
