package main

import (
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBasePortInsideTheEphemeralRangeIsRefused(t *testing.T) {
	eph := [2]int{32768, 60999}
	require.NoError(t, checkBasePort(26600, 7, eph))
	err := checkBasePort(32000, 7, eph)
	require.ErrorContains(t, err, "port 33000 is inside the ephemeral range 32768-60999", "the admin ports count too")
	require.ErrorContains(t, checkBasePort(40000, 4, eph), "ephemeral")
	require.ErrorContains(t, checkBasePort(65000, 4, eph), "out of range")
	_, err = pickBasePort(40000, 4, eph, func([]int) int { return 0 })
	require.ErrorContains(t, err, "ephemeral")
}

func TestTheDefaultBaseSkipsBusyPorts(t *testing.T) {
	eph := [2]int{32768, 60999}
	taken := []int{26603, 26700 + 1000}
	busy := func(ps []int) int {
		for _, p := range ps {
			if slices.Contains(taken, p) {
				return p
			}
		}
		return 0
	}
	b, err := pickBasePort(0, 7, eph, busy)
	require.NoError(t, err)
	require.Equal(t, 26800, b, "26600 has 26603 taken, 26700 its admin port 27700")
	_, err = pickBasePort(26600, 7, eph, busy)
	require.ErrorContains(t, err, "port 26603 is in use")
	_, err = pickBasePort(0, 7, [2]int{26000, 60999}, busy)
	require.ErrorContains(t, err, "no free block")
}

func TestBusyPortFindsARealListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	p := l.Addr().(*net.TCPAddr).Port
	require.Equal(t, p, busyPort([]int{p}), "port "+strconv.Itoa(p))
}
