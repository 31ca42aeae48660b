package admin

import (
	"net/http"
	"strconv"

	"github.com/blockwire/blockwire/node"
)

// PropagationSource is a Backend that records per-block arrivals
// (node.Node does). It is optional: a Backend without it has no
// /propagation route.
type PropagationSource interface {
	Propagation(from uint64) []node.BlockArrival
}

var _ PropagationSource = (*node.Node)(nil)

// propagation serves GET /propagation?from=H: the recent blocks at or
// above height H (default 1) with the bodies this node received of each
// (duplicates included) and when the first arrived. A testnet computes
// copies per node and propagation times from every node's answer.
func (s *Server) propagation(w http.ResponseWriter, r *http.Request) {
	ps, ok := s.b.(PropagationSource)
	if !ok {
		writeError(w, http.StatusNotFound, "not-supported", "this backend records no propagation")
		return
	}
	from := uint64(1)
	if f := r.URL.Query().Get("from"); f != "" {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad-from", "from: want a height")
			return
		}
		from = v
	}
	writeJSON(w, http.StatusOK, ps.Propagation(from))
}
