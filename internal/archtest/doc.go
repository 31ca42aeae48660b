// Package archtest holds the architecture rules of DESIGN.md §1 and §2 as an
// ordinary Go test: which of our packages may import which, which packages
// must stay on the standard library, and which packages are pure cores that
// may not reach for the wall clock, sleep, start goroutines or use the global
// random source. It has no code of its own.
package archtest
