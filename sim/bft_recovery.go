package sim

import "time"

// recovery measures the end of the adversarial prefix: the time the last
// scheduled fault ends (a partition heals, a crash or restart happens, a
// crashpoint window closes). Byzantine producers keep misbehaving to the
// end of the run. From then on every correct running node must finalize
// at least want more blocks.
type recovery struct {
	end   time.Duration
	want  uint64
	taken bool
	at    map[int]uint64 // node → irreversible height when the prefix ended
}

// recoveryBlocks is how many blocks every correct node must finalize after
// the adversarial prefix (issue 15's acceptance).
const recoveryBlocks = 10

func (rc *recovery) init(cfg Config) {
	rc.want = uint64(min(recoveryBlocks, cfg.Blocks))
	for _, f := range cfg.Faults {
		if f.Kind != FaultByzantine {
			rc.end = max(rc.end, f.From, f.To)
		}
	}
}

func (rc *recovery) schedule(bc *bftCons) {
	bc.r.e.at(rc.end, evCheck, -1, 1, 0, func() {
		rc.taken, rc.at = true, map[int]uint64{}
		for _, n := range bc.r.nodes {
			rc.at[n.id] = n.store.final[len(n.store.final)-1].Height()
		}
	})
}

// after returns the fewest blocks a correct running node finalized since
// the prefix ended (-1 before it ended), and that node.
func (rc *recovery) after(bc *bftCons) (int64, int) {
	if !rc.taken {
		return -1, -1
	}
	least, who := int64(-1), -1
	for _, n := range bc.r.nodes {
		if !n.up || !n.correct() {
			continue
		}
		if k := int64(n.tree.Root().Height) - int64(rc.at[n.id]); least < 0 || k < least {
			least, who = k, n.id
		}
	}
	return least, who
}

func (rc *recovery) met(bc *bftCons) bool {
	k, _ := rc.after(bc)
	return k >= int64(rc.want)
}
