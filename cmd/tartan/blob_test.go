package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tartan-da/tartan/internal/vectors"
)

type blobCommitmentVector struct {
	BlobIndex    uint32 `json:"blob_index"`
	DataLen      int    `json:"data_len"`
	Namespace    string `json:"namespace"`
	ShareVersion uint8  `json:"share_version"`
	Signer       string `json:"signer"`
	Commitment   string `json:"share_commitment"`
}

func loadBlobVector(t *testing.T, index uint32) (blobCommitmentVector, []byte) {
	t.Helper()
	var f struct {
		Seed    string                 `json:"seed"`
		Vectors []blobCommitmentVector `json:"vectors"`
	}
	vectors.Load(t, "commitments.json", &f)
	for _, v := range f.Vectors {
		if v.BlobIndex == index {
			return v, vectors.Stream(f.Seed, "cblob", v.BlobIndex, v.DataLen)
		}
	}
	t.Fatalf("commitments.json has no blob %d", index)
	return blobCommitmentVector{}, nil
}

func runBlobCLI(stdin []byte, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: bytes.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// A share-version-1 blob from a file, flags after the file name.
func TestBlobCommitmentFileV1(t *testing.T) {
	v, data := loadBlobVector(t, 3)
	if v.ShareVersion != 1 || v.Signer == "" {
		t.Fatalf("vector 3 is not a signed blob: %+v", v)
	}
	file := filepath.Join(t.TempDir(), "blob.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBlobCLI(nil, "blob", "commitment", "--namespace", v.Namespace, file, "--share-version", "1", "--signer", v.Signer)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != v.Commitment+"\n" {
		t.Fatalf("printed %q, want %s", stdout, v.Commitment)
	}
	// The same blob without its signer commits to something else.
	code, stdout, _ = runBlobCLI(nil, "blob", "commitment", "--namespace", v.Namespace, file)
	if code != 0 || stdout == v.Commitment+"\n" {
		t.Fatalf("v0 commitment of a v1 vector: exit %d, %q", code, stdout)
	}
}

// A version-0 blob from stdin, namespace in its 20-hex form.
func TestBlobCommitmentStdin(t *testing.T) {
	for _, index := range []uint32{0, 2, 6} {
		v, data := loadBlobVector(t, index)
		short := v.Namespace[len(v.Namespace)-20:]
		if v.Namespace != strings.Repeat("0", 38)+short {
			t.Fatalf("vector %d namespace %s has no 20-hex form", index, v.Namespace)
		}
		code, stdout, stderr := runBlobCLI(data, "blob", "commitment", "--namespace", short, "-")
		if code != 0 {
			t.Fatalf("vector %d: exit %d: %s", index, code, stderr)
		}
		if stdout != v.Commitment+"\n" {
			t.Fatalf("vector %d: printed %q, want %s", index, stdout, v.Commitment)
		}
	}
}

func TestBlobCommitmentErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "blob.bin")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.bin")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ns := "0102030405060708090a"
	signer := hex.EncodeToString(bytes.Repeat([]byte{1}, 20))
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no subcommand", []string{"blob"}, 2, "usage"},
		{"unknown subcommand", []string{"blob", "frob"}, 2, "unknown subcommand"},
		{"submit without node", []string{"blob", "submit", "x"}, 2, "--node is required"},
		{"get without node", []string{"blob", "get"}, 2, "--node is required"},
		{"no file", []string{"blob", "commitment", "--namespace", ns}, 2, "want one FILE"},
		{"two files", []string{"blob", "commitment", "--namespace", ns, file, file}, 2, "got 2"},
		{"no namespace", []string{"blob", "commitment", file}, 2, "--namespace is required"},
		{"short namespace", []string{"blob", "commitment", "--namespace", "0102", file}, 2, "wrong length"},
		{"not hex namespace", []string{"blob", "commitment", "--namespace", "zz02030405060708090a", file}, 2, "not hex"},
		{"reserved namespace", []string{"blob", "commitment", "--namespace", "00000000000000000004", file}, 1, "reserved"},
		{"version 2", []string{"blob", "commitment", "--namespace", ns, "--share-version", "2", file}, 2, "share version 0 or 1"},
		{"v1 without signer", []string{"blob", "commitment", "--namespace", ns, "--share-version", "1", file}, 2, "needs --signer"},
		{"signer without v1", []string{"blob", "commitment", "--namespace", ns, "--signer", signer, file}, 2, "needs --share-version 1"},
		{"signer not hex", []string{"blob", "commitment", "--namespace", ns, "--share-version", "1", "--signer", "xyz", file}, 2, "want 40 hex characters"},
		{"short signer", []string{"blob", "commitment", "--namespace", ns, "--share-version", "1", "--signer", "0102", file}, 2, "want 40 hex characters"},
		{"empty blob", []string{"blob", "commitment", "--namespace", ns, empty}, 1, "empty"},
		{"missing file", []string{"blob", "commitment", "--namespace", ns, filepath.Join(dir, "nope")}, 1, "no such file"},
		{"bad flag", []string{"blob", "commitment", "--frob", file}, 2, "flag provided but not defined"},
		{"bad share version", []string{"blob", "commitment", "--share-version", "x", file}, 2, "invalid value"},
	} {
		code, stdout, stderr := runBlobCLI(nil, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d mentioning %q", c.name, code, stdout, stderr, c.code, c.msg)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: error is not one line: %q", c.name, stderr)
		}
	}
}

func TestBlobCommitmentHelp(t *testing.T) {
	code, stdout, stderr := runBlobCLI(nil, "blob", "commitment", "-h")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "-share-version") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
