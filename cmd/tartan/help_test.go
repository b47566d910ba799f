package main

import (
	"slices"
	"strings"
	"testing"
)

// helpCases are every command and subcommand; each must answer -h and
// --help.
var helpCases = [][]string{
	{"version"},
	{"square"}, {"square", "roots"},
	{"blob"}, {"blob", "submit"}, {"blob", "get"}, {"blob", "commitment"},
	{"init"}, {"genesis"}, {"genesis", "add-validator"}, {"start"}, {"devnet"}, {"availability"},
	{"auth"}, {"auth", "token"}, {"auth", "token", "create"}, {"auth", "token", "list"}, {"auth", "token", "revoke"},
	{"health"}, {"relay"}, {"inbox"},
}

// -h and --help (and help CMD) print the usage on stdout, write nothing on
// stderr, run nothing and exit 0.
func TestHelpEveryCommand(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range helpCases {
		covered[c[0]] = true
	}
	for _, c := range commands() {
		if !covered[c.name] {
			t.Errorf("command %q has no help case", c.name)
		}
	}
	for _, cmd := range helpCases {
		for _, args := range [][]string{
			append(slices.Clone(cmd), "-h"),
			append(slices.Clone(cmd), "--help"),
			append([]string{"help"}, cmd...),
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errs := runCLI(t, "", args...)
				if code != 0 || errs != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errs)
				}
				if !strings.HasPrefix(out, "usage: tartan ") || !strings.Contains(out, "tartan "+strings.Join(cmd, " ")) {
					t.Fatalf("stdout %q: want the usage of tartan %s", out, strings.Join(cmd, " "))
				}
				if strings.Contains(out, "usage: usage:") {
					t.Fatalf("doubled usage: %q", out)
				}
			})
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "-h"}, {"help", "--help"}} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: tartan <command>") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// Without a command it is an error: the usage goes to stderr.
	if code, out, errs := runCLI(t, ""); code != 2 || out != "" || !strings.HasPrefix(errs, "usage: tartan <command>") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// --help after other arguments is still help: square roots does not open
// a file named --help, start does not start a node.
func TestHelpAfterArguments(t *testing.T) {
	for _, args := range [][]string{
		{"square", "roots", "--help"},
		{"square", "roots", "ods.bin", "-h"},
		{"start", "--dir", t.TempDir(), "--help"},
		{"blob", "submit", "--node", "http://127.0.0.1:1", "file", "--help"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: tartan "+args[0]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// A usage error is one line on stderr, exit 2, saying "usage:" at most
// once.
func TestUsageErrorsSayUsageOnce(t *testing.T) {
	for _, args := range [][]string{
		{"square"}, {"square", "roots"}, {"square", "leaves", "x"}, {"square", "roots", "a", "b"},
		{"blob"}, {"blob", "frob"}, {"blob", "submit"},
		{"auth"}, {"auth", "token"}, {"auth", "token", "frob"},
		{"genesis"}, {"genesis", "frob"}, {"genesis", "add-validator"},
		{"version", "x"}, {"init"}, {"start"}, {"health", "x"}, {"help", "frob"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || strings.Count(errs, "usage:") > 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line saying usage at most once", args, code, out, errs)
		}
	}
}
