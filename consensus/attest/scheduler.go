package attest

import (
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Scheduler collects verifications of blocks level by level (seed 000's
// broadcast processor as a pure core). It is not safe for concurrent use:
// one driver goroutine calls every method.
type Scheduler struct {
	cfg    Config
	dir    *Directory
	blocks map[block.ID]*entry
	due    dueHeap
	// dirty lists blocks whose state changed since the last Advance.
	dirty []block.ID
	// recent remembers finalized blocks (FIFO of RecentFinalized) so late
	// receipts get "excess" or "duplicate".
	recent      map[block.ID][]DoneLevel
	recentOrder []block.ID
	rd          Ready
	// lastDeadline is the deadline handed out by the last Advance.
	lastDeadline time.Time
	stats        Stats
}

// entry is one block in the scheduler.
type entry struct {
	st State
	// lvl is the index of st.Level in cfg.Levels.
	lvl int
	// lower is the digest of the previous level's verifications.
	lower block.Hash
	// persistedDue is st.Due as last handed out in Ready.
	persistedDue time.Time
	dirty        bool
}

// Stats are the scheduler's counters since New (not persisted).
type Stats struct {
	// Requests counts requests sent; Replacements those to a new verifier
	// after another missed its deadline; Reasks those to a verifier that
	// missed before (no replacement was left); Resent those re-sent after
	// a restart because they were in flight.
	Requests, Replacements, Reasks, Resent uint64
	// Unreachable counts asks marked missed early because the transport
	// could not deliver the request (Unreachable).
	Unreachable uint64
	// Accepted counts verifications counted; Finalized blocks finalized;
	// Stalls blocks marked stalled; Promotions levels completed below the
	// last.
	Accepted, Finalized, Stalls, Promotions uint64
	// Refused counts refused receipts by reason (duplicates included).
	Refused map[Reason]uint64
}

// New returns a scheduler resuming from states (a store's Load; nil on
// first start) at time now. Requests that were in flight — asked, not
// answered, deadline not passed — are re-sent at once in the first Ready
// (the crash may have lost them); the others are replaced when Tick finds
// them due. States refer to levels by Number: a state at a level no longer
// configured is an error (the configuration changed under pending blocks).
func New(cfg Config, dir *Directory, states []State, now time.Time) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if dir == nil {
		dir, _ = NewDirectory(nil)
	}
	s := &Scheduler{cfg: cfg, dir: dir, blocks: map[block.ID]*entry{}, recent: map[block.ID][]DoneLevel{},
		stats: Stats{Refused: map[Reason]uint64{}}}
	for _, st := range states {
		if err := s.restore(st, now); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Scheduler) restore(st State, now time.Time) error {
	lvl, ok := s.cfg.levelIndex(st.Level)
	if !ok || len(st.Done) != lvl {
		return fmt.Errorf("attest: stored block %s is at L%d with %d done levels, not in the configured levels", st.Block, st.Level, len(st.Done))
	}
	for i, d := range st.Done {
		if d.Number != s.cfg.Levels[i].Number || len(d.Got) != s.cfg.Levels[i].Required {
			return fmt.Errorf("attest: stored block %s: done level L%d with %d verifications does not match the configuration", st.Block, d.Number, len(d.Got))
		}
	}
	if _, dup := s.blocks[st.Block]; dup {
		return fmt.Errorf("attest: block %s stored twice", st.Block)
	}
	e := &entry{st: st.clone(), lvl: lvl, lower: Digest(nil), persistedDue: st.Due}
	if lvl > 0 {
		e.lower = Digest(st.Done[lvl-1].Got)
	}
	s.blocks[st.Block] = e
	if e.st.Stalled != "" {
		return nil
	}
	for _, a := range e.st.Asked {
		if !a.Missed && a.Deadline.After(now) && !e.answered(a.Verifier) {
			s.send(e, a)
			s.stats.Resent++
		}
	}
	s.schedule(e)
	return nil
}

// SetDirectory replaces the verifier directory; later selections use it.
func (s *Scheduler) SetDirectory(d *Directory) { s.dir = d }

// Add schedules block id (an irreversible block that needs attestation).
// Adding a block already pending or recently finalized does nothing.
func (s *Scheduler) Add(now time.Time, id block.ID) error {
	if _, ok := s.blocks[id]; ok {
		return nil
	}
	if _, ok := s.recent[id]; ok {
		return nil
	}
	if len(s.blocks) >= s.cfg.MaxPending {
		return refuse(ReasonFull, "%d blocks pending (Config.MaxPending)", len(s.blocks))
	}
	e := &entry{st: State{Block: id, Added: ms(now), Level: s.cfg.Levels[0].Number}, lower: Digest(nil)}
	s.blocks[id] = e
	s.startLevel(now, e)
	return nil
}

// Retry reschedules a stalled block: its missed-round count restarts at 0
// and the missing verifications are asked for again (new verifiers first,
// then those that missed). Retrying a live block does nothing.
func (s *Scheduler) Retry(now time.Time, id block.ID) error {
	e := s.blocks[id]
	if e == nil {
		return refuse(ReasonUnknownBlock, "block %s is not pending", id)
	}
	if e.st.Stalled == "" {
		return nil
	}
	e.st.Stalled, e.st.Misses = "", 0
	s.fill(now, e)
	return nil
}

// Tick handles every block due at or before now: requests past their
// deadline are marked missed and replaced (or re-asked, with a doubled
// deadline, when no replacement is left); a level that missed more than
// MaxRounds rounds stalls the block.
func (s *Scheduler) Tick(now time.Time) {
	for {
		e, ok := s.popDue(now)
		if !ok {
			return
		}
		s.expire(now, e)
	}
}

// Has reports whether id is pending (live or stalled).
func (s *Scheduler) Has(id block.ID) bool { _, ok := s.blocks[id]; return ok }

// States returns a copy of every pending block's state, in block id order
// (for GET /attest and tests).
func (s *Scheduler) States() []State {
	out := make([]State, 0, len(s.blocks))
	for _, e := range s.blocks {
		out = append(out, e.st.clone())
	}
	slices.SortFunc(out, func(a, b State) int { return slices.Compare(a.Block[:], b.Block[:]) })
	return out
}

// Status is a snapshot for operators.
type Status struct {
	Pending int
	Stalled int
	// PerLevel counts live and stalled blocks by the level they are at.
	PerLevel map[uint8]int
	Stats    Stats
}

// Status returns a snapshot of the scheduler.
func (s *Scheduler) Status() Status {
	st := Status{Pending: len(s.blocks), PerLevel: map[uint8]int{}, Stats: s.stats}
	st.Stats.Refused = make(map[Reason]uint64, len(s.stats.Refused))
	for r, n := range s.stats.Refused {
		st.Stats.Refused[r] = n
	}
	for _, e := range s.blocks {
		st.PerLevel[e.st.Level]++
		if e.st.Stalled != "" {
			st.Stalled++
		}
	}
	return st
}

func (s *Scheduler) markDirty(e *entry) {
	if !e.dirty {
		e.dirty = true
		s.dirty = append(s.dirty, e.st.Block)
	}
}

func (e *entry) answered(k block.PublicKey) bool {
	for i := range e.st.Got {
		if e.st.Got[i].Verifier == k {
			return true
		}
	}
	return false
}

func (e *entry) ask(k block.PublicKey) int {
	for i := range e.st.Asked {
		if e.st.Asked[i].Verifier == k {
			return i
		}
	}
	return -1
}

// Unreachable tells the scheduler that the request to verifier for block
// id could not be delivered (the transport found no route within its queue
// time): the ask is marked missed at once and the level filled again, so a
// replacement over another route is asked now instead of at the deadline.
// It returns false (and does nothing) unless the verifier holds a live
// ask at the block's current level: a stale report after an answer, a
// replacement or a promotion changes nothing.
func (s *Scheduler) Unreachable(now time.Time, verifier block.PublicKey, id block.ID) bool {
	e := s.blocks[id]
	if e == nil || e.st.Stalled != "" {
		return false
	}
	i := e.ask(verifier)
	if i < 0 || e.st.Asked[i].Missed || e.answered(verifier) {
		return false
	}
	e.st.Asked[i].Missed = true
	s.stats.Unreachable++
	s.markDirty(e)
	s.fill(now, e)
	return true
}
