package quorum

import "fmt"

// Group is one set of voters and the number of them a decision needs.
type Group struct {
	// Members are the group's signer indexes in the rule's index space.
	Members Bitmap
	// Need is how many distinct members must sign.
	Need int
}

// Rule is met when every one of its Groups is: one Group for a plain set,
// two (old and new) while a joint producer-set change is in progress.
// Invariant: every Group's Members has the same length (one index space).
type Rule []Group

// Threshold returns the one-group rule "need of the n signers 0..n−1".
func Threshold(n, need int) Rule {
	m := NewBitmap(n)
	for i := range n {
		m.Set(i)
	}
	return Rule{{Members: m, Need: need}}
}

// Joint returns the rule that needs both a and b. Both must be over the same
// index space (equal bitmap lengths).
func Joint(a, b Rule) (Rule, error) {
	out := append(append(Rule{}, a...), b...)
	for _, g := range out {
		if len(g.Members) != len(out[0].Members) {
			return nil, fmt.Errorf("quorum: joint rule over different index spaces (%d and %d bytes)", len(g.Members), len(out[0].Members))
		}
	}
	return out, nil
}

// Met reports whether the signers in m satisfy every group of r. An empty
// rule is never met: a configuration without voters decides nothing.
func (r Rule) Met(m Bitmap) bool {
	if len(r) == 0 {
		return false
	}
	for _, g := range r {
		if m.countIn(g.Members) < g.Need {
			return false
		}
	}
	return true
}

// Contains reports whether index i is a member of any group of r.
func (r Rule) Contains(i int) bool {
	for _, g := range r {
		if g.Members.Has(i) {
			return true
		}
	}
	return false
}

// Tally counts distinct signers against a Rule.
type Tally struct {
	rule   Rule
	signed Bitmap
}

// NewTally returns an empty tally over r's index space.
func NewTally(r Rule) *Tally {
	n := 0
	if len(r) > 0 {
		n = len(r[0].Members) * 8
	}
	return &Tally{rule: r, signed: NewBitmap(n)}
}

// Add counts signer i once and reports whether it was new. Indexes outside
// every group of the rule are refused (false) and not counted.
func (t *Tally) Add(i int) bool {
	if !t.rule.Contains(i) {
		return false
	}
	return t.signed.Set(i)
}

// Has reports whether signer i was counted.
func (t *Tally) Has(i int) bool { return t.signed.Has(i) }

// Count returns the number of distinct signers counted.
func (t *Tally) Count() int { return t.signed.Count() }

// Met reports whether the signers counted satisfy the rule.
func (t *Tally) Met() bool { return t.rule.Met(t.signed) }

// Signers returns the counted signers as a bitmap (a copy).
func (t *Tally) Signers() Bitmap { return append(Bitmap(nil), t.signed...) }
