package admin

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// A backend without a propagation record has no /propagation (404 with a
// reason); the block range lists transaction hashes only when asked.
func TestPropagationNeedsTheOptionalInterfaceAndHashesOnRequest(t *testing.T) {
	srv, _ := newTestServer(t)
	code, e, _ := call(t, srv, "GET", "/propagation", "")
	require.Equal(t, 404, code)
	require.Equal(t, "not-supported", e["reason"])

	code, _, raw := call(t, srv, "GET", "/blocks?from=1&limit=1&hashes=1", "")
	require.Equal(t, 200, code)
	var list []Block
	require.NoError(t, json.Unmarshal([]byte(raw), &list))
	require.Len(t, list, 1)
	require.Equal(t, []any{node.TxHash([]byte("hello"))}, toAny(list[0].TxHashes))
	require.Empty(t, list[0].Txs, "hashes without bodies")
	_, _, raw = call(t, srv, "GET", "/blocks?from=1&limit=1", "")
	require.NotContains(t, raw, "tx_hashes")
}

type propBackend struct {
	*fakeBackend
	from uint64
}

func (p *propBackend) Propagation(from uint64) []node.BlockArrival {
	p.from = from
	return []node.BlockArrival{{Height: from, Copies: 2}}
}

func TestPropagationServesTheRecordFromAHeight(t *testing.T) {
	_, fb := newTestServer(t)
	pb := &propBackend{fakeBackend: fb}
	srv := newServerFor(t, pb)
	code, _, raw := call(t, srv, "GET", "/propagation?from=7", "")
	require.Equal(t, 200, code)
	require.EqualValues(t, 7, pb.from)
	var recs []node.BlockArrival
	require.NoError(t, json.Unmarshal([]byte(raw), &recs))
	require.Equal(t, 2, recs[0].Copies)
	code, e, _ := call(t, srv, "GET", "/propagation?from=x", "")
	require.Equal(t, 400, code)
	require.Equal(t, "bad-from", e["reason"])
}

func newServerFor(t *testing.T, b Backend) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(b, Config{WaitTimeout: time.Second}))
	t.Cleanup(srv.Close)
	return srv
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
