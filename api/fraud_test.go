package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/erasure"
)

// fraudTable is an availTable that holds fraud proofs by height.
type fraudTable struct {
	*availTable
	proofs map[uint64]*erasure.BadEncodingProof
}

func (f fraudTable) FraudProof(_ context.Context, h uint64) (*erasure.BadEncodingProof, error) {
	p, ok := f.proofs[h]
	if !ok {
		return nil, fmt.Errorf("%w: no proof at %d", ErrNotFound, h)
	}
	return p, nil
}

// badlyEncoded returns a proof that a k=2 square with one parity byte
// flipped is badly encoded, and that square's data root.
func badlyEncoded(t *testing.T) (*erasure.BadEncodingProof, [32]byte) {
	t.Helper()
	ods := []da.Share{da.TailPaddingShare(), da.TailPaddingShare(), da.TailPaddingShare(), da.TailPaddingShare()}
	eds, err := erasure.Extend(ods)
	if err != nil {
		t.Fatal(err)
	}
	eds.Cell(0, 2)[100] ^= 0xff
	dah, err := erasure.Commit(eds)
	if err != nil {
		t.Fatal(err)
	}
	part := erasure.PartialFromEDS(eds)
	var berr *erasure.ByzantineError
	if err := part.Repair(dah); !errors.As(err, &berr) {
		t.Fatalf("Repair: %v", err)
	}
	p, err := erasure.NewBadEncodingProof(berr, part, dah, 7, [32]byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	return p, dah.DataRoot()
}

func TestFraudProofRoute(t *testing.T) {
	proof, root := badlyEncoded(t)
	ts := newTestServer(t, Services{Availability: fraudTable{newAvailTable(), map[uint64]*erasure.BadEncodingProof{7: proof}}})
	var got FraudProofJSON
	if status, _ := call(t, "GET", ts.URL+"/v1/fraud/7", "", &got); status != 200 {
		t.Fatalf("status %d", status)
	}
	if got.Height != 7 || got.Kind != "bad-encoding" || got.Axis != proof.Axis.String() || got.Index != proof.Index ||
		got.HeaderHash != hex.EncodeToString(proof.HeaderHash[:]) {
		t.Fatalf("answer %+v", got)
	}
	b, err := hex.DecodeString(got.Proof)
	if err != nil {
		t.Fatal(err)
	}
	var back erasure.BadEncodingProof
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(root, 2); err != nil {
		t.Fatalf("the served proof does not verify: %v", err)
	}
	for path, want := range map[string]int{"/v1/fraud/8": 404, "/v1/fraud/abc": 400, "/v1/fraud/0": 400} {
		var e errorBody
		if status, _ := call(t, "GET", ts.URL+path, "", &e); status != want || e.Error.Code == "" {
			t.Fatalf("%s: status %d %+v, want %d", path, status, e, want)
		}
	}
	// An Availability without proofs does not serve the route.
	plain := newTestServer(t, Services{Availability: newAvailTable()})
	if status, _ := call(t, "GET", plain.URL+"/v1/fraud/7", "", nil); status != 501 {
		t.Fatalf("without FraudProofs: status %d, want 501", status)
	}
}

// The FraudProof schema names exactly FraudProofJSON's fields.
func TestOpenAPIFraudProofSchema(t *testing.T) {
	doc := parseOpenAPI(t)
	all, always := jsonFields(reflect.TypeFor[FraudProofJSON]())
	props, required := schemaFields(t, doc, node(t, doc, "components", "schemas", "FraudProof"))
	if !slices.Equal(all, props) || !slices.Equal(always, required) {
		t.Fatalf("schema properties %q required %q; Go fields %q always %q", props, required, all, always)
	}
}
