package syncstate

import "time"

// State is the sync signal.
type State string

// States.
const (
	// Synced: no verified peer head is more than Config.Slack above ours,
	// or our head advanced within Config.StallAfter.
	Synced State = "synced"
	// CatchingUp: a verified peer head is more than Config.Slack above
	// ours, and our head advanced within Config.StallAfter.
	CatchingUp State = "catching_up"
	// Stalled: a verified peer head is above ours, and our head has not
	// advanced for Config.StallAfter: the node is not following the chain
	// its peers verifiably extend.
	Stalled State = "stalled"
)

// Config tunes the signal.
type Config struct {
	// Slack is how many blocks a verified peer head may be above ours
	// before the node counts as catching up (blocks in flight).
	Slack uint64
	// StallAfter is how long our head may stand still, with a verified
	// peer head above it, before the node counts as stalled. Several
	// block intervals: a leader election pauses production for a moment.
	StallAfter time.Duration
}

// Tracker follows our head's progress. The zero value is not usable: use
// New.
type Tracker struct {
	cfg Config
	// head is our head's height; headAt when it last grew.
	head   uint64
	headAt time.Time
}

// New starts a tracker at our head's height.
func New(cfg Config, now time.Time, head uint64) *Tracker {
	return &Tracker{cfg: cfg, head: head, headAt: now}
}

// Head records our head's height (call on every head change).
func (t *Tracker) Head(now time.Time, height uint64) {
	if height > t.head {
		t.head, t.headAt = height, now
	}
}

// State returns the signal for the highest verified peer head best.
func (t *Tracker) State(now time.Time, best uint64) State {
	switch {
	case best > t.head && now.Sub(t.headAt) >= t.cfg.StallAfter:
		return Stalled
	case best > t.head+t.cfg.Slack:
		return CatchingUp
	}
	return Synced
}
