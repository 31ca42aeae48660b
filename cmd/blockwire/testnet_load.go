package main

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/node"
)

// submitWait is how long the load waits for one submit: longer than the
// node's own bound (node.Limits.SubmitTimeout, 30 s), so that the node, not
// the client, says why a transaction did not make it.
const submitWait = 40 * time.Second

// txLoad submits key-value transactions at a fixed rate, spread round-robin
// over the nodes, and measures submit-to-inclusion latency.
type txLoad struct {
	rate        float64
	maxInFlight int
	clients     []*adminClient

	submitted, committed, failed, shed atomic.Uint64
	inFlight                           atomic.Int64

	// wait is the submit's "wait": included (default) or irreversible.
	wait string
	// skip, when set, names clients whose node is down (--kill-leader):
	// their share goes to the next one, as a client would go elsewhere.
	skip func(i int) bool

	mu        sync.Mutex
	latencies []time.Duration
	errors    map[string]uint64
	acks      []node.TxReceipt // every successful submit's receipt
}

func newTxLoad(rate float64, clients []*adminClient) *txLoad {
	return &txLoad{rate: rate, clients: clients, maxInFlight: 8192, errors: map[string]uint64{}, wait: "included"}
}

// run submits until ctx ends, then waits for the transactions in flight.
func (l *txLoad) run(ctx context.Context, seed uint64) {
	if l.rate <= 0 {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	rng := rand.New(rand.NewPCG(seed, 0x7478))
	// Tick every 10 ms and send what the rate owes so far: smooth at any
	// rate without a timer per transaction.
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	var sent uint64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			owed := uint64(now.Sub(start).Seconds() * l.rate)
			for ; sent < owed; sent++ {
				if l.inFlight.Load() >= int64(l.maxInFlight) {
					l.shed.Add(1)
					continue
				}
				client := l.clients[l.pick(sent)]
				key := binary.BigEndian.AppendUint64([]byte("testnet/"), sent)
				val := binary.BigEndian.AppendUint64(nil, rng.Uint64())
				l.inFlight.Add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer l.inFlight.Add(-1)
					l.submit(client, string(key), string(val))
				}()
			}
		}
	}
}

// pick is the n-th submit's client: round-robin, past skipped ones.
func (l *txLoad) pick(n uint64) int {
	i := int(n % uint64(len(l.clients)))
	for k := 0; l.skip != nil && k < len(l.clients) && l.skip(i); k++ {
		i = (i + 1) % len(l.clients)
	}
	return i
}

func (l *txLoad) submit(c *adminClient, key, val string) {
	l.submitted.Add(1)
	began := time.Now()
	// Each submit gets its own deadline: the load's end must not turn
	// transactions already sent into failures.
	ctx, cancel := context.WithTimeout(context.Background(), submitWait)
	defer cancel()
	var rec node.TxReceipt
	err := c.do(ctx, "POST", "/tx", map[string]any{"set": map[string]string{key: val}, "wait": l.wait}, &rec, nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		reason := "unreachable"
		var ae *apiError
		switch {
		case errors.As(err, &ae):
			reason = ae.Reason
		case errors.Is(err, context.DeadlineExceeded):
			reason = "no-answer"
		}
		l.errors[reason]++
		l.failed.Add(1)
		return
	}
	l.committed.Add(1)
	l.latencies = append(l.latencies, time.Since(began))
	l.acks = append(l.acks, rec)
}

// acked returns the receipts of every successful submit.
func (l *txLoad) acked() []node.TxReceipt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acks)
}

// maxAckedHeight is the highest block an acknowledged transaction is in.
func (l *txLoad) maxAckedHeight() uint64 {
	var h uint64
	for _, r := range l.acked() {
		h = max(h, r.Height)
	}
	return h
}

// percentile returns the q-quantile (0..1) of the latencies in ms.
func (l *txLoad) percentile(q float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	i := min(int(q*float64(len(s))), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}
