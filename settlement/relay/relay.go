package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/settlement"
	"github.com/tartan-da/tartan/settlement/bindings"
	"github.com/tartan-da/tartan/settlement/oracle"
)

// postTimeout bounds the wait for one post's receipt.
const postTimeout = 5 * time.Minute

// Config is a relayer's.
type Config struct {
	// Node is the base URL of a Tartan node's REST API.
	Node string
	// Oracle is TartanDataRootOracle's address.
	Oracle common.Address
	// Confirmations is how deep a post must be before the next: 1 is
	// mined.
	Confirmations uint64
	// Poll is how often the node is asked for the next commitment.
	Poll time.Duration
	// HTTP is the client for the node; nil is one with a 10 s timeout.
	HTTP *http.Client
}

// Relayer posts commitments from a node to the oracle.
type Relayer struct {
	cfg    Config
	acct   *Account
	oracle *bindings.TartanDataRootOracle
	inst   *bind.BoundContract
	log    *slog.Logger
}

// New returns a relayer sending from acct.
func New(cfg Config, acct *Account, log *slog.Logger) (*Relayer, error) {
	if cfg.Node == "" {
		return nil, errors.New("relay: no node URL")
	}
	if cfg.Oracle == (common.Address{}) {
		return nil, errors.New("relay: no oracle address")
	}
	cfg.Node = strings.TrimRight(cfg.Node, "/")
	cfg.Confirmations = max(cfg.Confirmations, 1)
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	o := bindings.NewTartanDataRootOracle()
	return &Relayer{cfg: cfg, acct: acct, oracle: o, inst: o.Instance(acct.b, cfg.Oracle), log: log}, nil
}

// Run posts until ctx ends; failures are logged and retried.
func (r *Relayer) Run(ctx context.Context) error {
	r.log.Info("relaying", "node", r.cfg.Node, "oracle", r.cfg.Oracle, "from", r.acct.Address(), "confirmations", r.cfg.Confirmations)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		posted, err := r.Step(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("relay round failed", "err", err)
		}
		if posted {
			t.Reset(0)
		} else {
			t.Reset(r.cfg.Poll)
		}
	}
}

// State is the oracle's progress: the latest stored nonce and the first
// height after its range.
func (r *Relayer) State(ctx context.Context) (nonce, latestBlock uint64, err error) {
	opts := &bind.CallOpts{Context: ctx}
	if nonce, err = bind.Call(r.inst, opts, r.oracle.PackProofNonce(), r.oracle.UnpackProofNonce); err != nil {
		return 0, 0, fmt.Errorf("relay: oracle proofNonce: %w", err)
	}
	if latestBlock, err = bind.Call(r.inst, opts, r.oracle.PackLatestBlock(), r.oracle.UnpackLatestBlock); err != nil {
		return 0, 0, fmt.Errorf("relay: oracle latestBlock: %w", err)
	}
	return nonce, latestBlock, nil
}

// Step posts the commitment after the oracle's latest, when the node
// holds it with enough signatures, and waits for the post's
// confirmations. It reports whether it posted.
func (r *Relayer) Step(ctx context.Context) (bool, error) {
	// A transaction of ours still pending (sent before a restart, or put
	// back into the pool by a reorg) may be the very post this round
	// would make: let it land first.
	if err := r.acct.Settled(ctx); err != nil {
		return false, err
	}
	nonce, latest, err := r.State(ctx)
	if err != nil {
		return false, err
	}
	c, ok, err := r.commitment(ctx, nonce+1)
	if err != nil || !ok {
		return false, err
	}
	if c.Start != latest {
		return false, fmt.Errorf("relay: the node's commitment %d covers [%d, %d) but the oracle's next range starts at %d: another chain or window?",
			c.Nonce, c.Start, c.End, latest)
	}
	if !c.Attested {
		r.log.Debug("commitment not yet attested", "nonce", c.Nonce, "signed_power", c.SignedPower, "total_power", c.TotalPower)
		return false, nil
	}
	set, sigs, err := commitRangeArgs(c)
	if err != nil {
		return false, err
	}
	root, err := hexutil.Decode(c.TupleRoot)
	if err != nil || len(root) != 32 {
		return false, fmt.Errorf("relay: commitment %d: tuple root %q", c.Nonce, c.TupleRoot)
	}
	data, err := r.oracle.TryPackCommitRange(c.Start, c.End, [32]byte(root), set, sigs)
	if err != nil {
		return false, fmt.Errorf("relay: packing commitRange %d: %w", c.Nonce, err)
	}
	start := time.Now()
	// A post the L1 drops never gets a receipt: give up waiting after a
	// while, and the next round, finding nothing pending and the oracle
	// behind, posts it again.
	pctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	rc, err := r.acct.Call(pctx, &r.cfg.Oracle, data)
	if err != nil {
		return false, fmt.Errorf("relay: posting commitment %d: %w", c.Nonce, err)
	}
	r.log.Info("commitment posted", "nonce", c.Nonce, "start", c.Start, "end", c.End, "tx", rc.TxHash, "l1_block", rc.BlockNumber,
		"gas", rc.GasUsed, "ms", time.Since(start).Milliseconds())
	return true, r.confirm(ctx, rc.BlockNumber, rc.BlockHash)
}

// confirm waits until the block at number is Confirmations deep. If it
// left the chain meanwhile the next round finds the oracle behind and
// posts again.
func (r *Relayer) confirm(ctx context.Context, number *big.Int, hash common.Hash) error {
	want := new(big.Int).Add(number, new(big.Int).SetUint64(r.cfg.Confirmations-1))
	t := time.NewTicker(r.acct.poll)
	defer t.Stop()
	for {
		head, err := r.acct.b.HeaderByNumber(ctx, nil)
		if err != nil {
			return err
		}
		if head.Number.Cmp(want) >= 0 {
			h, err := r.acct.b.HeaderByNumber(ctx, number)
			if err != nil {
				return err
			}
			if h.Hash() != hash {
				r.log.Warn("a posted commitment's L1 block was reorganised away; posting again", "l1_block", number)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// commitment asks the node for nonce's commitment; ok is false while the
// node does not have it yet.
func (r *Relayer) commitment(ctx context.Context, nonce uint64) (c api.SettlementCommitment, ok bool, err error) {
	url := fmt.Sprintf("%s/v1/settlement/commitments/%d", r.cfg.Node, nonce)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return c, false, err
	}
	resp, err := r.cfg.HTTP.Do(req)
	if err != nil {
		return c, false, fmt.Errorf("relay: asking the node: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return c, false, fmt.Errorf("relay: reading %s: %w", url, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusServiceUnavailable:
		return c, false, nil // not that far yet
	default:
		return c, false, fmt.Errorf("relay: %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, false, fmt.Errorf("relay: %s: %w", url, err)
	}
	if c.Nonce != nonce {
		return c, false, fmt.Errorf("relay: %s answered nonce %d", url, c.Nonce)
	}
	return c, true, nil
}

// commitRangeArgs are the attester set and one signature per attester
// (the zero one for those that did not sign), as commitRange takes them.
func commitRangeArgs(c api.SettlementCommitment) ([]Attester, []bindings.TartanDataRootOracleSignature, error) {
	bySigner := map[common.Address][]byte{}
	for _, s := range c.Signatures {
		sig, err := hexutil.Decode(s.Signature)
		if err != nil || len(sig) != settlement.SignatureSize || !common.IsHexAddress(s.Address) {
			return nil, nil, fmt.Errorf("relay: commitment %d: malformed signature of %s", c.Nonce, s.Validator)
		}
		bySigner[common.HexToAddress(s.Address)] = sig
	}
	set := make([]Attester, len(c.Attesters))
	sigs := make([]bindings.TartanDataRootOracleSignature, len(c.Attesters))
	for i, a := range c.Attesters {
		if !common.IsHexAddress(a.Address) || a.Power <= 0 {
			return nil, nil, fmt.Errorf("relay: commitment %d: attester %d (%s) is malformed", c.Nonce, i, a.Validator)
		}
		addr := common.HexToAddress(a.Address)
		set[i] = Attester{Addr: addr, Power: big.NewInt(a.Power)}
		sigs[i] = oracle.SplitSignature(bySigner[addr])
	}
	return set, sigs, nil
}
