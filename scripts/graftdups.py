#!/usr/bin/env python3
"""Where a testnet's duplicate block bodies come from (issue 19), from the per-node records that
`blockwire testnet --netns` writes to DIR/propagation.json.

For the measured blocks (every node received it, at least min_size bytes, none while catching up):
  copies      bodies received by all nodes per block over nodes-1 (the testnet's copies_per_node)
  first3      duplicates of the first 3 blocks of a producer's tenure (the start, and the flood after
              a leader change: links push a producer they never carried on every link)
  rest        the other duplicates; their extra body forwards (every body handed to a link for a node
              beyond the first copy's) split into
    pulls     the sender handed it over > 100 ms after its first forward of the block: a Graft made
              it push; inflight counts pulls that left after the first copy's sender had already
              handed the body to its link (the tree path was slow, not dead)
    races     two active links pushing at once
Usage: scripts/graftdups.py DIR/propagation.json ... [--min-size N]
"""
import json, sys
from proptime import ts as t




def run(path, minsize):
    d = json.load(open(path))
    n, peers = len(d["records"]), d["peers"]
    by = {}
    for name, rs in d["records"].items():
        for r in rs:
            if d["from"] <= r["height"] <= d["to"]:
                by.setdefault(r["height"], {}).setdefault(r["id"], {})[name] = r
    prev, tenure, changes = None, 0, 0
    st = dict(blocks=0, first3=0, rest=0, pulls=0, inflight=0, races=0)
    for h in sorted(by):
        for m in by[h].values():
            prod = [r["producer"] for r in m.values() if r.get("produced")]
            if not prod:
                continue
            if prod[0] != prev:
                prev, tenure, changes = prod[0], 0, changes + 1
            tenure += 1
            rs = list(m.values())
            if len(m) != n or rs[0]["size"] < minsize or any(r.get("catching_up") for r in rs):
                continue
            st["blocks"] += 1
            dups = sum(r["copies"] - 1 for r in rs if not r.get("produced"))
            if tenure <= 3:
                st["first3"] += dups
                continue
            st["rest"] += dups
            fw, firstfw = {}, {}
            for s, r in m.items():
                ats = [(t(x["at"]), peers.get(x["to"], "?")) for x in r.get("forwards") or []]
                if ats:
                    firstfw[s] = min(a for a, _ in ats)
                for a, to in ats:
                    fw.setdefault(to, []).append((a, s))
            for c, r in m.items():
                if r.get("produced"):
                    continue
                par = peers.get(r.get("from", ""), "?")
                tp = sorted(a for a, s in fw.get(c, []) if s == par)
                for a, s in fw.get(c, []):
                    if s == par:
                        continue
                    if a - firstfw[s] > 0.1:
                        st["pulls"] += 1
                        st["inflight"] += bool(tp and tp[0] < a)
                    else:
                        st["races"] += 1
    if not st["blocks"]:
        print(path, "no measured blocks")
        return
    b = st["blocks"]
    print(f"{path}: blocks {b} producer changes {changes} copies {1 + (st['first3'] + st['rest']) / b / (n - 1):.3f}"
          f" | duplicates first3 {st['first3']} rest {st['rest']} (copies without first3 {1 + st['rest'] / b / (n - 1):.3f})"
          f" | rest: pulls {st['pulls']} (in flight {st['inflight']}) races {st['races']}")


args = sys.argv[1:]
minsize = 1000000
if "--min-size" in args:
    i = args.index("--min-size")
    minsize = int(args[i + 1])
    del args[i:i + 2]
for p in args:
    run(p, minsize)
