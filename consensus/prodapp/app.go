package prodapp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
)

// App wraps a chain's App: it executes producer-set change transactions
// (prodset.DecodeTx) itself and passes every other one on. A change takes
// effect only if prodset.Verify accepts it on the state before it: it fits
// the set (adds a peer id that embeds an ed25519 key and is not a producer
// yet, or removes a producer other than the last), carries the next change
// nonce, and the policy authorises its signers. The set after it and its
// nonce are written under prodset.SetKey and prodset.NonceKey, so the
// App's state root covers them (the embedded KV App hashes every write of
// a block; a custom App must do the same for the root to cover it). A
// refusal is a *chain.TxError with the prodset.Reason, so a block that
// carries an unauthorised change is refused by every node ("bad-tx").
type App struct {
	inner   chain.App
	genesis *prodset.Set
	chain   block.ID // the genesis id: signatures are bound to it
	policy  prodset.Policy
	kv      *chain.KVLimits
}

var _ chain.App = (*App)(nil)

// New wraps inner for the chain whose genesis block is chainID and whose
// genesis producer set is genesis; policy decides a change's authority.
// kv, set when inner is the embedded KV App, lets the wrapper refuse KV
// writes under prodset.ReservedPrefix ("reserved-key").
func New(inner chain.App, genesis *prodset.Set, chainID block.ID, policy prodset.Policy, kv *chain.KVLimits) *App {
	return &App{inner: inner, genesis: genesis, chain: chainID, policy: policy, kv: kv}
}

// Policy is the policy the App applies.
func (a *App) Policy() prodset.Policy { return a.policy }

// StartBlock implements chain.App.
func (a *App) StartBlock(st *chain.State, h *block.Header) (chain.BlockExec, error) {
	ex, err := a.inner.StartBlock(st, h)
	if err != nil {
		return nil, err
	}
	return &exec{app: a, inner: ex, st: st}, nil
}

type exec struct {
	app   *App
	inner chain.BlockExec
	st    *chain.State
}

func (e *exec) ApplyTx(tx []byte) error {
	if !prodset.IsChangeTx(tx) {
		if err := e.app.reserved(tx); err != nil {
			return err
		}
		return e.inner.ApplyTx(tx)
	}
	next, nonce, err := e.app.Verify(e.st, tx)
	if err != nil {
		return err
	}
	e.st.Set(prodset.SetKey, next.Encode())
	e.st.Set(prodset.NonceKey, prodset.EncodeNonce(nonce))
	return nil
}

func (e *exec) Finish() (block.Hash, error) { return e.inner.Finish() }

// reserved refuses an embedded KV transaction that writes a key under
// prodset.ReservedPrefix.
func (a *App) reserved(tx []byte) error {
	if a.kv == nil {
		return nil
	}
	ops, err := chain.DecodeKVTx(tx, *a.kv)
	if err != nil {
		return nil // the KV App refuses it with its own reason
	}
	for _, op := range ops {
		if bytes.HasPrefix(op.Key, prodset.ReservedPrefix) {
			return &chain.TxError{Reason: "reserved-key", Detail: fmt.Sprintf("keys under %q are written by the node only", prodset.ReservedPrefix)}
		}
	}
	return nil
}

// Verify decides a change transaction on state st: the set after it and
// its nonce, a *chain.TxError with the refusal's reason, or another error
// (a corrupt record or a failed read: fatal, not the transaction's fault).
func (a *App) Verify(st chain.StateReader, tx []byte) (*prodset.Set, uint64, error) {
	t, _, err := prodset.DecodeTx(tx)
	if err != nil {
		return nil, 0, TxError(err)
	}
	cur, err := prodset.ReadSet(st, a.genesis)
	if err != nil {
		return nil, 0, err
	}
	last, err := prodset.ReadNonce(st)
	if err != nil {
		return nil, 0, err
	}
	next, err := prodset.Verify(a.policy, a.chain, cur, last, t, st)
	if err != nil {
		return nil, 0, TxError(err)
	}
	return next, t.Change.Nonce, nil
}

// TxError turns a refused change (*prodset.Error) into the App's
// rejection (*chain.TxError), leaving any other error (fatal) as it is.
func TxError(err error) error {
	var pe *prodset.Error
	if errors.As(err, &pe) {
		return &chain.TxError{Reason: string(pe.Reason), Detail: pe.Detail}
	}
	return err
}

// Validator refuses change transactions that cannot take effect in any
// state (malformed, or the unsigned version 2) in a stateless check, lets
// other change transactions through (the App checks them against the
// state) and passes every other transaction to v (nil: accept).
func Validator(v func(tx []byte) error) func(tx []byte) error {
	return func(tx []byte) error {
		if _, ok, err := prodset.DecodeTx(tx); ok {
			return TxError(err)
		}
		if v == nil {
			return nil
		}
		return v(tx)
	}
}
