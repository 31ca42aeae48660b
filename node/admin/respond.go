package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
)

// apiError is the body of every error response.
type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to tell it
}

func writeError(w http.ResponseWriter, status int, reason, msg string) {
	writeJSON(w, status, apiError{Error: msg, Reason: reason})
}

// writeNodeError maps the node's errors to statuses: the caller's fault is
// 4xx, the network's 503/504.
func writeNodeError(w http.ResponseWriter, err error) {
	status, reason := nodeErrorStatus(err)
	writeError(w, status, reason, err.Error())
}

// SubmitError is the body of a failed POST /tx: the error, the
// transaction's hash (always: look it up with GET /tx/{hash}) and its
// outcome (node.SubmitOutcome: rejected, not-accepted, unknown).
type SubmitError struct {
	Error   string       `json:"error"`
	Reason  string       `json:"reason"`
	Hash    string       `json:"hash"`
	Outcome node.Outcome `json:"outcome"`
	// Advice says what to do next, for the operator reading the answer.
	Advice string `json:"advice"`
}

// submitAdvice is what each outcome means for the submitter.
var submitAdvice = map[node.Outcome]string{
	node.OutcomeRejected:    "the transaction is in no block; fix it (or wait for room in the mempool) before submitting again",
	node.OutcomeNotAccepted: "no producer acknowledged the transaction; submitting the same bytes again later is safe",
	node.OutcomeUnknown:     "outcome unknown: the transaction may still be included; check GET /tx/{hash}, or submit the same bytes again (safe: producers deduplicate by hash)",
}

func writeSubmitError(w http.ResponseWriter, hash block.Hash, err error) {
	status, reason := nodeErrorStatus(err)
	out := node.SubmitOutcome(err)
	msg := err.Error()
	if out == node.OutcomeUnknown {
		msg = "outcome unknown: " + msg
	}
	writeJSON(w, status, SubmitError{Error: msg, Reason: reason, Hash: hash.String(), Outcome: out, Advice: submitAdvice[out]})
}

func nodeErrorStatus(err error) (int, string) {
	var rej *node.TxRejectedError
	switch {
	case errors.As(err, &rej):
		return http.StatusUnprocessableEntity, rej.Reason
	case errors.Is(err, node.ErrNotFound):
		return http.StatusNotFound, "not-found"
	case errors.Is(err, node.ErrNoProducer):
		return http.StatusServiceUnavailable, "no-producer"
	case errors.Is(err, node.ErrProducerTimeout):
		return http.StatusGatewayTimeout, "producer-timeout"
	case errors.Is(err, node.ErrStopped):
		return http.StatusServiceUnavailable, "stopped"
	case errors.Is(err, node.ErrTxTimeout):
		return http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, context.DeadlineExceeded):
		// The node's event loop did not take the call before the submit
		// or wait deadline (a saturated host): a timeout, not an internal
		// fault (the 16-node perturbation runs saw 3–7 per run as 500).
		return http.StatusGatewayTimeout, "timeout"
	}
	return http.StatusInternalServerError, "internal"
}

// decodeBody reads a JSON request body strictly: unknown fields and
// trailing data are errors, and the body is capped.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	const maxBody = 8 << 20
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad-json", "request body: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "bad-json", "request body: trailing data after the JSON object")
		return false
	}
	return true
}
