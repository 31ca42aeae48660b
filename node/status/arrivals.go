package status

import (
	"slices"
	"sync"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Arrivals counts, per recent block, the bodies a node received (the
// first copy and every duplicate) and when the first one arrived: the raw
// figures from which a testnet computes copies per node and propagation
// times on real processes (issue 19), the way the simulator does in
// virtual time. It is bookkeeping for measurement, not protocol.

// ArrivalsKept is how many recent blocks the node remembers (about 8
// minutes at 2 blocks/s; a testnet reads them at the end of its run).
const ArrivalsKept = 1024

// BlockArrival is one block as this node received it.
type BlockArrival struct {
	ID     block.ID `json:"id"`
	Height uint64   `json:"height"`
	// Producer signed the block; Timestamp is its header time (when the
	// producer started building it).
	Producer  block.PublicKey `json:"producer"`
	Timestamp time.Time       `json:"timestamp"`
	// Size is the block's encoded size in bytes.
	Size int `json:"size"`
	// First is when this node first held the body: accepted from a peer,
	// or, on its producer, finished and stored (Produced set).
	First    time.Time `json:"first,omitzero"`
	Produced bool      `json:"produced,omitempty"`
	// Sent, on the producer, is when the block left for the relay when
	// that was later than First (the gossipsub baseline publishes from a
	// queue); propagation is measured from it.
	Sent time.Time `json:"sent,omitzero"`
	// Copies counts bodies of the block received from peers, duplicates
	// included (1 is ideal on a receiver, 0 on the producer).
	Copies int `json:"copies"`
	// CatchingUp is set when the first copy came from a peer far ahead:
	// history being synced, whose First is not a propagation time.
	CatchingUp bool `json:"catching_up,omitempty"`
	// Relay is how the first copy came: "blocksync" or "gossipsub".
	Relay string `json:"relay,omitempty"`
	// Irreversible is when this node made the block irreversible: on a
	// BFT producer when it saw the finalization certificate, on a full
	// node when a later block carried it, under raft when the id was
	// applied (testnet's finality figures, issue 15).
	Irreversible time.Time `json:"irreversible,omitzero"`
	// From is the peer the first copy came from, and Posted when the link
	// handed that copy to the node's loop (before First when the loop was
	// busy); AddMs is how long validating and storing it took (the
	// relay forwards only after that). Forwards lists when the body was
	// handed to the link for each peer (the first maxForwards). They show
	// per hop where a block's time goes (docs/benchmarks.md, issue 19).
	From     string    `json:"from,omitempty"`
	Posted   time.Time `json:"posted,omitzero"`
	AddMs    float64   `json:"add_ms,omitempty"`
	Forwards []Forward `json:"forwards,omitempty"`
}

// Forward is one body handed to the link for a peer.
type Forward struct {
	To string    `json:"to"`
	At time.Time `json:"at"`
}

// maxForwards bounds BlockArrival.Forwards (a node has a few dozen links
// at most; the first ones are the tree's).
const maxForwards = 16

// Arrivals is the table of recent blocks (node.Propagation). Its own
// lock: the node's loop writes, the admin API reads. The zero value is
// ready to use.
type Arrivals struct {
	mu     sync.Mutex
	blocks map[block.ID]*BlockArrival
	order  []block.ID // insertion order, oldest first, for eviction
}

func (p *Arrivals) entry(id block.ID) *BlockArrival {
	if p.blocks == nil {
		p.blocks = map[block.ID]*BlockArrival{}
	}
	e := p.blocks[id]
	if e == nil {
		e = &BlockArrival{ID: id, Height: id.Height()}
		p.blocks[id] = e
		p.order = append(p.order, id)
		if len(p.order) > ArrivalsKept {
			delete(p.blocks, p.order[0])
			p.order = slices.Delete(p.order, 0, 1)
		}
	}
	return e
}

// First records a body the node accepted (from a peer, or made itself).
func (p *Arrivals) First(b *block.Block, now time.Time, produced, catchingUp bool, relay string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entry(b.ID())
	e.Producer, e.Timestamp, e.Size = b.Producer, time.Unix(0, b.Timestamp).UTC(), b.EncodedSize()
	if e.First.IsZero() {
		e.First, e.CatchingUp, e.Relay = now, catchingUp, relay
	}
	e.Produced = e.Produced || produced
	if !produced {
		e.Copies++
	}
}

// Via records where the first copy of a block came from and what it cost.
func (p *Arrivals) Via(id block.ID, from string, posted time.Time, add time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entry(id)
	if e.From == "" {
		e.From, e.Posted, e.AddMs = from, posted, float64(add.Microseconds())/1000
	}
}

// Forwarded records a body handed to the link for peer to.
func (p *Arrivals) Forwarded(id block.ID, to string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.entry(id); len(e.Forwards) < maxForwards {
		e.Forwards = append(e.Forwards, Forward{To: to, At: at})
	}
}

// Sent records when a block this node made was handed to the relay.
func (p *Arrivals) Sent(id block.ID, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entry(id).Sent = at
}

// Irreversible records when a block this node holds became irreversible.
func (p *Arrivals) Irreversible(id block.ID, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.blocks[id]; e != nil && e.Irreversible.IsZero() {
		e.Irreversible = at
	}
}

// Duplicate counts k more copies of a body the node already had.
func (p *Arrivals) Duplicate(id block.ID, k int) {
	if k <= 0 || id.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entry(id).Copies += k
}

// Since returns what was recorded for blocks at or above height from,
// lowest height first (ties by first arrival), as copies.
func (p *Arrivals) Since(from uint64) []BlockArrival {
	p.mu.Lock()
	out := make([]BlockArrival, 0, len(p.order))
	for _, id := range p.order {
		if e := p.blocks[id]; e.Height >= from {
			c := *e
			c.Forwards = slices.Clone(e.Forwards)
			out = append(out, c)
		}
	}
	p.mu.Unlock()
	slices.SortStableFunc(out, func(a, b BlockArrival) int {
		if a.Height != b.Height {
			return int(a.Height) - int(b.Height)
		}
		return a.First.Compare(b.First)
	})
	return out
}
