package api

import (
	"context"
	"encoding/hex"
	"net/http"

	"github.com/tartan-da/tartan/da"
)

// NamespaceLister is a Blobs backend that can list the namespaces holding
// blobs at a height: full nodes and validators, which hold whole squares.
// A backend without it answers GET /v1/blobs/{height}/namespaces 501.
type NamespaceLister interface {
	// Namespaces returns the blob namespaces of the height's square in
	// square order, without the reserved ones (transactions, padding).
	Namespaces(ctx context.Context, height uint64) ([]da.Namespace, error)
}

// maxListedNamespaces bounds one listing; a wide square can hold
// thousands, and each costs a namespace read.
const maxListedNamespaces = 256

// NamespacesJSON answers GET /v1/blobs/{height}/namespaces: every blob at
// the height by namespace, without its data, so a client can see what a
// square holds and then fetch a blob or its proof by commitment.
type NamespacesJSON struct {
	Height     uint64               `json:"height"`
	Namespaces []NamespaceBlobsJSON `json:"namespaces"`
	// Truncated says the square holds more namespaces than one answer
	// lists (the first 256, in square order).
	Truncated bool `json:"truncated"`
}

// NamespaceBlobsJSON is one namespace's blobs at a height.
type NamespaceBlobsJSON struct {
	Namespace string        `json:"namespace"`
	Blobs     []BlobRefJSON `json:"blobs"`
}

// BlobRefJSON names a blob without its data.
type BlobRefJSON struct {
	Commitment   string `json:"commitment"`
	ShareVersion uint8  `json:"share_version"`
	// Index is the ODS index of the blob's first share, as in BlobJSON.
	Index int `json:"index"`
	// Size is the blob's data length in bytes.
	Size int `json:"size"`
}

func (s *Server) namespaces(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	lister, ok := s.svc.Blobs.(NamespaceLister)
	if err == nil && !ok {
		err = ErrNotServed
	}
	var nss []da.Namespace
	if err == nil {
		nss, err = lister.Namespaces(r.Context(), height)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out := NamespacesJSON{Height: height, Namespaces: []NamespaceBlobsJSON{}}
	if len(nss) > maxListedNamespaces {
		nss, out.Truncated = nss[:maxListedNamespaces], true
	}
	for _, ns := range nss {
		_, _, blobs, err := s.readBlobs(r.Context(), height, ns)
		if err != nil {
			writeError(w, err)
			return
		}
		nb := NamespaceBlobsJSON{Namespace: ns.String(), Blobs: make([]BlobRefJSON, len(blobs))}
		for i, b := range blobs {
			nb.Blobs[i] = BlobRefJSON{Commitment: hex.EncodeToString(b.Commitment[:]), ShareVersion: b.ShareVersion,
				Index: b.Start, Size: len(b.Data)}
		}
		out.Namespaces = append(out.Namespaces, nb)
	}
	writeJSON(w, out)
}
