package main

import (
	"context"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport"
)

// producerReachWait bounds how long a testnet waits, before its load
// starts, for every node to reach a producer.
const producerReachWait = 30 * time.Second

// waitProducersReachable returns once every node can hand a transaction
// to a producer: it produces itself, or it has a reachable route to a
// producer in force. The load starts only then. Before it, a node with no
// route to any producer answers a submit "no producer" at once (by design:
// a submit never waits for routes to converge, node/doc.go), and that
// failure would count against the run although no producer was ever down
// (TestTestnetBFTCommitsSurvivesAKillAndNeverDoubleSigns saw one under
// load, before its kill). It returns how long it waited.
func waitProducersReachable(ctx context.Context, procs []*proc, clients []*adminClient) (time.Duration, error) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, producerReachWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(clients); {
		ok, seen := reachesProducer(ctx, clients[i])
		if ok {
			i++
			continue
		}
		select {
		case <-ctx.Done():
			return time.Since(began), fmt.Errorf("testnet: %s reaches no producer within %v (%s)", procs[i].info.Name, producerReachWait, seen)
		case <-tick.C:
		}
	}
	return time.Since(began), nil
}

// reachesProducer reports whether the node behind c can hand a submit to
// a producer, and if not, what it saw.
func reachesProducer(ctx context.Context, c *adminClient) (bool, string) {
	var st node.Status
	if err := c.do(ctx, "GET", "/status", nil, &st, nil); err != nil {
		return false, err.Error()
	}
	if st.Producing {
		return true, ""
	}
	var cs node.ConsensusStatus
	if err := c.do(ctx, "GET", "/consensus", nil, &cs, nil); err != nil {
		return false, err.Error()
	}
	var routes []transport.RouteInfo
	if err := c.do(ctx, "GET", "/routes", nil, &routes, nil); err != nil {
		return false, err.Error()
	}
	producers := map[string]bool{}
	for _, p := range cs.Producers {
		producers[p.PeerID] = p.PeerID != st.PeerID.String()
	}
	for _, r := range routes {
		if r.Reachable && producers[r.Dest.String()] {
			return true, ""
		}
	}
	return false, fmt.Sprintf("no reachable route to any of %d producers among %d routes", len(cs.Producers), len(routes))
}
