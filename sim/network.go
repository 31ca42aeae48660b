package sim

import (
	"time"
)

// lane mirrors the link layer's lanes: the control lane (hellos, ids,
// headers, later consensus) is always served before the blocks lane, and
// block bodies are serialized in chunks so a control message waits for at
// most one chunk (seed 003: routing and consensus messages should not wait
// for a block being sent on the same channel).
type lane uint8

const (
	laneControl lane = iota
	laneBlocks
	numLanes
)

// wireMsg is one message on a simulated link. payload is handed to the
// receiving node as is: simulated messages are never copied, so block
// bodies are shared by every node (they are immutable).
type wireMsg struct {
	lane    lane
	size    int
	payload any
}

// receiver is what the network delivers to: one node's driver.
type receiver interface {
	deliver(from int, m *wireMsg)
	connected(peer int)
	disconnected(peer int)
}

// network holds every link of the topology and the fault state that
// decides which of them are up.
type network struct {
	e     *engine
	cfg   *Config
	nodes []receiver
	up    []bool // node is running
	links map[[2]int]*link
	cuts  []*Fault // partitions in force
	holds []*Fault // one-way cuts in force
	stats *netStats
	// egress is each node's shared uplink when Config.Uplink is set
	// (uplink.go); nil means every link direction has its own bandwidth.
	egress []*egress
	// banned reports whether a link is closed because one end caught the
	// other misbehaving.
	banned func(a, b int) bool
}

// netStats counts traffic for the metrics.
type netStats struct {
	bytes    [numLanes]int64
	messages [numLanes]int64
}

// link is one undirected edge: a connection that is up or down, and a pipe
// per direction. gen counts connections so that messages of a closed
// connection are never delivered to the next one.
type link struct {
	a, b int
	up   bool
	gen  uint64
	pipe [2]*pipe // pipe[0]: a→b, pipe[1]: b→a
}

// pipe is one direction of a link: per-lane queues, the message being
// serialized, and the arrival time of the last message on each lane (lanes
// are FIFO, whatever the jitter).
type pipe struct {
	from, to   int
	queue      [numLanes][]*wireMsg
	busy       bool
	blk        *wireMsg // block being serialized, preempted at chunks
	blkLeft    int
	lastArrive [numLanes]time.Duration
	held       []*wireMsg // messages stopped by a one-way cut, in order
}

func newNetwork(e *engine, cfg *Config, g graph, stats *netStats) *network {
	n := &network{e: e, cfg: cfg, up: make([]bool, len(g)), links: map[[2]int]*link{}, stats: stats}
	for _, ed := range g.Edges() {
		l := &link{a: ed[0], b: ed[1]}
		l.pipe[0] = &pipe{from: ed[0], to: ed[1]}
		l.pipe[1] = &pipe{from: ed[1], to: ed[0]}
		n.links[ed] = l
	}
	if cfg.Uplink > 0 {
		n.egress = newEgresses(n, len(g))
	}
	return n
}

func key(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

func (l *link) dir(from int) *pipe {
	if from == l.a {
		return l.pipe[0]
	}
	return l.pipe[1]
}

// send queues a message from one node to a neighbour. Sends on a link that
// is down are dropped: the sender's connection is already gone.
func (n *network) send(from, to int, m *wireMsg) {
	l := n.links[key(from, to)]
	if l == nil || !l.up {
		return
	}
	n.stats.bytes[m.lane] += int64(m.size)
	n.stats.messages[m.lane]++
	p := l.dir(from)
	p.queue[m.lane] = append(p.queue[m.lane], m)
	if n.egress != nil {
		n.kickEgress(from)
		return
	}
	if !p.busy {
		n.serve(l, p)
	}
}

// serve starts serializing the next piece: a whole control message if one
// waits, otherwise the next chunk of the block in progress (or of the next
// block on the blocks lane). A block is thus preempted at chunk boundaries.
// With Config.Uplink the node's shared egress serves its pipes instead
// (uplink.go).
func (n *network) serve(l *link, p *pipe) {
	m, piece := n.nextPiece(p)
	if m == nil {
		p.busy = false
		return
	}
	p.busy = true
	gen := l.gen
	n.e.after(n.serialization(piece), evChunk, int32(p.from), int32(p.to), uint64(piece), func() {
		if l.gen != gen {
			return
		}
		n.finishPiece(l, p, m, piece)
		n.serve(l, p)
	})
}

// nextPiece takes the pipe's next piece off its queues: a whole control
// message, or the next chunk of the block in progress. It returns nil when
// the pipe has nothing to send.
func (n *network) nextPiece(p *pipe) (*wireMsg, int) {
	switch {
	case len(p.queue[laneControl]) > 0:
		m := p.queue[laneControl][0]
		p.queue[laneControl] = p.queue[laneControl][1:]
		return m, m.size
	case p.blk != nil || len(p.queue[laneBlocks]) > 0:
		if p.blk == nil {
			p.blk = p.queue[laneBlocks][0]
			p.queue[laneBlocks] = p.queue[laneBlocks][1:]
			p.blkLeft = p.blk.size
		}
		return p.blk, min(p.blkLeft, n.cfg.Chunk)
	}
	return nil, 0
}

// finishPiece accounts for a serialized piece and puts the message on the
// wire once its last piece is out.
func (n *network) finishPiece(l *link, p *pipe, m *wireMsg, piece int) {
	if m.lane == laneBlocks {
		p.blkLeft -= piece
		if p.blkLeft > 0 {
			return
		}
		p.blk = nil
	}
	n.propagate(l, p, m)
}

func (n *network) serialization(bytes int) time.Duration {
	if n.cfg.Bandwidth == 0 {
		return 0
	}
	return time.Duration(int64(bytes) * 8 * int64(time.Second) / n.cfg.Bandwidth)
}
