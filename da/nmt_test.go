package da

import (
	"encoding/hex"
	"testing"
)

// The minimum block (SPEC §9) exercises leaf hashing, the ignore-max rule
// and the RFC-6962 data root with constants Celestia asserts in its tests.
func TestMinimumBlockRoots(t *testing.T) {
	share := TailPaddingShare()
	h := NewNMTHasher()
	tail, parity := TailPaddingNamespace, ParityNamespace
	q0 := h.Leaf(&tail, share[:])
	par := h.Leaf(&parity, share[:])
	row0, err := h.Inner(&q0, &par)
	if err != nil {
		t.Fatal(err)
	}
	row1, err := h.Inner(&par, &par)
	if err != nil {
		t.Fatal(err)
	}
	wantRow0 := "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffe" +
		"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffe" +
		"1b9958e4d30e60f7e8dd45ef903d06c87136545ab029cda50896a8885d547714"
	wantRow1 := "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
		"98a279eae81c131f17eb04477269bd13887842598db63e4d11349ed00340b2f7"
	if got := hex.EncodeToString(row0[:]); got != wantRow0 {
		t.Errorf("row 0 root\n got %s\nwant %s", got, wantRow0)
	}
	if got := hex.EncodeToString(row1[:]); got != wantRow1 {
		t.Errorf("row 1 root\n got %s\nwant %s", got, wantRow1)
	}
	root := MerkleRoot([][]byte{row0[:], row1[:], row0[:], row1[:]})
	if got, want := hex.EncodeToString(root[:]), "3d96b7d238e7e0456f6af8e7cdf0a67bd6cf9c2089ecb559c659dcaa1f880353"; got != want {
		t.Errorf("data root %s, want %s", got, want)
	}
}

func TestNMTInnerRejectsDisorder(t *testing.T) {
	h := NewNMTHasher()
	a, _ := NewV0Namespace([]byte{0x10})
	b, _ := NewV0Namespace([]byte{0x20})
	la := h.Leaf(&a, []byte("x"))
	lb := h.Leaf(&b, []byte("y"))
	if _, err := h.Inner(&la, &lb); err != nil {
		t.Fatalf("sorted children rejected: %v", err)
	}
	if _, err := h.Inner(&lb, &la); err == nil {
		t.Fatal("children in the wrong namespace order were accepted")
	}
	bad := la
	copy(bad[:NamespaceSize], ParityNamespace[:])
	if _, err := h.Inner(&bad, &lb); err == nil {
		t.Fatal("node with min > max was accepted")
	}
}
