package sim

import (
	"container/heap"
	"encoding/binary"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// engine is the discrete-event core: a priority queue of events ordered by
// (virtual time, sequence number), one seeded random source, and a running
// hash over every executed event.
//
// Determinism rests on three rules: nothing outside the engine decides what
// runs next (no goroutines, no wall clock), ties in time are broken by the
// order events were scheduled, and every random draw comes from rng in event
// order. Two runs of one Config therefore execute the same events in the same
// order and reach the same trace hash.
type engine struct {
	now    time.Duration
	seq    uint64
	queue  eventQueue
	rng    *rand.Rand
	trace  hash.Hash64
	events uint64
	buf    [40]byte
}

// eventKind labels an event in the trace.
type eventKind uint8

const (
	evProduce eventKind = iota + 1
	evChunk
	evDeliver
	evTick
	evFault
	evCheck
	evConnect
	evFlush
	evConsensus
)

// event is one scheduled action. a, b and x are the fields hashed into the
// trace (node ids, sizes, ids' first bytes), so the trace pins down what
// happened, not only when.
type event struct {
	at   time.Duration
	seq  uint64
	kind eventKind
	a, b int32
	x    uint64
	fn   func()
}

func newEngine(seed uint64) *engine {
	return &engine{
		// The second PCG word is a fixed constant: one seed, one stream.
		rng:   rand.New(rand.NewPCG(seed, 0x626c6f636b776972)),
		trace: fnv.New64a(),
	}
}

// at schedules fn at virtual time t (never earlier than now).
func (e *engine) at(t time.Duration, kind eventKind, a, b int32, x uint64, fn func()) {
	if t < e.now {
		t = e.now
	}
	e.seq++
	heap.Push(&e.queue, &event{at: t, seq: e.seq, kind: kind, a: a, b: b, x: x, fn: fn})
}

// after schedules fn d after now.
func (e *engine) after(d time.Duration, kind eventKind, a, b int32, x uint64, fn func()) {
	e.at(e.now+d, kind, a, b, x, fn)
}

// step runs the next event; it returns false when the queue is empty or the
// next event lies beyond until.
func (e *engine) step(until time.Duration) bool {
	if len(e.queue) == 0 || e.queue[0].at > until {
		return false
	}
	ev := heap.Pop(&e.queue).(*event)
	e.now = ev.at
	e.events++
	e.record(ev)
	ev.fn()
	return true
}

func (e *engine) record(ev *event) {
	b := e.buf[:0]
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.at))
	b = append(b, byte(ev.kind))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.a))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.b))
	b = binary.LittleEndian.AppendUint64(b, ev.x)
	e.trace.Write(b)
}

// mix adds a value that an event computed (a random draw's outcome, a
// verdict) to the trace.
func (e *engine) mix(x uint64) {
	e.trace.Write(binary.LittleEndian.AppendUint64(e.buf[:0], x))
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return ev
}
