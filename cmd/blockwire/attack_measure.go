package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/blockwire/blockwire/node"
)

// attackResult is the JSON object printed for one attack.
type attackResult struct {
	Attack string `json:"attack"`
	Victim string `json:"victim"`
	// Sent says what the attackers sent.
	Sent      string  `json:"sent"`
	DurationS float64 `json:"duration_s"`
	// RSS of the victim process (VmRSS), sampled every 250 ms.
	RSSBeforeMB float64 `json:"rss_before_mb"`
	RSSMaxMB    float64 `json:"rss_max_mb"`
	// HeadLagMax is the largest (best head of the other nodes − the
	// victim's head) seen while sampling; HeadLagEnd the last one.
	HeadLagMax int64 `json:"head_lag_max"`
	HeadLagEnd int64 `json:"head_lag_end"`
	// Block production at the best head of all nodes, blocks/s.
	RateBefore float64 `json:"blocks_per_s_before"`
	RateDuring float64 `json:"blocks_per_s_during"`
	RateRatio  float64 `json:"rate_ratio"`
	// VictimSync lists the victim's /status sync values seen during the
	// attack; BestPeerHeightMax its largest best_peer_height.
	VictimSync        []string `json:"victim_sync_seen"`
	BestPeerHeightMax uint64   `json:"best_peer_height_max"`
	StatusErrors      int      `json:"victim_status_errors"`
	// ProducerBans: "nodeA bans nodeB: reason" for every ban between
	// testnet producers after the attack (must be empty).
	ProducerBans []string `json:"producer_bans"`
	// Attackers: how the victim's links to the attackers ended
	// (last_disconnect reasons, "banned", "connected").
	Attackers map[string]int `json:"attackers"`
	Extra     map[string]any `json:"extra,omitempty"`
	Problems  []string       `json:"problems,omitempty"`
}

// sampler watches the testnet while an attack runs.
type sampler struct {
	net    *attackNet
	victim int

	mu       sync.Mutex
	res      *attackResult
	syncSeen map[string]bool
}

// sample reads every node's status once and returns the best head.
func (s *sampler) sample(ctx context.Context) uint64 {
	heads := make([]uint64, len(s.net.nodes))
	var vs *node.Status
	for i, n := range s.net.nodes {
		var st node.Status
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := n.client.do(ctx, "GET", "/status", nil, &st, nil)
		cancel()
		if err != nil {
			if i == s.victim {
				s.mu.Lock()
				s.res.StatusErrors++
				s.mu.Unlock()
			}
			continue
		}
		heads[i] = st.Head.Height
		if i == s.victim {
			vs = &st
		}
	}
	var best, others uint64
	for i, h := range heads {
		best = max(best, h)
		if i != s.victim {
			others = max(others, h)
		}
	}
	rss := rssMB(s.net.nodes[s.victim].pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.RSSMaxMB = max(s.res.RSSMaxMB, rss)
	if vs != nil {
		lag := int64(others) - int64(vs.Head.Height)
		s.res.HeadLagMax, s.res.HeadLagEnd = max(s.res.HeadLagMax, lag), lag
		s.syncSeen[vs.Sync] = true
		s.res.BestPeerHeightMax = max(s.res.BestPeerHeightMax, vs.BestPeer)
	}
	return best
}

// watch samples for d and returns the best head at its start and end and
// the time it took.
func (s *sampler) watch(ctx context.Context, d time.Duration) (from, to uint64, took time.Duration) {
	began := time.Now()
	from = s.sample(ctx)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for end := began.Add(d); time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return from, s.sample(context.Background()), time.Since(began)
		case <-t.C:
			to = max(to, s.sample(ctx))
		}
	}
	return from, max(to, s.sample(ctx)), time.Since(began)
}

// measure runs a baseline of o.baseline, then attack for o.duration while
// sampling, with the background load throughout, and fills in res.
func measure(ctx context.Context, net *attackNet, victim int, o attackOptions, res *attackResult, ids *idSet,
	attack func(ctx context.Context) error) error {
	res.Victim = net.nodes[victim].name
	s := &sampler{net: net, victim: victim, res: res, syncSeen: map[string]bool{}}
	clients := make([]*adminClient, len(net.nodes))
	for i, n := range net.nodes {
		clients[i] = n.client
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go newTxLoad(o.txRate, clients).run(loadCtx, uint64(time.Now().UnixNano()))

	res.RSSBeforeMB = rssMB(net.nodes[victim].pid)
	b0, b1, bd := s.watch(ctx, o.baseline)
	res.RateBefore = float64(b1-b0) / bd.Seconds()
	res.RSSMaxMB, res.HeadLagMax = 0, 0
	s.syncSeen = map[string]bool{}

	attackCtx, stopAttack := context.WithTimeout(ctx, o.duration)
	defer stopAttack()
	errc := make(chan error, 1)
	go func() { errc <- attack(attackCtx) }()
	a0, a1, ad := s.watch(attackCtx, o.duration)
	stopAttack()
	err := <-errc
	res.DurationS = ad.Seconds()
	res.RateDuring = float64(a1-a0) / ad.Seconds()
	if res.RateBefore > 0 {
		res.RateRatio = res.RateDuring / res.RateBefore
	}
	for k := range s.syncSeen {
		res.VictimSync = append(res.VictimSync, k)
	}
	slices.Sort(res.VictimSync)
	res.ProducerBans, res.Attackers = bansAfter(ctx, net, victim, ids)
	if res.RateRatio < 0.5 {
		res.Problems = append(res.Problems, fmt.Sprintf("block production fell to %.0f%% of its rate", 100*res.RateRatio))
	}
	if res.HeadLagEnd > 5 {
		res.Problems = append(res.Problems, fmt.Sprintf("the victim ends %d blocks behind", res.HeadLagEnd))
	}
	if len(res.ProducerBans) > 0 {
		res.Problems = append(res.Problems, "producers banned each other")
	}
	return err
}

// bansAfter lists the bans between testnet producers, and how the
// victim's links to peers outside the testnet (the attackers) ended.
func bansAfter(ctx context.Context, net *attackNet, victim int, ids *idSet) ([]string, map[string]int) {
	names := map[string]string{}
	for _, n := range net.nodes {
		names[n.peerID] = n.name
	}
	bans := []string{}
	attackers := map[string]int{}
	for i, n := range net.nodes {
		if !n.producer && i != victim {
			continue
		}
		var peers []node.PeerStatus
		if err := n.client.do(ctx, "GET", "/peers", nil, &peers, nil); err != nil {
			bans = append(bans, fmt.Sprintf("%s: /peers: %v", n.name, err))
			continue
		}
		for _, p := range peers {
			name, ours := names[p.Peer.String()]
			switch {
			case ours && p.Ban != nil && n.producer && net.nodes[indexOf(net, name)].producer:
				bans = append(bans, fmt.Sprintf("%s bans %s: %s", n.name, name, p.Ban.Reason))
			case !ours && i == victim && ids.has(p.Peer.String()):
				k := "connected"
				if p.Ban != nil {
					k = "banned"
				} else if !p.Connected {
					k = string(p.LastDisconnect)
				}
				attackers[k]++
			}
		}
	}
	return bans, attackers
}

func indexOf(net *attackNet, name string) int {
	for i, n := range net.nodes {
		if n.name == name {
			return i
		}
	}
	return 0
}

// idSet is the attackers' peer ids of one attack.
type idSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *idSet) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[id] = true
}

func (s *idSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}
