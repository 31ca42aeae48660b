package rbcrun

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport/rbc"
)

// loopState is what the run goroutine owns.
//
// Invariant: core != nil exactly when we are in set; store is set's.
type loopState struct {
	set      *rbc.Participants
	tag      Tag
	core     *rbc.Core
	store    rbc.Store
	peers    []peer.ID       // participant index → peer id
	index    map[peer.ID]int // and back
	deadline time.Time
	// waiters are our own broadcasts awaiting delivery, by instance.
	waiters map[rbc.Instance]chan result
	recent  []DeliveryInfo
}

type result struct {
	d   rbc.Delivery
	err error
}

func (s *loopState) failWaiters(err error) {
	for inst, w := range s.waiters {
		w <- result{err: err}
		delete(s.waiters, inst)
	}
}

// SetParticipants installs the participant set in force (the producers
// after a change became irreversible), keys in the set's canonical order.
// A set equal to the current one changes nothing; another one abandons
// the old set's instances (our pending broadcasts fail with
// ErrSetChanged), and, if we are in it, opens its records and a core (its
// replayed deliveries go to the subscribers). Messages of the old set
// still arriving are ignored, not charged.
func (r *Runner) SetParticipants(keys []ed25519.PublicKey) error {
	var err error
	if cerr := r.call(r.ctx, func() {
		if err = r.install(keys); err != nil && r.st.set != nil && r.st.core == nil && r.st.tag == tagOfKeys(keys) {
			// The switch happened but the set's records cannot be read:
			// running on without them could sign twice.
			r.fail(err)
		}
	}); cerr != nil {
		return cerr
	}
	return err
}

// tagOfKeys is the tag of keys' set (zero if they make none).
func tagOfKeys(keys []ed25519.PublicKey) Tag {
	set, err := rbc.NewParticipants(keys)
	if err != nil {
		return Tag{}
	}
	return tagOf(set)
}

// install switches to keys' set (on the loop, or in New before it runs).
func (r *Runner) install(keys []ed25519.PublicKey) error {
	set, err := rbc.NewParticipants(keys)
	if err != nil {
		return err
	}
	st := r.st
	if st.set != nil && set.Hash() == st.set.Hash() {
		return nil
	}
	peers := make([]peer.ID, set.N())
	index := make(map[peer.ID]int, set.N())
	for i := range set.N() {
		p, err := peerOf(set.Key(i))
		if err != nil {
			return err
		}
		peers[i], index[p] = p, i
	}
	st.failWaiters(ErrSetChanged)
	st.set, st.tag, st.peers, st.index = set, tagOf(set), peers, index
	st.core, st.store, st.deadline = nil, nil, time.Time{}
	if _, in := set.Index(r.self); !in {
		r.log.Info().Int("participants", set.N()).Msg("reliable broadcast: not a participant of the set in force")
		return nil
	}
	store, err := r.deps.Store(set)
	if err != nil {
		return fmt.Errorf("rbcrun: opening the records of set %x: %w", st.tag, err)
	}
	recs, err := store.Load()
	if err != nil {
		return fmt.Errorf("rbcrun: loading the records of set %x: %w", st.tag, err)
	}
	cfg := r.cfg.Core
	cfg.Set = set
	core, err := rbc.New(cfg, recs, r.now())
	if err != nil {
		return err
	}
	st.core, st.store = core, store
	r.log.Info().Int("participants", set.N()).Int("self", core.Self()).Int("records", len(recs)).
		Hex("set", st.tag[:]).Msg("reliable broadcast: participant set installed")
	return nil
}

// peerOf is the libp2p peer id that embeds an ed25519 key (a producer's
// block key is its node key).
func peerOf(k ed25519.PublicKey) (peer.ID, error) {
	pub, err := crypto.UnmarshalEd25519PublicKey(k)
	if err != nil {
		return "", fmt.Errorf("rbcrun: participant key: %w", err)
	}
	return peer.IDFromPublicKey(pub)
}
