package admin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/blockwire/blockwire/consensus/bftrun"
)

// BFT producer metrics (consensus.engine = "bft"), from the runner's
// Status; docs/operations.md lists them.
var (
	descBFTView      = desc("blockwire_bft_view", "The BFT engine's current view (BFT producers).")
	descBFTFinalized = desc("blockwire_bft_finalized_height", "Height of the last block the BFT engine finalized.")
	descBFTNotarized = desc("blockwire_bft_notarized_height", "Height of the highest notarized block above it.")
	descBFTMember    = desc("blockwire_bft_member", "1 while this producer signs in the current epoch.")
	descBFTJoint     = desc("blockwire_bft_joint", "1 while the epoch is joint (a producer-set change between its old and new set).")
	descBFTEpochs    = desc("blockwire_bft_epoch_switches_total", "Producer-set epochs this runner entered.")
	descBFTMessages  = desc("blockwire_bft_messages_total", "BFT messages by event: sent, received, send_error, dropped, other_epoch.", "event")
	descBFTCerts     = desc("blockwire_bft_certificates_total", "Certificates formed: notarization, finalization.", "kind")
	descBFTProposed  = desc("blockwire_bft_proposed_total", "Blocks this producer proposed; produce_error: views it could not build for.", "outcome")
	descBFTRecords   = desc("blockwire_bft_records_written_total", "Safety records synced before their votes left.")
	descBFTRefused   = desc("blockwire_bft_refused_total", "BFT messages refused, by reason.", "reason")
)

var bftDescs = []*prometheus.Desc{descBFTView, descBFTFinalized, descBFTNotarized, descBFTMember, descBFTJoint, descBFTEpochs,
	descBFTMessages, descBFTCerts, descBFTProposed, descBFTRecords, descBFTRefused}

func collectBFT(s *bftrun.Status, gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	if s == nil {
		return
	}
	gauge(descBFTView, float64(s.View))
	gauge(descBFTFinalized, float64(s.FinalizedHeight))
	gauge(descBFTNotarized, float64(s.NotarizedHeight))
	gauge(descBFTMember, boolFloat(s.Member))
	gauge(descBFTJoint, boolFloat(s.Joint))
	counter(descBFTEpochs, s.Epochs)
	counter(descBFTMessages, s.Sent, "sent")
	counter(descBFTMessages, s.Received, "received")
	counter(descBFTMessages, s.SendErrors, "send_error")
	counter(descBFTMessages, s.Dropped, "dropped")
	counter(descBFTMessages, s.OtherEpoch, "other_epoch")
	counter(descBFTCerts, s.NotarizedCount, "notarization")
	counter(descBFTCerts, s.FinalizedCount, "finalization")
	counter(descBFTProposed, s.Proposed, "proposed")
	counter(descBFTProposed, s.ProduceErrors, "produce_error")
	counter(descBFTRecords, s.Records)
	for reason, n := range s.Refused {
		counter(descBFTRefused, n, reason)
	}
}
