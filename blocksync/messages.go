package blocksync

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// Version is the wire version, the first byte of every message.
const Version = 2

// Type identifies a message; it is the second byte of every message.
type Type uint8

// Message types. Values are part of the wire format.
const (
	TypeHello Type = 1
	TypeHave  Type = 2
	TypeBlock Type = 3
	TypeAck   Type = 4
	TypePrune Type = 5
	TypeGraft Type = 6
	TypeTied  Type = 7
	// TypeComing is new in Version 2.
	TypeComing Type = 8
)

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "hello"
	case TypeHave:
		return "have"
	case TypeBlock:
		return "block"
	case TypeAck:
		return "ack"
	case TypePrune:
		return "prune"
	case TypeGraft:
		return "graft"
	case TypeTied:
		return "tied"
	case TypeComing:
		return "coming"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Msg is one blocksync message. The concrete types are *Hello, *Have,
// *Block, *Ack, *Prune, *Graft, *Tied and *Coming. A Msg handed to or returned by a
// Conn is not modified afterwards by the Conn; the driver may share it.
type Msg interface {
	// Type is the message's wire type.
	Type() Type
	// Size is the exact length of the encoding, version and type included;
	// simulators use it for serialization delay and window accounting.
	Size() int
	// AppendTo appends the encoding to dst.
	AppendTo(dst []byte) []byte
}

// Lane says which of a connection's streams a message travels on. Each lane is
// reliable and FIFO; there is no ordering between lanes.
type Lane uint8

const (
	// LaneSync carries hellos, announcements, acks, prunes, grafts and tied
	// messages whose block the peer already has. It must never wait behind a
	// block body (seed 003's ordering constraint).
	LaneSync Lane = iota
	// LaneBlocks carries block bodies, and tied messages released by sending
	// their block, so that they arrive right after it.
	LaneBlocks
)

func (l Lane) String() string {
	if l == LaneBlocks {
		return "blocks"
	}
	return "sync"
}

// Hello is one entry of a locator: "I have block ID (and all its
// ancestors)". A Conn sends its locator once, at the start: the head (Head
// set), then best-chain ancestors at exponentially growing distances, then
// its irreversible block (Committed set), which ends the locator. It
// answers the peer's locator with one Common hello.
type Hello struct {
	ID block.ID
	// Head marks the first hello: the sender's best head.
	Head bool
	// Committed marks the last hello: the sender's irreversible block.
	Committed bool
	// Common marks the answer to the peer's locator: ID is the highest
	// block of that locator the sender has (ZeroID for none).
	Common bool
	// Window is the sender's receive window in bytes (Config.Window); 0
	// leaves the receiver's current value.
	Window uint32
}

// Have announces the sender's new best head, and its irreversible block, in
// the Ready state: "I have Header's block and all its ancestors". It is the
// lazy push of the spanning tree (ids/headers over backup links) and it lets
// the peer avoid sending us what we have.
type Have struct {
	Irreversible block.ID
	Header       block.SignedHeader
}

// Block carries one block body on the blocks lane. Its parent is always a
// block the receiver is known to have.
type Block struct {
	Block *block.Block
	size  int // cached encoded size; 0 until computed
}

// Ack acknowledges, cumulatively, the bytes of Block messages received on
// this connection (the sum of their Size).
type Ack struct {
	Bytes uint64
}

// Prune asks the peer to stop pushing Producer's blocks to us (we received
// one as a duplicate) and to announce them instead.
type Prune struct {
	Producer block.PublicKey
}

// Graft asks the peer to push Producer's blocks to us again, and to send us
// every block of its best chain up to Want's height whatever its producer
// (pulling a block we saw announced but lack). A zero Producer only pulls
// (the want came from a hello, which names no producer).
type Graft struct {
	Producer block.PublicKey
	Want     block.ID
}

// Tied carries an opaque message (a consensus vote, say) that is only
// meaningful to a peer that has Block. SendAfter holds it until then.
type Tied struct {
	Block   block.ID
	Payload []byte
}

// Coming tells the peer, on the sync lane, that we are about to send it
// block ID's body (Bytes long) on the blocks lane. The sync lane shares the
// link's bulk path with the blocks lane chunk by chunk, so it arrives long
// before a large body does: the receiver's other links hold their grafts
// for that block while the body is on its way (see Inbound).
type Coming struct {
	ID    block.ID
	Bytes uint32
}

var (
	_ Msg = (*Coming)(nil)
	_ Msg = (*Hello)(nil)
	_ Msg = (*Have)(nil)
	_ Msg = (*Block)(nil)
	_ Msg = (*Ack)(nil)
	_ Msg = (*Prune)(nil)
	_ Msg = (*Graft)(nil)
	_ Msg = (*Tied)(nil)
)

// NewBlock wraps b in a Block message.
func NewBlock(b *block.Block) *Block { return &Block{Block: b} }

func (*Hello) Type() Type  { return TypeHello }
func (*Have) Type() Type   { return TypeHave }
func (*Block) Type() Type  { return TypeBlock }
func (*Ack) Type() Type    { return TypeAck }
func (*Prune) Type() Type  { return TypePrune }
func (*Graft) Type() Type  { return TypeGraft }
func (*Tied) Type() Type   { return TypeTied }
func (*Coming) Type() Type { return TypeComing }
