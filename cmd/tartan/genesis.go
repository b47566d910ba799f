package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tartan-da/tartan/node"
)

const genesisUsage = "usage: tartan genesis add-validator --genesis FILE (--dir D | --pub-key HEX [--settlement-address 0x…]) [--name N] [--power 10]"

// runGenesis: tartan genesis add-validator. It adds the validator whose
// directory is --dir to a genesis file, so that several validators can
// share one chain: every node must then be given the resulting file.
func runGenesis(_ context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return printHelp(e, genesisUsage, nil)
	}
	if len(args) == 0 {
		return usageErr("genesis needs a subcommand; %s", genesisUsage)
	}
	if args[0] != "add-validator" {
		return usageErr("unknown subcommand %q; %s", args[0], genesisUsage)
	}
	fs := newFlags(e, "genesis add-validator")
	file := fs.String("genesis", "", "the genesis file to extend (rewritten in place)")
	dir := fs.String("dir", "", "the directory of a validator made by tartan init --role validator")
	pubKey := fs.String("pub-key", "", "instead of --dir: the validator's pub_key as its tartan init printed it (64 hex)")
	settlementAddr := fs.String("settlement-address", "", "with --pub-key: the validator's settlement_address as its tartan init printed it (0x…)")
	name := fs.String("name", "", "the validator's name (default: the directory's name)")
	power := fs.Int64("power", node.DefaultValidatorPower, "the validator's voting power")
	if err := parseFlags(e, fs, genesisUsage, args[1:]); err != nil {
		return err
	}
	if *file == "" || (*dir == "") == (*pubKey == "") {
		return usageErr("--genesis and one of --dir or --pub-key are required; %s", genesisUsage)
	}
	if *power <= 0 {
		return usageErr("--power %d: want a positive voting power", *power)
	}
	if *dir != "" {
		pk, _, err := node.ValidatorIdentity(*dir)
		if err != nil {
			return err
		}
		*pubKey = pk
		if *settlementAddr != "" {
			return usageErr("--settlement-address goes with --pub-key; with --dir it is read from the directory")
		}
		if *settlementAddr, err = node.SettlementAddress(*dir); err != nil {
			return err
		}
		if *name == "" {
			*name = filepath.Base(*dir)
		}
	}
	if *name == "" {
		return usageErr("--name is required with --pub-key")
	}
	g, err := node.LoadGenesis(*file)
	if err != nil {
		return err
	}
	if err := g.AddValidator(*name, *pubKey, *settlementAddr, *power); err != nil {
		return err
	}
	if err := g.Save(*file); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s now lists %d validators; give every node this file (its genesis.json) before the chain starts\n", *file, len(g.Validators))
	return nil
}
