package prodset

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// This file holds the rules both engines follow about which producer set
// governs a block, who may produce it, when a node's role changes and
// whether a change is still pending. They are pure: the node reads the
// chain and passes what they need.

// Reasons a block is refused for its producer (CheckProducer). Blocks
// refused for these reasons charge the peer that sent them.
const (
	// ReasonUnknownProducer: the block's producer is not in the set in
	// force for it (never was, or a change that is irreversible for the
	// block removed it).
	ReasonUnknownProducer Reason = "unknown-producer"
	// ReasonBadProducerSet: the header names another set than the one in
	// force after the block it names irreversible.
	ReasonBadProducerSet Reason = "bad-producer-set"
)

// HeaderSetAt names the block whose state holds the producer set in force
// for a block with header h, on a node whose irreversible block is irr.
// A change takes effect once its block is irreversible, and the header
// says which block its producer held irreversible: the set after that
// block governs (exact: the header's ProducerSet must equal its hash). A
// block that names one below irr (pruned, no state) is governed by the
// set in force at irr: ok is false, and so is exact.
func HeaderSetAt(h *block.Header, irr block.ID) (at block.ID, ok bool) {
	if h.Irreversible.Height() >= irr.Height() {
		return h.Irreversible, true
	}
	return block.ID{}, false
}

// BuildSetAt names the block whose state holds the producer set a block
// built on parent carries: the block it will name irreversible, chosen as
// chain.Builder does — the node's irreversible block irr, or the parent's
// view if newer (parent nil: unknown).
func BuildSetAt(parent *block.Header, irr block.ID) block.ID {
	if parent != nil && parent.Irreversible.Height() > irr.Height() {
		return parent.Irreversible
	}
	return irr
}

// CheckProducer decides whether a block with header h may be produced by
// its producer, given the set in force for it (inForce; exact when it is
// the set after the block the header names irreversible, see HeaderSetAt)
// and the genesis set (to say "removed" rather than "not in"). It returns
// "" and nil, or ReasonUnknownProducer or ReasonBadProducerSet with the
// detail.
func CheckProducer(h *block.Header, inForce *Set, exact bool, genesis *Set) (Reason, error) {
	if !inForce.HasKey(h.Producer) {
		why := "is not in the producer set"
		if genesis.HasKey(h.Producer) {
			why = "was removed from the producer set"
		}
		return ReasonUnknownProducer, fmt.Errorf("producer %s %s in force for this block (%d producers)", h.Producer, why, inForce.Len())
	}
	if exact && h.ProducerSet != inForce.Hash() {
		return ReasonBadProducerSet, fmt.Errorf("header producer set %s, the set in force after %s is %s", h.ProducerSet, h.Irreversible, inForce.Hash())
	}
	return "", nil
}

// Transition is what a node's engine must do when the producer set in
// force changes.
type Transition uint8

// Transitions.
const (
	// Stay: the node's role is unchanged.
	Stay Transition = iota
	// Join: the set took the node in; its engine starts (in the joint
	// epoch, with the set the change replaced, where the engine has one).
	Join
	// Leave: the set dropped the node; its engine stops once the engine
	// no longer needs it, and the node follows as a full node.
	Leave
)

func (t Transition) String() string {
	switch t {
	case Join:
		return "join"
	case Leave:
		return "leave"
	}
	return "stay"
}

// RoleTransition decides a node's transition when the set in force
// becomes next: producer says whether the node was acting as a producer,
// self is its raw peer id. A solo chain never changes roles (its one
// producer is fixed by genesis).
func RoleTransition(solo, producer bool, next *Set, self string) Transition {
	in := next.HasPeer(self)
	switch {
	case solo:
		return Stay
	case in && !producer:
		return Join
	case !in && producer:
		return Leave
	}
	return Stay
}

// Changes lists the well-formed change transactions of a block, in order
// (malformed ones never reach a block: the App refuses them).
func Changes(txs [][]byte) []Change {
	var out []Change
	for _, tx := range txs {
		if t, ok, err := DecodeTx(tx); ok && err == nil {
			out = append(out, t.Change)
		}
	}
	return out
}

// PendingBlock is a block of the best chain above the irreversible block,
// for PendingChange.
type PendingBlock struct {
	ID  block.ID
	Txs [][]byte
}

// PendingChange says which producer-set change is still pending, "" if
// none is. One change at a time: a change is pending while it waits in
// the leader's mempool (mempool: its hash, "" none), is in a block of the
// best chain above the irreversible block (best, head first), or was
// committed but not carried out by the engine yet (committed: raft's
// configuration lags). hash names a transaction.
func PendingChange(mempool string, best []PendingBlock, committed int, hash func([]byte) string) string {
	if mempool != "" {
		return fmt.Sprintf("change %s is waiting in the leader's mempool", mempool)
	}
	for _, b := range best {
		for _, tx := range b.Txs {
			if IsChangeTx(tx) {
				return fmt.Sprintf("change %s in block %s is not irreversible yet", hash(tx), b.ID)
			}
		}
	}
	if committed > 0 {
		return fmt.Sprintf("%d committed change(s) not yet in raft's configuration", committed)
	}
	return ""
}
