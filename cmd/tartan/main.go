// Command tartan runs and inspects Tartan nodes (shared/API.md §1).
//
// main is thin: it parses flags and hands off to the packages below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks an error whose message is a usage line.
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch, so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"version", "print version, commit and Go version", runVersion},
		{"square", "square roots FILE: roots and data root of a raw ODS", runSquare},
		{"blob", "blob submit|get|commitment: post a blob, fetch and verify blobs, a blob's share commitment", runBlob},
		{"init", "init --role producer|full|light --dir D: prepare a node's directory", runInit},
		{"start", "start --dir D: run one node", runStart},
		{"devnet", "devnet [--dir D]: run a local network (producer, full and light nodes)", runDevnet},
		{"availability", "availability [--node URL] [HEIGHT]: a height's availability, or the node's summary", runAvailability},
		{"auth", "auth token create|list|revoke --dir D: bearer tokens for the REST API's write routes", runAuth},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status: 0 on
// success, 1 on failure, 2 on a usage error, with one line on stderr.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(e.stderr, "tartan %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(e.stderr, "tartan %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "tartan: unknown command %q (run 'tartan help')\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: tartan <command> [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("tartan "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, a...)...)
}
