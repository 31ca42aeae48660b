package cft

import (
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMemNetwork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewMemNetwork()
		n.SetLatency(10 * time.Millisecond)
		a, b := n.Layer("a"), n.Layer("b")
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := b.Accept()
			if err == nil {
				accepted <- c
			}
		}()
		ca, err := a.Dial("b", time.Second)
		require.NoError(t, err)
		cb := <-accepted

		start := time.Now()
		_, err = ca.Write([]byte("hello"))
		require.NoError(t, err)
		buf := make([]byte, 16)
		k, err := cb.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "hello", string(buf[:k]))
		require.Equal(t, 10*time.Millisecond, time.Since(start), "exactly one latency, on virtual time")

		// A cut link: writes vanish, reads run into their deadline, and
		// new dials fail until it heals.
		n.Cut("a", "b", true)
		_, err = ca.Write([]byte("lost"))
		require.NoError(t, err)
		require.NoError(t, cb.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
		_, err = cb.Read(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		_, err = a.Dial("b", time.Second)
		require.ErrorIs(t, err, ErrUnreachable)
		n.Cut("a", "b", false)

		// Closing a layer closes its connections: the peer reads EOF.
		go func() {
			if c, err := b.Accept(); err == nil {
				accepted <- c
			}
		}()
		ca2, err := a.Dial("b", time.Second)
		require.NoError(t, err)
		cb2 := <-accepted
		require.NoError(t, a.Close())
		_, err = cb2.Read(buf)
		require.ErrorIs(t, err, io.EOF)
		_, err = ca2.Write([]byte("x"))
		require.ErrorIs(t, err, net.ErrClosed)
		require.NoError(t, b.Close())
		_, err = b.Accept()
		require.ErrorIs(t, err, net.ErrClosed)
	})
}
