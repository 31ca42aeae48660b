// Attestation in the node: a consensus/attestrun Runner over the routed
// transport's attest class, the verifier directory from signed route
// announcements, and the node's chain as what is attested and checked.
// Off (attest.require and attest.verifier false), none of it exists.

package node

import (
	"context"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/attestrun"
	"github.com/blockwire/blockwire/consensus/atteststore"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// WithAttestCheck replaces a verifier's check of a block it is asked to
// attest (default: the block is on this node's irreversible chain and
// passes block.Check; it was validated and executed when it was added).
func WithAttestCheck(check func(*block.Block) error) Option {
	return func(o *options) { o.attestCheck = check }
}

// startAttest starts the runner when attestation is on (after the
// transport and the loop).
func (n *Node) startAttest() error {
	s := &n.cfg.Attest
	if !s.On() {
		return nil
	}
	cfg, err := s.Config(block.Hash(n.genesis.ID()), n.signer)
	if err != nil {
		return err
	}
	cfg.Logger = n.component("attest")
	allow, _ := attestrun.AllowList(s.Verifiers) // Validate checked it
	deps := attestrun.Deps{Net: attestrun.TransportNet{T: n.tr}, Chain: attestChain{n}, CheckBlock: n.attestCheckBlock,
		Directory:      func() []attest.Member { return attestrun.DirectoryOf(n.tr.Directory(), allow) },
		AllowRequester: n.attestRequester, Refused: n.attestRefused}
	if s.Require {
		deps.Store = atteststore.New(n.db)
	}
	if n.att, err = attestrun.New(cfg, deps); err != nil {
		return fmt.Errorf("node: attestation: %w", err)
	}
	attestrun.Attach(n.att, n.tr)
	n.att.Start()
	sub := n.Subscribe(64)
	n.bg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-n.stopCtx.Done():
				return
			case e, ok := <-sub.C():
				if !ok {
					return
				}
				if e.Kind == EventIrreversible {
					n.att.ChainAdvanced()
				}
			}
		}
	})
	return nil
}

// admitAttest admits the route announcements of attestation participants
// (route.Config.AdmitAttrs): allowed verifiers, and requesters (level 0).
func (n *Node) admitAttest(id route.NodeID, a route.Attrs) bool {
	allow, _ := attestrun.AllowList(n.cfg.Attest.Verifiers)
	return a.Level == 0 || allow.Allowed(id)
}

// attestRequester: a verifier answers producers of the set in force and
// nodes that announced themselves attestation participants.
func (n *Node) attestRequester(k block.PublicKey) bool {
	if n.set.Load().Routable(route.NodeID(k)) {
		return true
	}
	for _, m := range n.tr.Directory() {
		if m.ID == route.NodeID(k) {
			return true
		}
	}
	return false
}

// attestCheckBlock is the first-level verifier's check.
func (n *Node) attestCheckBlock(id block.ID) error {
	if irr := n.irr.Load(); irr == nil || id.Height() > irr.Height {
		return fmt.Errorf("height %d is above our irreversible block: %w", id.Height(), attest.ErrNotYet)
	}
	ctx, cancel := context.WithTimeout(n.stopCtx, 5*time.Second)
	defer cancel()
	b, err := n.BlockAt(ctx, id.Height())
	switch {
	case err != nil:
		return err
	case b.ID() != id:
		return fmt.Errorf("our irreversible block at height %d is %s", id.Height(), b.ID())
	case n.o.attestCheck != nil:
		return n.o.attestCheck(b)
	}
	return b.Check()
}

func (n *Node) attestRefused(from block.PublicKey, reason attest.Reason, detail string) {
	if p, err := transport.PeerIDOf(route.NodeID(from)); err == nil {
		n.penalizeRouted(p, link.ReasonInvalid, "attest "+string(reason)+": "+detail)
	}
}

// stopAttest stops the runner (before the database closes).
func (n *Node) stopAttest() {
	if n.att != nil {
		n.att.Stop()
	}
}

// Attestation is the node's attestation runner (GET /attest): nil when
// attestation is off.
func (n *Node) Attestation() *attestrun.Runner { return n.att }

// attestChain reads the node's irreversible chain.
type attestChain struct{ n *Node }

func (c attestChain) IrreversibleHeight() uint64 {
	if irr := c.n.irr.Load(); irr != nil {
		return irr.Height
	}
	return 0
}

func (c attestChain) IrreversibleAt(h uint64) (id block.ID, ok bool) {
	if h > c.IrreversibleHeight() {
		return id, false
	}
	ctx, cancel := context.WithTimeout(c.n.stopCtx, 5*time.Second)
	defer cancel()
	if err := c.n.call(ctx, func() { id, ok = c.n.lp.view.BestAt(h) }); err != nil {
		return id, false
	}
	return id, ok
}
