package prodset

import (
	"github.com/blockwire/blockwire/chain/block"
)

// State is read access to the chain state a change applies on (what
// chain.StateReader offers), for a policy that decides by state, such as
// stake.
type State interface {
	// Get returns the value of key and whether it is present; the value
	// must not be modified.
	Get(key []byte) ([]byte, bool, error)
}

// Request is what a Policy decides on.
type Request struct {
	// Set is the producer set in force: the one the change applies to.
	Set *Set
	// Change is the change, with its nonce.
	Change Change
	// Signers are the keys whose signatures over SigningBytes verified,
	// distinct, in the transaction's order. Verify checks the signatures
	// before a policy is asked, so a policy counts keys only.
	Signers []block.PublicKey
	// State is the chain state before the change, read-only, valid during
	// the call only.
	State State
}

// Policy decides whether a change has authority.
//
// Authorize must be deterministic: every node asks it about the same
// change on the same state while executing a block and must get the same
// answer, so it may read only the request (no clock, no randomness, no
// local configuration that differs between nodes). It is called from one
// goroutine at a time and must not keep the request. It returns nil, a
// *Error (the change is refused with that reason), or another error, which
// the node treats as fatal for the block (a state read that failed).
//
// The default is Quorum{Size: Majority}. An App replaces it (by stake, by
// an on-chain vote) by implementing Policy itself; the node finds it by
// type assertion on the App.
type Policy interface {
	Authorize(r Request) error
}

// Screener is an optional Policy extension: Screen sees the request with
// the signers' claimed keys before any signature is verified, so a policy
// can refuse cheaply what no valid signature would make acceptable (the
// quorum policy refuses a signer outside the set). Verify calls it when
// the policy has it; it must be as deterministic as Authorize.
type Screener interface {
	Screen(r Request) error
}

// Quorum authorises a change signed by at least Size(n) distinct producers
// of the set in force (n producers), and by no one else.
type Quorum struct {
	// Size is the quorum for n producers; nil means Majority.
	Size func(n int) int
}

// Majority is the CFT quorum: ⌊n/2⌋+1, the raft majority.
func Majority(n int) int { return n/2 + 1 }

// TwoThirds is the BFT quorum: ⌊2n/3⌋+1.
func TwoThirds(n int) int { return 2*n/3 + 1 }

// Screen implements Screener: every claimed signer must be a producer in
// force, so an outsider's signatures cost no verification.
func (q Quorum) Screen(r Request) error {
	for _, k := range r.Signers {
		if !r.Set.HasKey(k) {
			return refuse(ReasonSignerNotProducer, "signer %s is not in the producer set in force", k)
		}
	}
	return nil
}

// Authorize implements Policy.
func (q Quorum) Authorize(r Request) error {
	size := q.Size
	if size == nil {
		size = Majority
	}
	if err := q.Screen(r); err != nil {
		return err
	}
	n := r.Set.Len()
	if need := size(n); len(r.Signers) < need {
		return refuse(ReasonNoQuorum, "%d of %d producers signed, %d needed", len(r.Signers), n, need)
	}
	return nil
}

var (
	_ Policy   = Quorum{}
	_ Screener = Quorum{}
)

// Verify decides whether tx may take effect on the chain whose genesis
// block is chain, in a state whose producer set is set and whose last
// applied change nonce is last (0: none yet), and returns the set after
// it. It is a pure function of its inputs; every node runs it when
// executing a block, and nodes run it at Submit to answer early.
//
// The checks, in order: its nonce is last+1 (ReasonReplayed at or below
// last — a change applied before is always refused as a replay, whatever
// the set is now — ReasonNonceGap above last+1); the change fits the set
// (ReasonBadChange); it is signed (ReasonUnsigned), by distinct keys
// (ReasonDuplicateSigner); the policy's Screen, if it has one, accepts the
// claimed signers; each signature is valid for this chain, change and
// nonce (ReasonBadSignature); and the policy authorises the signers. The
// quorum policy's Screen bounds the signatures verified to the producers'.
func Verify(p Policy, chain block.ID, set *Set, last uint64, tx Tx, st State) (*Set, error) {
	c := tx.Change
	switch {
	case c.Nonce <= last:
		return nil, refuse(ReasonReplayed, "nonce %d: changes up to %d are applied already", c.Nonce, last)
	case c.Nonce > last+1:
		return nil, refuse(ReasonNonceGap, "nonce %d: the next change has nonce %d", c.Nonce, last+1)
	}
	next, err := set.Apply(c)
	if err != nil {
		return nil, err
	}
	if len(tx.Sigs) == 0 {
		return nil, refuse(ReasonUnsigned, "no signatures: a quorum of the producers in force must sign")
	}
	signers := make([]block.PublicKey, 0, len(tx.Sigs))
	seen := make(map[block.PublicKey]bool, len(tx.Sigs))
	for _, s := range tx.Sigs {
		if seen[s.Key] {
			return nil, refuse(ReasonDuplicateSigner, "%s signed twice", s.Key)
		}
		seen[s.Key] = true
		signers = append(signers, s.Key)
	}
	r := Request{Set: set, Change: c, Signers: signers, State: st}
	if sc, ok := p.(Screener); ok {
		if err := sc.Screen(r); err != nil {
			return nil, err
		}
	}
	for _, s := range tx.Sigs {
		if !VerifySig(chain, c, s) {
			return nil, refuse(ReasonBadSignature, "the signature of %s does not verify for this chain, change and nonce", s.Key)
		}
	}
	if err := p.Authorize(r); err != nil {
		return nil, err
	}
	return next, nil
}
