package admin

import (
	"encoding/json"
	"errors"
	"net/http"

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
	var rej *node.TxRejectedError
	switch {
	case errors.As(err, &rej):
		writeError(w, http.StatusUnprocessableEntity, rej.Reason, err.Error())
	case errors.Is(err, node.ErrNotFound):
		writeError(w, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, node.ErrNoProducer):
		writeError(w, http.StatusServiceUnavailable, "no-producer", err.Error())
	case errors.Is(err, node.ErrProducerTimeout):
		writeError(w, http.StatusGatewayTimeout, "producer-timeout", err.Error())
	case errors.Is(err, node.ErrStopped):
		writeError(w, http.StatusServiceUnavailable, "stopped", err.Error())
	case errors.Is(err, node.ErrTxTimeout):
		writeError(w, http.StatusGatewayTimeout, "timeout", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
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
