package bftrun

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/blockwire/blockwire/chain/block"
)

// Status is the runner's state for the admin API (/consensus) and
// metrics; docs/operations.md names the metrics it feeds.
type Status struct {
	// Member: this producer signs in the current epoch (false once a
	// change removed it).
	Member bool `json:"member"`
	// Epoch is the current epoch's tag (hex); Joint whether it needs both
	// the old and the new set's quorums; Producers and Signers the sizes
	// of its new set and of its signer index space.
	Epoch     string `json:"epoch"`
	Joint     bool   `json:"joint"`
	Producers int    `json:"producers"`
	Signers   int    `json:"signers"`
	Epochs    uint64 `json:"epoch_switches"`
	// View is the engine's view and Leader its leader's key (hex).
	View   uint64 `json:"view"`
	Leader string `json:"leader"`
	// Finalized is the last final block (height, id, view); Notarized the
	// highest notarized block above it.
	FinalizedHeight uint64            `json:"finalized_height"`
	FinalizedID     block.ID          `json:"-"`
	Finalized       string            `json:"finalized"`
	FinalizedView   uint64            `json:"finalized_view"`
	NotarizedHeight uint64            `json:"notarized_height"`
	Notarized       string            `json:"notarized"`
	NotarizedView   uint64            `json:"notarized_view"`
	ViewsHeld       int               `json:"views_held"`
	BlocksHeld      int               `json:"blocks_held"`
	InboundQueued   int               `json:"inbound_queued"`
	Records         uint64            `json:"records_written"`
	Sent            uint64            `json:"messages_sent"`
	Received        uint64            `json:"messages_received"`
	SendErrors      uint64            `json:"send_errors"`
	Dropped         uint64            `json:"dropped"`
	OtherEpoch      uint64            `json:"other_epoch"`
	Proposed        uint64            `json:"proposed"`
	ProduceErrors   uint64            `json:"produce_errors"`
	NotarizedCount  uint64            `json:"notarizations"`
	FinalizedCount  uint64            `json:"finalizations"`
	Refused         map[string]uint64 `json:"refused"`
	Err             string            `json:"error,omitempty"`
}

type counters struct {
	records, sent, received, sendErrors, dropped, otherEpoch atomic.Uint64
	proposed, produceErrors, notarized, finalized, epochs    atomic.Uint64
	mu                                                       sync.Mutex
	refusedBy                                                map[string]uint64
}

func (c *counters) refuse(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusedBy == nil {
		c.refusedBy = map[string]uint64{}
	}
	c.refusedBy[reason]++
}

// Status returns the last published snapshot; safe for concurrent use.
func (r *Runner) Status() Status {
	s := *r.status.Load()
	c := &r.ctr
	s.InboundQueued = len(r.in)
	s.Records, s.Sent, s.Received, s.SendErrors = c.records.Load(), c.sent.Load(), c.received.Load(), c.sendErrors.Load()
	s.Dropped, s.OtherEpoch, s.Proposed, s.ProduceErrors = c.dropped.Load(), c.otherEpoch.Load(), c.proposed.Load(), c.produceErrors.Load()
	s.NotarizedCount, s.FinalizedCount, s.Epochs = c.notarized.Load(), c.finalized.Load(), c.epochs.Load()
	c.mu.Lock()
	s.Refused = maps.Clone(c.refusedBy)
	c.mu.Unlock()
	if err := r.Err(); err != nil {
		s.Err = err.Error()
	}
	return s
}

// publish snapshots the loop's state (run goroutine only).
func (r *Runner) publish() {
	st := r.st
	s := &Status{Epoch: st.epoch.Tag.String(), Joint: st.epoch.Joint(), Producers: len(st.epoch.Next), Signers: st.epoch.Set.Len()}
	root := st.epochRoot
	if e := st.eng; e != nil {
		es := e.Status()
		s.Member, s.View, s.Leader = true, es.View, es.Leader.String()
		root = es.Root
		s.ViewsHeld, s.BlocksHeld = es.Views, es.Blocks
		if es.NotarizedV > 0 {
			s.NotarizedHeight, s.Notarized, s.NotarizedView = es.Notarized.Height(), es.Notarized.Hex(), es.NotarizedV
		}
	}
	s.FinalizedHeight, s.FinalizedID, s.Finalized, s.FinalizedView = root.ID.Height(), root.ID, root.ID.Hex(), root.View
	r.status.Store(s)
}
