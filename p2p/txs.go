package p2p

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Transaction fetch, /tartan/<chain-id>/txs/v1: a validator asks another
// for the blob transactions a proposal refers to that its own mempool
// lacks: a relay that has not reached it, or one it missed while it was
// down (a transaction is relayed once). Only validators serve it.
//
// Request: count(2) ‖ key(32)·count, 1 ≤ count ≤ TxsMaxKeys, where a key
// is the SHA-256 of a transaction's bytes.
//
// Answer: the requested transactions the server holds, each length(4) ‖
// bytes, at most TxsMaxResponse bytes in all: a server with more sends
// what fits and the requester asks again for the rest. Each transaction
// must hash to a requested key, once; anything else is malformed.
const (
	// TxsMaxKeys bounds the keys of one request.
	TxsMaxKeys = 4096
	// TxsMaxResponse bounds an answer.
	TxsMaxResponse = 64 << 20

	txsMaxRequest = 2 + TxsMaxKeys*32
)

// TxSource serves transactions by key (a validator's mempool). Txs
// returns those it holds, in any order.
type TxSource interface {
	Txs(keys [][32]byte) [][]byte
}

func (h *Host) txsProtocol() Protocol {
	return Protocol{ID: h.ProtocolID("txs", "v1"), MaxRequestSize: txsMaxRequest, MaxResponseSize: TxsMaxResponse}
}

func encodeTxsRequest(keys [][32]byte) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+32*len(keys)), uint16(len(keys)))
	for i := range keys {
		b = append(b, keys[i][:]...)
	}
	return b
}

// decodeTxsRequest decodes a request from untrusted bytes.
func decodeTxsRequest(b []byte) ([][32]byte, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: txs request of %d bytes", ErrMalformed, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || n > TxsMaxKeys || len(b) != 2+32*n {
		return nil, fmt.Errorf("%w: txs request of %d bytes for %d keys (1 to %d)", ErrMalformed, len(b), n, TxsMaxKeys)
	}
	keys := make([][32]byte, n)
	for i := range keys {
		copy(keys[i][:], b[2+32*i:])
	}
	return keys, nil
}

// encodeTxs encodes what fits an answer of txs, first to last.
func encodeTxs(txs [][]byte) []byte {
	var b []byte
	for _, tx := range txs {
		if len(b)+4+len(tx) > TxsMaxResponse {
			break
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(tx)))
		b = append(b, tx...)
	}
	return b
}

// decodeTxs decodes an answer to a request for keys from untrusted bytes,
// with the key of each transaction. The transactions refer to b.
func decodeTxs(b []byte, keys [][32]byte) (txs [][]byte, txKeys [][32]byte, err error) {
	want := make(map[[32]byte]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: txs answer ends inside a length", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, nil, fmt.Errorf("%w: txs answer has a %d-byte transaction in %d bytes", ErrMalformed, n, len(b)-4)
		}
		tx := b[4 : 4+n : 4+n]
		b = b[4+n:]
		k := sha256.Sum256(tx)
		if !want[k] {
			return nil, nil, fmt.Errorf("%w: txs answer holds a transaction not asked for, or twice (%x)", ErrMalformed, k[:8])
		}
		delete(want, k)
		txs, txKeys = append(txs, tx), append(txKeys, k)
	}
	return txs, txKeys, nil
}

// ServeTxs registers the transaction-fetch protocol on a validator.
func (h *Host) ServeTxs(src TxSource) {
	h.Handle(h.txsProtocol(), func(_ context.Context, _ peer.ID, b []byte) ([]byte, error) {
		keys, err := decodeTxsRequest(b)
		if err != nil {
			return nil, err
		}
		return encodeTxs(src.Txs(keys)), nil
	})
}

// RequestTxs asks to for the transactions with these keys and returns
// those it sent with their keys, each transaction checked against its
// key.
func (h *Host) RequestTxs(ctx context.Context, to peer.ID, keys [][32]byte) (txs [][]byte, txKeys [][32]byte, err error) {
	if len(keys) == 0 || len(keys) > TxsMaxKeys {
		return nil, nil, fmt.Errorf("p2p: asking for %d transactions, want 1 to %d", len(keys), TxsMaxKeys)
	}
	err = h.call(ctx, to, h.txsProtocol(), encodeTxsRequest(keys), func(b []byte) (err error) {
		txs, txKeys, err = decodeTxs(b, keys)
		return err
	})
	return txs, txKeys, err
}

// TxsPeers are the peers known to serve the transaction-fetch protocol
// (validators), connected ones first, each group in random order.
func (h *Host) TxsPeers() []peer.ID { return h.peersServing(h.txsProtocol().ID) }
