package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
)

// attacks maps issue 11's numbering to the runs.
var attacks = map[string]func(context.Context, *attackNet, attackOptions) (*attackResult, error){
	"1": attackPinning,
	"2": attackHellos,
	"3": attackLeaderChanges,
	"4": attackWindow,
	"5": attackRelayFlood,
	"6": attackSpoof,
}

func (n *attackNode) info() (peer.AddrInfo, error) {
	id, err := peer.Decode(n.peerID)
	if err != nil {
		return peer.AddrInfo{}, err
	}
	return peer.AddrInfo{ID: id, Addrs: []multiaddr.Multiaddr{n.addr}}, nil
}

// dial opens a fresh attacker identity to n and records its id.
func (net *attackNet) dial(ctx context.Context, n *attackNode, ids *idSet) (*rawPeer, error) {
	ai, err := n.info()
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := dialRaw(dctx, ai, net.genesis)
	if err != nil {
		return nil, err
	}
	ids.add(p.h.ID().String())
	return p, nil
}

// bigTx submits a transaction of about size bytes at any node and waits
// until it is irreversible; its block is the "old block" of attack 2.
func (net *attackNet) bigTx(ctx context.Context, size int) (node.TxReceipt, error) {
	// Values are at most 64 KiB: many keys of 60,000 bytes.
	val := strings.Repeat("v", 60_000)
	set := map[string]string{}
	for i := range max(1, size/len(val)) {
		set[fmt.Sprint("attack/big/", time.Now().UnixNano(), "/", i)] = val
	}
	var rec node.TxReceipt
	var err error
	for _, n := range net.nodes {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err = n.client.do(ctx, "POST", "/tx", map[string]any{"set": set, "wait": "irreversible"}, &rec, nil)
		cancel()
		if err == nil {
			return rec, nil
		}
	}
	return rec, err
}

// 1. Reservation pinning: 27 identities each announce the largest message
// every lane allows and never send it; a closed attacker redials with a
// fresh identity. Midway, a 2 MiB transaction is submitted: the victim
// must still receive blocks ≥ 1 MiB.
func attackPinning(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	victim := net.fullNode()
	res := &attackResult{Attack: "1 reservation pinning", Extra: map[string]any{}}
	ids := &idSet{}
	maxMsg := link.DefaultConnConfig().MaxMessage
	maxMsg[link.LaneBlocks] = 128 << 20
	// Not on the consensus lane: our PONGs travel there and would be
	// read as the announced payload.
	pinned := []link.Lane{link.LaneRouting, link.LaneBlocks, link.LaneSync}
	var perPeer uint64
	for _, l := range pinned {
		perPeer += uint64(maxMsg[l] - 1)
	}
	const identities = 27
	var redials, headerBytes atomic.Int64
	err := measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		var wg sync.WaitGroup
		for range identities {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					p, err := net.dial(ctx, net.nodes[victim], ids)
					if err != nil {
						sleepCtx(ctx, time.Second)
						continue
					}
					for _, l := range pinned {
						if p.announce(l, uint64(maxMsg[l]-1)) == nil {
							headerBytes.Add(6)
						}
					}
					id := net.nodes[victim].peerID
					pid, _ := peer.Decode(id)
					for ctx.Err() == nil && p.connected(pid) {
						sleepCtx(ctx, 500*time.Millisecond)
					}
					p.close()
					if ctx.Err() == nil {
						redials.Add(1)
					}
				}
			}()
		}
		sleepCtx(ctx, o.duration/3)
		rec, err := net.bigTx(ctx, 2<<20)
		if err != nil {
			res.Extra["big_tx_error"] = err.Error()
		} else {
			res.Extra["big_block_height"] = rec.Height
		}
		wg.Wait()
		return nil
	})
	if h, ok := res.Extra["big_block_height"].(uint64); ok {
		var st node.Status
		if net.nodes[victim].client.do(ctx, "GET", "/status", nil, &st, nil) == nil {
			res.Extra["victim_has_big_block"] = st.Head.Height >= h
		}
	}
	res.Sent = fmt.Sprintf("%d identities (%d redials), each announcing %d MiB over the routing, blocks and sync lanes, %d header bytes in all",
		identities, redials.Load(), perPeer>>20, headerBytes.Load())
	return res, err
}

// 2. Hellos naming an old irreversible block: 100/s on the sync lane,
// from one fresh identity per producer; the leader is the victim.
func attackHellos(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	res := &attackResult{Attack: "2 hellos naming an old block", Extra: map[string]any{}}
	rec, err := net.bigTx(ctx, 3<<20)
	if err != nil {
		return nil, fmt.Errorf("the old block: %w", err)
	}
	res.Extra["old_block"] = rec.Block.String()
	victim := net.leader(ctx)
	if victim < 0 {
		return nil, errors.New("no leader")
	}
	ids := &idSet{}
	var sent, refused atomic.Int64
	hello := blocksync.Encode(&blocksync.Hello{ID: rec.Block, Head: true})
	err = measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		var wg sync.WaitGroup
		for _, n := range net.nodes {
			if !n.producer {
				continue
			}
			p, err := net.dial(ctx, n, ids)
			if err != nil {
				return err
			}
			sleepCtx(ctx, 500*time.Millisecond) // the sync lane's first credit
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer p.close()
				t := time.NewTicker(100 * time.Millisecond)
				defer t.Stop()
				for ctx.Err() == nil {
					for range 10 {
						if p.send(link.LaneSync, hello) == nil {
							sent.Add(1)
						} else {
							refused.Add(1)
						}
					}
					select {
					case <-ctx.Done():
					case <-t.C:
					}
				}
			}()
		}
		wg.Wait()
		return nil
	})
	res.Sent = fmt.Sprintf("%d hellos (%d bytes each) naming block %s (3 MiB) at 100/s to each producer; %d not sent (no credit or link closed)",
		sent.Load(), len(hello), rec.Block, refused.Load())
	return res, err
}

// 4. Window amplification: 50 identities say they have only genesis,
// advertise a 4 GiB window and never grant credit.
func attackWindow(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	victim := net.fullNode()
	res := &attackResult{Attack: "4 window amplification"}
	ids := &idSet{}
	var sentBytes atomic.Int64
	err := measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		var peers []*rawPeer
		defer func() {
			for _, p := range peers {
				p.close()
			}
		}()
		// The sync lane's first credit comes with the victim's chain id
		// answer; hellos are sent once it has arrived.
		for range 50 {
			p, err := net.dial(ctx, net.nodes[victim], ids)
			if err != nil {
				return err
			}
			peers = append(peers, p)
		}
		sleepCtx(ctx, time.Second)
		for _, p := range peers {
			for _, m := range []blocksync.Msg{
				&blocksync.Hello{ID: block.ID(net.genesis), Head: true, Committed: true, Window: 1<<32 - 1},
				&blocksync.Hello{ID: block.ZeroID, Common: true},
			} {
				b := blocksync.Encode(m)
				if p.send(link.LaneSync, b) == nil {
					sentBytes.Add(int64(len(b)))
				}
			}
		}
		<-ctx.Done()
		return nil
	})
	res.Sent = fmt.Sprintf("50 identities, %d hello bytes in all (genesis as head and irreversible, window 4 GiB), no credit granted", sentBytes.Load())
	return res, err
}

// 5. Relay flood: 6 identities × 19,000 empty submits with 255 hops on
// the routing lane of a full node, in one burst each.
func attackRelayFlood(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	victim := net.fullNode()
	res := &attackResult{Attack: "5 relay flood"}
	ids := &idSet{}
	var sent atomic.Int64
	err := measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		var peers []*rawPeer
		defer func() {
			for _, p := range peers {
				p.close()
			}
		}()
		for i := range 6 {
			p, err := net.dial(ctx, net.nodes[victim], ids)
			if err != nil {
				return err
			}
			peers = append(peers, p)
			var burst []byte
			for j := range 19_000 {
				m := []byte{1, 1} // routing wire version 1, submit
				m = binary.BigEndian.AppendUint64(m, uint64(i)<<32|uint64(j))
				m = append(m, 255) // hops: the most a peer can claim
				burst = binary.AppendUvarint(append(burst, rawFrameMsg), uint64(len(m)))
				burst = append(burst, m...)
			}
			if p.write(link.LaneRouting, burst) == nil {
				sent.Add(19_000)
			}
		}
		<-ctx.Done()
		return nil
	})
	res.Sent = fmt.Sprintf("%d empty submits (hops 255) from 6 identities", sent.Load())
	return res, err
}

// 6. Spoofed status: one hello naming a block at height 2^40−1.
func attackSpoof(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	victim := net.fullNode()
	res := &attackResult{Attack: "6 spoofed status", Extra: map[string]any{}}
	ids := &idSet{}
	var id block.ID
	binary.BigEndian.PutUint64(id[:8], 1<<40-1)
	copy(id[8:], "spoofed head, never produced")
	hello := blocksync.Encode(&blocksync.Hello{ID: id, Head: true})
	err := measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		p, err := net.dial(ctx, net.nodes[victim], ids)
		if err != nil {
			return err
		}
		defer p.close()
		sleepCtx(ctx, time.Second)
		if err := p.send(link.LaneSync, hello); err != nil {
			return err
		}
		sleepCtx(ctx, 2*time.Second)
		// Proof the hello landed: the victim lists the attacker's
		// (unverified) head.
		var peers []node.PeerStatus
		if net.nodes[victim].client.do(ctx, "GET", "/peers", nil, &peers, nil) == nil {
			for _, ps := range peers {
				if ps.Peer.String() == p.h.ID().String() {
					res.Extra["attacker_peer_head_height"] = ps.PeerHead.Height()
					res.Extra["attacker_verified_head_height"] = ps.VerifiedHead
				}
			}
		}
		<-ctx.Done()
		return nil
	})
	res.Sent = fmt.Sprintf("one %d-byte hello naming height 2^40-1", len(hello))
	return res, err
}

// 3. Honest leader changes with full mempools: before each change the
// leader's mempool is filled with --fill ordinary valid transactions
// (routing-lane submits from fresh identities, bursts under the link's
// inbound limit), then the leader is stopped (SIGSTOP) for 1.5 s — a GC
// pause or a blip — so that it resumes as a follower holding a full
// mempool, which it hands to the new leader. Three times. No producer may
// ban another.
func attackLeaderChanges(ctx context.Context, net *attackNet, o attackOptions) (*attackResult, error) {
	victim := net.leader(ctx)
	if victim < 0 {
		return nil, errors.New("no leader")
	}
	res := &attackResult{Attack: "3 leader changes with full mempools", Extra: map[string]any{}}
	ids := &idSet{}
	var stops []string
	var filled int64
	err := measure(ctx, net, victim, o, res, ids, func(ctx context.Context) error {
		for i := range 3 {
			l := net.leader(ctx)
			if l < 0 {
				sleepCtx(ctx, time.Second)
				continue
			}
			n, mempool, err := net.fillMempool(ctx, net.nodes[l], o.fill, ids, i)
			if err != nil {
				return err
			}
			filled += n
			pid := net.nodes[l].pid
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				return err
			}
			time.Sleep(1500 * time.Millisecond) // not sleepCtx: the process must be continued
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				return err
			}
			stops = append(stops, fmt.Sprintf("%s stopped with %d transactions in its mempool", net.nodes[l].name, mempool))
			if i < 2 {
				sleepCtx(ctx, o.duration/4)
			}
		}
		<-ctx.Done()
		return nil
	})
	res.Extra["stopped"] = stops
	res.Sent = fmt.Sprintf("%d valid transactions submitted to the leaders, the leader SIGSTOPped 1.5 s %d times", filled, len(stops))
	return res, err
}

// fillMempool sends n valid key-value transactions to the leader on the
// routing lane, in bursts of 15,000 per fresh identity (the link's
// inbound routing burst is 20,000), and returns how many were sent and
// the largest mempool the leader reported within a second.
func (net *attackNet) fillMempool(ctx context.Context, leader *attackNode, n int, ids *idSet, round int) (int64, int, error) {
	const perPeer = 15_000
	var sent int64
	for k := 0; sent < int64(n); k++ {
		p, err := net.dial(ctx, leader, ids)
		if err != nil {
			return sent, 0, err
		}
		defer p.close()
		var burst []byte
		for j := 0; j < perPeer && sent < int64(n); j++ {
			key := fmt.Appendf(nil, "attack/fill/%d/%d/%d/%d", time.Now().UnixNano(), round, k, j)
			tx := chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: key, Value: []byte("v")})
			m := []byte{1, 1} // routing wire version 1, submit
			m = binary.BigEndian.AppendUint64(m, uint64(k)<<32|uint64(j))
			m = append(m, 1)
			m = append(m, tx...)
			burst = binary.AppendUvarint(append(burst, rawFrameMsg), uint64(len(m)))
			burst = append(burst, m...)
			sent++
		}
		if err := p.write(link.LaneRouting, burst); err != nil {
			return sent, 0, err
		}
	}
	var mempool int
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		var st node.Status
		if leader.client.do(ctx, "GET", "/status", nil, &st, nil) == nil {
			if st.MempoolTxs < mempool {
				break // the leader is emptying it: stop it now
			}
			mempool = st.MempoolTxs
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
	return sent, mempool, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
