package blocksync

import "time"

// This file bounds the announcement work a peer can cause: every hello and
// Have costs chain lookups on the driver's single goroutine, and a correct
// peer sends a handful per block (a locator of O(log n) hellos at start,
// then one Have per new head). Announcements beyond the budget are dropped
// and the peer is charged (issue 11, attack 2).

// announceBudget is a token bucket of announcements, refilled at
// Config.AnnounceRate per second up to Config.AnnounceBurst, on the Conn's
// clock. Invariant: 0 <= tokens <= burst.
type announceBudget struct {
	tokens float64
	last   time.Time
	// charged is set once the peer has been penalized for the current
	// overflow: one charge per episode (the bucket running dry), not per
	// dropped message, so that a burst costs a bounded score.
	charged bool
}

func (b *announceBudget) init(cfg *Config, now time.Time) {
	b.tokens, b.last = float64(cfg.AnnounceBurst), now
}

// take consumes one announcement and reports whether the budget allowed it.
func (b *announceBudget) take(cfg *Config, now time.Time) bool {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(float64(cfg.AnnounceBurst), b.tokens+dt.Seconds()*cfg.AnnounceRate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	if b.tokens >= 1 {
		b.charged = false
	}
	return true
}

// overBudget drops an announcement over budget: counted always, charged
// once per overflow episode.
func (c *Conn) overBudget(what string) {
	c.stats.AnnouncementsDropped++
	if c.budget.charged {
		return
	}
	c.budget.charged = true
	c.penalize(fault(ReasonFlood, "%s over the announcement budget (%g/s, burst %d): dropped", what, c.cfg.AnnounceRate, c.cfg.AnnounceBurst))
}
