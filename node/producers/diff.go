package producers

import (
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// Diff is what a node carries out when the set in force goes from old to
// new (node/prodset.go's refreshProducers).
type Diff struct {
	// Retired are the routing ids of producers the new set dropped. They
	// stay admitted as routing destinations until the next change: raft
	// must still reach a removed producer with its removal.
	Retired map[route.NodeID]bool
	// Protect and Unprotect are the peers whose link protection (never
	// banned by scoring, floods shed not charged) starts and ends, self
	// excluded, sorted.
	Protect, Unprotect []link.PeerID
}

// Compare returns the Diff from old to new as seen by the node self.
func Compare(old, new *View, self link.PeerID) Diff {
	d := Diff{Retired: map[route.NodeID]bool{}}
	for id := range old.routes {
		if !new.routes[id] {
			d.Retired[id] = true
		}
	}
	for _, p := range old.Peers() {
		if !new.Has(p) && p != self {
			d.Unprotect = append(d.Unprotect, p)
		}
	}
	for _, p := range new.Peers() {
		if !old.Has(p) && p != self {
			d.Protect = append(d.Protect, p)
		}
	}
	return d
}
