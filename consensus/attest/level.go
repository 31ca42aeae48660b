package attest

import (
	"fmt"
	"strings"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// startLevel begins collecting e's current level: no asks, no
// verifications, no misses; stall at once if too few verifiers qualify.
func (s *Scheduler) startLevel(now time.Time, e *entry) {
	e.st.Asked, e.st.Got, e.st.Misses = nil, nil, 0
	s.fill(now, e)
}

// live counts e's asks that are neither answered nor missed.
func (e *entry) live() int {
	n := 0
	for _, a := range e.st.Asked {
		if !a.Missed && !e.answered(a.Verifier) {
			n++
		}
	}
	return n
}

// fill asks for as many verifications as the level still lacks beyond the
// live asks: first verifiers never asked for this block and level, in
// Ranked order, with the level's base deadline (a fresh verifier has no
// reason to get longer). When none is left, that is a re-ask round: every
// verifier that missed is asked again (any of them may only be slow, or
// its request lost; which one is unknowable) with the deadline doubled per
// re-ask round (backoff, capped at MaxDeadline), and after MaxRounds such
// rounds the block stalls. Replacement rounds are bounded by the ranking's
// length, re-ask rounds by MaxRounds. Invariant after fill: live asks +
// verifications received >= Required unless the block stalled; more than
// Required only after a re-ask round.
func (s *Scheduler) fill(now time.Time, e *entry) {
	lv := &s.cfg.Levels[e.lvl]
	ranked := s.dir.Ranked(lv, e.st.Block)
	if len(ranked) < lv.Required {
		s.stall(e, fmt.Sprintf("L%d: %d verifiers qualify, %d required", lv.Number, len(ranked), lv.Required))
		return
	}
	next := 0
	for need := lv.Required - len(e.st.Got) - e.live(); need > 0; need-- {
		for next < len(ranked) && e.ask(ranked[next]) >= 0 {
			next++
		}
		// maxAsks bounds a level's record: beyond it, re-ask instead.
		if next < len(ranked) && len(e.st.Asked) < maxAsks {
			if e.missed() > 0 {
				s.stats.Replacements++
			}
			e.st.Asked = append(e.st.Asked, Ask{Verifier: ranked[next]})
			s.request(now, e, len(e.st.Asked)-1, s.cfg.Levels[e.lvl].Deadline)
			continue
		}
		s.reask(now, e)
		return
	}
	s.updateDue(e)
}

// reask is a re-ask round: every missed verifier again, with a grown
// deadline, or the stall once MaxRounds rounds were missed.
func (s *Scheduler) reask(now time.Time, e *entry) {
	e.st.Misses++
	if e.st.Misses > s.cfg.MaxRounds {
		lv := &s.cfg.Levels[e.lvl]
		var silent []string
		for _, a := range e.st.Asked {
			if a.Missed && !e.answered(a.Verifier) && len(silent) < 8 {
				silent = append(silent, fmt.Sprintf("%x", a.Verifier[:4]))
			}
		}
		s.stall(e, fmt.Sprintf("L%d: %d of %d verifications after all %d qualifying verifiers were asked and %d re-ask rounds missed; silent: %s",
			lv.Number, len(e.st.Got), lv.Required, len(e.st.Asked), e.st.Misses-1, strings.Join(silent, ",")))
		return
	}
	d := s.cfg.deadline(e.lvl, e.st.Misses)
	for i, a := range e.st.Asked {
		if a.Missed && !e.answered(a.Verifier) {
			s.stats.Reasks++
			s.request(now, e, i, d)
		}
	}
	s.updateDue(e)
}

// missed counts e's missed, unanswered asks.
func (e *entry) missed() int {
	n := 0
	for _, a := range e.st.Asked {
		if a.Missed && !e.answered(a.Verifier) {
			n++
		}
	}
	return n
}

// request (re)arms ask i with deadline d from now and sends it.
func (s *Scheduler) request(now time.Time, e *entry, i int, d time.Duration) {
	a := &e.st.Asked[i]
	a.Missed = false
	a.Deadline = ms(now.Add(d))
	s.send(e, *a)
	s.markDirty(e)
}

// send queues the request for ask a.
func (s *Scheduler) send(e *entry, a Ask) {
	var lower []Verification
	if e.lvl > 0 {
		lower = e.st.Done[e.lvl-1].Got
	}
	req := &Request{Block: e.st.Block, Level: e.st.Level, Deadline: a.Deadline, Lower: lower}
	s.rd.Messages = append(s.rd.Messages, Outbound{To: a.Verifier, Msg: Message{Request: req}})
	s.stats.Requests++
}

// updateDue sets e's due time to its earliest live deadline and schedules
// it.
func (s *Scheduler) updateDue(e *entry) {
	var due time.Time
	for _, a := range e.st.Asked {
		if !a.Missed && !e.answered(a.Verifier) && (due.IsZero() || a.Deadline.Before(due)) {
			due = a.Deadline
		}
	}
	if !due.Equal(e.st.Due) {
		e.st.Due = due
		s.markDirty(e)
	}
	s.schedule(e)
}

// expire handles e at its due time: asks past their deadline become
// missed and the level is filled again (replacements, or a re-ask round).
func (s *Scheduler) expire(now time.Time, e *entry) {
	n := 0
	for i := range e.st.Asked {
		a := &e.st.Asked[i]
		if !a.Missed && !a.Deadline.After(now) && !e.answered(a.Verifier) {
			a.Missed = true
			n++
		}
	}
	if n > 0 {
		s.markDirty(e)
		s.fill(now, e)
		return
	}
	s.updateDue(e)
}

// stall stops scheduling e, with a reason an operator reads.
func (s *Scheduler) stall(e *entry, reason string) {
	e.st.Stalled, e.st.Due = reason, time.Time{}
	s.stats.Stalls++
	s.rd.Stalled = append(s.rd.Stalled, Stall{Block: e.st.Block, Level: e.st.Level, Reason: reason})
	s.markDirty(e)
}

// complete closes e's current level: promote to the next, or finalize.
func (s *Scheduler) complete(now time.Time, e *entry) {
	asked := make([]block.PublicKey, len(e.st.Asked))
	for i, a := range e.st.Asked {
		asked[i] = a.Verifier
	}
	got := sortedByVerifier(e.st.Got)
	e.st.Done = append(e.st.Done, DoneLevel{Number: e.st.Level, Asked: asked, Got: got})
	e.lower = Digest(got)
	if e.lvl+1 < len(s.cfg.Levels) {
		s.stats.Promotions++
		e.lvl++
		e.st.Level = s.cfg.Levels[e.lvl].Number
		s.markDirty(e)
		s.startLevel(now, e)
		return
	}
	s.finalize(now, e)
}

func (s *Scheduler) finalize(now time.Time, e *entry) {
	s.stats.Finalized++
	id := e.st.Block
	delete(s.blocks, id)
	if e.dirty {
		for i, d := range s.dirty {
			if d == id {
				s.dirty = append(s.dirty[:i], s.dirty[i+1:]...)
				break
			}
		}
	}
	p := Proof{Block: id, Added: e.st.Added, Finalized: ms(now), Levels: e.st.Done}
	s.rd.Finalized = append(s.rd.Finalized, Finalization{Proof: p, PrevDue: e.persistedDue})
	if s.cfg.RecentFinalized == 0 {
		return
	}
	if len(s.recentOrder) >= s.cfg.RecentFinalized {
		delete(s.recent, s.recentOrder[0])
		s.recentOrder = s.recentOrder[1:]
	}
	s.recent[id] = e.st.Done
	s.recentOrder = append(s.recentOrder, id)
}
