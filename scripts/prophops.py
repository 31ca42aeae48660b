#!/usr/bin/env python3
"""Per-hop breakdown of block propagation from a testnet's propagation.json
(written by `blockwire testnet --netns`): for each block of the payload size
that every node received, where each hop's time went.

  queue    parent handed the body to the link -> child's link delivered it
  loopwait child's link delivered it -> child's loop took it
  add      validating and storing it (chain.Add)
  fwd      child's Add done -> child handed it to the link for its first peer
Usage: scripts/prophops.py DIR/propagation.json [min_size]
"""
import json, sys, statistics
from proptime import ts as t


d = json.load(open(sys.argv[1]))
minsize = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
peers = d["peers"]
by = {}
for name, recs in d["records"].items():
    for r in recs:
        if d["from"] <= r["height"] <= d["to"] and r["size"] >= minsize:
            by.setdefault(r["id"], {})[name] = r
n = len(d["records"])
hops = {"queue": [], "loopwait": [], "add": [], "fwd": [], "fanout_last": []}
depths, copies, firsts = [], [], []
for bid, m in sorted(by.items(), key=lambda kv: list(kv[1].values())[0]["height"]):
    prod = [k for k, r in m.items() if r.get("produced")]
    if len(m) != n or not prod:
        continue
    p = m[prod[0]]
    t0 = t(p["first"])
    line = []
    for name, r in m.items():
        if r.get("produced"):
            continue
        copies.append(r["copies"])
        par = peers.get(r.get("from", ""), "?")
        pr = m.get(par)
        fw = [f for f in (pr or {}).get("forwards") or [] if peers.get(f["to"]) == name]
        posted, first = t(r.get("posted")), t(r["first"])
        if fw and posted:
            hops["queue"].append((posted - t(fw[0]["at"])) * 1000)
        if posted:
            hops["loopwait"].append((first - posted) * 1000)
        hops["add"].append(r.get("add_ms", 0))
        if r.get("forwards"):
            ats = [t(f["at"]) for f in r["forwards"]]
            hops["fwd"].append((min(ats) - first) * 1000 - r.get("add_ms", 0))
            hops["fanout_last"].append((max(ats) - min(ats)) * 1000)
        # depth
        dep, cur = 0, name
        while cur in m and not m[cur].get("produced") and dep < 20:
            cur = peers.get(m[cur].get("from", ""), "?"); dep += 1
        depths.append(dep)
        firsts.append((first - t0) * 1000)
        line.append(f"{name}<{par}:{(first - t0) * 1000:.0f}ms/c{r['copies']}")
    print(p["height"], prod[0], " ".join(sorted(line, key=lambda s: float(s.split(':')[1].split('ms')[0]))))
def q(v):
    if not v:
        return "-"
    v = sorted(v)
    return f"n={len(v)} p50={v[len(v)//2]:.1f} p90={v[int(len(v)*0.9)]:.1f} max={v[-1]:.1f}"
for k, v in hops.items():
    print(k, q(v))
print("depth", q(depths), "copies", q(copies), "arrival", q(firsts))
