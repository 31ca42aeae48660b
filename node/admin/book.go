package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/blockwire/blockwire/link/pexnet"
	"github.com/blockwire/blockwire/node"
)

// bookBackend is the optional part of a Backend that runs peer discovery
// (*node.Node).
type bookBackend interface {
	PeerBook(ctx context.Context) (pexnet.Snapshot, error)
}

var _ bookBackend = (*node.Node)(nil)

// peerBook serves GET /peers/book: the discovery address book, when each
// node reached its target, and why entries were dropped.
func (s *Server) peerBook(w http.ResponseWriter, r *http.Request) {
	bb, ok := s.b.(bookBackend)
	if !ok {
		writeError(w, http.StatusNotImplemented, "no-discovery", "this backend runs no peer discovery")
		return
	}
	snap, err := bb.PeerBook(r.Context())
	if errors.Is(err, node.ErrNoDiscovery) {
		writeError(w, http.StatusNotFound, "no-discovery", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, snap)
}
