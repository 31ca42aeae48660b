package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport"
)

// uiBackend is a fakeBackend that can also feed the web UI.
type uiBackend struct{ *fakeBackend }

func (uiBackend) Routes() []transport.RouteInfo          { return nil }
func (uiBackend) TransportStats() *transport.Stats       { return nil }
func (uiBackend) Propagation(uint64) []node.BlockArrival { return nil }

func newUIServer(t *testing.T, requireToken bool) *httptest.Server {
	t.Helper()
	fb := &fakeBackend{net: &fakeNetwork{banned: map[peer.ID]string{}}}
	srv := httptest.NewServer(Handler(uiBackend{fb}, Config{WaitTimeout: time.Second, RequireToken: requireToken, Token: testToken}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTheUIIsMountedOnANode(t *testing.T) {
	srv := newUIServer(t, false)
	code, body := callAuth(t, srv, "GET", "/ui/", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "<title>blockwire")
	code, body = callAuth(t, srv, "GET", "/ui/api/report", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"name":"n0"`)
}

// Issue 20: behind the admin token (a non-loopback listener) the page and
// its stream need the token too; a browser gets it into a cookie through
// /ui/?token=, because EventSource cannot send an Authorization header.
// The cookie opens the UI's reads only, never a mutation.
func TestTheUIWorksBehindTheAdminToken(t *testing.T) {
	srv := newUIServer(t, true)
	for _, path := range []string{"/ui/", "/ui/app.js", "/events", "/ui/api/report"} {
		code, body := callAuth(t, srv, "GET", path, "", "")
		require.Equal(t, http.StatusUnauthorized, code, path)
		require.Contains(t, body, "/ui/?token=")
	}
	code, _ := callAuth(t, srv, "GET", "/status", "", "")
	require.Equal(t, http.StatusOK, code, "other reads stay open")
	code, _ = callAuth(t, srv, "GET", "/ui/api/report", "", "Bearer "+testToken)
	require.Equal(t, http.StatusOK, code, "tools use the header")

	noRedirect := srv.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Get(srv.URL + "/ui/?token=wrong-token-wrong-token")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp, err = noRedirect.Get(srv.URL + "/ui/?token=" + testToken)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/", resp.Header.Get("Location"), "the token leaves the address bar")
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	require.True(t, cookies[0].HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)

	withCookie := func(method, path string) int {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		req.AddCookie(cookies[0])
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, withCookie("GET", "/ui/"))
	require.Equal(t, http.StatusOK, withCookie("GET", "/ui/api/snapshot"))
	require.Equal(t, http.StatusUnauthorized, withCookie("POST", "/tx"), "the cookie never authorizes a mutation")
	require.Equal(t, http.StatusUnauthorized, withCookie("GET", "/debug/pprof/"))
}
