// Package invariants switches expensive internal consistency checks on and
// off at build time. `make test` builds with -tags invariants, so CI always
// runs them; production builds leave them out (pebble's internal/invariants
// does the same).
package invariants
