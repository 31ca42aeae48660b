package admin

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/attestrun"
)

// attestBackend is a fake node with a verifier-only attestation runner.
type attestBackend struct {
	*fakeBackend
	r *attestrun.Runner
}

func (a *attestBackend) Attestation() *attestrun.Runner { return a.r }

type nullNet struct{}

func (nullNet) Send(block.PublicKey, []byte) (uint64, error) { return 1, nil }

func TestAttestRoutes(t *testing.T) {
	srv, fb := newTestServer(t)
	code, e, _ := call(t, srv, "GET", "/attest", "")
	require.Equal(t, 404, code, "attestation off")
	require.Equal(t, "attest-off", e["reason"])

	cfg := attestrun.DefaultConfig(block.Hash{1})
	cfg.Key, cfg.Level = testKey(), 2
	r, err := attestrun.New(cfg, attestrun.Deps{Net: nullNet{}, Directory: func() []attest.Member {
		return []attest.Member{{Key: block.PublicKey{9}, Level: 3, Operator: "acme"}}
	}})
	require.NoError(t, err)
	ab := &attestBackend{fakeBackend: fb, r: r}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Attach(ab)
	srv2 := httptest.NewServer(Handler(ab, Config{Registry: reg, WaitTimeout: time.Second}))
	defer srv2.Close()

	code, st, _ := call(t, srv2, "GET", "/attest", "")
	require.Equal(t, 200, code)
	require.Equal(t, false, st["requester"])
	require.EqualValues(t, 2, st["level"])
	require.NotNil(t, st["verifier"])
	require.Len(t, st["directory"], 1)
	code, e, _ = call(t, srv2, "GET", "/attest/1", "")
	require.Equal(t, 409, code, "a verifier holds no proofs")
	require.Equal(t, "attest", e["reason"])
	code, _, _ = call(t, srv2, "POST", "/attest/1/retry", "")
	require.Equal(t, 409, code)
	code, e, _ = call(t, srv2, "GET", "/attest/xyz", "")
	require.Equal(t, 400, code)
	require.Equal(t, "bad-block-ref", e["reason"])
	_, _, raw := call(t, srv2, "GET", "/metrics", "")
	require.Contains(t, raw, "blockwire_attest_messages_total")
	require.Contains(t, raw, "blockwire_attest_verifications_signed_total")
}
