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
		{"init", "init --role validator|full|light --dir D: prepare a node's directory", runInit},
		{"genesis", "genesis add-validator --genesis FILE --dir D: add a validator to a genesis", runGenesis},
		{"start", "start --dir D: run one node", runStart},
		{"devnet", "devnet [--dir D]: run a local network (validators, full and light nodes)", runDevnet},
		{"relay", "relay --l1 URL --oracle 0x… --key FILE: post the validators' data commitments to the Ethereum oracle", runRelay},
		{"inbox", "inbox --l1 URL --inbox 0x… --key FILE --height H --namespace NS --commitment C: prove a blob to an example rollup inbox on Ethereum", runInbox},
		{"availability", "availability [--node URL] [HEIGHT]: a height's availability, or the node's summary", runAvailability},
		{"auth", "auth token create|list|revoke --dir D: bearer tokens for the REST API's write routes", runAuth},
		{"health", "health [--api URL]: exit 0 if the node's API answers GET /health (container health checks)", runHealth},
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
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	if isHelp(args[0]) {
		usage(e.stdout)
		return 0
	}
	if args[0] == "help" {
		// help CMD [SUB] is CMD [SUB] --help.
		if len(args) == 1 || isHelp(args[1]) {
			usage(e.stdout)
			return 0
		}
		args = append(args[1:len(args):len(args)], "--help")
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
		case errors.As(err, new(*usageError)):
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
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'tartan <command> --help' (or 'tartan help <command>') for a command's flags.")
}

// isHelp reports whether arg asks for help, as the flag package reads it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// printHelp writes a command's usage line and, when fs has any, its flags
// to stdout (help is the answer asked for, not an error), and returns
// flag.ErrHelp, which exits 0.
func printHelp(e *env, usageLine string, fs *flag.FlagSet) error {
	fmt.Fprintln(e.stdout, usageLine)
	if fs != nil {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(e.stdout, "\nflags:")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return flag.ErrHelp
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("tartan "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// usageError is a command line the command cannot run (exit status 2).
// Its message is printed as is: the messages that need the usage line
// carry it ("…; usage: tartan …").
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErr(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}
