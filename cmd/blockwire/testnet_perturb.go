package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file parses --perturb: comma-separated perturbations, each
// kind@when:target, with when an offset from the start of the run
// (time.ParseDuration) or a range start-end:
//
//	kill@10s:node3           SIGKILL (the node stays down until a restart)
//	restart@15s:node3        SIGTERM if running, then start it again
//	pause@12s-14s:node1      SIGSTOP, then SIGCONT at the end
//	partition@20s-25s:0-2/3-7  the groups cannot reach each other
//	                         (blackhole routes in every member's namespace)
//	disconnect@30s:node4     its bridge port down for 10 s (or @30s-35s)
//
// Targets are nodeN or N; partition groups are ranges a-b or single
// indexes joined by '+', separated by '/'.

// perturbKind names what a perturbation does.
type perturbKind string

const (
	perturbKill       perturbKind = "kill"
	perturbRestart    perturbKind = "restart"
	perturbPause      perturbKind = "pause"
	perturbPartition  perturbKind = "partition"
	perturbDisconnect perturbKind = "disconnect"
)

// disconnectDefault is how long disconnect unplugs a node when no end is
// given (CometBFT's e2e runner uses 10 s too).
const disconnectDefault = 10 * time.Second

// perturbation is one parsed item of --perturb.
type perturbation struct {
	spec       string
	kind       perturbKind
	start, end time.Duration // end == start for instant kinds
	node       int           // kill, restart, pause, disconnect
	groups     [][]int       // partition
}

func parsePerturbations(s string, nodes int) ([]perturbation, error) {
	var out []perturbation
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parsePerturbation(item, nodes)
		if err != nil {
			return nil, fmt.Errorf("testnet: --perturb %q: %w", item, err)
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b perturbation) int { return int(a.start - b.start) })
	return out, nil
}

func parsePerturbation(item string, nodes int) (perturbation, error) {
	p := perturbation{spec: item}
	kind, rest, ok := strings.Cut(item, "@")
	if !ok {
		return p, fmt.Errorf("want kind@time:target")
	}
	p.kind = perturbKind(kind)
	when, target, ok := strings.Cut(rest, ":")
	if !ok || target == "" {
		return p, fmt.Errorf("want kind@time:target")
	}
	from, to, ranged := strings.Cut(when, "-")
	var err error
	if p.start, err = time.ParseDuration(from); err != nil || p.start < 0 {
		return p, fmt.Errorf("start %q: want a duration such as 10s", from)
	}
	p.end = p.start
	if ranged {
		if p.end, err = time.ParseDuration(to); err != nil || p.end <= p.start {
			return p, fmt.Errorf("end %q: want a duration after the start", to)
		}
	}
	switch p.kind {
	case perturbKill, perturbRestart:
		if ranged {
			return p, fmt.Errorf("%s happens at one time, not over a range", p.kind)
		}
	case perturbPause, perturbPartition:
		if !ranged {
			return p, fmt.Errorf("%s needs a range start-end", p.kind)
		}
	case perturbDisconnect:
		if !ranged {
			p.end = p.start + disconnectDefault
		}
	default:
		return p, fmt.Errorf("kind %q: want kill, restart, pause, partition or disconnect", kind)
	}
	if p.kind == perturbPartition {
		p.groups, err = parseGroups(target, nodes)
		return p, err
	}
	p.node, err = parseNode(target, nodes)
	return p, err
}

func parseNode(s string, nodes int) (int, error) {
	i, err := strconv.Atoi(strings.TrimPrefix(s, "node"))
	if err != nil || i < 0 || i >= nodes {
		return 0, fmt.Errorf("target %q: want node0..node%d", s, nodes-1)
	}
	return i, nil
}

// parseGroups reads "0-2/3-7" (or "0+2/1+3-5"): disjoint groups of at
// least one node each, at least two groups.
func parseGroups(s string, nodes int) ([][]int, error) {
	seen := map[int]bool{}
	var groups [][]int
	for _, g := range strings.Split(s, "/") {
		var members []int
		for _, part := range strings.Split(g, "+") {
			lo, hi, ranged := strings.Cut(part, "-")
			a, err := parseNode(lo, nodes)
			if err != nil {
				return nil, err
			}
			b := a
			if ranged {
				if b, err = parseNode(hi, nodes); err != nil || b < a {
					return nil, fmt.Errorf("group %q: want a-b with a ≤ b", part)
				}
			}
			for i := a; i <= b; i++ {
				if seen[i] {
					return nil, fmt.Errorf("node%d is in two groups", i)
				}
				seen[i] = true
				members = append(members, i)
			}
		}
		groups = append(groups, members)
	}
	if len(groups) < 2 {
		return nil, fmt.Errorf("partition %q: want at least two groups a-b/c-d", s)
	}
	return groups, nil
}
