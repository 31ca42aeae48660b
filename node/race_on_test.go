//go:build race

package node

// raceEnabled is set when the race detector is on: real-network
// measurements that need a responsive machine skip then.
const raceEnabled = true
