package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node that misses one status call as the run ends is asked again
// before the summary calls it not answering (on a saturated host the
// 16-node runs reported live nodes as "not answering" and failed).
func TestSampleAnsweredRetriesMissedNodes(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"head":{"height":7}}`))
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"down"}`, http.StatusServiceUnavailable)
	}))
	defer dead.Close()
	v := &liveView{procs: []*proc{
		{client: newAdminClient(srv.URL, time.Second)},
		{client: newAdminClient(dead.URL, time.Second)},
	}}
	out := v.sampleAnswered(context.Background(), 2)
	require.NoError(t, out[0].err)
	require.EqualValues(t, 7, out[0].status.Head.Height)
	require.Error(t, out[1].err, "a node that never answers stays an error")
	require.EqualValues(t, 2, calls.Load())
}
