package api

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
	"time"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

func (s *Server) register() {
	s.handle("GET /health", s.health)
	s.handle("GET /v1/node", s.node)
	s.handle("GET /v1/headers/head", s.head)
	s.handle("GET /v1/headers/{height}", s.header)
	s.handle("GET /v1/headers/{height}/dah", s.reads.coalesce(s.dah))
	s.handle("GET /v1/shares/{height}/{row}/{col}", s.share)
	s.handle("POST /v1/blobs", s.submit)
	s.handle("GET /v1/blobs/{height}", s.reads.coalesce(s.blobs))
	s.handle("GET /v1/blobs/{height}/namespaces", s.reads.coalesce(s.namespaces))
	s.handle("GET /v1/blobs/{height}/{namespace}/{commitment}", s.reads.coalesce(s.blob))
	s.handle("GET /v1/blobs/{height}/{namespace}/{commitment}/proof", s.reads.coalesce(s.blobProof))
	s.handle("GET /v1/availability", s.availabilitySummary)
	s.handle("GET /v1/availability/{height}", s.availability)
	s.handle("GET /v1/events", s.events)
	s.handle("GET /v1/fraud/{height}", s.fraudProof)
	s.handle("GET /v1/settlement/commitments", s.settlementCommitmentAt)
	s.handle("GET /v1/settlement/commitments/{nonce}", s.settlementCommitment)
	s.handle("GET /v1/settlement/tuple-proof/{height}", s.tupleProof)
	s.handle("GET /metrics", s.metrics)
	s.handle("GET /openapi.yaml", s.openAPI)
	s.handle("POST /put", s.altDAPut)
	s.handle("GET /get/{commitment}", s.reads.coalesce(s.altDAGet))
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) { s.metricsHTTP.ServeHTTP(w, r) }

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]string{"status": "ok"})
}

func (s *Server) node(w http.ResponseWriter, r *http.Request) {
	if s.svc.Node == nil {
		writeError(w, ErrNotServed)
		return
	}
	info, err := s.svc.Node.Info(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if info.Listen == nil {
		info.Listen = []string{}
	}
	info.Limits.MaxBodyBytes = s.cfg.MaxBodyBytes
	writeJSON(w, info)
}

// HeaderJSON is a header in the API's shape: the compact fields, then the
// consensus engine's signed header, commit and the proof of tx[0] (square
// width and data root) to data_hash. Certificate is the header's consensus
// evidence in its wire form, for clients that verify it themselves.
type HeaderJSON struct {
	ChainID     string    `json:"chain_id"`
	Height      uint64    `json:"height"`
	Time        time.Time `json:"time"`
	PrevHash    string    `json:"prev_hash"`
	SquareWidth int       `json:"square_width"`
	DataRoot    string    `json:"data_root"`
	Hash        string    `json:"hash"`
	ConsensusJSON
	Certificate []byte `json:"certificate"`
}

// ConsensusJSON is what the consensus engine adds to a header.
type ConsensusJSON struct {
	DataHash       string `json:"data_hash"`
	ValidatorsHash string `json:"validators_hash"`
	// Proposer is the proposing validator's address.
	Proposer      string      `json:"proposer"`
	Commit        CommitJSON  `json:"commit"`
	DataRootProof TxProofJSON `json:"data_root_proof"`
	// Validators is the validator set, given when it differs from the
	// previous height's.
	Validators []ValidatorJSON `json:"validators,omitempty"`
}

// CommitJSON is the commit that finalized a block: more than 2/3 of the
// voting power signed its block id.
type CommitJSON struct {
	Round      int32           `json:"round"`
	BlockID    BlockIDJSON     `json:"block_id"`
	Signatures []SignatureJSON `json:"signatures"`
}

// BlockIDJSON names a block: its hash and the header of its part set.
type BlockIDJSON struct {
	Hash      string `json:"hash"`
	PartTotal uint32 `json:"part_total"`
	PartHash  string `json:"part_hash"`
}

// SignatureJSON is one validator's precommit in a commit; an absent
// validator has an empty address and signature.
type SignatureJSON struct {
	ValidatorAddress string    `json:"validator_address"`
	Timestamp        time.Time `json:"timestamp"`
	Signature        string    `json:"signature"`
}

// TxProofJSON is tx[0] and its RFC-6962 Merkle proof to data_hash.
type TxProofJSON struct {
	Tx    string   `json:"tx"`
	Index int64    `json:"index"`
	Total int64    `json:"total"`
	Aunts []string `json:"aunts"`
}

// ValidatorJSON is a validator: address, ed25519 public key, power.
type ValidatorJSON struct {
	Address     string `json:"address"`
	PubKey      string `json:"pub_key"`
	VotingPower int64  `json:"voting_power"`
}

// NewHeaderJSON converts a header to its API shape, with c from the
// consensus engine.
func NewHeaderJSON(h *da.Header, c ConsensusJSON) HeaderJSON {
	hash := h.Hash()
	return HeaderJSON{
		ChainID: h.ChainID, Height: h.Height, Time: h.Time.UTC(),
		PrevHash: hex.EncodeToString(h.PrevHash[:]), SquareWidth: int(h.SquareWidth),
		DataRoot: hex.EncodeToString(h.DataRoot[:]), Hash: hex.EncodeToString(hash[:]),
		ConsensusJSON: c, Certificate: h.Certificate,
	}
}

// headerJSON is NewHeaderJSON with the node's reading of the certificate.
func (s *Server) headerJSON(ctx context.Context, h *da.Header) (HeaderJSON, error) {
	c, err := s.svc.Headers.Consensus(ctx, h)
	if err != nil {
		return HeaderJSON{}, err
	}
	return NewHeaderJSON(h, c), nil
}

func (s *Server) head(w http.ResponseWriter, r *http.Request) {
	if s.svc.Headers == nil {
		writeError(w, ErrNotServed)
		return
	}
	h, err := s.svc.Headers.Head(r.Context())
	var hj HeaderJSON
	if err == nil {
		hj, err = s.headerJSON(r.Context(), h)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, hj)
}

func (s *Server) header(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	if err == nil && s.svc.Headers == nil {
		err = ErrNotServed
	}
	var h *da.Header
	if err == nil {
		h, err = s.svc.Headers.Header(r.Context(), height)
	}
	var hj HeaderJSON
	if err == nil {
		hj, err = s.headerJSON(r.Context(), h)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, hj)
}

// DAHJSON is the data availability header in the API's shape.
type DAHJSON struct {
	RowRoots []string `json:"row_roots"`
	ColRoots []string `json:"col_roots"`
}

func hexNodes(nodes []da.NMTNode) []string {
	out := make([]string, len(nodes))
	for i := range nodes {
		out[i] = hex.EncodeToString(nodes[i][:])
	}
	return out
}

func (s *Server) dah(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	if err == nil && s.svc.Headers == nil {
		err = ErrNotServed
	}
	var d *erasure.DAH
	if err == nil {
		d, err = s.svc.Headers.DAH(r.Context(), height)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, DAHJSON{RowRoots: hexNodes(d.RowRoots), ColRoots: hexNodes(d.ColRoots)})
}

func (s *Server) share(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	var row, col int
	if err == nil {
		row, err = pathIndex(r, "row")
	}
	if err == nil {
		col, err = pathIndex(r, "col")
	}
	if err == nil && s.svc.Shares == nil {
		err = ErrNotServed
	}
	var sample *erasure.Sample
	if err == nil {
		sample, err = s.svc.Shares.Sample(r.Context(), height, row, col)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, erasure.SampleJSON{Height: height, Sample: sample})
}

// BlobJSON is a blob in the API's shape.
type BlobJSON struct {
	Namespace    string `json:"namespace,omitempty"`
	Data         []byte `json:"data"`
	Commitment   string `json:"commitment"`
	ShareVersion uint8  `json:"share_version"`
	Signer       string `json:"signer,omitempty"`
	Index        int    `json:"index"`
}

// submitRequest is the body of POST /v1/blobs.
type submitRequest struct {
	Blobs   []submitBlob `json:"blobs"`
	Timeout string       `json:"timeout"`
}

// submitBlob is one blob of a submission.
type submitBlob struct {
	Namespace    string     `json:"namespace"`
	Data         base64Data `json:"data"`
	ShareVersion uint8      `json:"share_version"`
	Signer       string     `json:"signer"`
	// err is the blob's first decoding problem, kept rather than returned
	// so that the request can name the blob by its index.
	err error
}

func (r *submitRequest) UnmarshalJSON(b []byte) error {
	if err := checkFields(b, "blobs", "timeout"); err != nil {
		return err
	}
	type plain submitRequest // without this method
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return under("", err)
	}
	for i := range r.Blobs {
		if err := r.Blobs[i].err; err != nil {
			return under(fmt.Sprintf("blobs[%d]", i), err)
		}
	}
	return nil
}

func (sb *submitBlob) UnmarshalJSON(b []byte) error {
	if err := checkFields(b, "namespace", "data", "share_version", "signer"); err != nil {
		sb.err = err
		return nil
	}
	type plain submitBlob
	if err := json.Unmarshal(b, (*plain)(sb)); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) && fe.path == "" {
			// Only base64Data answers a fieldError, and only for data.
			err = &fieldError{path: "data", msg: fe.msg}
		}
		sb.err = err
	}
	return nil
}

// SubmitResult answers POST /v1/blobs.
type SubmitResult struct {
	Height      uint64   `json:"height"`
	Commitments []string `json:"commitments"`
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	if s.svc.Blobs == nil {
		s.refuse(w, ErrNotServed)
		return
	}
	blobs, timeout, err := s.parseSubmit(w, r)
	if err != nil {
		s.refuse(w, err)
		return
	}
	commitments := make([]string, len(blobs))
	for i := range blobs {
		c, err := da.CreateCommitment(&blobs[i])
		if err != nil {
			s.refuse(w, fmt.Errorf("blob %d: %w", i, err))
			return
		}
		commitments[i] = hex.EncodeToString(c[:])
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	height, err := s.svc.Blobs.Submit(ctx, blobs)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: not included within %s; resubmitting the same blob will not include it twice", ErrTimeout, timeout)
	}
	if err != nil {
		s.refuse(w, err)
		return
	}
	writeJSON(w, SubmitResult{Height: height, Commitments: commitments})
}

// decodeSubmit is the careful decoder of a submission body, which names
// the field at fault.
func decodeSubmit(raw []byte) (submitRequest, error) {
	var req submitRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&req); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			err = errors.New(`request body is empty; want {"blobs":[{"namespace":…,"data":…}]}`)
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("request body ends in the middle of the JSON object")
		default:
			err = under("", err)
		}
		return req, badRequest("bad_json", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, badRequest("bad_json", errors.New("request body has data after the JSON object"))
	}
	return req, nil
}

func (s *Server) parseSubmit(w http.ResponseWriter, r *http.Request) ([]da.Blob, time.Duration, error) {
	raw, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		var he *httpError
		switch {
		case errors.As(err, &he): // the body came too slowly
			return nil, 0, he
		case errors.As(err, &tooBig):
			return nil, 0, &httpError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
				err: fmt.Errorf("request body exceeds %d bytes", tooBig.Limit)}
		}
		return nil, 0, badRequest("bad_json", fmt.Errorf("reading the request body: %w", err))
	}
	req, ok := fastSubmit(raw)
	if !ok {
		if req, err = decodeSubmit(raw); err != nil {
			return nil, 0, err
		}
	}
	if len(req.Blobs) == 0 {
		return nil, 0, badRequest("no_blobs", errors.New("blobs: the list is empty; give at least one {namespace, data}"))
	}
	timeout := s.cfg.SubmitTimeout
	if req.Timeout != "" {
		d, err := time.ParseDuration(req.Timeout)
		if err != nil || d <= 0 || d > s.cfg.MaxSubmitTimeout {
			return nil, 0, badRequest("bad_timeout", fmt.Errorf("timeout %q: want a positive Go duration up to %s", req.Timeout, s.cfg.MaxSubmitTimeout))
		}
		timeout = d
	}
	blobs := make([]da.Blob, len(req.Blobs))
	for i, b := range req.Blobs {
		ns, err := da.ParseNamespace(b.Namespace)
		if err == nil {
			err = ns.ValidateForBlob()
		}
		if err != nil {
			return nil, 0, badRequest("bad_namespace", fmt.Errorf("blobs[%d].namespace: %w", i, err))
		}
		var signer []byte
		if b.Signer != "" {
			if signer, err = hex.DecodeString(b.Signer); err != nil {
				return nil, 0, badRequest("bad_signer", fmt.Errorf("blobs[%d].signer: want hex", i))
			}
		}
		if blobs[i], err = da.NewBlob(ns, b.Data, b.ShareVersion, signer); err != nil {
			return nil, 0, fmt.Errorf("blobs[%d]: %w", i, err)
		}
	}
	return blobs, timeout, nil
}

// BlobsJSON answers GET /v1/blobs/{height}.
type BlobsJSON struct {
	Height    uint64              `json:"height"`
	Namespace string              `json:"namespace"`
	Blobs     []BlobJSON          `json:"blobs"`
	Proof     *NamespaceProofJSON `json:"proof,omitempty"`
}

// namespaceBlobs reads a namespace at a height and parses its blobs.
func (s *Server) namespaceBlobs(r *http.Request) (uint64, da.Namespace, *erasure.NamespaceData, []BlobJSON, error) {
	var ns da.Namespace
	height, err := pathHeight(r)
	if err != nil {
		return 0, ns, nil, nil, err
	}
	nsText := r.PathValue("namespace")
	if nsText == "" {
		nsText = r.URL.Query().Get("namespace")
		if nsText == "" {
			return 0, ns, nil, nil, badRequest("bad_namespace", errors.New("namespace: missing; give ?namespace= with 58 or 20 hex characters"))
		}
	}
	if ns, err = da.ParseNamespace(nsText); err != nil {
		return 0, ns, nil, nil, badRequest("bad_namespace", fmt.Errorf("namespace: %w", err))
	}
	nd, _, parsed, err := s.readBlobs(r.Context(), height, ns)
	if err != nil {
		return 0, ns, nil, nil, err
	}
	out := make([]BlobJSON, len(parsed))
	for i, b := range parsed {
		out[i] = BlobJSON{Data: b.Data, Commitment: hex.EncodeToString(b.Commitment[:]),
			ShareVersion: b.ShareVersion, Index: b.Start}
		if len(b.Signer) > 0 {
			out[i].Signer = hex.EncodeToString(b.Signer)
		}
	}
	return height, ns, nd, out, nil
}

// blobAt is a blob read back from a square.
type blobAt struct {
	da.Blob
	Commitment [32]byte
	// Start is the ODS index (row-major over k²) of its first share.
	Start int
}

// readBlobs reads a namespace's shares at a height and parses its blobs;
// k is the square's width.
func (s *Server) readBlobs(ctx context.Context, height uint64, ns da.Namespace) (nd *erasure.NamespaceData, k int, blobs []blobAt, err error) {
	if s.svc.Blobs == nil {
		return nil, 0, nil, ErrNotServed
	}
	if nd, err = s.svc.Blobs.NamespaceData(ctx, height, ns); err != nil {
		return nil, 0, nil, err
	}
	parsed, err := da.BlobsFromShares(nd.Shares())
	if err != nil {
		return nil, 0, nil, fmt.Errorf("namespace %s at height %d does not parse into blobs: %w", ns, height, err)
	}
	if k, err = s.width(ctx, height); err != nil {
		return nil, 0, nil, err
	}
	first := nd.FirstIndex(k)
	blobs = make([]blobAt, len(parsed))
	for i := range parsed {
		c, err := da.CreateCommitment(&parsed[i].Blob)
		if err != nil {
			return nil, 0, nil, err
		}
		blobs[i] = blobAt{Blob: parsed[i].Blob, Commitment: c, Start: first + parsed[i].Start}
	}
	return nd, k, blobs, nil
}

func (s *Server) blobs(w http.ResponseWriter, r *http.Request) {
	proof, err := wantProof(r)
	if err != nil {
		writeError(w, err)
		return
	}
	height, ns, nd, blobs, err := s.namespaceBlobs(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out := BlobsJSON{Height: height, Namespace: ns.String(), Blobs: blobs}
	if proof {
		out.Proof = newNamespaceProofJSON(nd)
	}
	writeJSON(w, out)
}

func (s *Server) findBlob(r *http.Request) (uint64, *erasure.NamespaceData, BlobJSON, error) {
	want, err := hex.DecodeString(r.PathValue("commitment"))
	if err != nil || len(want) != 32 {
		return 0, nil, BlobJSON{}, badRequest("bad_commitment", errors.New("commitment: want 64 lowercase hex characters"))
	}
	height, ns, nd, blobs, err := s.namespaceBlobs(r)
	if err != nil {
		return 0, nil, BlobJSON{}, err
	}
	for _, b := range blobs {
		if b.Commitment == hex.EncodeToString(want) {
			b.Namespace = ns.String()
			return height, nd, b, nil
		}
	}
	return 0, nil, BlobJSON{}, fmt.Errorf("%w: no blob with commitment %x in namespace %s at height %d", ErrNotFound, want, ns, height)
}

func (s *Server) blob(w http.ResponseWriter, r *http.Request) {
	proof, err := wantProof(r)
	if err != nil {
		writeError(w, err)
		return
	}
	_, nd, b, err := s.findBlob(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if !proof {
		writeJSON(w, b)
		return
	}
	writeJSON(w, struct {
		BlobJSON
		Proof *NamespaceProofJSON `json:"proof"`
	}{b, newNamespaceProofJSON(nd)})
}

func (s *Server) blobProof(w http.ResponseWriter, r *http.Request) {
	// The parameter first, as the other reads do: a request that cannot be
	// answered costs no blob lookup.
	evm, err := proofFormat(r)
	if err == nil && evm && s.svc.Settlement == nil {
		err = fmt.Errorf("%w: format=evm: this chain's genesis has no settlement parameters", ErrNotServed)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	height, _, b, err := s.findBlob(r)
	if err != nil {
		writeError(w, err)
		return
	}
	shares := da.SparseShareCount(len(b.Data), b.ShareVersion)
	p, err := s.svc.Blobs.BlobProof(r.Context(), height, b.Index, b.Index+shares)
	if err != nil {
		writeError(w, err)
		return
	}
	if !evm {
		writeJSON(w, newBlobProofJSON(height, p))
		return
	}
	k, err := s.width(r.Context(), height)
	var out EVMBlobProof
	if err == nil {
		out, err = s.svc.Settlement.EVMBlobProof(r.Context(), height, k, p)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, out)
}

// proofFormat reads a blob proof's format parameter: json (the default)
// or evm (TartanBlobVerifier's ABI encoding).
func proofFormat(r *http.Request) (evm bool, err error) {
	switch v := r.URL.Query().Get("format"); v {
	case "", "json":
		return false, nil
	case "evm":
		return true, nil
	default:
		return false, badRequest("bad_format", fmt.Errorf("format %q: want json or evm", clip(v, 32)))
	}
}

// wantProof reads the proof parameter: true or 1, false or 0, or absent
// (false). Anything else is a client's mistake, answered rather than
// taken as false.
func wantProof(r *http.Request) (bool, error) {
	q := r.URL.Query()
	if !q.Has("proof") {
		return false, nil
	}
	switch v := q.Get("proof"); v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	default:
		return false, badRequest("bad_proof", fmt.Errorf("proof %q: want true or false", clip(v, 32)))
	}
}

func pathHeight(r *http.Request) (uint64, error) {
	v := r.PathValue("height")
	h, err := strconv.ParseUint(v, 10, 64)
	if err != nil || h == 0 {
		return 0, badRequest("bad_height", fmt.Errorf("height %q: want a positive integer", v))
	}
	return h, nil
}

func pathIndex(r *http.Request, name string) (int, error) {
	v := r.PathValue(name)
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= 2*erasure.MaxWidth {
		return 0, badRequest("bad_"+name, fmt.Errorf("%s %q: want an integer in [0, 2k)", name, v))
	}
	return i, nil
}

// width is the ODS width k at a height, from its header.
func (s *Server) width(ctx context.Context, height uint64) (int, error) {
	if s.svc.Headers == nil {
		return 0, ErrNotServed
	}
	h, err := s.svc.Headers.Header(ctx, height)
	if err != nil {
		return 0, err
	}
	return int(h.SquareWidth), nil
}
