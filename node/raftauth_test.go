package node

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/net/gostream"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/cft/cfttest"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
)

// raftAttack is issue 10's acceptance check, written against whatever
// carries raft: dial(as) returns connections to a producer's raft endpoint
// authenticated as as. Each attacker sends every forged RPC kind
// (cfttest.Kinds: AppendEntries with a higher term, an entry and a commit
// index covering it, votes, TimeoutNow, InstallSnapshot) to the leader and
// to a follower. Every one must fail, each target must charge the
// attacker until it is banned (reason "unauthorized"), and no forged block
// may be stored or committed. With exact (virtual time: nothing else moves
// the terms) no producer's term or leader may change either; on real time
// a loaded machine can cause an honest election, so only the forged term
// is checked there.
func raftAttack(t *testing.T, exact bool, producers []*Node, dial func(as link.PeerID) cfttest.Dial, attackers ...link.PeerID) {
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
			errs := cfttest.Attack(dial(as), raftAddr(target), f)
			for _, kind := range cfttest.Kinds {
				require.Error(t, errs[kind], "%s from %s to %s was answered", kind, as, target.ID())
			}
			waitFor(t, 10*time.Second, "the attacker banned for unauthorized raft traffic", func() bool {
				for _, p := range target.Network().Peers() {
					if p.Peer == as && p.Ban != nil {
						require.Contains(t, p.Ban.Reason, string(link.ReasonUnauthorized))
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

// TestRaftRefusesFullNodeAndOutsiderInMemory: a full node of the chain and
// a peer that is not on the chain at all speak raft to the producers over
// the in-memory raft network (the production guard, on virtual time).
// Fails on the code before the guard: every forged RPC was answered.
func TestRaftRefusesFullNodeAndOutsiderInMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		full := tn.specs[3].n
		require.Nil(t, full.engine(), "a full node runs no raft")
		outsider, err := peer.IDFromPrivateKey(newKey(t))
		require.NoError(t, err)
		dial := func(as link.PeerID) cfttest.Dial {
			return func(to raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
				return tn.raft.DialAs(raft.ServerAddress(as.String()), to, timeout)
			}
		}
		raftAttack(t, true, tn.running()[:3], dial, full.ID(), outsider)
	})
}

// TestRaftRefusesOverLibp2p: the same attack over real libp2p on loopback,
// from the full node's own libp2p host (it has not registered the raft
// protocol; it opens streams to it anyway) and from a fresh host that is
// not on the chain. Fails on the code before the guard.
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
	hostOf := func(n *Node) host.Host { return n.Network().(*link.Host).Libp2p() }
	require.False(t, slices.Contains(hostOf(full).Mux().Protocols(), cft.ProtocolID), "a full node registers no raft protocol")
	require.True(t, slices.Contains(hostOf(producers[0]).Mux().Protocols(), cft.ProtocolID))

	outsider, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	require.NoError(t, err)
	defer func() { require.NoError(t, outsider.Close()) }()
	hosts := map[link.PeerID]host.Host{full.ID(): hostOf(full), outsider.ID(): outsider}
	for _, p := range producers {
		outsider.Peerstore().AddAddrs(p.ID(), hostOf(p).Addrs(), peerstore.PermanentAddrTTL)
	}
	dial := func(as link.PeerID) cfttest.Dial {
		h := hosts[as]
		return func(to raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
			pid, err := peer.Decode(string(to))
			if err != nil {
				return nil, err
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, err := gostream.Dial(ctx, h, pid, cft.ProtocolID)
			if err != nil {
				return nil, fmt.Errorf("dial %s: %w", pid, err)
			}
			return c, nil
		}
	}
	waitFor(t, 30*time.Second, "irreversible height 3", func() bool {
		_, irr := full.Head()
		return irr.Height >= 3
	})
	raftAttack(t, false, producers, dial, full.ID(), outsider.ID())
}

// TestRaftServerOfIsThePeerID: the FSM's signer check maps a producer's
// block-signing key to the raft server id its peer id gives.
func TestRaftServerOfIsThePeerID(t *testing.T) {
	k := newKey(t)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	pub, err := prodset.PeerKey(string(id))
	require.NoError(t, err)
	got, ok := raftServerOf(pub)
	require.True(t, ok)
	require.Equal(t, raft.ServerID(id.String()), got)
}
