// Command votepath reads a Go execution trace of a ping-pong benchmark
// (linkbench's BenchmarkPhase) and says where each round trip waited
// (issue 14). For every round trip it walks the critical path backwards
// from the moment the pinger was woken by the reply: the goroutine that
// woke it, the one that woke that one, and so on; at a goroutine woken by
// the netpoller (no goroutine running) it crosses to the other end through
// the latest system call of one of the -senders goroutines (quic-go's
// sendQueue goroutines of the measured connection, found with -count).
// Each hop is split into runnable (readied, waiting for a P) and running
// (which includes time the OS took the thread away: the trace cannot see
// that). It prints the mean per round trip by goroutine and state, for
// all round trips and for the slowest 2 %.
//
//	go test -c -o /tmp/lb.test ./link/linkbench/
//	/tmp/lb.test -test.run '^$' -test.bench 'Phase/quic/loaded' -test.benchtime 1x -test.trace /tmp/l.trace
//	go run ./link/linkbench/votepath -trace /tmp/l.trace -count          # wake-ups per goroutine: find the senders
//	go run ./link/linkbench/votepath -trace /tmp/l.trace -pinger 'linkbench.(*pair).rtts' -senders 64,113
//
// The pinger is the goroutine that blocks with -pinger in its stack
// (floor phase: 'linkbench.pingStream'). A diagnostic, not a test.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/exp/trace"
)

// change is one state transition of a goroutine.
type change struct {
	t     trace.Time
	from  trace.GoState
	to    trace.GoState
	by    trace.GoID // the goroutine running when it happened
	stack string     // for transitions into Waiting
}

// history is every goroutine's transitions in time order, and its start
// function.
type history struct {
	changes map[trace.GoID][]change
	name    map[trace.GoID]string
	where   map[trace.GoID]string // the first link or quic-go frame it blocked in
}

func main() {
	path := flag.String("trace", "", "execution trace file")
	pinger := flag.String("pinger", "linkbench.(*pair).rtts", "substring of the pinger's blocking stack")
	senders := flag.String("senders", "", "comma-separated goroutine ids whose system calls send the measured packets")
	count := flag.Bool("count", false, "print wake-ups and system calls per goroutine instead")
	flag.Parse()
	h, err := read(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "votepath:", err)
		os.Exit(1)
	}
	if *count {
		h.printCounts()
		return
	}
	var ids []trace.GoID
	for _, f := range strings.Split(*senders, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			ids = append(ids, trace.GoID(n))
		}
	}
	printSplit(h.walkAll(*pinger, ids))
}

func read(path string) (*history, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	r, err := trace.NewReader(f)
	if err != nil {
		return nil, err
	}
	h := &history{changes: map[trace.GoID][]change{}, name: map[trace.GoID]string{}, where: map[trace.GoID]string{}}
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			return h, nil
		}
		if err != nil {
			return nil, err
		}
		if ev.Kind() == trace.EventStateTransition {
			h.add(ev)
		}
	}
}

func (h *history) add(ev trace.Event) {
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	g := st.Resource.Goroutine()
	from, to := st.Goroutine()
	c := change{t: ev.Time(), from: from, to: to, by: ev.Goroutine()}
	if to == trace.GoWaiting {
		c.stack = stackString(st.Stack)
		if h.where[g] == "" {
			for f := range st.Stack.Frames() {
				if strings.Contains(f.Func, "blockwire") || strings.Contains(f.Func, "quic-go") {
					h.where[g] = short(f.Func)
					break
				}
			}
		}
	}
	if h.name[g] == "" {
		outer := ""
		for f := range st.Stack.Frames() {
			outer = f.Func
		}
		if outer != "" {
			h.name[g] = short(outer)
		}
	}
	h.changes[g] = append(h.changes[g], c)
}

func stackString(s trace.Stack) string {
	var b strings.Builder
	for f := range s.Frames() {
		b.WriteString(f.Func)
		b.WriteByte(';')
	}
	return b.String()
}

func short(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// seg is a piece of a round trip: who, in which state, for how long.
type seg struct {
	who, state string
	d          trace.Time
}

// trip is one round trip: from the pinger blocking to its wake-up.
type trip struct {
	total trace.Time
	segs  []seg
}

func (h *history) walkAll(pinger string, senders []trace.GoID) []trip {
	var out []trip
	for _, cs := range h.changes {
		for i := 0; i+1 < len(cs); i++ {
			if cs[i].to != trace.GoWaiting || !strings.Contains(cs[i].stack, pinger) || cs[i+1].from != trace.GoWaiting {
				continue
			}
			t := trip{total: cs[i+1].t - cs[i].t}
			if i+2 < len(cs) && cs[i+2].to == trace.GoRunning {
				t.segs = append(t.segs, seg{"pinger", "runnable", cs[i+2].t - cs[i+1].t})
			}
			t.segs = append(t.segs, h.walk(cs[i].t, cs[i+1].t, cs[i+1].by, senders)...)
			out = append(out, t)
		}
	}
	return out
}

// walk follows wake-ups backwards from (at, by) until start.
func (h *history) walk(start, at trace.Time, by trace.GoID, senders []trace.GoID) []seg {
	var segs []seg
	for range 64 {
		if by == trace.NoGoroutine { // woken by the netpoller: cross to the sender
			t, g := h.lastSyscall(senders, at)
			if g == trace.NoGoroutine || t < start {
				return segs
			}
			segs = append(segs, seg{"net", "sendmsg to wake", at - t})
			at, by = t, g
			continue
		}
		cs := h.changes[by]
		k := sort.Search(len(cs), func(j int) bool { return cs[j].t > at }) - 1
		run := -1
		for j := k; j >= 0; j-- {
			if cs[j].to == trace.GoRunning && cs[j].from == trace.GoRunnable {
				run = j
				break
			}
		}
		if run < 1 || cs[run].t < start {
			return segs
		}
		segs = append(segs, seg{h.name[by], "running", at - cs[run].t})
		prev := cs[run-1]
		if prev.from != trace.GoWaiting || prev.to != trace.GoRunnable {
			segs = append(segs, seg{h.name[by], "runnable (preempted)", cs[run].t - prev.t})
			return segs
		}
		segs = append(segs, seg{h.name[by], "runnable", cs[run].t - prev.t})
		at, by = prev.t, prev.by
	}
	return segs
}

// lastSyscall is the latest system call entry before at among senders.
func (h *history) lastSyscall(senders []trace.GoID, at trace.Time) (trace.Time, trace.GoID) {
	var best trace.Time
	who := trace.NoGoroutine
	for _, g := range senders {
		cs := h.changes[g]
		for j := sort.Search(len(cs), func(j int) bool { return cs[j].t > at }) - 1; j >= 0; j-- {
			if cs[j].to == trace.GoSyscall {
				if cs[j].t > best {
					best, who = cs[j].t, g
				}
				break
			}
		}
	}
	return best, who
}

func printSplit(trips []trip) {
	if len(trips) == 0 {
		fmt.Println("no round trips found: check -pinger")
		return
	}
	sort.Slice(trips, func(a, b int) bool { return trips[a].total < trips[b].total })
	n := len(trips)
	fmt.Printf("%d round trips; pinger blocked p50 %.0f µs, p99 %.0f µs\n", n, us(trips[n/2].total), us(trips[n*99/100].total))
	printGroup("all", trips)
	printGroup("slowest 2 %", trips[n*98/100:])
}

func printGroup(label string, trips []trip) {
	sum := map[string]float64{}
	var total float64
	for _, t := range trips {
		total += float64(t.total)
		for _, s := range t.segs {
			sum[s.who+" "+s.state] += float64(s.d)
		}
	}
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return sum[keys[a]] > sum[keys[b]] })
	fmt.Printf("== %s (%d, mean %.0f µs)\n", label, len(trips), total/float64(len(trips))/1e3)
	for _, k := range keys {
		fmt.Printf("  %8.0f µs %5.1f %%  %s\n", sum[k]/float64(len(trips))/1e3, 100*sum[k]/total, k)
	}
}

func (h *history) printCounts() {
	wakes, calls := map[trace.GoID]int{}, map[trace.GoID]int{}
	for g, cs := range h.changes {
		for _, c := range cs {
			if c.from == trace.GoWaiting && c.to == trace.GoRunnable {
				wakes[g]++
			}
			if c.to == trace.GoSyscall {
				calls[g]++
			}
		}
	}
	ids := make([]trace.GoID, 0, len(wakes))
	for g := range wakes {
		ids = append(ids, g)
	}
	sort.Slice(ids, func(a, b int) bool { return wakes[ids[a]] > wakes[ids[b]] })
	for _, g := range ids[:min(30, len(ids))] {
		fmt.Printf("%7d wake-ups %7d syscalls  g%-6d %-45s %s\n", wakes[g], calls[g], g, h.name[g], h.where[g])
	}
}

func us(t trace.Time) float64 { return float64(t) / 1e3 }
