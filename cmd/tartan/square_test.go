package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/internal/vectors"
)

// runCLI runs one command line in-process and returns its exit status,
// stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestSquareRootsMatchesVector(t *testing.T) {
	var v struct {
		K        int      `json:"k"`
		RowRoots []string `json:"row_roots"`
		ColRoots []string `json:"col_roots"`
		DataRoot string   `json:"data_root"`
	}
	vectors.Load(t, "eds/k004.json", &v)
	ods := vectors.ODS(vectors.Seed, v.K)
	var raw []byte
	for i := range ods {
		raw = append(raw, ods[i][:]...)
	}
	file := filepath.Join(t.TempDir(), "ods.bin")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "square", "roots", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		K        int      `json:"k"`
		RowRoots []string `json:"row_roots"`
		ColRoots []string `json:"col_roots"`
		DataRoot string   `json:"data_root"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if got.K != v.K || got.DataRoot != v.DataRoot {
		t.Fatalf("k=%d data root %s, want k=%d %s", got.K, got.DataRoot, v.K, v.DataRoot)
	}
	if strings.Join(got.RowRoots, ",") != strings.Join(v.RowRoots, ",") || strings.Join(got.ColRoots, ",") != strings.Join(v.ColRoots, ",") {
		t.Fatal("row or column roots differ from the vector")
	}
}

func TestSquareRootsRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"partial share", []string{"square", "roots", write("partial", 700)}, 1, "whole number of 512-byte shares"},
		{"not a square", []string{"square", "roots", write("three", 3*512)}, 1, "k²"},
		{"missing file", []string{"square", "roots", filepath.Join(dir, "nope")}, 1, "no such file"},
		{"no file", []string{"square", "roots"}, 2, "usage"},
		{"unknown subcommand", []string{"square", "leaves", "x"}, 2, "usage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) || stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d and %q", code, stderr, stdout, c.code, c.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("error is not one line: %q", stderr)
			}
		})
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "version")
	if code != 0 || !strings.Contains(stdout, "tartan ") || !strings.Contains(stdout, "go1.") {
		t.Fatalf("version: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("unknown command: exit %d, %q", code, stderr)
	}
}
