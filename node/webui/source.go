package webui

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/blockwire/blockwire/internal/netview"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport"
)

// Source gathers one report per node for each frame. Reports must not
// block longer than ctx allows; a node that does not answer is reported
// with Node.Down set.
type Source interface {
	Reports(ctx context.Context) []netview.Report
}

// Backend is what a node's own page reads: *node.Node. Every method must
// be safe for concurrent use.
type Backend interface {
	Status() node.Status
	Peers() []node.PeerStatus
	Consensus() node.ConsensusStatus
	Routes() []transport.RouteInfo
	Propagation(from uint64) []node.BlockArrival
}

var _ Backend = (*node.Node)(nil)

// recentArrivals is how many blocks below the head a report covers: a few
// seconds at a testnet's 10 blocks/s, so an aggregator that misses a poll
// loses no arrival.
const recentArrivals = 32

// Local is the Source of a node's own page: one report, the node and its
// neighbourhood.
type Local struct{ B Backend }

// Reports returns the node's report.
func (l Local) Reports(context.Context) []netview.Report { return []netview.Report{Report(l.B)} }

// Report is b's report (GET /ui/api/report answers it).
func Report(b Backend) netview.Report {
	st := b.Status()
	r := netview.Report{Node: netview.Node{ID: st.PeerID.String(), Name: st.Name, Role: string(st.Role),
		Engine: string(st.Engine), Head: st.Head.Height,
		Irreversible: st.Irreversible.Height, Term: st.Term, Producing: st.Producing, Sync: st.Sync,
		Peers: st.Peers, Down: !st.Running, Error: st.StatusError}}
	if st.Leader != "" {
		r.Node.Leader = st.Leader.String()
	}
	for _, p := range b.Peers() {
		r.Peers = append(r.Peers, peerOf(p))
	}
	for _, rt := range b.Routes() {
		out := netview.Route{Dest: rt.Dest.String(), Reachable: rt.Reachable, Metric: uint64(rt.Metric), RTTMs: ms(rt.RTT)}
		if rt.NextHop != "" {
			out.NextHop = rt.NextHop.String()
		}
		r.Routes = append(r.Routes, out)
	}
	r.Arrivals = arrivals(b, st.Head.Height)
	return r
}

func peerOf(p node.PeerStatus) netview.Peer {
	out := netview.Peer{ID: p.Peer.String(), Connected: p.Connected, Producer: p.Producer, Direction: p.Direction,
		Mode: p.Mode, Tree: p.Tree, Head: p.PeerHead.Height(), Irreversible: p.PeerIrr.Height(),
		Reason: string(p.LastDisconnect)}
	if st := p.Stats; st != nil {
		out.RTTMs = ms(st.RTT)
		for i, ln := range st.Lanes {
			out.Lanes = append(out.Lanes, netview.Lane{Name: link.Lane(i).String(), Queued: ln.QueuedBytes,
				BytesIn: ln.BytesIn, BytesOut: ln.BytesOut})
		}
	}
	return out
}

// arrivals are the node's first copies of the blocks near its head, with
// producers named by peer id. History synced from a peer far ahead is left
// out: its arrival time is not a propagation time.
func arrivals(b Backend, head uint64) []netview.Arrival {
	producers := map[string]string{}
	for _, p := range b.Consensus().Producers {
		producers[p.PublicKey] = p.PeerID
	}
	var out []netview.Arrival
	for _, a := range b.Propagation(head - min(head, recentArrivals)) {
		if a.CatchingUp || a.First.IsZero() {
			continue
		}
		at := a.First
		if a.Produced && !a.Sent.IsZero() {
			at = a.Sent
		}
		out = append(out, netview.Arrival{Block: a.ID.String(), Height: a.Height,
			Producer: producers[hex.EncodeToString(a.Producer[:])], AtUs: at.UnixMicro(), Produced: a.Produced, Copies: a.Copies})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
