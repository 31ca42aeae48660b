package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// statusTimeout bounds how long an accessor waits for a busy loop.
const statusTimeout = 2 * time.Second

// Observer receives per-block observations for metrics (propagation delay
// histograms). It is called on the node's loop goroutine and must return
// quickly.
type Observer interface {
	ObserveBlock(BlockObservation)
}

// BlockObservation is one block received from a peer and accepted.
type BlockObservation struct {
	ID       block.ID
	Producer block.PublicKey
	From     link.PeerID
	// Delay is first-seen time minus the block's timestamp: the
	// propagation delay plus clock skew between producer and node.
	Delay time.Duration
	Size  int
	Txs   int
	// CatchingUp is set when the sender reported a head more than
	// CatchUpSlack blocks above this one: the block is history being
	// synced, and its Delay is not a propagation delay.
	CatchingUp bool
}

// counters are cumulative; Counters snapshots them.
type counters struct {
	blocksReceived, duplicates, stale, produced atomic.Uint64
	bodyDuplicates, blockBytesIn, blockBytesOut atomic.Uint64
	blocksSent, grafts, graftsHeld              atomic.Uint64
	txSubmitted, txAccepted, txForwarded        atomic.Uint64
	mu                                          sync.Mutex
	rejected                                    map[string]uint64
}

func (c *counters) reject(reason string) {
	c.mu.Lock()
	c.rejected[reason]++
	c.mu.Unlock()
}

// Counters are the node's cumulative counters, for Prometheus counters
// (rates such as catch-up blocks/s are rate() over them).
type Counters struct {
	// BlocksReceived counts blocks from peers added to the chain.
	BlocksReceived uint64 `json:"blocks_received"`
	// Duplicates counts bodies the chain already had when added (rare:
	// blocksync filters known blocks first).
	Duplicates uint64 `json:"duplicates"`
	// BodyDuplicates counts block bodies received that we already had
	// (blocksync's count over all links): the dissemination's redundancy.
	// Ideally near zero once the per-producer trees formed.
	BodyDuplicates uint64 `json:"body_duplicates"`
	// BlocksSent counts bodies sent; BlockBytesIn/Out their bytes.
	BlocksSent    uint64 `json:"blocks_sent"`
	BlockBytesIn  uint64 `json:"block_bytes_in"`
	BlockBytesOut uint64 `json:"block_bytes_out"`
	// Grafts counts grafts sent (a backup link pulled a block the tree
	// path had not delivered); GraftsHeld grafts that fell due while
	// another link was delivering a body and waited (issue 19).
	Grafts     uint64 `json:"grafts"`
	GraftsHeld uint64 `json:"grafts_held"`
	// Stale counts bodies dropped because their fork was pruned meanwhile.
	Stale uint64 `json:"stale"`
	// Produced counts blocks this node produced.
	Produced uint64 `json:"produced"`
	// Rejected counts refused blocks and messages by reason (chain and
	// blocksync reasons, "unknown-producer", "mempool-full", ...).
	Rejected map[string]uint64 `json:"rejected"`
	// TxSubmitted counts Submit calls here; TxAccepted transactions taken
	// into this producer's mempool; TxForwarded submits sent to a peer.
	TxSubmitted uint64 `json:"tx_submitted"`
	TxAccepted  uint64 `json:"tx_accepted"`
	TxForwarded uint64 `json:"tx_forwarded"`
}

// Counters returns a snapshot of the counters.
func (n *Node) Counters() Counters {
	c := &n.stats
	c.mu.Lock()
	rej := maps.Clone(c.rejected)
	c.mu.Unlock()
	return Counters{
		BlocksReceived: c.blocksReceived.Load(), Duplicates: c.duplicates.Load(), Stale: c.stale.Load(),
		BodyDuplicates: c.bodyDuplicates.Load(), BlocksSent: c.blocksSent.Load(),
		Grafts: c.grafts.Load(), GraftsHeld: c.graftsHeld.Load(),
		BlockBytesIn: c.blockBytesIn.Load(), BlockBytesOut: c.blockBytesOut.Load(),
		Produced: c.produced.Load(), Rejected: rej, TxSubmitted: c.txSubmitted.Load(),
		TxAccepted: c.txAccepted.Load(), TxForwarded: c.txForwarded.Load(),
	}
}

// BlockRef names a block.
type BlockRef struct {
	ID        block.ID        `json:"id"`
	Height    uint64          `json:"height"`
	Term      uint64          `json:"term"`
	Producer  block.PublicKey `json:"producer"`
	Timestamp time.Time       `json:"timestamp"`
}

func refOf(h *block.SignedHeader) BlockRef {
	if h == nil {
		return BlockRef{}
	}
	return BlockRef{ID: h.ID(), Height: h.Height, Term: h.Term, Producer: h.Producer, Timestamp: time.Unix(0, h.Timestamp).UTC()}
}

// Status is the node's state at a glance (the admin API's /status).
type Status struct {
	Name         string      `json:"name"`
	PeerID       link.PeerID `json:"peer_id"`
	Role         Role        `json:"role"`
	Engine       Engine      `json:"engine"`
	Chain        string      `json:"chain"`
	Genesis      block.ID    `json:"genesis"`
	Head         BlockRef    `json:"head"`
	Irreversible BlockRef    `json:"irreversible"`
	// StateRoot is the application state root after the head.
	StateRoot block.Hash `json:"state_root"`
	// Term and Leader come from raft on a CFT producer; elsewhere from the
	// head block (its term and producer).
	Term   uint64      `json:"term"`
	Leader link.PeerID `json:"leader,omitempty"`
	// Producing is set while this node makes blocks (leader or solo).
	Producing bool `json:"producing"`
	Peers     int  `json:"peers"`
	// Sync is "synced"; "catching_up" while a verified peer head is more
	// than CatchUpSlack blocks above ours; "stalled" when our head has not
	// advanced for 20 block intervals (at least 5 s) with a verified peer
	// head above it; "unknown" when the loop does not answer. BestPeer is
	// the highest verified peer head: a block we hold, or a header signed
	// by a producer of the set in force; a peer's unsigned hello never
	// counts (issue 11).
	Sync        string `json:"sync"`
	BestPeer    uint64 `json:"best_peer_height"`
	MempoolTxs  int    `json:"mempool_txs"`
	Running     bool   `json:"running"`
	StatusError string `json:"status_error,omitempty"`
	// ConfigRole is node.role from the config. Role above is the
	// effective role: "producer" while the node's key is in the producer
	// set in force at its irreversible block, else "full".
	ConfigRole Role `json:"config_role"`
}

// CatchUpSlack is how many blocks a peer may be ahead before a node counts
// as catching up (blocks in flight at the block rate).
const CatchUpSlack = 2

// Status returns the node's state. If the loop does not answer within a
// couple of seconds it returns the last published head and irreversible
// block with StatusError set.
func (n *Node) Status() Status {
	s := Status{
		Name: n.cfg.Node.Name, PeerID: n.id, Role: n.Role(), ConfigRole: n.cfg.Node.Role, Engine: n.cfg.Consensus.Engine,
		Chain: n.genesis.Chain, Genesis: n.genesis.ID(),
		Head: refOf(n.head.Load()), Irreversible: refOf(n.irr.Load()),
	}
	s.Term, s.Leader = s.Head.Term, n.set.Load().keys[s.Head.Producer]
	es := n.eng.Status()
	if es.Running {
		s.Term = es.Term
	}
	if es.LeaderKnown {
		s.Leader = es.Leader
	}
	s.Producing = es.Producing
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	err := n.call(ctx, func() {
		lp := n.lp
		s.Running = true
		s.Peers = len(lp.peers)
		s.MempoolTxs = lp.pool.Len()
		s.StateRoot, _ = n.chain.StateRoot(n.chain.HeadID())
		s.BestPeer = n.bestVerified()
		s.Sync = string(lp.sync.State(time.Now(), s.BestPeer))
	})
	if err != nil {
		s.StatusError = err.Error()
		s.Sync = "unknown"
	}
	return s
}

// PeerStatus is one peer as the admin API shows it: the link's counters
// (lanes, bytes, RTT, uptime, score, bans) and blocksync's view.
type PeerStatus struct {
	link.PeerInfo
	// Producer is set for the producers in force (ConsensusStatus.Producers).
	Producer bool `json:"producer"`
	// Address is the remote multiaddr of the live connection (libp2p
	// host only).
	Address string `json:"address,omitempty"`
	// SyncState is blocksync's phase (start, ready); empty if not connected.
	SyncState string `json:"sync_state,omitempty"`
	// PeerHead is the head the peer reports (unverified); VerifiedHead
	// the height of its highest head this node can vouch for (a block it
	// holds, or a header a producer of the set in force signed).
	PeerHead     block.ID `json:"peer_head,omitzero"`
	VerifiedHead uint64   `json:"verified_head_height"`
	PeerIrr      block.ID `json:"peer_irreversible,omitzero"`
	InFlight     uint64   `json:"in_flight_bytes,omitempty"`
	BlocksSent   uint64   `json:"blocks_sent"`
	BlocksRecv   uint64   `json:"blocks_received"`
	Duplicates   uint64   `json:"duplicates"`
	QueuedBytes  int64    `json:"queued_bytes"`
	BytesIn      uint64   `json:"bytes_in"`
	BytesOut     uint64   `json:"bytes_out"`
	Direction    string   `json:"direction,omitempty"`
	Mode         string   `json:"mode,omitempty"`
	// Tree is what the link carries to the peer for each producer's blocks
	// (producer peer id → active/backup/off): the edges of the producers'
	// spanning trees (blocksync prunes and grafts them per producer).
	Tree   map[string]string `json:"tree,omitempty"`
	RTT    string            `json:"rtt,omitempty"`
	Uptime string            `json:"uptime,omitempty"`
}

// Peers lists every peer the link layer knows (connected or not), sorted by
// peer id, with blocksync's state for connected ones.
func (n *Node) Peers() []PeerStatus {
	nw := n.net
	if nw == nil {
		return nil
	}
	infos := nw.Peers()
	type syncInfo struct {
		state      string
		head, irr  block.ID
		verified   uint64
		inFlight   uint64
		sent, recv uint64
		dups       uint64
		tree       map[string]string
	}
	sync := map[link.PeerID]syncInfo{}
	set := n.set.Load()
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	_ = n.call(ctx, func() {
		for _, p := range n.lp.peers {
			st := p.conn.Stats()
			sync[p.id] = syncInfo{state: p.conn.State().String(), head: p.conn.PeerHead(), irr: p.conn.PeerIrreversible(),
				verified: n.verifiedHeight(p),
				inFlight: p.conn.InFlight(), sent: st.BlocksSent, recv: st.BlocksReceived, dups: st.Duplicates,
				tree: map[string]string{}}
			for k, id := range set.keys {
				sync[p.id].tree[id.String()] = p.conn.Mode(k).String()
			}
		}
	})
	out := make([]PeerStatus, 0, len(infos))
	for _, in := range infos {
		ps := PeerStatus{PeerInfo: in, Producer: hasPeer(set, in.Peer), Address: n.remoteAddr(in.Peer)}
		if si, ok := sync[in.Peer]; ok {
			ps.SyncState, ps.PeerHead, ps.PeerIrr, ps.InFlight = si.state, si.head, si.irr, si.inFlight
			ps.BlocksSent, ps.BlocksRecv, ps.Duplicates = si.sent, si.recv, si.dups
			ps.VerifiedHead, ps.Tree = si.verified, si.tree
		}
		if st := in.Stats; st != nil {
			for _, l := range st.Lanes {
				ps.QueuedBytes += l.QueuedBytes
				ps.BytesIn += l.BytesIn
				ps.BytesOut += l.BytesOut
			}
			ps.Direction, ps.Mode = st.Direction.String(), st.Mode.String()
			ps.RTT, ps.Uptime = st.RTT.String(), st.Uptime.Round(time.Second).String()
		}
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// ConsensusStatus is the consensus state (the admin API's /consensus).
type ConsensusStatus struct {
	Engine Engine `json:"engine"`
	// Member is set on a node that takes part (a CFT producer or the solo
	// producer).
	Member bool `json:"member"`
	// Raft is the engine's state on a CFT producer.
	Raft *cft.Status `json:"raft,omitempty"`
	// BFT is the runner's state on a BFT producer (view, leader, last
	// notarized and finalized, epoch, counters).
	BFT *bftrun.Status `json:"bft,omitempty"`
	// Irreversible is the chain's irreversible block.
	Irreversible BlockRef `json:"irreversible"`
	// Producers is the producer set in force at this node's irreversible
	// block (the genesis set until a change transaction's block is
	// irreversible), in ascending key order. Name is the genesis name, empty
	// for a producer a change added.
	Producers []GenesisProducer `json:"producers"`
	// ProducerSet is the hash of that set (block.ProducerSetHash), the
	// value block headers carry.
	ProducerSet block.Hash `json:"producer_set"`
	// NextChangeNonce is the nonce the next producer-set change must carry
	// (the last applied at the irreversible block, plus one).
	NextChangeNonce uint64 `json:"next_change_nonce"`
	// Quorum is how many producers in force must sign a change under the
	// default policy (0 when an App or option supplies another policy).
	Quorum int `json:"change_quorum"`
}

// Consensus returns the consensus state.
func (n *Node) Consensus() ConsensusStatus {
	set := n.set.Load()
	cs := ConsensusStatus{Engine: n.cfg.Consensus.Engine, Member: n.producer.Load(), Irreversible: refOf(n.irr.Load()),
		Producers: n.producersOf(set), ProducerSet: set.hash, NextChangeNonce: n.changeNonce.Load() + 1, Quorum: n.changeQuorum(set)}
	es := n.eng.Status()
	cs.Raft, cs.BFT = es.Raft, es.BFT
	return cs
}

// producersOf lists s with the genesis names of its genesis producers.
func (n *Node) producersOf(s *prodSet) []GenesisProducer {
	names := map[string]string{}
	for _, p := range n.genesis.Producers {
		names[p.PeerID] = p.Name
	}
	out := make([]GenesisProducer, 0, len(s.keys))
	for _, k := range s.sortedKeys() {
		id := s.keys[k].String()
		out = append(out, GenesisProducer{Name: names[id], PeerID: id, PublicKey: hex.EncodeToString(k[:])})
	}
	return out
}

// Block returns a block by id: any block of the fork database or the
// irreversible chain. Safe to call at any time after New.
func (n *Node) Block(id block.ID) (*block.Block, error) {
	if n.closed.Load() {
		return nil, ErrStopped
	}
	b, err := n.chain.Log().Block(id)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s: %w", ErrNotFound, id, err)
	}
	return b, nil
}

// BlockAt returns the block at height on the best chain (the irreversible
// chain below the irreversible height).
func (n *Node) BlockAt(ctx context.Context, height uint64) (*block.Block, error) {
	var b *block.Block
	var ok bool
	if err := n.call(ctx, func() {
		var id block.ID
		if id, ok = n.lp.view.BestAt(height); ok {
			b, ok = n.lp.view.Block(id)
		}
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no block at height %d", ErrNotFound, height)
	}
	return b, nil
}

// Head returns the best head and the irreversible block.
func (n *Node) Head() (head, irreversible BlockRef) {
	return refOf(n.head.Load()), refOf(n.irr.Load())
}

// StateRoot returns the application state root after the head.
func (n *Node) StateRoot(ctx context.Context) (block.ID, block.Hash, error) {
	var id block.ID
	var root block.Hash
	err := n.call(ctx, func() {
		id = n.chain.HeadID()
		root, _ = n.chain.StateRoot(id)
	})
	return id, root, err
}

// Query runs fn on the loop goroutine with the chain's head state (reads
// only), for an embedder's App queries.
func (n *Node) Query(ctx context.Context, fn func(st chain.StateReader) error) error {
	var ferr error
	if err := n.call(ctx, func() { ferr = fn(n.chain.HeadState()) }); err != nil {
		return err
	}
	return ferr
}

// Addrs returns the multiaddrs peers can dial this node at (with
// /p2p/<id>), or nil on a network without addresses (in-memory).
func (n *Node) Addrs() []string {
	h, ok := n.net.(*link.Host)
	if !ok {
		return nil
	}
	info := h.AddrInfo()
	out := make([]string, 0, len(info.Addrs))
	for _, a := range info.Addrs {
		out = append(out, a.String()+"/p2p/"+info.ID.String())
	}
	return out
}

// remoteAddr is the remote multiaddr of a live libp2p connection to p.
func (n *Node) remoteAddr(p link.PeerID) string {
	h, ok := n.net.(*link.Host)
	if !ok {
		return ""
	}
	for _, c := range h.Libp2p().Network().ConnsToPeer(p) {
		return c.RemoteMultiaddr().String()
	}
	return ""
}
