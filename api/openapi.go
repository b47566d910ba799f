package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 document of every route (API.md §2), served
// as is; openapi_test.go keeps it in step with Routes() and the error codes.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// openAPIContentType is what GET /openapi.yaml answers with.
const openAPIContentType = "application/yaml"

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", openAPIContentType)
	_, _ = w.Write(openAPIDoc)
}
