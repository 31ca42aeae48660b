package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a scheduled fault.
type FaultKind string

// Fault kinds; see ParseFaults for their syntax and meaning.
const (
	FaultPartition FaultKind = "partition"
	FaultOneWay    FaultKind = "oneway"
	FaultCrash     FaultKind = "crash"
	FaultRestart   FaultKind = "restart"
	FaultByzantine FaultKind = "byz"
	// FaultCrashPoint crashes bft producers at persist/send boundaries
	// (bft mode): see ParseFaults.
	FaultCrashPoint FaultKind = "crashpoint"
)

// Behaviour is what a byzantine node does wrong.
type Behaviour string

// Byzantine behaviours.
const (
	// ByzEquivocate: a byzantine producer signs two different blocks for
	// each of its slots and sends one to half its peers, the other to the
	// rest.
	ByzEquivocate Behaviour = "equivocate"
	// ByzBadSig: every block the node sends carries a corrupted signature.
	ByzBadSig Behaviour = "badsig"
	// ByzGarbage: the node sends random bytes on the blocks lane instead of
	// every other block.
	ByzGarbage Behaviour = "garbage"
	// ByzWithhold: the node never sends a block body (it still talks on the
	// control lane), so relay trees must route around it.
	ByzWithhold Behaviour = "withhold"
	// ByzUnknownParent: alongside every block it sends, the node sends a
	// validly signed block whose parent nobody has.
	ByzUnknownParent Behaviour = "unknownparent"
)

// Byzantine producers of --mode bft (the catalogue of consensus/bft's
// harness, bft.md §10). ByzEquivocate also applies: as leader the producer
// proposes two blocks for its view, each with a valid notarize vote, one to
// half the producers and one to the rest.
const (
	// ByzDoubleVote: after each notarize or finalize vote its engine makes,
	// the producer also votes for another block of the view and nullifies.
	ByzDoubleVote Behaviour = "doublevote"
	// ByzUnknownBlock: alongside each vote, the producer votes notarize and
	// finalize for blocks that do not exist, up to two views ahead.
	ByzUnknownBlock Behaviour = "unknownblock"
	// ByzForge: alongside each vote, a copy with a corrupted signature and
	// one claiming another signer; replays of messages it received; copies
	// of certificates with a duplicated signer, a flipped signature byte or
	// another view.
	ByzForge Behaviour = "forge"
	// ByzSilent: the producer sends nothing on consensus links (a leader
	// that never proposes; blocksync still runs).
	ByzSilent Behaviour = "silent"
	// ByzNullify: the producer runs no engine and nullifies every view it
	// hears of, at once.
	ByzNullify Behaviour = "nullify"
	// ByzTwin: two correct engines share the producer's key, one on node i
	// and one on node Producers+i (Twins, Bano et al. 2021): equivocation
	// and double votes out of unmodified code.
	ByzTwin Behaviour = "twin"
	// ByzLie attacks consensus/bft's fast path: as leader the producer
	// equivocates (as ByzEquivocate) but votes for neither block, so the
	// correct producers split short of a quorum; it withholds every notarize and
	// finalize vote and every certificate holding one (no view is unanimous
	// without it), and each nullify vote reports a lie (the view's other
	// block, an unknown id, or none).
	ByzLie Behaviour = "lie"
)

// Behaviours lists the byzantine behaviours of block sync, which every
// mode has.
func Behaviours() []Behaviour {
	return []Behaviour{ByzEquivocate, ByzBadSig, ByzGarbage, ByzWithhold, ByzUnknownParent}
}

// BFTBehaviours lists the behaviours that act on consensus messages, which
// only --mode bft has.
func BFTBehaviours() []Behaviour {
	return []Behaviour{ByzEquivocate, ByzDoubleVote, ByzUnknownBlock, ByzForge, ByzSilent, ByzNullify, ByzTwin, ByzLie}
}

// defaultCrashRate is a crashpoint fault's rate when the syntax omits it.
const defaultCrashRate = 0.05

// Fault is one scheduled fault. Its String form is the syntax ParseFaults
// reads, so a Config prints as a command that replays it.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// From is when the fault starts (crash and restart happen at From).
	From time.Duration `json:"from"`
	// To is when a partition or one-way cut heals.
	To time.Duration `json:"to,omitempty"`
	// Groups are the sides of a partition; for a one-way cut, messages from
	// Groups[0] to Groups[1] are held until To.
	Groups [][]int `json:"groups,omitempty"`
	// Nodes are the nodes a crash, restart or byzantine fault applies to.
	Nodes []int `json:"nodes,omitempty"`
	// Behaviour is the byzantine behaviour.
	Behaviour Behaviour `json:"behaviour,omitempty"`
	// Rate is a crashpoint fault's probability per Ready batch.
	Rate float64 `json:"rate,omitempty"`
}

// ErrFaultSyntax matches every error ParseFaults returns.
var ErrFaultSyntax = errors.New("sim: fault syntax")

// FaultError names the fault that could not be parsed and why.
type FaultError struct {
	Fault  string
	Reason string
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("sim: fault %q: %s", e.Fault, e.Reason)
}

// Is makes every *FaultError match ErrFaultSyntax.
func (e *FaultError) Is(target error) bool { return target == ErrFaultSyntax }

// ParseFaults reads a comma-separated list of faults:
//
//	partition@2s-5s:0-24/25-49   cut every link between the groups from 2 s to 5 s
//	oneway@2s-5s:0-3>4-9         hold messages from nodes 0-3 to 4-9 until 5 s
//	crash@3s:7                   node 7 crashes at 3 s (keeps only its irreversible chain)
//	restart@6s:7                 node 7 restarts at 6 s and reconnects
//	byz@0:withhold               node 0 is byzantine for the whole run
//	crashpoint@1s-4s:0-3:0.05    bft producers 0-3 crash at persist/send boundaries
//
// Times are Go durations. A node set is ranges and single nodes joined by
// '+', such as 0-3+7. Byzantine behaviours are equivocate, badsig, garbage,
// withhold and unknownparent, and for bft producers also doublevote,
// unknownblock, forge, silent, nullify and twin. Nodes in no partition
// group keep all links.
//
// A crashpoint fault applies to correct bft producers from its start until
// its end: each Ready batch with records or messages crashes the producer's
// node with the given probability (default 0.05), at a point drawn from the
// batch's persist/send boundaries (before the records are synced, so they
// are lost, or after k of its messages left); the node restarts 2-9 link
// latencies later and its engine replays the records that were synced.
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		f, err := parseFault(item)
		if err != nil {
			return nil, &FaultError{Fault: item, Reason: err.Error()}
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFault(item string) (Fault, error) {
	kind, rest, ok := strings.Cut(item, "@")
	if !ok {
		return Fault{}, errors.New("missing '@'")
	}
	when, what, ok := strings.Cut(rest, ":")
	if !ok {
		return Fault{}, errors.New("missing ':'")
	}
	f := Fault{Kind: FaultKind(kind)}
	var err error
	switch f.Kind {
	case FaultPartition, FaultOneWay:
		err = f.parseCut(when, what)
	case FaultCrash, FaultRestart:
		f.From, err = time.ParseDuration(when)
		if err == nil {
			f.Nodes, err = parseNodes(what)
		}
	case FaultCrashPoint:
		err = f.parseCrashPoint(when, what)
	case FaultByzantine:
		f.Nodes, err = parseNodes(when)
		f.Behaviour = Behaviour(what)
		if err == nil && !slices.Contains(Behaviours(), f.Behaviour) && !slices.Contains(BFTBehaviours(), f.Behaviour) {
			err = fmt.Errorf("unknown behaviour %q", what)
		}
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	return f, err
}

func (f *Fault) parseCut(when, what string) error {
	from, to, ok := strings.Cut(when, "-")
	if !ok {
		return errors.New("want a time range like 2s-5s")
	}
	var err error
	if f.From, err = time.ParseDuration(from); err != nil {
		return err
	}
	if f.To, err = time.ParseDuration(to); err != nil {
		return err
	}
	sep := "/"
	if f.Kind == FaultOneWay {
		sep = ">"
	}
	for _, g := range strings.Split(what, sep) {
		nodes, err := parseNodes(g)
		if err != nil {
			return err
		}
		f.Groups = append(f.Groups, nodes)
	}
	if len(f.Groups) < 2 || f.Kind == FaultOneWay && len(f.Groups) != 2 {
		return fmt.Errorf("want groups separated by %q", sep)
	}
	return nil
}

func (f *Fault) parseCrashPoint(when, what string) error {
	from, to, ok := strings.Cut(when, "-")
	if !ok {
		return errors.New("want a time range like 1s-4s")
	}
	var err error
	if f.From, err = time.ParseDuration(from); err != nil {
		return err
	}
	if f.To, err = time.ParseDuration(to); err != nil {
		return err
	}
	nodes, rate, hasRate := strings.Cut(what, ":")
	if f.Nodes, err = parseNodes(nodes); err != nil {
		return err
	}
	f.Rate = defaultCrashRate
	if hasRate {
		if f.Rate, err = strconv.ParseFloat(rate, 64); err != nil {
			return fmt.Errorf("rate %q: not a number", rate)
		}
	}
	return nil
}

func parseNodes(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, "+") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("node %q: not a number", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("node %q: not a number", hi)
			}
		}
		if a < 0 || b < a || b >= maxNodes {
			return nil, fmt.Errorf("node range %q is empty, negative or beyond %d", part, maxNodes-1)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

// String renders the fault in ParseFaults syntax.
func (f Fault) String() string {
	switch f.Kind {
	case FaultPartition, FaultOneWay:
		sep := "/"
		if f.Kind == FaultOneWay {
			sep = ">"
		}
		groups := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			groups[i] = formatNodes(g)
		}
		return fmt.Sprintf("%s@%s-%s:%s", f.Kind, f.From, f.To, strings.Join(groups, sep))
	case FaultByzantine:
		return fmt.Sprintf("byz@%s:%s", formatNodes(f.Nodes), f.Behaviour)
	case FaultCrashPoint:
		return fmt.Sprintf("crashpoint@%s-%s:%s:%g", f.From, f.To, formatNodes(f.Nodes), f.Rate)
	default:
		return fmt.Sprintf("%s@%s:%s", f.Kind, f.From, formatNodes(f.Nodes))
	}
}

// FormatFaults renders faults in ParseFaults syntax.
func FormatFaults(fs []Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

// formatNodes renders a node set with ranges collapsed.
func formatNodes(nodes []int) string {
	var parts []string
	for i := 0; i < len(nodes); {
		j := i
		for j+1 < len(nodes) && nodes[j+1] == nodes[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(nodes[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", nodes[i], nodes[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, "+")
}

func (f Fault) validate(c Config) error {
	all := slices.Concat(append(f.Groups, f.Nodes)...)
	for _, n := range all {
		if n >= c.Nodes {
			return fmt.Errorf("node %d out of range (nodes=%d)", n, c.Nodes)
		}
	}
	switch {
	case f.From < 0:
		return errors.New("negative time")
	case (f.Kind == FaultPartition || f.Kind == FaultOneWay || f.Kind == FaultCrashPoint) && f.To <= f.From:
		return errors.New("heal time must follow the start")
	case f.Kind == FaultByzantine && f.Behaviour == ByzEquivocate && c.Mode == ModeSolo:
		return errors.New("equivocation needs rotate or bft mode (a solo producer's blocks are final by definition)")
	case f.Kind == FaultByzantine && c.Mode == ModeSolo && slices.Contains(f.Nodes, 0):
		return errors.New("the solo producer cannot be byzantine: its blocks are final by definition")
	case f.Kind == FaultCrashPoint && (c.Mode != ModeBFT || !isProb(f.Rate)):
		return errors.New("crashpoint needs bft mode and a rate in [0, 1]")
	}
	if f.Kind == FaultByzantine && f.Behaviour != ByzEquivocate && slices.Contains(BFTBehaviours(), f.Behaviour) {
		return f.validateBFT(c)
	}
	return nil
}

// validateBFT checks a consensus-level behaviour: bft mode, producers only,
// and a free node Producers+i to host each twin.
func (f Fault) validateBFT(c Config) error {
	if c.Mode != ModeBFT {
		return fmt.Errorf("behaviour %s needs bft mode", f.Behaviour)
	}
	for _, v := range f.Nodes {
		switch {
		case v >= c.Producers:
			return fmt.Errorf("node %d is not a producer (producers=%d)", v, c.Producers)
		case f.Behaviour == ByzTwin && c.Producers+v >= c.Nodes:
			return fmt.Errorf("the twin of producer %d runs on node %d: need nodes > %d", v, c.Producers+v, c.Producers+v)
		}
	}
	return nil
}
