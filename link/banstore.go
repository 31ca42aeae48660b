package link

import (
	"fmt"
	"time"
)

// BanStore keeps bans across restarts. The link package holds no database:
// node/ implements BanStore on its pebble database, and a host without one
// forgets its bans when it stops.
//
// Contract: the host loads the stored bans once when it is given the
// store, before it accepts any connection (Config.BanStore) or right away
// (UseBanStore); bans that have expired by then are deleted, not restored.
// Afterwards the host calls SaveBan for every new ban (operator or score)
// and DeleteBan when an operator lifts one. A ban that expires while the
// host runs is not deleted until the next load.
//
// Concurrency: the host makes one call at a time, in the order the changes
// took effect, from any goroutine (often a link's reader: keep calls
// short). Errors: a failed SaveBan or DeleteBan is logged; the change holds
// in memory regardless. A failed LoadBans fails New or UseBanStore.
type BanStore interface {
	// LoadBans returns every stored ban, expired or not.
	LoadBans() ([]Ban, error)
	// SaveBan stores b, replacing any ban stored for b.Peer.
	SaveBan(b Ban) error
	// DeleteBan removes p's ban; deleting a missing ban is not an error.
	DeleteBan(p PeerID) error
}

// UseBanStore loads the bans in s, enforces those still in force (live
// links to those peers end with ReasonBanned) and writes every later ban
// change to s. A libp2p Host should get its store through Config.BanStore
// instead, which loads it before the host accepts connections.
func (h *hub) UseBanStore(s BanStore) error {
	if s == nil {
		return nil
	}
	stored, err := s.LoadBans()
	if err != nil {
		return fmt.Errorf("link: loading bans: %w", err)
	}
	now := time.Now()
	var restored []Ban
	h.storeMu.Lock()
	h.store = s
	h.mu.Lock()
	for _, b := range stored {
		if h.scores.restore(b, now) {
			restored = append(restored, b)
		}
	}
	h.mu.Unlock()
	for _, b := range stored {
		if !now.Before(b.Until) {
			if err := s.DeleteBan(b.Peer); err != nil {
				h.log.Error().Err(err).Str("peer", b.Peer.String()).Msg("deleting an expired stored ban failed")
			}
		}
	}
	h.storeMu.Unlock()
	for _, b := range restored {
		h.log.Info().Str("peer", b.Peer.String()).Str("reason", b.Reason).Time("until", b.Until).Msg("ban restored")
		h.enforceBan(b)
	}
	return nil
}

// saveBan writes b to the store, if any. The caller holds storeMu.
func (h *hub) saveBan(b Ban) {
	if h.store == nil {
		return
	}
	if err := h.store.SaveBan(b); err != nil {
		h.log.Error().Err(err).Str("peer", b.Peer.String()).Msg("storing a ban failed; it holds until the next restart")
	}
}
