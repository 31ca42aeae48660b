package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/transport/route"
	"github.com/blockwire/blockwire/transport/submit"
)

// payload_errors names the route-limit refusal apart from other
// no-producer answers, so a run shows whether issue 19's failure is back.
func TestPayloadFailReason(t *testing.T) {
	limit := &apiError{Status: 503, Reason: "no-producer", Msg: "node: no producer reachable: sending to x: route: payload above Limits.MaxPayload"}
	require.Equal(t, "route-payload-limit", failReason(limit))
	require.Equal(t, "producer-timeout", failReason(&apiError{Status: 504, Reason: "producer-timeout", Msg: "no answer"}))
	require.Equal(t, "no-answer", failReason(fmt.Errorf("post: %w", context.DeadlineExceeded)))
	require.Equal(t, "unreachable", failReason(errors.New("connection refused")))
}

// A block's payload goes out as several transactions, each well within
// what a node forwards to the leader, so none fails when it lands on a
// node that has just lost the lead; together they carry the whole payload,
// and no two are the same transaction or write the same key.
func TestPayloadSplitsIntoForwardableTransactions(t *testing.T) {
	body := strings.Repeat("x", 1<<20)
	limit := submit.MaxTx(route.DefaultLimits().MaxPayload)
	seen := map[string]bool{}
	for i := range 2 {
		txs := payloadTxs(body, i)
		require.Len(t, txs, 5, "1 MiB in transactions of %d value bytes", payloadTxBytes)
		values, keys := 0, map[string]bool{}
		for _, set := range txs {
			var ops []chain.KVOp
			for _, k := range slices.Sorted(maps.Keys(set)) {
				v := set[k]
				require.False(t, keys[k], "key %s written twice in one interval", k)
				keys[k] = true
				values += len(v)
				ops = append(ops, chain.KVOp{Kind: chain.KVSet, Key: []byte(k), Value: []byte(v)})
			}
			tx := chain.AppendKVTx(nil, ops...)
			require.LessOrEqual(t, len(tx), limit/4+1024)
			id := string(tx)
			require.False(t, seen[id], "the same transaction twice")
			seen[id] = true
		}
		require.Equal(t, len(body), values)
	}
}
