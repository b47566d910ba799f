package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
	"github.com/tartan-da/tartan/node"
)

// The REST client of `tartan blob submit|get`: requests, the node's error
// answers turned into one-line errors, and the decoding and verification
// of the proofs it sends (nothing a node answers is trusted before it
// verifies against the header's data root).

// maxAnswerBytes bounds a node's answer: a whole namespace of the largest
// square (512² shares of 512 bytes) in base64, with its proofs.
const maxAnswerBytes = 512 << 20

// nodeClient talks to one node's REST API.
type nodeClient struct {
	base  string // http(s)://host:port, no trailing slash
	token string // bearer token for POST routes; empty sends none
	hc    *http.Client
}

// parseNodeURL checks --node and returns it without a trailing slash.
func parseNodeURL(s string) (string, error) {
	if s == "" {
		return "", usageErr("--node is required (the node's REST API, like http://127.0.0.1:26650)")
	}
	base := strings.TrimRight(s, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return "", usageErr("--node %q: want a URL like http://127.0.0.1:26650", s)
	}
	return base, nil
}

// nodeError is a non-200 answer.
type nodeError struct {
	status     int
	code       string // the API's error code; empty if the body was not the API's shape
	message    string
	retryAfter time.Duration // from Retry-After; -1 when absent or unreadable
	url        string
}

func (e *nodeError) Error() string {
	if e.code == "" {
		return fmt.Sprintf("node answered %d %s (is %s a Tartan node?)", e.status, http.StatusText(e.status), e.url)
	}
	return fmt.Sprintf("node answered %d %s: %s", e.status, e.code, oneLineText(e.message))
}

// do sends one request and returns the body of a 200 answer; any other
// answer is a *nodeError, and a failure to connect says so.
func (c *nodeClient) do(req *http.Request) ([]byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("cannot reach the node at %s: %v", c.base, oneLineText(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("reading the node's answer: %v", oneLineText(err.Error()))
	}
	if len(body) > maxAnswerBytes {
		return nil, fmt.Errorf("the node's answer to %s exceeds %d bytes", req.URL.Path, maxAnswerBytes)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	ne := &nodeError{status: resp.StatusCode, url: req.URL.String(), retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	var eb struct {
		Error api.Error `json:"error"`
	}
	if json.Unmarshal(body, &eb) == nil {
		ne.code, ne.message = eb.Error.Code, eb.Error.Message
	}
	return nil, ne
}

// parseRetryAfter reads delay-seconds or an HTTP date; -1 when absent or
// unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}

// getJSON fetches path and decodes the 200 answer into out. A 503
// not_yet (a block committed, its square not yet stored on this node) is
// asked again after the node's Retry-After while ctx's deadline allows.
func (c *nodeClient) getJSON(ctx context.Context, path string, out any) error {
	var body []byte
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return usageErr("--node: %v", err)
		}
		if body, err = c.do(req); err == nil {
			break
		}
		var ne *nodeError
		if !errors.As(err, &ne) || ne.status != http.StatusServiceUnavailable || ne.code != "not_yet" {
			return err
		}
		wait := 500 * time.Millisecond
		if ne.retryAfter >= 0 {
			wait = max(ne.retryAfter, 100*time.Millisecond)
		}
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) < wait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("node answered %s with unexpected JSON: %v", path, err)
	}
	return nil
}

// limits reads what one submission may carry from GET /v1/node; zero
// fields for a node that does not say.
func (c *nodeClient) limits(ctx context.Context) (api.Limits, error) {
	var info api.NodeInfo
	if err := c.getJSON(ctx, "/v1/node", &info); err != nil {
		return api.Limits{}, fmt.Errorf("asking the node for its limits: %w", err)
	}
	return info.Limits, nil
}

// verifiedHeader is what get trusts from a header.
type verifiedHeader struct {
	height   uint64
	k        int
	dataRoot [32]byte
	hash     [32]byte
}

// fetchHeader reads the header at height and checks that its certificate
// binds its data root to its hash and, when trusted is set, that the hash
// is the trusted one. Without a trusted hash the data root is the node's
// word: who signed the commit needs the chain's validator set, which this
// command does not have.
func (c *nodeClient) fetchHeader(ctx context.Context, height uint64, trusted []byte) (verifiedHeader, error) {
	var hj api.HeaderJSON
	if err := c.getJSON(ctx, "/v1/headers/"+strconv.FormatUint(height, 10), &hj); err != nil {
		return verifiedHeader{}, fmt.Errorf("header %d: %w", height, err)
	}
	h, err := decodeHeader(&hj)
	if err != nil {
		return verifiedHeader{}, fmt.Errorf("header %d from the node: %w", height, err)
	}
	if h.Height != height {
		return verifiedHeader{}, fmt.Errorf("asked the node for header %d, it sent header %d", height, h.Height)
	}
	hash := h.Hash()
	if trusted != nil && !bytes.Equal(trusted, hash[:]) {
		return verifiedHeader{}, fmt.Errorf("header %d has hash %x, not the --trusted-hash %x: the node is on another chain or lying", height, hash, trusted)
	}
	return verifiedHeader{height: height, k: int(h.SquareWidth), dataRoot: h.DataRoot, hash: hash}, nil
}

func decodeHeader(j *api.HeaderJSON) (*da.Header, error) {
	h := &da.Header{ChainID: j.ChainID, Height: j.Height, Time: j.Time}
	var err error
	if h.PrevHash, err = decodeHash32(j.PrevHash, "prev_hash"); err != nil {
		return nil, err
	}
	if h.DataRoot, err = decodeHash32(j.DataRoot, "data_root"); err != nil {
		return nil, err
	}
	if j.SquareWidth < 0 || j.SquareWidth > 0xFFFF {
		return nil, fmt.Errorf("square_width %d is out of range", j.SquareWidth)
	}
	h.SquareWidth = uint16(j.SquareWidth)
	if h.BlockHash, err = decodeHash32(j.Hash, "hash"); err != nil {
		return nil, err
	}
	h.Certificate = j.Certificate
	if err := h.Validate(); err != nil {
		return nil, err
	}
	// The certificate binds the data root to the hash: CometBFT's header
	// hashes to it, and tx[0] (width, data root) is proved to its DataHash.
	if err := node.CheckCertificate(h); err != nil {
		return nil, err
	}
	return h, nil
}

func decodeHash32(s, what string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, fmt.Errorf("%s: want 64 hex characters, got %q", what, truncate(s, 80))
	}
	copy(out[:], b)
	return out, nil
}

func decodeNMTNode(s, what string) (da.NMTNode, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return da.NMTNode{}, fmt.Errorf("%s: not hex", what)
	}
	n, err := da.NMTNodeFromBytes(b)
	if err != nil {
		return da.NMTNode{}, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func decodeNMTProof(p *api.NMTProofJSON, what string) (erasure.NMTProof, error) {
	if p == nil {
		return erasure.NMTProof{}, fmt.Errorf("%s: no proof", what)
	}
	out := erasure.NMTProof{Start: p.Start, End: p.End, Nodes: make([]da.NMTNode, len(p.Nodes))}
	for i, s := range p.Nodes {
		n, err := decodeNMTNode(s, fmt.Sprintf("%s: node %d", what, i))
		if err != nil {
			return erasure.NMTProof{}, err
		}
		out.Nodes[i] = n
	}
	if p.LeafHash != "" {
		n, err := decodeNMTNode(p.LeafHash, what+": leaf_hash")
		if err != nil {
			return erasure.NMTProof{}, err
		}
		out.LeafHash = &n
	}
	return out, nil
}

func decodeRootProof(p *api.RootProofJSON, what string) (erasure.MerkleProof, error) {
	out := erasure.MerkleProof{Index: p.Index, Total: p.Total, Aunts: make([][32]byte, len(p.Aunts))}
	for i, s := range p.Aunts {
		h, err := decodeHash32(s, fmt.Sprintf("%s: aunt %d", what, i))
		if err != nil {
			return erasure.MerkleProof{}, err
		}
		out.Aunts[i] = h
	}
	return out, nil
}

// decodeRow reads a row's root, its proof to the data root and, when the
// JSON has one, its NMT proof.
func decodeRow(r *api.RowProofJSON) (root da.NMTNode, rp erasure.MerkleProof, p erasure.NMTProof, err error) {
	what := fmt.Sprintf("row %d", r.Row)
	if root, err = decodeNMTNode(r.Root, what+" root"); err != nil {
		return
	}
	if rp, err = decodeRootProof(&r.RootProof, what+" root_proof"); err != nil {
		return
	}
	if r.Proof != nil {
		p, err = decodeNMTProof(r.Proof, what+" proof")
	}
	return
}

// decodeProvedRow is decodeRow for a row that must carry an NMT proof.
func decodeProvedRow(r *api.RowProofJSON) (da.NMTNode, erasure.MerkleProof, erasure.NMTProof, error) {
	if r.Proof == nil {
		return da.NMTNode{}, erasure.MerkleProof{}, erasure.NMTProof{}, fmt.Errorf("row %d: no proof", r.Row)
	}
	return decodeRow(r)
}

// gotBlob is a blob that verified against the data root.
type gotBlob struct {
	data       []byte
	commitment [32]byte
}

// errNotVerified marks an answer whose proofs do not hold.
var errNotVerified = errors.New("the node's answer does not verify against the data root")

// getOneBlob fetches the blob with commitment want and its share proof,
// and checks that the proven shares are exactly one blob of ns whose
// commitment is want.
func (c *nodeClient) getOneBlob(ctx context.Context, h verifiedHeader, ns da.Namespace, want [32]byte) (gotBlob, error) {
	path := fmt.Sprintf("/v1/blobs/%d/%s/%x/proof", h.height, ns, want)
	var pj api.BlobProofJSON
	if err := c.getJSON(ctx, path, &pj); err != nil {
		var ne *nodeError
		if errors.As(err, &ne) && ne.code == "not_found" {
			return gotBlob{}, fmt.Errorf("no blob with commitment %x in namespace %s at height %d (the node says: %s)", want, ns, h.height, oneLineText(ne.message))
		}
		return gotBlob{}, err
	}
	bp, err := decodeBlobProof(&pj)
	if err != nil {
		return gotBlob{}, fmt.Errorf("%w: %v", errNotVerified, err)
	}
	if bp.Namespace != ns {
		return gotBlob{}, fmt.Errorf("%w: asked for namespace %s, the proof is for %s", errNotVerified, ns, bp.Namespace)
	}
	if err := bp.Verify(h.dataRoot, h.k); err != nil {
		return gotBlob{}, fmt.Errorf("%w: %v", errNotVerified, err)
	}
	// The proven range must hold exactly one whole blob.
	parsed, err := da.BlobsFromShares(bp.Shares)
	if err != nil {
		return gotBlob{}, fmt.Errorf("%w: the proven shares are not a blob: %v", errNotVerified, err)
	}
	if len(parsed) != 1 || parsed[0].Start != 0 || parsed[0].ShareCount() != len(bp.Shares) {
		return gotBlob{}, fmt.Errorf("%w: the proven shares [%d,%d) are not exactly one blob", errNotVerified, bp.Start, bp.End)
	}
	got, err := da.CreateCommitment(&parsed[0].Blob)
	if err != nil {
		return gotBlob{}, fmt.Errorf("%w: %v", errNotVerified, err)
	}
	if got != want {
		return gotBlob{}, fmt.Errorf("%w: the proven blob has commitment %x, not %x", errNotVerified, got, want)
	}
	return gotBlob{data: parsed[0].Data, commitment: got}, nil
}

func decodeBlobProof(pj *api.BlobProofJSON) (*erasure.BlobProof, error) {
	ns, err := da.ParseNamespace(pj.Namespace)
	if err != nil {
		return nil, fmt.Errorf("namespace: %w", err)
	}
	bp := &erasure.BlobProof{Namespace: ns, Start: pj.Start, End: pj.End,
		Shares: make([]da.Share, len(pj.Shares)), Rows: make([]erasure.BlobRow, len(pj.Rows))}
	for i, s := range pj.Shares {
		if bp.Shares[i], err = da.ShareFromBytes(s); err != nil {
			return nil, fmt.Errorf("share %d: %w", i, err)
		}
	}
	for i := range pj.Rows {
		r := &pj.Rows[i]
		root, rp, p, err := decodeProvedRow(r)
		if err != nil {
			return nil, err
		}
		bp.Rows[i] = erasure.BlobRow{Row: r.Row, Proof: p, Root: root, RootProof: rp}
	}
	return bp, nil
}

// getNamespace fetches every blob of ns at the header's height with the
// namespace proof, rebuilds the namespace's shares from the blobs (the
// answer carries blobs, not shares), verifies them as the complete
// namespace, and returns the blobs read back from the verified shares.
func (c *nodeClient) getNamespace(ctx context.Context, h verifiedHeader, ns da.Namespace) ([]gotBlob, error) {
	path := fmt.Sprintf("/v1/blobs/%d?namespace=%s&proof=true", h.height, ns)
	var bj api.BlobsJSON
	if err := c.getJSON(ctx, path, &bj); err != nil {
		return nil, err
	}
	if bj.Height != h.height || bj.Namespace != ns.String() {
		return nil, fmt.Errorf("%w: asked for namespace %s at height %d, got %s at %d", errNotVerified, ns, h.height, bj.Namespace, bj.Height)
	}
	if bj.Proof == nil {
		return nil, fmt.Errorf("%w: the node sent no namespace proof", errNotVerified)
	}
	nd, err := rebuildNamespace(&bj, ns, h.k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotVerified, err)
	}
	if err := nd.Verify(h.dataRoot, h.k); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotVerified, err)
	}
	parsed, err := da.BlobsFromShares(nd.Shares())
	if err != nil {
		return nil, fmt.Errorf("%w: the namespace's shares do not parse: %v", errNotVerified, err)
	}
	if len(parsed) != len(bj.Blobs) {
		return nil, fmt.Errorf("%w: the node listed %d blobs, the verified shares hold %d", errNotVerified, len(bj.Blobs), len(parsed))
	}
	out := make([]gotBlob, len(parsed))
	for i := range parsed {
		cm, err := da.CreateCommitment(&parsed[i].Blob)
		if err != nil {
			return nil, fmt.Errorf("%w: blob %d: %v", errNotVerified, i, err)
		}
		if got := hex.EncodeToString(cm[:]); got != bj.Blobs[i].Commitment {
			return nil, fmt.Errorf("%w: the node says blob %d has commitment %q, its data commits to %s", errNotVerified, i, truncate(bj.Blobs[i].Commitment, 80), got)
		}
		out[i] = gotBlob{data: parsed[i].Data, commitment: cm}
	}
	return out, nil
}

// rebuildNamespace lays the listed blobs out at their share indexes over
// the share ranges the row proofs cover, filling the gaps with namespace
// padding (the namespace and share version of the blob before, SPEC §3.5).
// Whatever the node sent, the result is only trusted once it verifies.
func rebuildNamespace(bj *api.BlobsJSON, ns da.Namespace, k int) (*erasure.NamespaceData, error) {
	pj := bj.Proof
	if len(pj.Rows) > k {
		return nil, fmt.Errorf("%d rows in a square of width %d", len(pj.Rows), k)
	}
	// The listed blobs, split into shares, in order of their index.
	type placed struct {
		start  int
		shares []da.Share
		ver    uint8
	}
	blobs := make([]placed, len(bj.Blobs))
	prevEnd := 0
	for i := range bj.Blobs {
		b := &bj.Blobs[i]
		var signer []byte
		if b.Signer != "" {
			var err error
			if signer, err = hex.DecodeString(b.Signer); err != nil {
				return nil, fmt.Errorf("blob %d: signer is not hex", i)
			}
		}
		blob, err := da.NewBlob(ns, b.Data, b.ShareVersion, signer)
		if err != nil {
			return nil, fmt.Errorf("blob %d: %w", i, err)
		}
		if b.Index < prevEnd || b.Index >= k*k {
			return nil, fmt.Errorf("blob %d: index %d overlaps the blob before or lies outside the square", i, b.Index)
		}
		if n := blob.ShareCount(); n > k*k-b.Index {
			return nil, fmt.Errorf("blob %d: %d shares from index %d do not fit a square of width %d", i, n, b.Index, k)
		}
		shares, err := blob.Shares()
		if err != nil {
			return nil, fmt.Errorf("blob %d: %w", i, err)
		}
		blobs[i] = placed{start: b.Index, shares: shares, ver: b.ShareVersion}
		prevEnd = b.Index + len(shares)
	}
	nd := &erasure.NamespaceData{Namespace: ns, Rows: make([]erasure.NamespaceRow, len(pj.Rows))}
	next, used := 0, 0 // the next blob to place; shares of blobs placed
	var padVer uint8
	for i := range pj.Rows {
		r := &pj.Rows[i]
		root, rp, p, err := decodeProvedRow(r)
		if err != nil {
			return nil, err
		}
		row := erasure.NamespaceRow{Row: r.Row, Proof: p, Root: root, RootProof: rp}
		if p.LeafHash == nil && p.End > p.Start {
			if r.Row < 0 || r.Row >= k || p.Start < 0 || p.End > k {
				return nil, fmt.Errorf("row %d: shares [%d,%d) outside a square of width %d", r.Row, p.Start, p.End, k)
			}
			row.Shares = make([]da.Share, 0, p.End-p.Start)
			for idx := r.Row*k + p.Start; idx < r.Row*k+p.End; idx++ {
				for next < len(blobs) && idx >= blobs[next].start+len(blobs[next].shares) {
					padVer = blobs[next].ver
					next++
				}
				if next < len(blobs) && idx >= blobs[next].start {
					row.Shares = append(row.Shares, blobs[next].shares[idx-blobs[next].start])
					used++
				} else {
					row.Shares = append(row.Shares, da.PaddingShare(ns, padVer))
				}
			}
		}
		nd.Rows[i] = row
	}
	total := 0
	for i := range blobs {
		total += len(blobs[i].shares)
	}
	if used != total {
		return nil, fmt.Errorf("the listed blobs hold %d shares, the proven rows cover %d of them", total, used)
	}
	bound := func(r *api.RowProofJSON) (*erasure.RowBound, error) {
		if r == nil {
			return nil, nil
		}
		root, rp, _, err := decodeRow(r)
		if err != nil {
			return nil, err
		}
		return &erasure.RowBound{Row: r.Row, Root: root, RootProof: rp}, nil
	}
	var err error
	if nd.Before, err = bound(pj.Before); err != nil {
		return nil, err
	}
	if nd.After, err = bound(pj.After); err != nil {
		return nil, err
	}
	return nd, nil
}

// submitBlob posts one blob and waits for its inclusion. A 503 (pool full,
// validator unreachable) is retried after the node's Retry-After while the
// deadline of ctx allows; every other answer is final. body returns a new
// reader of the request body, and its size, for each attempt.
func (c *nodeClient) submitBlob(ctx context.Context, body func() (io.Reader, int64), attempts int, waitNote func(string)) (api.SubmitResult, error) {
	var last error
	for attempt := 1; ; attempt++ {
		r, size := body()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/blobs", r)
		if err != nil {
			return api.SubmitResult{}, usageErr("--node: %v", err)
		}
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		raw, err := c.do(req)
		if err == nil {
			var res api.SubmitResult
			if err := json.Unmarshal(raw, &res); err != nil {
				return api.SubmitResult{}, fmt.Errorf("node answered the submission with unexpected JSON: %v", err)
			}
			return res, nil
		}
		var ne *nodeError
		if !errors.As(err, &ne) || ne.status != http.StatusServiceUnavailable {
			return api.SubmitResult{}, err
		}
		last = err
		// Honour the node's Retry-After, but never hammer it; without
		// one, wait a second.
		wait := time.Second
		if ne.retryAfter >= 0 {
			wait = max(ne.retryAfter, 100*time.Millisecond)
		}
		if dl, ok := ctx.Deadline(); attempt >= attempts || (ok && time.Until(dl) < wait) {
			return api.SubmitResult{}, fmt.Errorf("%w (gave up after %d attempts)", last, attempt)
		}
		if waitNote != nil {
			waitNote(fmt.Sprintf("node busy (%s), retrying in %s", ne.code, wait))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return api.SubmitResult{}, ctx.Err()
		case <-t.C:
		}
	}
}
