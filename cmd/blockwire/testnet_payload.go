package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/node"
)

// payloadLoad makes blocks big enough to measure propagation: once per
// block interval it submits size bytes of key-value transactions (several
// of at most payloadTxBytes each) to the producer it believes leads, so
// that (almost) every block carries them. It writes to a few keys in turn
// so the state stays small while the blocks stay large. Sending to the
// leader keeps the payload off the forwarding path: what crosses the shaped
// links is the blocks. Transactions stay well under what a node forwards
// to the leader (routed unicast's MaxPayload, 1 MiB; node.maxTx), so a
// submit that reaches a node that has just lost the lead is forwarded, not
// refused.
type payloadLoad struct {
	size      int
	interval  time.Duration
	retry     time.Duration // the wait before a resend (payloadRetry)
	clients   []*adminClient
	producers []int

	leader            atomic.Int64 // index into clients
	finding           atomic.Bool  // a findLeader round is running
	submitted, failed atomic.Uint64
	resent            atomic.Uint64 // posts after a failed one (payloadAttempts)
	lastErr           atomic.Value  // string: the latest failure, for the summary

	mu      sync.Mutex
	reasons map[string]uint64 // failures by reason (failReason)
}

// payloadChunk is the value size per key (the key-value app allows 64 KiB).
const payloadChunk = 60000

// payloadTxBytes bounds the value bytes of one payload transaction: four
// chunks, a quarter of the routed limit (real chains' transactions are far
// smaller; a few per block keep each forwardable with room to spare).
const payloadTxBytes = 4 * payloadChunk

func newPayloadLoad(size int, interval time.Duration, clients []*adminClient, producers []int) *payloadLoad {
	l := &payloadLoad{size: size, interval: interval, retry: interval / 2, clients: clients, producers: producers, reasons: map[string]uint64{}}
	if len(producers) > 0 {
		l.leader.Store(int64(producers[0]))
	}
	return l
}

func (l *payloadLoad) run(ctx context.Context) {
	if l.size <= 0 || len(l.producers) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x70ad))
	var fill strings.Builder
	for fill.Len() < l.size {
		fill.WriteByte(byte('a' + rng.IntN(26)))
	}
	body := fill.String()
	if len(body) < 12 {
		body += "............"
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Ask who leads every interval, in the background (at most one
		// round of questions at a time): a node that has just lost the
		// lead forwards what it gets, and the payload should not cross
		// the network twice — a stale choice lasts one interval.
		if !l.finding.Swap(true) {
			wg.Go(func() {
				defer l.finding.Store(false)
				l.findLeader(ctx)
			})
		}
		for _, set := range payloadTxs(body, i) {
			wg.Go(func() { l.submit(ctx, set) })
		}
	}
}

// payloadTxs splits interval i's payload body into transactions of at most
// payloadTxBytes of values, each setting its own keys. A distinct prefix
// per transaction and interval keeps every transaction distinct (its
// hash); keys cycle over four intervals so the state stays small.
func payloadTxs(body string, i int) []map[string]string {
	var txs []map[string]string
	for t, off := 0, 0; off < len(body); t, off = t+1, off+payloadTxBytes {
		part := body[off:min(off+payloadTxBytes, len(body))]
		set := map[string]string{}
		for k, coff := 0, 0; coff < len(part); k, coff = k+1, coff+payloadChunk {
			chunk := part[coff:min(coff+payloadChunk, len(part))]
			if k == 0 {
				chunk = fmt.Sprintf("%08d/%03d", i, t) + chunk[min(12, len(chunk)):]
			}
			set[fmt.Sprintf("payload/%d/%d/%d", i%4, t, k)] = chunk
		}
		txs = append(txs, set)
	}
	return txs
}

// payloadAttempts is how often a payload transaction is posted before it
// counts as failed. A post that meets an election, or a node that has just
// lost the lead, goes again to whoever leads payloadRetry later (asked
// then), with
// the same bytes: producers deduplicate by hash, so a resend is safe even
// after an unknown outcome (docs/operations.md), as any client would do.
const payloadAttempts = 3

// payloadRetry is the wait before a payload resend: half a block interval,
// or the raft heartbeat timeout if longer. Followers notice a dead or
// silent leader after 1–2 heartbeat timeouts, so the three posts span an
// election; at half an interval (250 ms) all three fell inside one once
// the shaped testnet's timers grew to 800 ms (session 11: payload posts
// failing "no-producer"/"unreachable" doubled at 8 nodes).
func payloadRetry(interval, heartbeat time.Duration) time.Duration {
	return max(interval/2, heartbeat)
}

// submit posts one payload transaction, counting it, its resends and, if
// every attempt fails, the failure; payload_errors counts every failed
// attempt by reason. Resends stop when the run ends.
func (l *payloadLoad) submit(ctx context.Context, set map[string]string) {
	l.submitted.Add(1)
	for a := range payloadAttempts {
		if a > 0 {
			select {
			case <-ctx.Done():
				l.failed.Add(1)
				return
			case <-time.After(l.retry):
			}
			l.findLeader(ctx)
			l.resent.Add(1)
		}
		c := l.clients[l.leader.Load()]
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.do(sctx, "POST", "/tx", map[string]any{"set": set}, nil, nil)
		cancel()
		if err == nil {
			return
		}
		l.lastErr.Store(err.Error())
		l.mu.Lock()
		l.reasons[failReason(err)]++
		l.mu.Unlock()
	}
	l.failed.Add(1)
}

// findLeader asks the producers which one is producing.
func (l *payloadLoad) findLeader(ctx context.Context) {
	for _, i := range l.producers {
		var st node.Status
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		err := l.clients[i].do(sctx, "GET", "/status", nil, &st, nil)
		cancel()
		if err == nil && st.Producing {
			l.leader.Store(int64(i))
			return
		}
	}
}

// failReason classifies a failed payload submit for payload_errors: the
// node's reason, except that a forward refused by the routed transport's
// payload limit (the failure issue 19 fixed) is named on its own, and a
// client-side timeout is no-answer.
func failReason(err error) string {
	var ae *apiError
	switch {
	case strings.Contains(err.Error(), "Limits.MaxPayload"):
		return "route-payload-limit"
	case errors.As(err, &ae) && ae.Reason != "":
		return ae.Reason
	case errors.Is(err, context.DeadlineExceeded):
		return "no-answer"
	}
	return "unreachable"
}

// errorCounts returns the failures by reason.
func (l *payloadLoad) errorCounts() map[string]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.reasons)
}
