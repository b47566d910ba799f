package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tartan-da/tartan/node"
)

const authUsage = "usage: tartan auth token create --dir D [--name N] | tartan auth token list --dir D | tartan auth token revoke --dir D ID|NAME"

// runAuth: tartan auth token create|list|revoke. Tokens guard the REST
// API's write routes (config api_auth); they live in the node's directory
// and a running node picks up every change at its next request.
func runAuth(_ context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) || len(args) > 1 && args[0] == "token" && isHelp(args[1]) {
		return printHelp(e, authUsage, nil)
	}
	if len(args) == 0 || args[0] != "token" {
		return usageErr("auth needs a subcommand; %s", authUsage)
	}
	if len(args) < 2 {
		return usageErr("auth token needs create, list or revoke; %s", authUsage)
	}
	sub, args := args[1], args[2:]
	fs := newFlags(e, "auth token "+sub)
	dir := fs.String("dir", "", "the node's directory, written by tartan init")
	var name *string
	switch sub {
	case "create":
		name = fs.String("name", "", "a name to tell the token apart in list and revoke (optional, unique)")
	case "list", "revoke":
	default:
		return usageErr("unknown subcommand %q; %s", sub, authUsage)
	}
	pos, err := parseArgs(e, fs, authUsage, args)
	if err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required; %s", authUsage)
	}
	want := 0
	if sub == "revoke" {
		want = 1
	}
	if len(pos) != want {
		if want == 1 {
			return usageErr("revoke takes one token id or name; %s", authUsage)
		}
		return usageErr("unexpected argument %q; %s", pos[0], authUsage)
	}
	// Only a node's directory gets tokens: a typo in --dir must not
	// create a stray one the node never reads.
	cfg, err := node.LoadConfig(*dir)
	if err != nil {
		return fmt.Errorf("%s does not hold a node: %w", *dir, err)
	}
	tokens := node.NewTokens(*dir)
	switch sub {
	case "create":
		tok, info, err := tokens.Create(*name, time.Now())
		if err != nil {
			return err
		}
		// stdout is the token alone, for TOKEN=$(tartan auth token create …).
		fmt.Fprintln(e.stdout, tok)
		fmt.Fprintf(e.stderr, "created token %s%s; it is shown only this once. Send it as: Authorization: Bearer <token>\n", info.ID, nameNote(info.Name))
		if cfg.AuthMode() == node.AuthNever {
			fmt.Fprintf(e.stderr, "note: this node's api_auth is %q, so it does not check tokens\n", node.AuthNever)
		}
		return nil
	case "list":
		all, err := tokens.List()
		if err != nil {
			return err
		}
		return printTokens(e.stdout, all)
	default:
		info, err := tokens.Revoke(pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %s%s; a running node refuses it from its next request\n", info.ID, nameNote(info.Name))
		return nil
	}
}

func nameNote(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" (%s)", name)
}

// printTokens writes a table of ids, names and creation times: never the
// token, which is not stored, nor its hash.
func printTokens(w io.Writer, all []node.TokenInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, i := range all {
		name := i.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", i.ID, name, i.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}
