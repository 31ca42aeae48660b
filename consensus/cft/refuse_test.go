package cft

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft/cfttest"
)

// dialAs returns a dialer whose connections reach the network's raft
// endpoints authenticated as as.
func (n *MemNetwork) dialAs(as raft.ServerAddress) cfttest.Dial {
	return func(to raft.ServerAddress, timeout time.Duration) (net.Conn, error) { return n.DialAs(as, to, timeout) }
}

// attack sends cfttest's forged RPCs to target as the peer as: over the
// stream layer on a connection authenticated as as, over messages from a
// MsgTransport whose messages leave with origin as.
func (w *world) attack(as raft.ServerAddress, target raft.ServerAddress, f cfttest.Forgery) map[string]error {
	if w.msg == nil {
		return cfttest.Attack(w.net.dialAs(as), target, f)
	}
	tmo := MsgTimeouts{Heartbeat: time.Second, Vote: time.Second, Append: time.Second, Snapshot: time.Second}
	return cfttest.AttackTransport(func() raft.Transport {
		return mustMsgTransport(w.t, w.msg.Impostor(peer.ID(as)), RawNames{}, as, tmo, zerolog.Nop(), nil)
	}, target, f)
}

// TestRaftRefusesNonProducers is issue 10's acceptance test on the
// in-memory network: an outsider, a full node of the chain and a removed
// producer each send AppendEntries (higher term, an entry, a commit index
// covering it), RequestVote, RequestPreVote, TimeoutNow and InstallSnapshot
// to the leader and to a follower. Every one is refused before raft reads
// it and reported (Deps.Refused, which the node turns into a score
// penalty); no producer's term, leader or committed chain changes. With
// the engine wired straight to the stream layer (the code before the
// guard) every one of these RPCs was answered and the test fails.
func TestRaftRefusesNonProducers(t *testing.T) {
	forBoth(t, func(t *testing.T, newW func(*testing.T) *world) {
		w := newW(t)
		w.addNodes(4, 1)
		defer w.stopAll()
		w.progress(3, w.live()...)

		// Remove a producer that does not lead; its node then stops its
		// engine (node.dropEngine) and runs as a full node.
		ld := w.leader()
		var gone *tnode
		var stay []raft.ServerID
		for _, nd := range w.nodes[:4] {
			if nd != ld && gone == nil {
				gone = nd
				continue
			}
			stay = append(stay, raft.ServerID(nd.addr))
		}
		w.setProducers(stay...)
		w.carry([]Change{{Op: OpRemove, ID: raft.ServerID(gone.addr)}})
		w.waitFor("every producer to commit the removal", func() bool {
			for _, nd := range w.nodes[:4] {
				if nd != gone && hasVoter(nd.eng.fsm.state().Conf, raft.ServerID(gone.addr)) {
					return false
				}
			}
			return true
		})
		gone.stop(false)
		producers := without(without(w.live(), gone), w.nodes[4])
		w.progress(2, producers...)

		ld = w.leader()
		follower := without(producers, ld)[0]
		terms := map[raft.ServerAddress]uint64{}
		for _, nd := range producers {
			terms[nd.addr] = nd.eng.Status().Term
		}
		failovers := ld.eng.Status().Failovers
		var forged []forgedAt
		for _, as := range []raft.ServerAddress{"outsider", w.nodes[4].addr, gone.addr} {
			for _, target := range []*tnode{ld, follower} {
				st := target.eng.Status()
				f := cfttest.Forgery{As: raft.ServerID(as), Term: 1_000_000, PrevIndex: st.LastIndex, PrevTerm: st.Term, Parent: st.LastCommitted}
				forged = append(forged, forgedAt{f.Forged(), target})
				before := len(w.refusalsFrom(f.As))
				errs := w.attack(as, target.addr, f)
				for _, kind := range cfttest.Kinds {
					require.Error(t, errs[kind], "%s from %s to %s was answered", kind, as, target.addr)
				}
				w.waitFor(fmt.Sprintf("%d refusals of %s", len(cfttest.Kinds), as), func() bool {
					return len(w.refusalsFrom(f.As)) == before+len(cfttest.Kinds)
				})
			}
		}
		for _, re := range w.refusals {
			require.Equal(t, RefuseNotMember, re.Reason, "%v", re)
		}

		w.progress(3, producers...)
		for _, nd := range producers {
			st := nd.eng.Status()
			require.Equal(t, terms[nd.addr], st.Term, "%s changed term", nd.addr)
			require.Less(t, st.LastIndex, uint64(1_000_000))
		}
		require.Equal(t, failovers, w.leader().eng.Status().Failovers, "the leader changed")
		require.Same(t, ld, w.leader())
		w.mu.Lock()
		for _, fg := range forged {
			for _, nd := range w.nodes {
				_, ok := nd.index[fg.id]
				require.False(t, ok, "%s committed the block forged for %s", nd.addr, fg.target.addr)
			}
		}
		w.mu.Unlock()
		w.check()
	})
}

// forgedAt is a block id an attack tried to commit, and where.
type forgedAt struct {
	id     block.ID
	target *tnode
}

// TestRaftRefusesForgedSender: a producer may speak raft, but only as
// itself. A member whose requests name another producer in the RPC header
// is refused request by request (RefuseHeader), and the producer it
// impersonates is not charged.
func TestRaftRefusesForgedSender(t *testing.T) {
	forBoth(t, func(t *testing.T, newW func(*testing.T) *world) {
		w := newW(t)
		w.addNodes(3, 0)
		defer w.stopAll()
		w.progress(3, w.live()...)
		ld := w.leader()
		others := without(w.live(), ld)
		liar, target := others[0], others[1]
		term := target.eng.Status().Term

		st := target.eng.Status()
		f := cfttest.Forgery{As: raft.ServerID(ld.addr), Term: 1_000_000, PrevIndex: st.LastIndex, PrevTerm: st.Term, Parent: st.LastCommitted}
		errs := w.attack(liar.addr, target.addr, f)
		for _, kind := range cfttest.Kinds {
			require.Error(t, errs[kind], "%s naming %s sent by %s was answered", kind, ld.addr, liar.addr)
		}
		w.waitFor("the refusals", func() bool { return len(w.refusalsFrom(raft.ServerID(liar.addr))) == len(cfttest.Kinds) })
		for _, re := range w.refusalsFrom(raft.ServerID(liar.addr)) {
			require.Equal(t, RefuseHeader, re.Reason, "%v", re)
		}
		require.Empty(t, w.refusalsFrom(raft.ServerID(ld.addr)), "the impersonated leader was charged")
		w.progress(2, w.live()...)
		require.Equal(t, term, target.eng.Status().Term)
		require.Same(t, ld, w.leader())
		w.check()
	})
}
