package api

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tartan-da/tartan/da"
)

// The OP Stack alt-DA server (API.md §2 "OP Stack alt-DA"). An op-batcher
// run with --altda.da-service posts each batch to POST /put and puts the
// answered bytes on L1 as a generic commitment; op-node reads the batch
// back with GET /get/0x{those bytes}. The commitment names the height, the
// namespace and the blob's share commitment, so a read needs no index:
// it fetches the namespace's verified shares at that height and picks the
// blob whose recomputed share commitment matches.

// Bytes of an alt-DA commitment (API.md §2).
const (
	// AltDAGenericCommitment is op-alt-da's commitment type byte for an
	// opaque commitment that the DA server itself answers for.
	AltDAGenericCommitment = 0x01
	// AltDALayerTartan is the DA layer byte after the type.
	AltDALayerTartan = 0x54
	// AltDACommitmentSize is type ‖ layer ‖ height (8) ‖ namespace (29) ‖
	// share commitment (32).
	AltDACommitmentSize = 2 + 8 + da.NamespaceSize + 32
)

// AltDACommitment is what POST /put answers and GET /get reads: where a
// blob is and its share commitment.
type AltDACommitment struct {
	Height     uint64
	Namespace  da.Namespace
	Commitment [32]byte
}

// Bytes is the commitment's AltDACommitmentSize wire bytes.
func (c AltDACommitment) Bytes() []byte {
	b := make([]byte, 0, AltDACommitmentSize)
	b = append(b, AltDAGenericCommitment, AltDALayerTartan)
	b = binary.BigEndian.AppendUint64(b, c.Height)
	b = append(b, c.Namespace[:]...)
	return append(b, c.Commitment[:]...)
}

// ParseAltDACommitment reads the wire bytes of a commitment. Errors name
// the part that is wrong; each is a 400 with its own code when answered.
func ParseAltDACommitment(b []byte) (AltDACommitment, error) {
	var c AltDACommitment
	// The type and layer bytes first: a keccak commitment, or one meant
	// for another DA layer, is a misconfigured client, and saying so helps
	// more than a wrong length.
	if len(b) > 0 && b[0] != AltDAGenericCommitment {
		return c, badRequest("bad_commitment_type", fmt.Errorf("alt-DA commitment: type byte 0x%02x, want 0x%02x (generic commitment; is op-batcher run with --altda.da-service?)", b[0], AltDAGenericCommitment))
	}
	if len(b) > 1 && b[1] != AltDALayerTartan {
		return c, badRequest("bad_da_layer", fmt.Errorf("alt-DA commitment: DA layer byte 0x%02x, want 0x%02x (Tartan)", b[1], AltDALayerTartan))
	}
	if len(b) != AltDACommitmentSize {
		return c, badRequest("bad_commitment", fmt.Errorf("alt-DA commitment: %d bytes, want %d (0x01 0x54, height, namespace, share commitment)", len(b), AltDACommitmentSize))
	}
	c.Height = binary.BigEndian.Uint64(b[2:10])
	if c.Height == 0 {
		return c, badRequest("bad_height", errors.New("alt-DA commitment: height 0; heights start at 1"))
	}
	copy(c.Namespace[:], b[10:10+da.NamespaceSize])
	if err := c.Namespace.ValidateForBlob(); err != nil {
		return c, badRequest("bad_namespace", fmt.Errorf("alt-DA commitment: namespace: %w", err))
	}
	copy(c.Commitment[:], b[10+da.NamespaceSize:])
	return c, nil
}

// altDANamespace is the configured namespace, or the default of a config
// that names none: version 0, user ID "op-alt-da" zero-padded to 10
// bytes (node.DefaultAltDANamespace).
func (s *Server) altDANamespace() da.Namespace {
	if s.cfg.AltDANamespace != (da.Namespace{}) {
		return s.cfg.AltDANamespace
	}
	var ns da.Namespace
	copy(ns[da.NamespaceSize-da.NamespaceV0UserSize:], "op-alt-da")
	return ns
}

// writeBytes answers raw bytes with status 200.
func writeBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(b)
}

// altDAPut stores the body as one share-version-0 blob in the alt-DA
// namespace and answers its commitment once it is in a block.
func (s *Server) altDAPut(w http.ResponseWriter, r *http.Request) {
	if s.svc.Blobs == nil {
		s.refuse(w, ErrNotServed)
		return
	}
	data, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		var he *httpError
		switch {
		case errors.As(err, &he): // the body came too slowly
		case errors.As(err, &tooBig):
			err = &httpError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
				err: fmt.Errorf("request body exceeds %d bytes", tooBig.Limit)}
		default:
			err = fmt.Errorf("%w: reading the request body: %v", ErrBadRequest, err)
		}
		s.refuse(w, err)
		return
	}
	c := AltDACommitment{Namespace: s.altDANamespace()}
	blob, err := da.NewBlob(c.Namespace, data, da.ShareVersionZero, nil)
	if err == nil {
		c.Commitment, err = da.CreateCommitment(&blob)
	}
	if err != nil {
		s.refuse(w, fmt.Errorf("request body as a blob: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.SubmitTimeout)
	defer cancel()
	c.Height, err = s.svc.Blobs.Submit(ctx, []da.Blob{blob})
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: not included within %s; putting the same bytes again will not include them twice", ErrTimeout, s.cfg.SubmitTimeout)
	}
	if err != nil {
		s.refuse(w, err)
		return
	}
	writeBytes(w, c.Bytes())
}

// altDAGet answers the blob a commitment names. 404 means it can never be
// served by this node: the height exists and its verified namespace data
// holds no such blob, or the height is pruned here (outside the storage
// window it will not come back). A height above this node's head, and any
// trouble fetching, are 5xx: the same request may succeed later.
func (s *Server) altDAGet(w http.ResponseWriter, r *http.Request) {
	text := r.PathValue("commitment")
	hexText, ok := strings.CutPrefix(text, "0x")
	raw, err := hex.DecodeString(hexText)
	if !ok || err != nil {
		writeError(w, badRequest("bad_commitment", fmt.Errorf("alt-DA commitment %q: want 0x and %d hex characters", clip(text, 160), 2*AltDACommitmentSize)))
		return
	}
	c, err := ParseAltDACommitment(raw)
	if err == nil && s.svc.Blobs == nil {
		err = ErrNotServed
	}
	var data []byte
	if err == nil {
		data, err = s.altDARead(r.Context(), c)
	}
	if err != nil {
		if errors.Is(err, ErrPruned) && !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		writeError(w, err)
		return
	}
	writeBytes(w, data)
}

// altDARead finds the blob with c's share commitment in c's namespace at
// c's height. The backend verifies the namespace data against the data
// root; recomputing each blob's commitment ties the answer to c.
func (s *Server) altDARead(ctx context.Context, c AltDACommitment) ([]byte, error) {
	nd, err := s.svc.Blobs.NamespaceData(ctx, c.Height, c.Namespace)
	if err != nil {
		return nil, err
	}
	if nd.Namespace != c.Namespace {
		return nil, fmt.Errorf("asked for namespace %s at height %d, the node answered %s", c.Namespace, c.Height, nd.Namespace)
	}
	blobs, err := da.BlobsFromShares(nd.Shares())
	if err != nil {
		return nil, fmt.Errorf("namespace %s at height %d does not parse into blobs: %w", c.Namespace, c.Height, err)
	}
	for i := range blobs {
		got, err := da.CreateCommitment(&blobs[i].Blob)
		if err != nil {
			return nil, fmt.Errorf("blob %d of namespace %s at height %d: %w", i, c.Namespace, c.Height, err)
		}
		if got == c.Commitment {
			return blobs[i].Data, nil
		}
	}
	return nil, fmt.Errorf("%w: no blob with share commitment %x in namespace %s at height %d", ErrNotFound, c.Commitment, c.Namespace, c.Height)
}

// clip shortens untrusted text quoted in an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
