package engine

import (
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// Solo is consensus.engine = "solo": one producer that makes every block
// irreversible as it makes it (the node's loop produces on a timer). The
// engine has nothing to run; Leading is set on the producer, and full
// nodes learn irreversibility from headers (as under CFT).
type Solo struct {
	// Producer is set on the solo producer.
	Producer bool
	gate     headerGate
}

var _ Engine = (*Solo)(nil)

func (*Solo) Start([]block.PublicKey) error { return nil }
func (*Solo) Leave()                        {}
func (*Solo) Stop(bool) error               { return nil }

// Running reports whether this node is the solo producer.
func (s *Solo) Running() bool             { return s.Producer }
func (*Solo) Leader() (link.PeerID, bool) { return "", false }
func (s *Solo) Leading() bool             { return s.Producer }
func (*Solo) PendingChanges() int         { return 0 }
func (*Solo) Signal() <-chan struct{}     { return nil }

func (*Solo) Drain(Chain) Follow { return Follow{} }

// Status: the solo producer is always producing.
func (s *Solo) Status() Status { return Status{Producing: s.Producer} }

// Arrived follows headers on a full node; the producer decides alone.
func (s *Solo) Arrived(c Chain, b *block.Block) Follow {
	if s.Producer {
		return Follow{}
	}
	return s.gate.arrived(c, b)
}
