package link_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// TestStatsJSONLanesByName: operators read lanes by name, in lane order;
// the other fields keep their tags, and the JSON decodes back.
func TestStatsJSONLanesByName(t *testing.T) {
	st := link.Stats{Peer: newPeerID(t), Direction: link.Inbound, Mode: link.ModeBackup, Transport: "tcp", RTT: time.Millisecond,
		Established: time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)}
	st.Lanes[link.LaneConsensus].MsgsIn = 1
	st.Lanes[link.LaneRouting].MsgsIn = 2
	st.Lanes[link.LaneBlocks].Credit = 3
	st.Lanes[link.LaneSync].Drops = map[link.DropReason]uint64{link.DropQueueFull: 4}

	b, err := json.Marshal(st)
	require.NoError(t, err)
	var raw struct {
		Lanes     json.RawMessage `json:"lanes"`
		Transport string          `json:"transport"`
		RTT       int64           `json:"rtt_ns"`
	}
	require.NoError(t, json.Unmarshal(b, &raw))
	require.Equal(t, "tcp", raw.Transport)
	require.Equal(t, int64(time.Millisecond), raw.RTT)
	require.JSONEq(t, `{
		"consensus": {"queued_bytes":0,"queued_msgs":0,"bytes_out":0,"bytes_in":0,"msgs_out":0,"msgs_in":1},
		"routing":   {"queued_bytes":0,"queued_msgs":0,"bytes_out":0,"bytes_in":0,"msgs_out":0,"msgs_in":2},
		"blocks":    {"queued_bytes":0,"queued_msgs":0,"bytes_out":0,"bytes_in":0,"msgs_out":0,"msgs_in":0,"credit":3},
		"sync":      {"queued_bytes":0,"queued_msgs":0,"bytes_out":0,"bytes_in":0,"msgs_out":0,"msgs_in":0,"drops":{"queue_full":4}}
	}`, string(raw.Lanes))
	require.Regexp(t, `^\{"consensus":.*,"routing":.*,"blocks":.*,"sync":.*\}$`, string(raw.Lanes), "lane order")

	// The admin CLI decodes what the API encodes.
	var back link.Stats
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, st.Lanes, back.Lanes)
	require.Equal(t, st.Peer, back.Peer)
	require.Equal(t, st.RTT, back.RTT)
	require.Equal(t, link.Inbound, back.Direction)
	require.Equal(t, link.ModeBackup, back.Mode)
	require.True(t, st.Established.Equal(back.Established))
	require.Error(t, json.Unmarshal([]byte(`{"lanes":{"votes":{}}}`), &back))

	// Through PeerInfo (a pointer field) and a pointer, the same encoding.
	pb, err := json.Marshal(link.PeerInfo{Peer: st.Peer, Connected: true, Stats: &st})
	require.NoError(t, err)
	require.Contains(t, string(pb), `"lanes":{"consensus":`)
	var pi link.PeerInfo
	require.NoError(t, json.Unmarshal(pb, &pi))
	require.Equal(t, st.Lanes, pi.Stats.Lanes)
}
