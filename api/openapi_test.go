package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tartan-da/tartan/erasure"
)

// The OpenAPI document is checked against the code, not against itself:
// the routes against Server.Routes(), the error codes against the api
// package's source, the schemas against the Go types' JSON tags.

func parseOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.yaml is not YAML: %v", err)
	}
	if v, _ := doc["openapi"].(string); v != "3.1.0" {
		t.Fatalf("openapi: %q, want 3.1.0", v)
	}
	return doc
}

// node walks the document by keys, failing the test if one is missing.
func node(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("openapi.yaml: %s is not a map", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("openapi.yaml: no %s", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

// resolve follows a local $ref ("#/components/…") if v is one.
func resolve(t *testing.T, doc map[string]any, v any) any {
	t.Helper()
	for range 8 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		if !strings.HasPrefix(ref, "#/") {
			t.Fatalf("openapi.yaml: $ref %q is not local", ref)
		}
		v = node(t, doc, strings.Split(ref[2:], "/")...)
	}
	t.Fatal("openapi.yaml: $ref chain too long")
	return nil
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// documentedRoutes lists the document's operations as ServeMux patterns.
func documentedRoutes(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	for path, item := range node(t, doc, "paths").(map[string]any) {
		ops, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("openapi.yaml: paths.%s is not a map", path)
		}
		for m := range ops {
			if slices.Contains(httpMethods, m) {
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// diffRoutes is what one list has that the other lacks. Go's ServeMux
// wildcards {name} are written as OpenAPI's, so patterns compare as text.
func diffRoutes(registered, documented []string) (undocumented, unregistered []string) {
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			unregistered = append(unregistered, d)
		}
	}
	return undocumented, unregistered
}

func registeredRoutes(t *testing.T) []string {
	t.Helper()
	s, err := New(DefaultConfig(), Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := s.Routes()
	slices.Sort(routes)
	return routes
}

func TestOpenAPIDocumentsExactlyTheRegisteredRoutes(t *testing.T) {
	doc := parseOpenAPI(t)
	registered, documented := registeredRoutes(t), documentedRoutes(t, doc)
	if len(registered) == 0 {
		t.Fatal("the server registers no routes")
	}
	undocumented, unregistered := diffRoutes(registered, documented)
	for _, r := range undocumented {
		t.Errorf("route %q is registered but not in openapi.yaml", r)
	}
	for _, r := range unregistered {
		t.Errorf("route %q is in openapi.yaml but not registered", r)
	}
}

// The comparison must catch a difference in either direction.
func TestDiffRoutesFindsBothDirections(t *testing.T) {
	registered := []string{"GET /a/{x}", "POST /b"}
	documented := []string{"GET /a/{x}", "GET /c"}
	u, r := diffRoutes(registered, documented)
	if !slices.Equal(u, []string{"POST /b"}) || !slices.Equal(r, []string{"GET /c"}) {
		t.Fatalf("diffRoutes = %q, %q; want [POST /b], [GET /c]", u, r)
	}
	if u, r := diffRoutes([]string{"GET /a/{x}"}, []string{"GET /a/{y}"}); len(u) != 1 || len(r) != 1 {
		t.Fatalf("a renamed wildcard went unnoticed: %q, %q", u, r)
	}
}

var wildcardRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Every wildcard of a path is a declared path parameter, and no path
// parameter is declared that the path lacks.
func TestOpenAPIPathParameters(t *testing.T) {
	doc := parseOpenAPI(t)
	for path, item := range node(t, doc, "paths").(map[string]any) {
		var want []string
		for _, m := range wildcardRE.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		slices.Sort(want)
		ops := item.(map[string]any)
		for m, op := range ops {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			var params []any
			if p, ok := ops["parameters"].([]any); ok {
				params = append(params, p...)
			}
			if p, ok := op.(map[string]any)["parameters"].([]any); ok {
				params = append(params, p...)
			}
			var got []string
			for _, p := range params {
				pm, ok := resolve(t, doc, p).(map[string]any)
				if !ok {
					t.Fatalf("%s %s: a parameter is not a map", m, path)
				}
				if pm["in"] == "path" {
					if pm["required"] != true {
						t.Errorf("%s %s: path parameter %v is not required", m, path, pm["name"])
					}
					got = append(got, fmt.Sprint(pm["name"]))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: path parameters %q, want %q", m, path, got, want)
			}
		}
	}
}

// Every $ref points at something in the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := parseOpenAPI(t)
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["$ref"].(string); ok {
				n++
				resolve(t, doc, v)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if n < 10 {
		t.Fatalf("only %d $refs: did the walk miss the document?", n)
	}
}

// statusByName maps the net/http status constants the api package uses;
// a new one makes the scan fail until it is added here.
var statusByName = map[string]int{
	"StatusBadRequest": 400, "StatusUnauthorized": 401, "StatusForbidden": 403, "StatusNotFound": 404,
	"StatusMethodNotAllowed": 405, "StatusRequestTimeout": 408, "StatusConflict": 409, "StatusGone": 410,
	"StatusRequestEntityTooLarge": 413, "StatusUnsupportedMediaType": 415, "StatusUnprocessableEntity": 422,
	"StatusTooManyRequests": 429, "StatusInternalServerError": 500, "StatusNotImplemented": 501,
	"StatusBadGateway": 502, "StatusServiceUnavailable": 503, "StatusGatewayTimeout": 504,
}

var (
	badRequestRE   = regexp.MustCompile(`badRequest\("([a-z0-9_]+)",`)
	badRequestAny  = regexp.MustCompile(`badRequest\(`)
	badRequestDyn  = regexp.MustCompile(`badRequest\("bad_"\+name,`)
	pathIndexRE    = regexp.MustCompile(`pathIndex\(r, "([a-z0-9_]+)"\)`)
	httpErrorRE    = regexp.MustCompile(`httpError\{status: http\.(Status\w+), code: "([a-z0-9_]+)"`)
	httpErrorAny   = regexp.MustCompile(`&httpError\{`)
	classifyCaseRE = regexp.MustCompile(`return http\.(Status\w+), "([a-z0-9_]+)"`)
)

// sourceErrorCodes scans the api package's non-test Go files for every
// error code it can answer with, and its status. Codes built at run time
// are only the "bad_"+name of pathIndex; any other form of badRequest or
// httpError fails the scan, so a new code cannot slip past it.
func sourceErrorCodes(t *testing.T) map[string]int {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	add := func(file, code string, status int) {
		if old, ok := codes[code]; ok && old != status {
			t.Errorf("%s: code %s has status %d here and %d elsewhere", file, code, status, old)
		}
		codes[code] = status
	}
	statusOf := func(file, name string) int {
		s, ok := statusByName[name]
		if !ok {
			t.Fatalf("%s: http.%s is not in statusByName; add it", file, name)
		}
		return s
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		lit := badRequestRE.FindAllStringSubmatch(src, -1)
		for _, m := range lit {
			add(f, m[1], http.StatusBadRequest)
		}
		dyn := len(badRequestDyn.FindAllString(src, -1))
		if dyn > 0 {
			for _, m := range pathIndexRE.FindAllStringSubmatch(src, -1) {
				add(f, "bad_"+m[1], http.StatusBadRequest)
			}
		}
		calls := len(badRequestAny.FindAllString(src, -1)) - strings.Count(src, "func badRequest(")
		if calls != len(lit)+dyn {
			t.Errorf("%s: %d badRequest calls, only %d with a code this scan reads; extend sourceErrorCodes", f, calls, len(lit)+dyn)
		}
		he := httpErrorRE.FindAllStringSubmatch(src, -1)
		for _, m := range he {
			add(f, m[2], statusOf(f, m[1]))
		}
		// badRequest's own literal passes its argument through.
		n := len(httpErrorAny.FindAllString(src, -1)) - strings.Count(src, "&httpError{status: http.StatusBadRequest, code: code,")
		if n != len(he) {
			t.Errorf("%s: %d httpError literals, only %d this scan reads; extend sourceErrorCodes", f, n, len(he))
		}
		for _, m := range classifyCaseRE.FindAllStringSubmatch(src, -1) {
			add(f, m[2], statusOf(f, m[1]))
		}
	}
	return codes
}

func TestSourceErrorCodesScan(t *testing.T) {
	codes := sourceErrorCodes(t)
	// What the scan must at least find, one of each kind: literal
	// badRequest, pathIndex's built codes, an httpError literal, classify.
	for code, status := range map[string]int{"bad_json": 400, "bad_row": 400, "bad_col": 400,
		"body_too_large": 413, "blob_too_large": 413, "not_served": 501, "internal": 500, "timeout": 504} {
		if got, ok := codes[code]; !ok || got != status {
			t.Errorf("scan: %s = %d, %v; want %d", code, got, ok, status)
		}
	}
	// classify agrees with the scan for what it maps.
	if status, code := classify(ErrPoolFull); codes[code] != status {
		t.Errorf("classify(ErrPoolFull) = %d %s, scan says %d", status, code, codes[code])
	}
}

// Every code the package can answer with is documented with its status
// (x-error-codes, the description's table, the Error schema's enum and a
// response description of that status), and nothing else is.
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	doc := parseOpenAPI(t)
	codes := sourceErrorCodes(t)
	table := node(t, doc, "x-error-codes").(map[string]any)
	desc := node(t, doc, "info", "description").(string)
	var enum []string
	for _, c := range node(t, doc, "components", "schemas", "Error", "properties", "error", "properties", "code", "enum").([]any) {
		enum = append(enum, fmt.Sprint(c))
	}
	// Response descriptions by status, over every operation.
	byStatus := map[string]string{}
	for _, item := range node(t, doc, "paths").(map[string]any) {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			for status, resp := range op.(map[string]any)["responses"].(map[string]any) {
				r := resolve(t, doc, resp).(map[string]any)
				byStatus[status] += fmt.Sprint(r["description"]) + "\n"
			}
		}
	}
	for code, status := range codes {
		if got, ok := table[code]; !ok || got != status {
			t.Errorf("x-error-codes.%s = %v, want %d", code, got, status)
		}
		if row := fmt.Sprintf("| %s | %d |", code, status); !strings.Contains(desc, row) {
			t.Errorf("info.description has no table row %q", row)
		}
		if !slices.Contains(enum, code) {
			t.Errorf("Error.code enum lacks %s", code)
		}
		if !regexp.MustCompile(`\b` + code + `\b`).MatchString(byStatus[fmt.Sprint(status)]) {
			t.Errorf("no %d response description names %s", status, code)
		}
	}
	for code := range table {
		if _, ok := codes[code]; !ok {
			t.Errorf("x-error-codes.%s: the code is not in the api package", code)
		}
	}
	for _, code := range enum {
		if _, ok := codes[code]; !ok {
			t.Errorf("Error.code enum: %s is not in the api package", code)
		}
	}
	if n := strings.Count(desc, "\n| "); n-1 != len(codes) { // minus the header row
		t.Errorf("info.description's table has %d rows, want %d", n-1, len(codes))
	}
}

// jsonFields are the JSON names of t's fields, and those without
// omitempty (always present).
func jsonFields(t reflect.Type) (all, always []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" {
			a, r := jsonFields(f.Type)
			all, always = append(all, a...), append(always, r...)
			continue
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		all = append(all, tag)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, tag)
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return all, always
}

func schemaFields(t *testing.T, doc map[string]any, schema any) (props, required []string) {
	t.Helper()
	s := resolve(t, doc, schema).(map[string]any)
	for p := range node(t, s, "properties").(map[string]any) {
		props = append(props, p)
	}
	for _, r := range s["required"].([]any) {
		required = append(required, fmt.Sprint(r))
	}
	slices.Sort(props)
	slices.Sort(required)
	return props, required
}

// The schemas name exactly the Go types' JSON fields, and require exactly
// those that are always present.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := parseOpenAPI(t)
	schemas := node(t, doc, "components", "schemas")
	blobWithProof := reflect.TypeOf(struct {
		BlobJSON
		Proof *NamespaceProofJSON `json:"proof"`
	}{})
	for name, typ := range map[string]reflect.Type{
		"NodeInfo":             reflect.TypeFor[NodeInfo](),
		"Header":               reflect.TypeFor[HeaderJSON](),
		"DAH":                  reflect.TypeFor[DAHJSON](),
		"NMTProof":             reflect.TypeFor[NMTProofJSON](),
		"RootProof":            reflect.TypeFor[RootProofJSON](),
		"RowProof":             reflect.TypeFor[RowProofJSON](),
		"NamespaceProof":       reflect.TypeFor[NamespaceProofJSON](),
		"Blob":                 reflect.TypeFor[BlobJSON](),
		"Blobs":                reflect.TypeFor[BlobsJSON](),
		"Namespaces":           reflect.TypeFor[NamespacesJSON](),
		"BlobProof":            reflect.TypeFor[BlobProofJSON](),
		"SubmitResult":         reflect.TypeFor[SubmitResult](),
		"HeightAvailability":   reflect.TypeFor[HeightAvailability](),
		"AvailabilitySummary":  reflect.TypeFor[AvailabilitySummary](),
		"SettlementCommitment": reflect.TypeFor[SettlementCommitment](),
		"TupleProof":           reflect.TypeFor[TupleProof](),
	} {
		all, always := jsonFields(typ)
		props, required := schemaFields(t, doc, node(t, schemas, name))
		if !slices.Equal(all, props) {
			t.Errorf("schema %s: properties %q, Go fields %q", name, props, all)
		}
		if !slices.Equal(always, required) {
			t.Errorf("schema %s: required %q, always present %q", name, required, always)
		}
	}
	// The single blob route always sets namespace; proof only on request.
	all, _ := jsonFields(blobWithProof)
	if props, _ := schemaFields(t, doc, node(t, schemas, "BlobWithProof")); !slices.Equal(all, props) {
		t.Errorf("schema BlobWithProof: properties %q, Go fields %q", props, all)
	}
	// The request: every field the decoder accepts (it rejects others).
	all, _ = jsonFields(reflect.TypeFor[submitRequest]())
	if props, _ := schemaFields(t, doc, node(t, schemas, "SubmitRequest")); !slices.Equal(all, props) {
		t.Errorf("schema SubmitRequest: properties %q, Go fields %q", props, all)
	}
	item := node(t, schemas, "SubmitRequest", "properties", "blobs", "items")
	all, _ = jsonFields(reflect.TypeFor[submitRequest]().Field(0).Type.Elem())
	if props, _ := schemaFields(t, doc, item); !slices.Equal(all, props) {
		t.Errorf("schema SubmitRequest.blobs: properties %q, Go fields %q", props, all)
	}
	all, always := jsonFields(reflect.TypeFor[Error]())
	if props, req := schemaFields(t, doc, node(t, schemas, "Error", "properties", "error")); !slices.Equal(all, props) || !slices.Equal(always, req) {
		t.Errorf("schema Error.error: properties %q required %q, Go fields %q", props, req, all)
	}
}

// A real sample, marshalled by erasure.SampleJSON, has exactly the keys of
// the Sample schema at every level.
func TestOpenAPISampleSchemaMatchesWire(t *testing.T) {
	doc := parseOpenAPI(t)
	c := newChain(t)
	s, err := c.Sample(context.Background(), 1, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(erasure.SampleJSON{Height: 1, Sample: s})
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	check := func(where string, obj map[string]any, schema any) {
		props, required := schemaFields(t, doc, schema)
		keys := slices.Sorted(maps.Keys(obj))
		if !slices.Equal(keys, props) || !slices.Equal(keys, required) {
			t.Errorf("%s: wire keys %q, schema properties %q required %q", where, keys, props, required)
		}
	}
	sample := node(t, doc, "components", "schemas", "Sample")
	check("sample", wire, sample)
	check("sample.proof", wire["proof"].(map[string]any), node(t, sample, "properties", "proof"))
	check("sample.root_proof", wire["root_proof"].(map[string]any), node(t, sample, "properties", "root_proof"))
}

func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t, Services{})
	resp, err := http.Get(ts.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if len(openAPIDoc) == 0 || string(body) != string(openAPIDoc) {
		t.Errorf("body (%d bytes) is not the embedded document (%d bytes)", len(body), len(openAPIDoc))
	}
}
