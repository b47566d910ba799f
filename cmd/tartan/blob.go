package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
)

const (
	blobUsage           = "usage: tartan blob submit|get|commitment … (-h after one shows its flags)"
	blobCommitmentUsage = "usage: tartan blob commitment --namespace NS [--share-version 1 --signer HEX] FILE|-"
	blobSubmitUsage     = "usage: tartan blob submit --node URL --namespace NS [--share-version 1 --signer HEX] " +
		"[--token T] [--timeout 2m] [--json] [--progress auto|always|never] FILE|-"
	blobGetUsage = "usage: tartan blob get --node URL --height H --namespace NS [--commitment C] [--out FILE] " +
		"[--trusted-hash HEX] [--timeout 2m]"
)

// submitAttempts bounds the submissions of one blob that a full pool (503)
// may cost; each waits for the node's Retry-After.
const submitAttempts = 5

// runBlob: tartan blob submit|get|commitment (API.md §1).
func runBlob(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", blobUsage)
	}
	if isHelp(args[0]) {
		lines := []string{blobUsage}
		for _, u := range []string{blobSubmitUsage, blobGetUsage, blobCommitmentUsage} {
			lines = append(lines, "  "+strings.TrimPrefix(u, "usage: "))
		}
		return printHelp(e, strings.Join(lines, "\n"), nil)
	}
	switch args[0] {
	case "commitment":
		return runBlobCommitment(e, args[1:])
	case "submit":
		return runBlobSubmit(ctx, e, args[1:])
	case "get":
		return runBlobGet(ctx, e, args[1:])
	default:
		return usageErr("unknown subcommand %q; %s", args[0], blobUsage)
	}
}

// blobNamespace reads --namespace for submit and get: a namespace a blob
// may use, checked before any network call.
func blobNamespace(s string, usage string) (da.Namespace, error) {
	if s == "" {
		return da.Namespace{}, usageErr("--namespace is required; %s", usage)
	}
	ns, err := da.ParseNamespace(s)
	if err == nil {
		err = ns.ValidateForBlob()
	}
	if err != nil {
		return da.Namespace{}, usageErr("--namespace %s: %v", s, err)
	}
	return ns, nil
}

// serverTimeout is the submission's "timeout" field: what remains of the
// command's deadline, less a margin so that the node's 504 (which says
// what happened) arrives before the client gives up.
func serverTimeout(remaining time.Duration) time.Duration {
	t := min(remaining-min(5*time.Second, remaining/4), 10*time.Minute)
	if t >= 2*time.Second {
		return t.Round(time.Second)
	}
	return max(t.Truncate(time.Millisecond), time.Millisecond)
}

// runBlobSubmit posts FILE (or stdin) as one blob, waits until a block
// holds it, and prints the height and the share commitment.
func runBlobSubmit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "blob submit")
	nodeURL := fs.String("node", "", "the node's REST API, like http://127.0.0.1:26650 (required)")
	nsHex := fs.String("namespace", "", "namespace: 58 hex characters (29 bytes) or 20 (a version-0 user ID)")
	version := fs.Uint("share-version", 0, "share version: 0, or 1 for a blob authored by --signer")
	signerHex := fs.String("signer", "", "signer address, 40 hex characters (share version 1 only)")
	// The default is resolved after parsing so -h never prints a token.
	token := fs.String("token", "", "bearer token for the node's write routes (default: $TARTAN_AUTH_TOKEN)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long, the upload and the wait for inclusion together")
	asJSON := fs.Bool("json", false, `print {"height":H,"namespace":NS,"commitment":C} instead of two lines`)
	progressMode := fs.String("progress", "auto", "progress on stderr: auto (a terminal and at least 1 MiB), always or never")
	files, err := parseArgs(e, fs, blobSubmitUsage, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageErr("want one FILE (or - for stdin), got %d; %s", len(files), blobSubmitUsage)
	}
	if *token == "" {
		*token = os.Getenv("TARTAN_AUTH_TOKEN")
	}
	base, err := parseNodeURL(*nodeURL)
	if err != nil {
		return err
	}
	ns, err := blobNamespace(*nsHex, blobSubmitUsage)
	if err != nil {
		return err
	}
	signer, err := blobSigner(*version, *signerHex)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageErr("--timeout %s: want a positive duration", *timeout)
	}
	if _, err := wantProgress(*progressMode, e.stderr, 0); err != nil {
		return err
	}
	limit, err := da.MaxBlobDataSize(da.MaxSquareWidthCap, uint8(*version))
	if err != nil {
		return err
	}
	data, err := readBlobInput(e, files[0], limit)
	if err != nil {
		return err
	}
	b, err := da.NewBlob(ns, data, uint8(*version), signer)
	if errors.Is(err, da.ErrBlobEmpty) {
		return fmt.Errorf("%s is empty: a blob needs at least one byte", inputName(files[0]))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", inputName(files[0]), err)
	}
	want, err := da.CreateCommitment(&b)
	if err != nil {
		return fmt.Errorf("%s: %w", inputName(files[0]), err)
	}
	show, _ := wantProgress(*progressMode, e.stderr, len(data))

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// The body is head ‖ base64(data) ‖ tail, streamed from memory so an
	// attempt can count what it sends; tail carries the server-side
	// timeout, recomputed for each attempt.
	head := fmt.Sprintf(`{"blobs":[{"namespace":"%s","share_version":%d`, ns, *version)
	if signer != nil {
		head += fmt.Sprintf(`,"signer":"%x"`, signer)
	}
	head += `,"data":"`
	tailFor := func(timeout time.Duration) string { return fmt.Sprintf(`"}],"timeout":"%s"}`, timeout) }
	c := &nodeClient{base: base, token: *token, hc: &http.Client{}}
	// The node's limits, before uploading anything: a blob it would
	// refuse is refused here, in the file's bytes.
	lim, err := c.limits(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within --timeout %s", *timeout)
	}
	if err != nil {
		return err
	}
	// The longest tail: the server timeout is at most 10m ("10m0s"), or
	// a few characters more below 2s ("1.999s").
	envelope := int64(len(head) + len(tailFor(1999*time.Millisecond)))
	if err := checkBlobLimits(inputName(files[0]), len(data), uint8(*version), envelope, lim); err != nil {
		return err
	}
	b64 := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
	base64.StdEncoding.Encode(b64, data)
	var bar *progress
	if show {
		bar = newProgress(e.stderr, 0)
		defer bar.finish()
	}
	body := func() (io.Reader, int64) {
		remaining := *timeout
		if dl, ok := ctx.Deadline(); ok {
			remaining = time.Until(dl)
		}
		tail := tailFor(serverTimeout(remaining))
		var payload io.Reader = bytes.NewReader(b64)
		if bar != nil {
			// Counted in the file's bytes, not in base64 on the wire.
			bar.restart(int64(len(data)))
			payload = bar.reader(payload, int64(len(b64)))
		}
		size := int64(len(head) + len(b64) + len(tail))
		return io.MultiReader(strings.NewReader(head), payload, strings.NewReader(tail)), size
	}
	var note func(string)
	if bar != nil {
		note = bar.note
	}
	res, err := c.submitBlob(ctx, body, submitAttempts, note)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return submitError(err, *token != "", *timeout)
	}
	if len(res.Commitments) != 1 || res.Height == 0 {
		return fmt.Errorf("node answered height %d and %d commitments for one blob", res.Height, len(res.Commitments))
	}
	if res.Commitments[0] != hex.EncodeToString(want[:]) {
		return fmt.Errorf("node answered commitment %q, but the blob's commitment is %x", truncate(res.Commitments[0], 80), want)
	}
	if *asJSON {
		out, _ := json.Marshal(struct {
			Height     uint64 `json:"height"`
			Namespace  string `json:"namespace"`
			Commitment string `json:"commitment"`
		}{res.Height, ns.String(), res.Commitments[0]})
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "height %d\ncommitment %x\n", res.Height, want)
	return err
}

// checkBlobLimits refuses a blob of size bytes that the node would refuse:
// more than its largest square holds, or a request body (envelope bytes
// of JSON around the data in base64) above its body limit. A node that
// reports no limits (an older one) is left to answer for itself.
func checkBlobLimits(name string, size int, version uint8, envelope int64, lim api.Limits) error {
	most, why := -1, ""
	if lim.MaxSquareWidth > 0 {
		if n, err := da.MaxBlobDataSize(lim.MaxSquareWidth, version); err == nil {
			most, why = n, fmt.Sprintf("what its largest square, %d×%d shares, holds", lim.MaxSquareWidth, lim.MaxSquareWidth)
		}
	}
	if lim.MaxBodyBytes > 0 {
		// base64 sends 4 bytes for every 3, padded to a whole group.
		n := int((lim.MaxBodyBytes - envelope) / 4 * 3)
		if most < 0 || n < most {
			most, why = max(n, 0), fmt.Sprintf("what fits its %s request limit once in base64, which takes 4/3 of the bytes", byteSize(lim.MaxBodyBytes))
		}
	}
	if most >= 0 && size > most {
		return fmt.Errorf("%s: %d bytes (%s) is more than the node accepts in one blob: at most %d bytes (%s), %s",
			name, size, byteSize(int64(size)), most, byteSize(int64(most)), why)
	}
	return nil
}

// submitError turns a failed submission into what the user should know.
func submitError(err error, hadToken bool, timeout time.Duration) error {
	const mayLand = "the blob may still be included later; submitting it again is safe (it is never included twice)"
	var ne *nodeError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within --timeout %s: %s", timeout, mayLand)
	case !errors.As(err, &ne):
		return err
	case ne.status == http.StatusUnauthorized && !hadToken:
		return fmt.Errorf("the node requires an API token: create one on the node's machine with `tartan auth token create --dir D` "+
			"and pass it with --token or TARTAN_AUTH_TOKEN (%s)", oneLineText(ne.message))
	case ne.status == http.StatusUnauthorized || ne.status == http.StatusForbidden:
		return fmt.Errorf("the node refused the token (%d %s: %s); create a new one with `tartan auth token create --dir D`",
			ne.status, ne.code, oneLineText(ne.message))
	case ne.status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("the blob is too large for this node: %v", err)
	case ne.status == http.StatusGatewayTimeout:
		return fmt.Errorf("not included in time (%v): %s", err, mayLand)
	}
	return err
}

// inputName names FILE in messages.
func inputName(file string) string {
	if file == "-" {
		return "stdin"
	}
	return file
}

// readBlobInput reads FILE or stdin, refusing more than limit bytes (what
// the widest square allowed holds) without reading it all.
func readBlobInput(e *env, file string, limit int) ([]byte, error) {
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > int64(limit) {
			return nil, fmt.Errorf("%s: %d bytes is more than any square holds (at most %d bytes)", file, st.Size(), limit)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inputName(file), err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes, which is more than any square holds", inputName(file), limit)
	}
	return data, nil
}

// runBlobGet fetches the blob with --commitment, or every blob of the
// namespace at the height, verifies it all against the header's data root,
// and only then writes the data.
//
// Output: without --out, the one blob goes to stdout (several blobs need
// --commitment or --out). With --out FILE, the first blob goes to FILE and
// the next ones to FILE.1, FILE.2, … in square order, each written
// atomically, and stdout gets "<commitment>  <path>" per file.
func runBlobGet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "blob get")
	nodeURL := fs.String("node", "", "the node's REST API, like http://127.0.0.1:26650 (required)")
	heightText := fs.String("height", "", "the block height (required)")
	nsHex := fs.String("namespace", "", "namespace: 58 hex characters (29 bytes) or 20 (a version-0 user ID)")
	commitHex := fs.String("commitment", "", "the blob's share commitment, 64 hex characters; without it, every blob of the namespace")
	out := fs.String("out", "", "write the blob to this file (several blobs: FILE, FILE.1, …) instead of stdout")
	trustedHex := fs.String("trusted-hash", "", "hash of the header at --height from a source you trust, 64 hex characters")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	pos, err := parseArgs(e, fs, blobGetUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErr("unexpected argument %q; %s", pos[0], blobGetUsage)
	}
	base, err := parseNodeURL(*nodeURL)
	if err != nil {
		return err
	}
	if *heightText == "" {
		return usageErr("--height is required; %s", blobGetUsage)
	}
	height, err := strconv.ParseUint(*heightText, 10, 64)
	if err != nil || height == 0 {
		return usageErr("--height %q: want a positive integer", *heightText)
	}
	ns, err := blobNamespace(*nsHex, blobGetUsage)
	if err != nil {
		return err
	}
	var want *[32]byte
	if *commitHex != "" {
		c, err := decodeHash32(strings.ToLower(*commitHex), "--commitment")
		if err != nil {
			return usageErr("%v", err)
		}
		want = &c
	}
	var trusted []byte
	if *trustedHex != "" {
		h, err := decodeHash32(strings.ToLower(*trustedHex), "--trusted-hash")
		if err != nil {
			return usageErr("%v", err)
		}
		trusted = h[:]
	}
	if *timeout <= 0 {
		return usageErr("--timeout %s: want a positive duration", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := &nodeClient{base: base, hc: &http.Client{}}
	blobs, err := fetchVerified(ctx, c, height, ns, want, trusted)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within --timeout %s", *timeout)
	}
	if err != nil {
		return err
	}
	if len(blobs) == 0 {
		return fmt.Errorf("namespace %s has no blobs at height %d (the proof of that verified)", ns, height)
	}
	if *out == "" {
		if len(blobs) > 1 {
			return fmt.Errorf("namespace %s holds %d blobs at height %d (the first is %x): pick one with --commitment, or write each with --out FILE",
				ns, len(blobs), height, blobs[0].commitment)
		}
		_, err := e.stdout.Write(blobs[0].data)
		return err
	}
	paths := make([]string, len(blobs))
	datas := make([][]byte, len(blobs))
	for i := range blobs {
		paths[i] = *out
		if i > 0 {
			paths[i] = fmt.Sprintf("%s.%d", *out, i)
		}
		datas[i] = blobs[i].data
	}
	if err := writeFilesAtomic(paths, datas); err != nil {
		return err
	}
	for i := range blobs {
		if _, err := fmt.Fprintf(e.stdout, "%x  %s\n", blobs[i].commitment, paths[i]); err != nil {
			return err
		}
	}
	return nil
}

// fetchVerified reads the header, then the blob(s), verified.
func fetchVerified(ctx context.Context, c *nodeClient, height uint64, ns da.Namespace, want *[32]byte, trusted []byte) ([]gotBlob, error) {
	h, err := c.fetchHeader(ctx, height, trusted)
	if err != nil {
		return nil, err
	}
	if want != nil {
		b, err := c.getOneBlob(ctx, h, ns, *want)
		if err != nil {
			return nil, err
		}
		return []gotBlob{b}, nil
	}
	return c.getNamespace(ctx, h, ns)
}

// writeFilesAtomic writes each file to a temporary file beside it, syncs
// it, and renames them all into place only once every one is written; on
// failure it removes the temporary files and leaves the paths untouched.
func writeFilesAtomic(paths []string, datas [][]byte) error {
	tmps := make([]string, 0, len(paths))
	defer func() {
		for _, t := range tmps {
			os.Remove(t) // gone already after a rename
		}
	}()
	for i, p := range paths {
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
		if err != nil {
			return err
		}
		tmps = append(tmps, f.Name())
		_, err = f.Write(datas[i])
		if err == nil {
			err = f.Chmod(0o644)
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	for i, p := range paths {
		if err := os.Rename(tmps[i], p); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}

// runBlobCommitment prints the share commitment (SPEC §10) of the blob
// whose data is FILE, or stdin for "-", as 64 hex characters.
func runBlobCommitment(e *env, args []string) error {
	fs := newFlags(e, "blob commitment")
	nsHex := fs.String("namespace", "", "namespace: 58 hex characters (29 bytes) or 20 (a version-0 user ID)")
	version := fs.Uint("share-version", 0, "share version: 0, or 1 for a blob authored by --signer")
	signerHex := fs.String("signer", "", "signer address, 40 hex characters (share version 1 only)")
	files, err := parseArgs(e, fs, blobCommitmentUsage, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageErr("want one FILE (or - for stdin), got %d; %s", len(files), blobCommitmentUsage)
	}
	if *nsHex == "" {
		return usageErr("--namespace is required; %s", blobCommitmentUsage)
	}
	ns, err := da.ParseNamespace(*nsHex)
	if err != nil {
		return usageErr("--namespace: %v", err)
	}
	signer, err := blobSigner(*version, *signerHex)
	if err != nil {
		return err
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

// blobSigner checks --share-version and --signer together: version 0
// takes no signer, version 1 needs one of da.SignerSize bytes.
func blobSigner(version uint, signerHex string) ([]byte, error) {
	switch {
	case version > 1:
		return nil, usageErr("--share-version %d: blobs use share version 0 or 1", version)
	case version == 1 && signerHex == "":
		return nil, usageErr("--share-version 1 needs --signer")
	case version == 0 && signerHex != "":
		return nil, usageErr("--signer needs --share-version 1")
	case signerHex == "":
		return nil, nil
	}
	signer, err := hex.DecodeString(signerHex)
	if err != nil || len(signer) != da.SignerSize {
		return nil, usageErr("--signer %q: want %d hex characters", signerHex, 2*da.SignerSize)
	}
	return signer, nil
}
