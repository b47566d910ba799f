package api

import (
	"context"
	"encoding/hex"
	"net/http"

	"github.com/tartan-da/tartan/erasure"
)

// FraudProofs is an Availability that also serves the fraud proofs it
// holds (GET /v1/fraud/{height}); an Availability without it answers 501.
type FraudProofs interface {
	// FraudProof is the verified bad-encoding proof held for height;
	// ErrNotFound when there is none.
	FraudProof(ctx context.Context, height uint64) (*erasure.BadEncodingProof, error)
}

// FraudProofJSON answers GET /v1/fraud/{height}: what the proof claims,
// and the proof itself in its binary form (erasure.BadEncodingProof
// MarshalBinary), hex, for a client to verify against the header's data
// root.
type FraudProofJSON struct {
	Height     uint64 `json:"height"`
	Kind       string `json:"kind"` // bad-encoding
	HeaderHash string `json:"header_hash"`
	Axis       string `json:"axis"` // row or col
	Index      int    `json:"index"`
	Proof      string `json:"proof"`
}

// GET /v1/fraud/{height}: the fraud proof this node holds for a height.
func (s *Server) fraudProof(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	fp, ok := s.svc.Availability.(FraudProofs)
	if err == nil && !ok {
		err = ErrNotServed
	}
	var p *erasure.BadEncodingProof
	if err == nil {
		p, err = fp.FraudProof(r.Context(), height)
	}
	var b []byte
	if err == nil {
		b, err = p.MarshalBinary()
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, FraudProofJSON{Height: p.Height, Kind: "bad-encoding", HeaderHash: hex.EncodeToString(p.HeaderHash[:]),
		Axis: p.Axis.String(), Index: p.Index, Proof: hex.EncodeToString(b)})
}
