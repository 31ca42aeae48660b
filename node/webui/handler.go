package webui

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/internal/netview"
)

//go:embed assets
var assets embed.FS

// writeTimeout bounds one SSE write: a client that takes longer is gone.
const writeTimeout = 10 * time.Second

// Register mounts the page and its API on mux:
//
//	GET /ui/               the page (assets embedded in the binary)
//	GET /events            the SSE stream: "snapshot", then "delta" frames
//	GET /ui/api/snapshot   the current picture (one netview.Frame)
//	GET /ui/api/stats      the hub's counters (Stats)
//	GET /ui/api/report     this node's netview.Report (when report is set)
func (h *Hub) Register(mux *http.ServeMux, report func() netview.Report) {
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", http.FileServerFS(static)))
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /events", h.serveEvents)
	mux.HandleFunc("GET /ui/api/snapshot", func(w http.ResponseWriter, r *http.Request) {
		b, err := h.Snapshot(r.Context())
		writeRaw(w, b, err)
	})
	mux.HandleFunc("GET /ui/api/stats", func(w http.ResponseWriter, _ *http.Request) {
		b, err := json.Marshal(h.Stats())
		writeRaw(w, b, err)
	})
	if report != nil {
		mux.HandleFunc("GET /ui/api/report", func(w http.ResponseWriter, _ *http.Request) {
			b, err := json.Marshal(report())
			writeRaw(w, b, err)
		})
	}
}

func writeRaw(w http.ResponseWriter, b []byte, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error(), "reason": "encode"})
		return
	}
	_, _ = w.Write(b) // the client went away; nothing to tell it
}

// serveEvents streams frames as server-sent events until the client goes.
func (h *Hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	c, snap, err := h.Subscribe()
	if errors.Is(err, ErrTooManyClients) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error(), "reason": "too-many-streams"})
		return
	}
	if err != nil {
		writeRaw(w, nil, err)
		return
	}
	defer h.Unsubscribe(c)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	out := newStreamWriter(w, r, &h.wire)
	defer out.close()
	var f struct {
		Seq uint64 `json:"seq"`
	}
	_ = json.Unmarshal(snap, &f)
	last := f.Seq
	if out.send("snapshot", snap) != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-c.ch:
			if !ok {
				return
			}
			if c.resync.Swap(false) {
				if m, err = h.snapshot(c); err != nil {
					return
				}
			} else if m.kind == "resync" || m.seq <= last {
				continue // covered by the snapshot already sent
			}
			if out.send(m.kind, m.data) != nil {
				return
			}
			last = m.seq
		}
	}
}

// streamWriter writes events, gzip-compressed when the client accepts it
// (frames repeat peer ids and field names: they shrink several times),
// counting the bytes that reach the connection.
type streamWriter struct {
	rc   *http.ResponseController
	w    io.Writer
	gz   *gzip.Writer
	wire *atomic.Uint64
}

func newStreamWriter(w http.ResponseWriter, r *http.Request, wire *atomic.Uint64) *streamWriter {
	s := &streamWriter{rc: http.NewResponseController(w), wire: wire}
	s.w = countingWriter{w: w, n: wire}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		s.gz, _ = gzip.NewWriterLevel(s.w, gzip.BestSpeed) // a valid level: no error
		s.w = s.gz
	}
	return s
}

// send writes one event and flushes it through, within writeTimeout (the
// admin server's own write timeout would otherwise end the stream).
func (s *streamWriter) send(event string, data []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every ResponseWriter supports it
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	if s.gz != nil {
		if err := s.gz.Flush(); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}

func (s *streamWriter) close() {
	if s.gz != nil {
		_ = s.gz.Close() // the client is gone or the stream ends; nothing to tell
	}
}

type countingWriter struct {
	w io.Writer
	n *atomic.Uint64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(uint64(n))
	return n, err
}
