package admin

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport/rbcrun"
)

// RBCSource is a Backend that runs reliable broadcast (node.Node does).
// It is optional: without it GET /rbc answers 404 and no rbc metrics are
// exported.
type RBCSource interface {
	ReliableStatus(ctx context.Context) rbcrun.Status
}

var _ RBCSource = (*node.Node)(nil)

// rbcStatus serves GET /rbc: the participant set in force, the instances
// with their phases (none, echoed, ready, delivered), signer counts and
// retransmissions, our pending broadcasts, recent deliveries with their
// certificates' signers, and the counters (refusals by reason).
func (s *Server) rbcStatus(w http.ResponseWriter, r *http.Request) {
	src, ok := s.b.(RBCSource)
	if !ok {
		writeError(w, http.StatusNotFound, "not-supported", "this backend runs no reliable broadcast")
		return
	}
	writeJSON(w, http.StatusOK, src.ReliableStatus(r.Context()))
}

var (
	descRBCInstances = desc("blockwire_rbc_instances", "Reliable-broadcast instances held, by our phase.", "phase")
	descRBCPending   = desc("blockwire_rbc_pending", "Our reliable broadcasts not yet delivered.")
	descRBCMember    = desc("blockwire_rbc_member", "1 while this node is a participant of the set in force.")
	descRBCDelivered = desc("blockwire_rbc_delivered_total", "Reliable-broadcast deliveries (replayed: handed out again after a restart).", "kind")
	descRBCMessages  = desc("blockwire_rbc_messages_total", "Reliable-broadcast messages: received, sent (multicasts), sent_copies, send_errors, inbound_dropped, other_set.", "kind")
	descRBCRecords   = desc("blockwire_rbc_records_total", "Reliable-broadcast records persisted (synced).")
	descRBCRefused   = desc("blockwire_rbc_refused_total", "Reliable-broadcast messages refused, by reason.", "reason")
	descRBCSubDrops  = desc("blockwire_rbc_subscriber_drops_total", "Deliveries dropped because a subscriber's buffer was full.")
)

// rbcCollector exports a node's reliable-broadcast state.
type rbcCollector struct{ src RBCSource }

func (c rbcCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRBCInstances, descRBCPending, descRBCMember, descRBCDelivered, descRBCMessages,
		descRBCRecords, descRBCRefused, descRBCSubDrops} {
		ch <- d
	}
}

func (c rbcCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.ReliableStatus(context.Background())
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	phases := map[string]float64{"none": 0, "echoed": 0, "ready": 0, "delivered": 0}
	for _, in := range st.Instances {
		phases[in.Phase]++
	}
	for p, v := range phases {
		gauge(descRBCInstances, v, p)
	}
	gauge(descRBCPending, float64(st.Pending))
	gauge(descRBCMember, boolFloat(st.Member))
	k := st.Counters
	counter(descRBCDelivered, k.Delivered, "new")
	counter(descRBCDelivered, k.Replayed, "replayed")
	for kind, v := range map[string]uint64{"received": k.Received, "sent": k.Sent, "sent_copies": k.SentCopies,
		"send_errors": k.SendErrors, "inbound_dropped": k.InboundDropped, "other_set": k.OtherSet} {
		counter(descRBCMessages, v, kind)
	}
	counter(descRBCRecords, k.Records)
	for reason, v := range k.Refused {
		counter(descRBCRefused, v, reason)
	}
	counter(descRBCSubDrops, k.SubscriberDrop)
}
