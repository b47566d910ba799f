package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/relay"
)

const relayUsage = "usage: tartan relay --node URL --l1 URL --oracle 0x… --key FILE [--confirmations 1] [--poll 1s]"

// runRelay posts the validators' data commitments from a node to the
// oracle contract on an Ethereum chain (settlement/relay).
func runRelay(ctx context.Context, e *env, args []string) error {
	flags := newFlags(e, "relay")
	nodeURL := flags.String("node", "http://127.0.0.1:26650", "REST API of a Tartan node that follows the chain")
	l1 := flags.String("l1", "", "Ethereum JSON-RPC URL (http, ws or ipc)")
	oracleFlag := flags.String("oracle", "", "TartanDataRootOracle's address")
	keyFile := flags.String("key", "", "file holding the relaying account's secp256k1 key, hex (it pays the gas)")
	confirmations := flags.Uint64("confirmations", 1, "L1 blocks a post must be under (1: mined) before the next")
	poll := flags.Duration("poll", time.Second, "how often the node is asked for the next commitment")
	if err := parseFlags(e, flags, relayUsage, args); err != nil {
		return err
	}
	if *l1 == "" || *oracleFlag == "" || *keyFile == "" {
		return usageErr("--l1, --oracle and --key are required; %s", relayUsage)
	}
	if *confirmations == 0 || *poll <= 0 {
		return usageErr("--confirmations must be at least 1 and --poll positive")
	}
	oracle, err := settlement.ParseAddress(*oracleFlag)
	if err != nil {
		return usageErr("--oracle: %v", err)
	}
	key, err := settlement.ReadKeyFile(*keyFile)
	if err != nil {
		return err
	}
	client, err := relay.Dial(ctx, *l1)
	if err != nil {
		return err
	}
	defer client.Close()
	acct, err := relay.NewAccount(ctx, client, key)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r, err := relay.New(relay.Config{Node: *nodeURL, Oracle: oracle, Confirmations: *confirmations, Poll: *poll}, acct, log)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
