package p2p

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"
)

// mapTxs serves the transactions it holds; lie, when set, replaces the
// answer.
type mapTxs struct {
	held map[[32]byte][]byte
	lie  func(keys [][32]byte) [][]byte
}

func (m *mapTxs) Txs(keys [][32]byte) [][]byte {
	if m.lie != nil {
		return m.lie(keys)
	}
	var out [][]byte
	for _, k := range keys {
		if tx, ok := m.held[k]; ok {
			out = append(out, tx)
		}
	}
	return out
}

func TestRequestTxs(t *testing.T) {
	held := [][]byte{[]byte("tx one"), bytes.Repeat([]byte{7}, 100_000), []byte("tx three")}
	src := &mapTxs{held: map[[32]byte][]byte{}}
	for _, tx := range held {
		src.held[sha256.Sum256(tx)] = tx
	}
	validator, client := newHost(t, testConfig()), newHost(t, testConfig())
	validator.ServeTxs(src)
	run(t, validator)
	run(t, client)
	connect(t, client, validator)
	eventually(t, "identify lists the txs protocol", func() bool { return slices.Contains(client.TxsPeers(), validator.ID()) })
	if slices.Contains(validator.TxsPeers(), client.ID()) {
		t.Fatal("a peer that does not serve the protocol is listed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	missing := sha256.Sum256([]byte("not held"))
	keys := [][32]byte{sha256.Sum256(held[1]), missing, sha256.Sum256(held[0])}
	got, gotKeys, err := client.RequestTxs(ctx, validator.ID(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], held[1]) || !bytes.Equal(got[1], held[0]) {
		t.Fatalf("got %d transactions, want the two held ones in request order", len(got))
	}
	if !slices.Equal(gotKeys, [][32]byte{keys[0], keys[2]}) {
		t.Fatal("the keys returned are not the transactions'")
	}
	if got, _, err := client.RequestTxs(ctx, validator.ID(), [][32]byte{missing}); err != nil || len(got) != 0 {
		t.Fatalf("asking for one not held: %d txs, %v", len(got), err)
	}
	if _, _, err := client.RequestTxs(ctx, validator.ID(), nil); err == nil {
		t.Fatal("a request for no keys was sent")
	}

	// An answer with a transaction not asked for, or one twice, is
	// malformed and costs the validator.
	for name, lie := range map[string]func([][32]byte) [][]byte{
		"not asked for": func([][32]byte) [][]byte { return [][]byte{held[2]} },
		"twice":         func([][32]byte) [][]byte { return [][]byte{held[0], held[0]} },
	} {
		src.lie = lie
		before := client.Score(validator.ID())
		if _, _, err := client.RequestTxs(ctx, validator.ID(), [][32]byte{sha256.Sum256(held[0])}); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v, want ErrMalformed", name, err)
		}
		if client.Score(validator.ID()) <= before {
			t.Fatalf("%s: the validator was not penalised", name)
		}
	}
}

func TestTxsCodec(t *testing.T) {
	keys := [][32]byte{{1}, {2}, {3}}
	got, err := decodeTxsRequest(encodeTxsRequest(keys))
	if err != nil || !slices.Equal(got, keys) {
		t.Fatalf("request round trip: %v %v", got, err)
	}
	for name, b := range map[string][]byte{
		"empty":    nil,
		"no keys":  {0, 0},
		"short":    encodeTxsRequest(keys)[:2+32*3-1],
		"too many": append([]byte{0xff, 0xff}, make([]byte, 32*0xffff)...),
	} {
		if _, err := decodeTxsRequest(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("request %s: %v, want ErrMalformed", name, err)
		}
	}
	txs := [][]byte{[]byte("a"), {}, []byte("ccc")}
	var ks [][32]byte
	for _, tx := range txs {
		ks = append(ks, sha256.Sum256(tx))
	}
	dec, decKeys, err := decodeTxs(encodeTxs(txs), ks)
	if err != nil || len(dec) != 3 || !bytes.Equal(dec[2], txs[2]) || !slices.Equal(decKeys, ks) {
		t.Fatalf("answer round trip: %d txs, %v", len(dec), err)
	}
	for name, b := range map[string][]byte{
		"cut length": encodeTxs(txs)[:2],
		"cut body":   encodeTxs(txs)[:len(encodeTxs(txs))-1],
	} {
		if _, _, err := decodeTxs(b, ks); !errors.Is(err, ErrMalformed) {
			t.Errorf("answer %s: %v, want ErrMalformed", name, err)
		}
	}
	// A server with more than fits sends what fits.
	big := bytes.Repeat([]byte{1}, TxsMaxResponse/2)
	if n := len(encodeTxs([][]byte{big, big, []byte("x")})); n != 4+len(big) {
		t.Fatalf("an answer of %d bytes, want only the first transaction", n)
	}
}

func FuzzDecodeTxs(f *testing.F) {
	keys := [][32]byte{sha256.Sum256([]byte("a")), sha256.Sum256([]byte("bb"))}
	f.Add(encodeTxs([][]byte{[]byte("a"), []byte("bb")}))
	f.Add(encodeTxsRequest(keys))
	f.Fuzz(func(t *testing.T, b []byte) {
		if txs, _, err := decodeTxs(b, keys); err == nil {
			if !bytes.Equal(encodeTxs(txs), b) {
				t.Fatalf("%x decodes to transactions that re-encode otherwise", b)
			}
		}
		if ks, err := decodeTxsRequest(b); err == nil && !bytes.Equal(encodeTxsRequest(ks), b) {
			t.Fatalf("%x decodes to keys that re-encode otherwise", b)
		}
	})
}
