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

const squareUsage = "usage: tartan square roots FILE (a raw ODS: k² shares of 512 bytes, row-major)"

// runSquare: tartan square roots FILE.
func runSquare(_ context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return printHelp(e, squareUsage, nil)
	}
	if len(args) == 0 || args[0] != "roots" {
		return usageErr("%s", squareUsage)
	}
	// Parsed as flags (there are none) so that --help asks for help
	// rather than naming a file.
	files, err := parseArgs(e, newFlags(e, "square roots"), squareUsage, args[1:])
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageErr("want one FILE, got %d; %s", len(files), squareUsage)
	}
	file := files[0]
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if len(raw)%da.ShareSize != 0 {
		return fmt.Errorf("%s: %d bytes is not a whole number of %d-byte shares", file, len(raw), da.ShareSize)
	}
	ods := make([]da.Share, len(raw)/da.ShareSize)
	for i := range ods {
		copy(ods[i][:], raw[i*da.ShareSize:])
	}
	eds, err := erasure.Extend(ods)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	dah, err := erasure.Commit(eds)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
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
