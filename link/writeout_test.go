package link

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeCounter is a laneStream that records every Write.
type writeCounter struct{ writes [][]byte }

func (w *writeCounter) Read([]byte) (int, error)         { return 0, nil }
func (w *writeCounter) SetWriteDeadline(time.Time) error { return nil }
func (w *writeCounter) CloseWrite() error                { return nil }
func (w *writeCounter) Close() error                     { return nil }
func (w *writeCounter) Write(b []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(b))
	return len(b), nil
}

// TestWriteOutOneMuxerWritePerChunk checks that every chunk of a block
// reaches the muxer as one Write of at most ChunkSize bytes, the first
// one (frame header and payload) included, so that with the default
// ChunkSize every chunk is one yamux frame. Before, the first chunk's
// header went out in a Write (a yamux frame, a TLS record, a syscall) of
// its own, and 64 KiB chunks spilled 12 bytes into a second yamux frame.
func TestWriteOutOneMuxerWritePerChunk(t *testing.T) {
	cfg := DefaultConnConfig()
	require.Equal(t, 64<<10-12, cfg.ChunkSize, "a default chunk fills one yamux frame")
	st := &writeCounter{}
	s := &session{cfg: &cfg}
	s.streams[LaneBlocks] = st
	var sc sched
	sc.credit[LaneBlocks] = 1 << 30
	block := make([]byte, 5*cfg.ChunkSize+777)
	for i := range block {
		block[i] = byte(i * 7)
	}
	sc.push(LaneBlocks, newOutMsg(block))
	buf := make([]byte, 0, cfg.ChunkSize+maxHeaderLen)
	for {
		w, ok := sc.nextBulk(buf[:0], cfg.ChunkSize)
		if !ok {
			break
		}
		require.NoError(t, s.writeOut(w))
	}
	framed := appendHeader(nil, frameMsg, len(block))
	framed = append(framed, block...)
	require.Equal(t, (len(framed)+cfg.ChunkSize-1)/cfg.ChunkSize, len(st.writes), "one Write per chunk")
	for i, w := range st.writes[:len(st.writes)-1] {
		require.Equal(t, cfg.ChunkSize, len(w), "write %d: every chunk but the last is full", i)
	}
	require.True(t, bytes.Equal(framed, bytes.Join(st.writes, nil)), "the frame arrives intact")
}
