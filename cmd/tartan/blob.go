package main

import (
	"context"
)

// runBlob: tartan blob commitment … (submit and get come with the network).
func runBlob(_ context.Context, e *env, args []string) error {
	return usageErr("usage: tartan blob commitment --namespace NS [--share-version 1 --signer HEX] FILE|-")
}
