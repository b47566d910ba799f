package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

type squareRoots struct {
	K        int      `json:"k"`
	RowRoots []string `json:"row_roots"`
	ColRoots []string `json:"col_roots"`
	DataRoot string   `json:"data_root"`
}

// runSquare: tartan square roots FILE.
func runSquare(_ context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "roots" {
		return usageErr("usage: tartan square roots FILE (a raw ODS: k² shares of 512 bytes, row-major)")
	}
	raw, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	if len(raw)%da.ShareSize != 0 {
		return fmt.Errorf("%s: %d bytes is not a whole number of %d-byte shares", args[1], len(raw), da.ShareSize)
	}
	ods := make([]da.Share, len(raw)/da.ShareSize)
	for i := range ods {
		copy(ods[i][:], raw[i*da.ShareSize:])
	}
	eds, err := erasure.Extend(ods)
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	out := squareRoots{K: eds.Width(), RowRoots: hexNodes(dah.RowRoots), ColRoots: hexNodes(dah.ColRoots)}
	root := dah.DataRoot()
	out.DataRoot = hex.EncodeToString(root[:])
	enc := json.NewEncoder(e.stdout)
	return enc.Encode(out)
}

func hexNodes(nodes []da.NMTNode) []string {
	out := make([]string, len(nodes))
	for i := range nodes {
		out[i] = hex.EncodeToString(nodes[i][:])
	}
	return out
}
