package bftrun

import (
	"context"
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

// Messenger carries the runner's messages between producers: routed
// unicast and multicast on the transport's consensus class in a node,
// MemNetwork's messengers in tests. It has the method set of
// consensus/cft's Messenger plus Multicast.
//
// Send and Multicast never block: they queue, and an error means the
// message was not queued (loss is tolerated: the engine retries). The
// handler receives each message with its authenticated origin; it is
// called on the messenger's goroutine and must not block (the runner only
// queues). MaxPayload bounds one message.
type Messenger interface {
	Send(to peer.ID, payload []byte) error
	Multicast(to []peer.ID, payload []byte) error
	SetHandler(h func(from peer.ID, payload []byte))
	MaxPayload() int
}

// ProduceRequest asks the Producer for this producer's block of a view
// (the engine's bft.ProposeRequest, with what the header and body need).
type ProduceRequest struct {
	// View goes into the header's Term.
	View uint64
	// Parent is the block to build on (chain.ProduceParams.Parent): the
	// highest notarized block, or the last final one.
	Parent block.ID
	// Irreversible is the last block this producer knows final, an
	// ancestor of Parent: the header's Irreversible field.
	Irreversible block.ID
	// Certificate is the newest finalization this producer holds, encoded
	// for the body (bftchain.EncodeCert; chain.ProduceParams.Certificate),
	// nil before the first one. Followers verify finality from it.
	Certificate []byte
}

// Produced is what the Producer built.
type Produced struct {
	// Block is the signed block, stored and synced by the Producer (the
	// runner sends it to the producers with its notarize vote, after the
	// vote's record is durable).
	Block *block.Block
}

// Producer builds this producer's block when it leads a view. Produce is
// called from the runner's goroutine, one call at a time, and must honour
// ctx (cancelled on Stop). On error the runner skips the view (the
// engine nullifies it on its timeout).
type Producer interface {
	Produce(ctx context.Context, req ProduceRequest) (Produced, error)
}

// Commit tells the Applier about a certificate.
type Commit struct {
	// ID and View are the block's; Final says which certificate: false, a
	// notarization (pin the block: it may become final); true, a
	// finalization (the block and its ancestors are irreversible).
	ID    block.ID
	View  uint64
	Final bool
	// Cert is the certificate, verified (nil for a block that nullify
	// reports made a usable parent: bft.Ready.Reported; pin it too); Epoch
	// the tag of the set that signed it; BlockCert its body encoding
	// (final only).
	Cert      *bft.Certificate
	Epoch     bftchain.Tag
	BlockCert []byte
	// Ours (final only): the block is the one this producer proposed last,
	// so it is the one to publish the certificate to every node at once
	// (Finality.Publish): one publisher per block, and the others do not
	// repeat it.
	Ours bool
}

// Applier receives notarized and finalized blocks in the order the engine
// certifies them (for finalizations, ascending views). It is called from
// the runner's goroutine and must not block or call back into the Runner;
// it should queue the commit and return. The Commit is the Applier's.
type Applier interface {
	Commit(c Commit)
}

// Blocks validates and stores blocks that arrive with proposals. Add
// returns nil when b is stored (or was already); an error refuses the
// proposal (the runner reports it as the sender's fault when it wraps
// ErrInvalidBlock). It is called from the runner's goroutine and must
// honour ctx.
type Blocks interface {
	Add(ctx context.Context, b *block.Block) error
}

// Sets tells the runner the producer set in force after a block (read
// from the chain's state at it). It returns ErrUnknownBlock while the
// block is not stored yet; the runner asks again later. Called from the
// runner's goroutine.
type Sets interface {
	SetAfter(id block.ID) ([]block.PublicKey, error)
}

// EpochStore keeps the runner's current epoch (bftchain.EncodeEpoch)
// durably next to the safety records: a restarted producer resumes the
// epoch it was in (a joint one included). Save must sync. bftstore.Store
// implements it.
type EpochStore interface {
	SaveEpoch(b []byte) error
	LoadEpoch() ([]byte, bool, error)
}

// Store is where the safety records live; bftstore.Store is the product's.
type Store interface {
	bft.Store
	EpochStore
}

// ErrUnknownBlock is what Sets.SetAfter returns for a block not stored yet.
var ErrUnknownBlock = errors.New("bftrun: block not stored yet")

// ErrInvalidBlock marks a Blocks.Add error that is the block's fault (and
// so its sender's).
var ErrInvalidBlock = errors.New("bftrun: invalid block")

// Deps are the runner's collaborators; all are required but Refused.
type Deps struct {
	Store     Store
	Messenger Messenger
	Producer  Producer
	Applier   Applier
	Blocks    Blocks
	Sets      Sets
	// Refused is told about every message refused for a reason a correct
	// producer never causes (bft.Reason.Penalized, a bad envelope, a
	// non-member, an invalid proposed block); the node charges the peer.
	// Called from the runner's goroutine; must not block.
	Refused func(from peer.ID, reason string, err error)
}
