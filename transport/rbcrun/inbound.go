package rbcrun

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport/rbc"
)

// onInbound handles one received envelope: its set, its sender, then the
// core. Refusals a correct participant never causes go to Deps.Refused.
func (r *Runner) onInbound(m inbound) {
	st := r.st
	r.ctr.received.Add(1)
	tag, body, err := decodeEnvelope(m.payload)
	if err != nil {
		r.refused(m.from, err)
		return
	}
	if st.set == nil || tag != st.tag {
		// A set change reached the sender before us, or us before it:
		// not its fault. The core's retransmissions cover the switch.
		r.ctr.otherSet.Add(1)
		return
	}
	from, ok := st.index[m.from]
	if !ok {
		r.refused(m.from, &rbc.Error{Reason: rbc.ReasonNonMember, Detail: fmt.Sprintf("peer %s is not a participant", m.from)})
		return
	}
	if st.core == nil {
		r.ctr.notMember.Add(1) // we are not in the set: nothing to do
		return
	}
	r.refused(m.from, st.core.Receive(from, body, r.now()))
}

// refused counts a refusal and reports the ones a correct participant
// never causes.
func (r *Runner) refused(from peer.ID, err error) {
	if err == nil {
		return
	}
	reason := rbc.ReasonOf(err)
	if reason == "" {
		reason = rbc.ReasonMalformed
	}
	r.ctr.refuse(string(reason))
	if reason.Penalized() && r.deps.Refused != nil {
		r.deps.Refused(from, string(reason), err)
	}
	r.log.Debug().Str("peer", from.String()).Str("reason", string(reason)).Err(err).Msg("reliable-broadcast message refused")
}
