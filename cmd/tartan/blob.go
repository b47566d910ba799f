package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tartan-da/tartan/da"
)

const blobUsage = "usage: tartan blob commitment --namespace NS [--share-version 1 --signer HEX] FILE|-"

// runBlob: tartan blob commitment …; submit and get come with the network.
func runBlob(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr(blobUsage)
	}
	switch args[0] {
	case "commitment":
		return runBlobCommitment(e, args[1:])
	case "submit", "get":
		return usageErr("blob %s is not available yet (it needs a running node); %s", args[0], blobUsage)
	default:
		return usageErr("unknown subcommand %q; %s", args[0], blobUsage)
	}
}

// runBlobCommitment prints the share commitment (SPEC §10) of the blob
// whose data is FILE, or stdin for "-", as 64 hex characters.
func runBlobCommitment(e *env, args []string) error {
	fs := newFlags(e, "blob commitment")
	nsHex := fs.String("namespace", "", "namespace: 58 hex characters (29 bytes) or 20 (a version-0 user ID)")
	version := fs.Uint("share-version", 0, "share version: 0, or 1 for a blob authored by --signer")
	signerHex := fs.String("signer", "", "signer address, 40 hex characters (share version 1 only)")
	// Parse errors become one usage line; -h prints the flags.
	fs.SetOutput(io.Discard)
	// Accept flags before and after the file name.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(e.stderr, blobUsage)
				fs.SetOutput(e.stderr)
				fs.PrintDefaults()
				return err
			}
			return usageErr("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageErr("want one FILE (or - for stdin), got %d; %s", len(files), blobUsage)
	}
	if *nsHex == "" {
		return usageErr("--namespace is required; %s", blobUsage)
	}
	ns, err := da.ParseNamespace(*nsHex)
	if err != nil {
		return usageErr("--namespace: %v", err)
	}
	if *version > 1 {
		return usageErr("--share-version %d: blobs use share version 0 or 1", *version)
	}
	var signer []byte
	switch {
	case *version == 1 && *signerHex == "":
		return usageErr("--share-version 1 needs --signer")
	case *version == 0 && *signerHex != "":
		return usageErr("--signer needs --share-version 1")
	case *signerHex != "":
		if signer, err = hex.DecodeString(*signerHex); err != nil {
			return usageErr("--signer is not hex: %v", err)
		}
	}
	var data []byte
	if files[0] == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(files[0])
	}
	if err != nil {
		return err
	}
	b, err := da.NewBlob(ns, data, uint8(*version), signer)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	c, err := da.CreateCommitment(&b)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	_, err = fmt.Fprintf(e.stdout, "%x\n", c)
	return err
}
