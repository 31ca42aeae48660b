package bftrun

import (
	"sync"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

// Finality is the node's side of BFT finality, beside the runner so the
// node only wires it: it is the runner's Applier (commits queue and the
// node's loop is signalled: the runner never waits), and it follows the
// certificates that blocks carry in their bodies (bftchain.Follower), so a
// full node, or a producer catching up, learns finality from blocks alone.
// Final is the newest block known final by either path. Commit is safe
// for concurrent use; the other methods belong to the node's loop.
type Finality struct {
	mu     sync.Mutex
	q      []Commit
	signal chan<- struct{}
	// publish are the certificates of our own blocks to publish (Publish).
	publish [][]byte

	chainID block.Hash
	follow  *bftchain.Follower
	final   block.ID
}

// maxFollowPending bounds the blocks above the final one the follower
// keeps (at 10 blocks/s, half an hour without a certificate).
const maxFollowPending = 1 << 14

// NewFinality returns a Finality for the chain whose runner signs with
// chainID; signal (buffered) is written, without blocking, on each commit.
func NewFinality(chainID block.Hash, signal chan<- struct{}) *Finality {
	return &Finality{chainID: chainID, signal: signal}
}

// Commit implements Applier.
func (f *Finality) Commit(c Commit) {
	f.mu.Lock()
	f.q = append(f.q, c)
	if c.Final && c.Ours && len(c.BlockCert) > 0 && len(f.publish) < maxPublish {
		f.publish = append(f.publish, c.BlockCert)
	}
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

// maxPublish bounds the certificates waiting to be published (the node's
// loop drains them with every commit; more only if it is stuck).
const maxPublish = 64

// Publish drains the finalization certificates (block-body encoding) of
// blocks this producer proposed, for the node to send to every node the
// moment they form: a full node then learns finality about one hop after
// the producers, instead of when a later block carries the certificate.
func (f *Finality) Publish() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.publish
	f.publish = nil
	return out
}

// Take drains the queued commits: finalizations move Final, and the
// notarized blocks are returned (the node pins them).
func (f *Finality) Take() (notarized []block.ID) {
	f.mu.Lock()
	q := f.q
	f.q = nil
	f.mu.Unlock()
	for _, c := range q {
		switch {
		case c.Final:
			f.raise(c.ID)
		default:
			notarized = append(notarized, c.ID)
		}
	}
	return notarized
}

func (f *Finality) raise(id block.ID) {
	if id.Height() > f.final.Height() {
		f.final = id
	}
}

// Final is the newest block known final (zero before any).
func (f *Finality) Final() block.ID { return f.final }

// Follow hands the follower a stored block (parents before children). The
// first call starts the follower at root, the node's final block, with
// the producer set in force after it, and feeds it stored, the blocks the
// node holds above root (a restart), parents first.
func (f *Finality) Follow(b *block.Block, root block.ID, producers []block.PublicKey, stored func() []*block.Block) error {
	if err := f.start(root, producers, stored); err != nil {
		return err
	}
	return f.add(b)
}

// start starts the follower on its first use (see Follow).
func (f *Finality) start(root block.ID, producers []block.PublicKey, stored func() []*block.Block) error {
	if f.follow != nil {
		return nil
	}
	fl, err := bftchain.NewFollower(f.chainID, root, producers, maxFollowPending)
	if err != nil {
		return err
	}
	f.follow = fl
	for _, sb := range stored() {
		_ = f.add(sb) // refusals: the caller's block shows the last one
	}
	return nil
}

// Certified hands the follower a certificate that came on its own (a
// producer published it: Publish), with the same start as Follow. It is
// verified against the sets the final chain put in force; the block it
// finalizes becomes Final now if stored, else when it arrives.
func (f *Finality) Certified(raw []byte, root block.ID, producers []block.PublicKey, stored func() []*block.Block) error {
	if err := f.start(root, producers, stored); err != nil {
		return err
	}
	ids, err := f.follow.AddCert(raw)
	if len(ids) > 0 {
		f.raise(ids[len(ids)-1])
	}
	return err
}

func (f *Finality) add(b *block.Block) error {
	ids, err := f.follow.Add(b)
	if len(ids) > 0 {
		f.raise(ids[len(ids)-1])
	}
	return err
}
