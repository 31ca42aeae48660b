package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
)

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	if st := s.b.Status(); !st.Running {
		writeError(w, http.StatusServiceUnavailable, "stopped", "node is not running: "+st.StatusError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.statusView())
}

func (s *Server) peers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Peers())
}

func (s *Server) consensus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Consensus())
}

type banRequest struct {
	Duration string `json:"duration"`
	Reason   string `json:"reason"`
}

func (s *Server) ban(w http.ResponseWriter, r *http.Request) {
	id, ok := peerParam(w, r)
	if !ok {
		return
	}
	var req banRequest
	if !decodeBody(w, r, &req) {
		return
	}
	d, err := time.ParseDuration(req.Duration)
	if err != nil || d <= 0 {
		writeError(w, http.StatusBadRequest, "bad-duration", fmt.Sprintf("duration %q: want a positive Go duration such as \"10m\"", req.Duration))
		return
	}
	if req.Reason == "" {
		req.Reason = "banned by operator"
	}
	s.b.Network().Ban(id, d, req.Reason)
	writeJSON(w, http.StatusOK, map[string]string{"peer": id.String(), "banned_for": d.String(), "reason": req.Reason})
}

func (s *Server) unban(w http.ResponseWriter, r *http.Request) {
	id, ok := peerParam(w, r)
	if !ok {
		return
	}
	s.b.Network().Unban(id)
	writeJSON(w, http.StatusOK, map[string]string{"peer": id.String(), "banned": "false"})
}

func peerParam(w http.ResponseWriter, r *http.Request) (peer.ID, bool) {
	id, err := peer.Decode(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-peer-id", fmt.Sprintf("peer id %q: %v", r.PathValue("id"), err))
		return "", false
	}
	return id, true
}

// Block is a block as the API shows it.
type Block struct {
	ID           block.ID        `json:"id"`
	Height       uint64          `json:"height"`
	Parent       block.ID        `json:"parent"`
	Term         uint64          `json:"term"`
	Producer     block.PublicKey `json:"producer"`
	Timestamp    time.Time       `json:"timestamp"`
	TxRoot       block.Hash      `json:"tx_root"`
	StateRoot    block.Hash      `json:"state_root"`
	Irreversible block.ID        `json:"irreversible"`
	ProducerSet  block.Hash      `json:"producer_set"`
	Signature    string          `json:"signature"`
	Size         int             `json:"size"`
	TxCount      int             `json:"tx_count"`
	TxHashes     []block.Hash    `json:"tx_hashes,omitempty"`
	Txs          []string        `json:"txs,omitempty"`
}

func blockJSON(b *block.Block, withTxs bool) Block {
	out := Block{
		ID: b.ID(), Height: b.Height, Parent: b.Parent, Term: b.Term, Producer: b.Producer,
		Timestamp: time.Unix(0, b.Timestamp).UTC(), TxRoot: b.TxRoot, StateRoot: b.StateRoot,
		Irreversible: b.Irreversible, ProducerSet: b.ProducerSet, Signature: hex.EncodeToString(b.Signature[:]),
		Size: b.EncodedSize(), TxCount: len(b.Txs),
	}
	if withTxs {
		for _, tx := range b.Txs {
			out.TxHashes = append(out.TxHashes, node.TxHash(tx))
			out.Txs = append(out.Txs, hex.EncodeToString(tx))
		}
	}
	return out
}

// block serves /blocks/{ref}: a decimal height or a 64-hex-digit id.
func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	var b *block.Block
	var err error
	if h, perr := strconv.ParseUint(ref, 10, 64); perr == nil {
		b, err = s.b.BlockAt(r.Context(), h)
	} else if id, perr := block.ParseID(ref); perr == nil {
		b, err = s.b.Block(id)
	} else {
		writeError(w, http.StatusBadRequest, "bad-block-ref", fmt.Sprintf("%q is neither a height nor a 64-hex-digit block id", ref))
		return
	}
	if err != nil {
		writeNodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, blockJSON(b, r.URL.Query().Get("txs") == "1"))
}

// maxBlockRange bounds /blocks?limit=.
const maxBlockRange = 100

// blockRange serves /blocks?from=H&limit=N: headers on the best chain.
func (s *Server) blockRange(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := strconv.ParseUint(q.Get("from"), 10, 64)
	if err != nil || from == 0 {
		writeError(w, http.StatusBadRequest, "bad-from", "from: want a height ≥ 1")
		return
	}
	limit := 20
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxBlockRange {
			writeError(w, http.StatusBadRequest, "bad-limit", fmt.Sprintf("limit: want 1..%d", maxBlockRange))
			return
		}
	}
	out := []Block{}
	for h := from; h < from+uint64(limit); h++ {
		b, err := s.b.BlockAt(r.Context(), h)
		if errors.Is(err, node.ErrNotFound) {
			break
		}
		if err != nil {
			writeNodeError(w, err)
			return
		}
		bj := blockJSON(b, false)
		if q.Get("hashes") != "" {
			// Transaction hashes without the bodies: what a history check
			// needs from every block.
			for _, tx := range b.Txs {
				bj.TxHashes = append(bj.TxHashes, node.TxHash(tx))
			}
		}
		out = append(out, bj)
	}
	writeJSON(w, http.StatusOK, out)
}

type submitRequest struct {
	// Tx is a transaction in hex, for any App.
	Tx string `json:"tx,omitempty"`
	// Set and Delete build one key-value app transaction.
	Set    map[string]string `json:"set,omitempty"`
	Delete []string          `json:"delete,omitempty"`
	// Wait is "included" (default) or "irreversible".
	Wait node.TxState `json:"wait,omitempty"`
}

func (req *submitRequest) tx() ([]byte, error) {
	kv := len(req.Set) > 0 || len(req.Delete) > 0
	switch {
	case req.Tx != "" && kv:
		return nil, errors.New("give either tx or set/delete, not both")
	case req.Tx != "":
		tx, err := hex.DecodeString(req.Tx)
		if err != nil {
			return nil, fmt.Errorf("tx is not hex: %w", err)
		}
		return tx, nil
	case kv:
		keys := make([]string, 0, len(req.Set))
		for k := range req.Set {
			keys = append(keys, k)
		}
		slices.Sort(keys) // one request, one transaction: map order must not matter
		ops := make([]chain.KVOp, 0, len(keys)+len(req.Delete))
		for _, k := range keys {
			ops = append(ops, chain.KVOp{Kind: chain.KVSet, Key: []byte(k), Value: []byte(req.Set[k])})
		}
		for _, k := range req.Delete {
			ops = append(ops, chain.KVOp{Kind: chain.KVDelete, Key: []byte(k)})
		}
		return chain.AppendKVTx(nil, ops...), nil
	}
	return nil, errors.New("empty: give tx (hex) or set/delete")
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Wait == "" {
		req.Wait = node.TxIncluded
	}
	if req.Wait != node.TxIncluded && req.Wait != node.TxIrreversible {
		writeError(w, http.StatusBadRequest, "bad-wait", fmt.Sprintf("wait %q: want \"included\" or \"irreversible\"", req.Wait))
		return
	}
	tx, err := req.tx()
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-tx", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WaitTimeout)
	defer cancel()
	rec, err := s.b.Submit(ctx, tx)
	if err == nil && req.Wait == node.TxIrreversible {
		rec, err = s.b.WaitTx(ctx, rec.Hash, node.TxIrreversible)
	}
	if err != nil {
		writeSubmitError(w, node.TxHash(tx), err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) tx(w http.ResponseWriter, r *http.Request) {
	h, err := block.ParseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-hash", err.Error())
		return
	}
	rec, err := s.b.TxStatus(r.Context(), h)
	if err != nil {
		writeNodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}
