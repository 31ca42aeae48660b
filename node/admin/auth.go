package admin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// needsToken reports whether a request changes the node or exposes its
// internals: every method other than GET and HEAD (so routes added later
// are covered without a list to maintain), and pprof (profiles and the
// command line reveal more than the status does).
func needsToken(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead || strings.HasPrefix(r.URL.Path, "/debug/pprof")
}

// authorize wraps h: when the server requires a token, requests that
// needsToken must carry "Authorization: Bearer <token>"; others get 401
// with a reason. Reads stay open so monitoring needs no secret.
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
		if got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="blockwire admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized",
				"missing bearer token: the admin API is not on loopback, so "+r.Method+" "+r.URL.Path+
					" needs \"Authorization: Bearer <token>\" with the token in the node's admin.token_file (blockwire commands: --token-file or --config)")
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
