package node

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/cft/cfttest"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// raftAttack is issue 10's acceptance check, written against whatever
// carries raft: trans(as) returns fresh raft client transports whose
// traffic the carrier authenticates as as. Each attacker sends every forged RPC kind
// (cfttest.Kinds: AppendEntries with a higher term, an entry and a commit
// index covering it, votes, TimeoutNow, InstallSnapshot) to the leader and
// to a follower. Every one must fail, each target must charge the
// attacker until it is banned (reason "unauthorized"), and no forged block
// may be stored or committed. With exact (virtual time: nothing else moves
// the terms) no producer's term or leader may change either; on real time
// a loaded machine can cause an honest election, so only the forged term
// is checked there.
func raftAttack(t *testing.T, exact bool, producers []*Node, trans func(as link.PeerID) func() raft.Transport, attackers ...link.PeerID) {
	t.Helper()
	var leader *Node
	waitFor(t, 30*time.Second, "a leader", func() bool {
		for _, n := range producers {
			if e := n.engine(); e != nil && e.Status().Producing {
				leader = n
				return true
			}
		}
		return false
	})
	follower := producers[0]
	if follower == leader {
		follower = producers[1]
	}
	terms := map[link.PeerID]uint64{}
	for _, n := range producers {
		terms[n.ID()] = n.engine().Status().Term
	}
	var forged []block.ID
	for _, as := range attackers {
		for _, target := range []*Node{leader, follower} {
			st := target.engine().Status()
			f := cfttest.Forgery{As: raft.ServerID(as.String()), Term: 1_000_000, PrevIndex: st.LastIndex, PrevTerm: st.Term, Parent: st.LastCommitted}
			forged = append(forged, f.Forged())
			errs := cfttest.AttackTransport(trans(as), raftAddr(target), f)
			for _, kind := range cfttest.Kinds {
				require.Error(t, errs[kind], "%s from %s to %s was answered", kind, as, target.ID())
			}
			waitFor(t, 10*time.Second, "the attacker banned for unauthorized raft traffic", func() bool {
				for _, p := range target.Network().Peers() {
					if p.Peer == as && p.Ban != nil {
						// A removed producer (TestProducerSetChange) offers
						// its last block again when it reconnects and may be
						// banned for that first; its raft refusals are
						// counted below either way.
						if !strings.Contains(p.Ban.Reason, string(link.ReasonInvalid)) {
							require.Contains(t, p.Ban.Reason, string(link.ReasonUnauthorized))
						}
						require.Negative(t, p.Score)
						return true
					}
				}
				return false
			})
			require.GreaterOrEqual(t, target.engine().Status().Refused, uint64(3))
		}
	}
	_, irr := leader.Head()
	waitFor(t, 30*time.Second, "the chain to go on", func() bool {
		for _, n := range producers {
			if _, h := n.Head(); h.Height < irr.Height+3 {
				return false
			}
		}
		return true
	})
	for _, n := range producers {
		st := n.engine().Status()
		require.Less(t, st.Term, uint64(1_000_000), "%s took the forged term", n.ID())
		if exact {
			require.Equal(t, terms[n.ID()], st.Term, "%s changed term", n.ID())
			require.Equal(t, raft.ServerID(leader.ID().String()), st.Leader, "the leader changed")
		}
		for _, id := range forged {
			_, err := n.Block(id)
			require.Error(t, err, "%s holds a forged block", n.ID())
			require.NotEqual(t, id, st.LastCommitted)
		}
	}
}

// routedRaft returns raft client transports over n's routed transport
// (consensus class): what a node of the chain that is not a producer, or
// a producer removed by a change, can send to the producers. Its messages
// carry n's end-to-end origin signature, so they are refused by who n is.
func routedRaft(t *testing.T, nodes ...*Node) func(as link.PeerID) func() raft.Transport {
	return func(as link.PeerID) func() raft.Transport {
		var n *Node
		for _, c := range nodes {
			if c.ID() == as {
				n = c
			}
		}
		require.NotNil(t, n, "no attacker %s", as)
		return func() raft.Transport {
			tmo := cft.MsgTimeouts{Heartbeat: time.Second, Vote: time.Second, Append: time.Second, Snapshot: time.Second}
			mt, err := cft.NewMsgTransport(n.tr.Messenger(route.ClassConsensus), nil, raftAddr(n), tmo, zerolog.Nop(), nil)
			require.NoError(t, err)
			mt.Start(func() *cft.Membership { return &cft.Membership{} })
			return mt
		}
	}
}

// TestRaftRefusesFullNode: a full node of the chain speaks raft to the
// producers over routed unicast, its origin authenticated end to end (the
// production path, on virtual time). It is every producer's neighbour, so
// each charges it until it is banned. An outsider not on the chain cannot
// get that far: links refuse another chain at lane setup, and a routed
// message needs a link.
func TestRaftRefusesFullNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		full := tn.specs[3].n
		require.Nil(t, full.engine(), "a full node runs no raft")
		raftAttack(t, true, tn.running()[:3], routedRaft(t, full), full.ID())
	})
}

// TestRaftRefusedFromAfarIsCountedNotCharged: on a line p0 - p1 - p2 - f,
// the full node's forged raft reaches p0 and p1 through relays. p2 (its
// neighbour) charges it; p0 does not charge anyone (the relays only
// forwarded a message they could not forge) but counts and logs the
// origin. Raft among p0..p2 goes on over the same routes.
func TestRaftRefusedFromAfarIsCountedNotCharged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.peers = map[int][]int{0: {1}, 1: {2}, 2: {3}}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 20*time.Second)
		p0, full := tn.specs[0].n, tn.specs[3].n
		st := p0.engine().Status()
		f := cfttest.Forgery{As: raft.ServerID(full.ID().String()), Term: 1_000_000, PrevIndex: st.LastIndex, PrevTerm: st.Term, Parent: st.LastCommitted}
		errs := cfttest.AttackTransport(routedRaft(t, full)(full.ID()), raftAddr(p0), f)
		for _, kind := range cfttest.Kinds {
			require.Error(t, errs[kind], "%s was answered", kind)
		}
		require.Positive(t, p0.Counters().Rejected["raft-refused-remote"])
		for _, p := range p0.Network().Peers() {
			require.Nil(t, p.Ban, "%s banned for a message it relayed", p.Peer)
		}
		require.Less(t, p0.engine().Status().Term, uint64(1_000_000))
		_, irr := p0.Head()
		tn.irreversibleAtLeast(irr.Height+3, 10*time.Second)
	})
}

// TestRaftRefusesOverLibp2p: the same attack over real libp2p on loopback,
// from the full node's routed transport. Fails on the code before the
// guard.
func TestRaftRefusesOverLibp2p(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ns := startLibp2pNet(t, 4, 3)
	var producers []*Node
	var full *Node
	for _, n := range ns {
		if n.engine() != nil {
			producers = append(producers, n)
		} else {
			full = n
		}
	}
	require.Len(t, producers, 3)
	require.NotNil(t, full)
	waitFor(t, 30*time.Second, "irreversible height 3", func() bool {
		_, irr := full.Head()
		return irr.Height >= 3
	})
	raftAttack(t, false, producers, routedRaft(t, full), full.ID())
}
