package cft

import (
	"encoding/json"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
)

// TestWholeClusterRestart stops every producer and starts them all again
// from their pebble directories without bootstrap: raft state (log, term,
// vote, snapshot) is all on disk, and the chain continues where it was.
func TestWholeClusterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.addNodes(3, 1)
		defer w.stopAll()
		w.progress(50, w.live()...)
		terms := map[*tnode]uint64{}
		var producers []*tnode
		for _, nd := range w.nodes {
			if nd.eng != nil {
				terms[nd] = nd.eng.Status().Term
				producers = append(producers, nd)
			}
		}
		for _, nd := range producers {
			nd.stop(false)
		}
		for _, nd := range producers {
			nd.start(nil)
			require.GreaterOrEqual(t, nd.eng.Status().Term, terms[nd])
		}
		w.progress(20, w.live()...)
		w.check()

		st := w.leader().eng.Status()
		require.True(t, st.Producing)
		require.Positive(t, st.Produced)
		out, err := json.Marshal(st)
		require.NoError(t, err)
		require.Contains(t, string(out), `"last_committed":"`)
	})
}
