package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

const testToken = "0123456789abcdef0123456789abcdef"

func newTokenServer(t *testing.T) (*httptest.Server, *fakeBackend) {
	t.Helper()
	fb := &fakeBackend{net: &fakeNetwork{banned: map[peer.ID]string{}}}
	srv := httptest.NewServer(Handler(fb, Config{WaitTimeout: time.Second, Pprof: true, RequireToken: true, Token: testToken}))
	t.Cleanup(srv.Close)
	return srv, fb
}

func callAuth(t *testing.T, srv *httptest.Server, method, path, body, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// Issue 12 item 2: with the token required (a non-loopback listener),
// every mutating route and pprof answer 401 with a reason unless the
// request carries the token; reads stay open. On the old code there was
// no check: the ban went through.
func TestMutatingRoutesNeedTheTokenWhenRequired(t *testing.T) {
	srv, fb := newTokenServer(t)
	mutating := []struct{ method, path, body string }{
		{"POST", "/peers/" + testPeer.String() + "/ban", `{"duration":"1m"}`},
		{"DELETE", "/peers/" + testPeer.String() + "/ban", ``},
		{"POST", "/tx", `{"set":{"k":"v"}}`},
		{"GET", "/debug/pprof/", ``},
		{"GET", "/debug/pprof/cmdline", ``},
		{"PUT", "/anything-added-later", ``},
	}
	for _, m := range mutating {
		code, body := callAuth(t, srv, m.method, m.path, m.body, "")
		require.Equal(t, http.StatusUnauthorized, code, "%s %s", m.method, m.path)
		require.Contains(t, body, `"reason": "unauthorized"`)
		require.Contains(t, body, "missing bearer token")
		code, body = callAuth(t, srv, m.method, m.path, m.body, "Bearer wrong-token-wrong-token")
		require.Equal(t, http.StatusUnauthorized, code, "%s %s", m.method, m.path)
		require.Contains(t, body, "wrong bearer token")
	}
	require.Empty(t, fb.net.banned)
	require.Empty(t, fb.submitted)

	for _, m := range mutating[:3] {
		code, body := callAuth(t, srv, m.method, m.path, m.body, "Bearer "+testToken)
		require.Equal(t, http.StatusOK, code, "%s %s: %s", m.method, m.path, body)
	}
	require.Contains(t, fb.net.banned, testPeer)
	require.Len(t, fb.submitted, 1)
	code, _ := callAuth(t, srv, "GET", "/debug/pprof/cmdline", "", "Bearer "+testToken)
	require.Equal(t, http.StatusOK, code)

	for _, path := range []string{"/status", "/peers", "/consensus", "/metrics", "/healthz", "/blocks?from=1"} {
		code, body := callAuth(t, srv, "GET", path, "", "")
		require.NotEqual(t, http.StatusUnauthorized, code, "%s is a read: %s", path, body)
	}
}

// On loopback (the default) nothing changes: no token is asked for.
func TestLoopbackServerNeedsNoToken(t *testing.T) {
	srv, fb := newTestServer(t)
	code, _, raw := call(t, srv, "POST", "/peers/"+testPeer.String()+"/ban", `{"duration":"1m"}`)
	require.Equal(t, http.StatusOK, code, raw)
	require.Contains(t, fb.net.banned, testPeer)
}

// Start forces the token on a non-loopback address and refuses to listen
// without one.
func TestStartRefusesANonLoopbackListenerWithoutAToken(t *testing.T) {
	fb := &fakeBackend{net: &fakeNetwork{banned: map[peer.ID]string{}}}
	_, err := Start(fb, Config{Listen: "0.0.0.0:0"})
	require.ErrorContains(t, err, "not a loopback address, and no admin token")
	s, err := Start(fb, Config{Listen: "0.0.0.0:0", Token: testToken})
	require.NoError(t, err)
	defer s.Close()
	require.True(t, s.cfg.RequireToken)
	s2, err := Start(fb, Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer s2.Close()
	require.False(t, s2.cfg.RequireToken)
	require.True(t, node.LoopbackListen(s2.Addr()))
}
