package broadcastrun

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// TestSlowPeersAreChargedLightly: timeouts are congestion until proven
// otherwise; faults that prove misbehaviour cost a protocol penalty.
// (Every fault cost ReasonInvalid before: honest peers of a loaded
// 8-process testnet were banned after three slow pulls.)
func TestSlowPeersAreChargedLightly(t *testing.T) {
	for _, r := range []broadcast.Reason{broadcast.ReasonBrokenPromise, broadcast.ReasonUnsolicited} {
		require.Equal(t, link.ReasonFlood, linkReason(r), r)
	}
	for _, r := range []broadcast.Reason{broadcast.ReasonMalformed, broadcast.ReasonBadSignature, broadcast.ReasonRejected,
		broadcast.ReasonOversized, broadcast.ReasonPullFlood, broadcast.ReasonAnnounceFlood, broadcast.ReasonSelfOrigin} {
		require.Equal(t, link.ReasonInvalid, linkReason(r), r)
	}
}
