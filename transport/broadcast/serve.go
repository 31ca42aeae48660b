package broadcast

import "time"

// serveRecord counts how often one message was served to one peer.
type serveRecord struct {
	n     int
	until time.Time
}

// bucket is a per-peer token bucket of bytes served.
type bucket struct {
	tokens int64
	at     time.Time
}

// server bounds what pulls can make us send: each (peer, digest) at most
// MaxServes times per SeenTTL, and per peer ServeRate bytes per second
// (bursts of ServeBurst). Serving reads the cache only, never blocks on
// anything (commonware#4012: unbounded serve work).
//
// Invariant: len(records) <= maxRecords.
type server struct {
	rate, burst int64
	maxServes   int
	window      time.Duration
	maxRecords  int
	records     map[reqKey]*serveRecord
	buckets     map[NodeID]*bucket
}

func newServer(c Config) *server {
	return &server{rate: int64(c.ServeRate), burst: int64(c.ServeBurst), maxServes: c.MaxServes,
		window: c.SeenTTL, maxRecords: c.MaxSeen, records: map[reqKey]*serveRecord{}, buckets: map[NodeID]*bucket{}}
}

// allow reports whether peer may be sent cost bytes about d now, and
// charges it if so.
func (s *server) allow(now time.Time, peer NodeID, d Digest, cost int) bool {
	k := reqKey{peer, d}
	r := s.records[k]
	if r != nil && r.n >= s.maxServes {
		return false
	}
	if r == nil && len(s.records) >= s.maxRecords {
		return false
	}
	b := s.buckets[peer]
	if b == nil {
		b = &bucket{tokens: s.burst, at: now}
		s.buckets[peer] = b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(s.burst, b.tokens+int64(el)*s.rate/int64(time.Second))
		b.at = now
	}
	if b.tokens < int64(cost) {
		return false
	}
	b.tokens -= int64(cost)
	if r == nil {
		r = &serveRecord{until: now.Add(s.window)}
		s.records[k] = r
	}
	r.n++
	return true
}

func (s *server) expire(now time.Time) {
	for k, r := range s.records {
		if !now.Before(r.until) {
			delete(s.records, k)
		}
	}
}

func (s *server) dropPeer(peer NodeID) { delete(s.buckets, peer) }
