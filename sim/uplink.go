package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// egress is one node's shaped uplink (Config.Uplink): every link direction
// leaving the node shares it, as every connection of a network-namespace
// host shares the one token bucket on its veth (internal/netns Host.Shape).
//
// It is fair rather than FIFO: it serves the node's pipes round robin, one
// piece (a control message or one Config.Chunk of a block) per turn. A tbf
// qdisc is a FIFO of packets, but the TCP/QUIC flows that feed it back off
// against each other and end up with about equal shares at packet
// granularity; round robin over chunks is that share without simulating
// congestion control. Within a pipe the link layer's order stands: control
// before blocks, blocks in order. Only egress is modelled; a host's download
// is shaped too, but with tree relay a node receives about one copy of each
// body, so its download rarely queues.
type egress struct {
	node  int
	pipes []*pipe // the node's outgoing directions, by neighbour
	links []*link // links[i] carries pipes[i]
	next  int     // round-robin position: the pipe served after the last one
	busy  bool    // a piece is being serialized
}

// newEgresses builds one egress per node over the node's outgoing pipes in
// neighbour order, so that round robin is deterministic.
func newEgresses(n *network, nodes int) []*egress {
	eg := make([]*egress, nodes)
	for i := range eg {
		eg[i] = &egress{node: i}
	}
	for _, k := range n.sortedLinks() {
		l := n.links[k]
		for _, p := range l.pipe {
			e := eg[p.from]
			e.pipes, e.links = append(e.pipes, p), append(e.links, l)
		}
	}
	return eg
}

// kickEgress starts the node's uplink if it is idle.
func (n *network) kickEgress(node int) {
	if !n.egress[node].busy {
		n.serveEgress(n.egress[node])
	}
}

// serveEgress serializes the next piece of the next pipe in round-robin
// order that has one. A piece of a link that closed while it was being
// serialized is lost with the link, but the uplink moves on to the others.
func (n *network) serveEgress(eg *egress) {
	for i := range eg.pipes {
		j := (eg.next + i) % len(eg.pipes)
		p, l := eg.pipes[j], eg.links[j]
		m, piece := n.nextPiece(p)
		if m == nil {
			continue
		}
		eg.next, eg.busy = (j+1)%len(eg.pipes), true
		gen := l.gen
		n.e.after(n.uplinkTime(piece), evChunk, int32(p.from), int32(p.to), uint64(piece), func() {
			eg.busy = false
			if l.gen == gen {
				n.finishPiece(l, p, m, piece)
			}
			n.serveEgress(eg)
		})
		return
	}
	eg.busy = false
}

// uplinkTime is a piece's time on the uplink: at Config.Uplink, or at the
// link's Bandwidth when that is lower (a link direction never runs faster
// than its own bandwidth; the uplink then serves one piece at a time at
// that rate, a conservative simplification).
func (n *network) uplinkTime(bytes int) time.Duration {
	rate := n.cfg.Uplink
	if n.cfg.Bandwidth > 0 {
		rate = min(rate, n.cfg.Bandwidth)
	}
	return time.Duration(int64(bytes) * 8 * int64(time.Second) / rate)
}

// rateFlag parses --uplink: bits per second as a plain number or with a tc
// unit (100mbit, 1gbit, 500kbit, 1000bit), so the command that testnet's
// --bandwidth takes also works here. It prints plain bits per second.
type rateFlag int64

func (r *rateFlag) String() string { return strconv.FormatInt(int64(*r), 10) }

func (r *rateFlag) Set(s string) error {
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = rateFlag(v)
	return nil
}

// ParseRate parses a rate in bits per second: a plain number, or a number
// with gbit, mbit, kbit or bit (tc's units). "0" means off.
func ParseRate(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(strings.ToLower(strings.TrimSpace(s)), u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 || v*u.mult > 1e15 {
			break
		}
		return int64(v * u.mult), nil
	}
	return 0, fmt.Errorf("sim: rate %q: want bits per second, optionally with gbit, mbit, kbit or bit (e.g. 100mbit)", s)
}
