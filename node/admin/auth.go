package admin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// uiCookie carries the admin token for the web UI: a browser's
// EventSource cannot set an Authorization header, but it sends the page's
// cookies.
const uiCookie = "blockwire_admin_token"

// needsToken reports whether a request changes the node or exposes its
// internals: every method other than GET and HEAD (so routes added later
// are covered without a list to maintain), pprof (profiles and the command
// line reveal more than the status does), and the web UI (each open event
// stream holds a goroutine and a queue on the node: not for anyone who can
// reach the port).
func needsToken(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead || strings.HasPrefix(r.URL.Path, "/debug/pprof") || isUI(r)
}

// authorize wraps h: when the server requires a token, requests that
// needsToken must carry "Authorization: Bearer <token>"; others get 401
// with a reason. Reads stay open so monitoring needs no secret. The web
// UI also takes the token from its cookie, which GET /ui/?token=<token>
// sets (then redirects to /ui/, so the token leaves the address bar).
func (s *Server) authorize(h http.Handler) http.Handler {
	if !s.cfg.RequireToken {
		return h
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !needsToken(r) {
			h.ServeHTTP(w, r)
			return
		}
		got := r.Header.Get("Authorization")
		if got == "" && isUI(r) && r.Method == http.MethodGet {
			if s.uiLogin(w, r) {
				return
			}
			if c, err := r.Cookie(uiCookie); err == nil {
				got = "Bearer " + c.Value
			}
		}
		if got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="blockwire admin"`)
			hint := ""
			if isUI(r) {
				hint = "; in a browser open /ui/?token=<token> once (it sets a cookie)"
			}
			writeError(w, http.StatusUnauthorized, "unauthorized",
				"missing bearer token: the admin API is not on loopback, so "+r.Method+" "+r.URL.Path+
					" needs \"Authorization: Bearer <token>\" with the token in the node's admin.token_file (blockwire commands: --token-file or --config)"+hint)
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="blockwire admin", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "wrong bearer token: it does not match the node's admin.token_file")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// uiLogin handles GET /ui/?token=<token>: with the right token it sets the
// UI cookie (HttpOnly, SameSite=Strict: scripts cannot read it and other
// sites cannot send it) and redirects to /ui/. It reports whether it
// answered the request.
func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("token")
	if tok == "" || r.URL.Path != "/ui/" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
		writeError(w, http.StatusUnauthorized, "unauthorized", "wrong token in /ui/?token=: it does not match the node's admin.token_file")
		return true
	}
	http.SetCookie(w, &http.Cookie{Name: uiCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
	return true
}
