package node

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
)

// banKeyPrefix is the node's table of link bans in the shared pebble
// database. Its first byte (0xF1) is used by no other table (chain/keys.go
// owns 'b', 'h', 'm', 's'; consensus/cft owns 0xF0); docs/protocol.md lists
// the key space.
//
//	banKeyPrefix | peer id (libp2p binary)  ->  record
//
// record: version (1 byte, banRecordV1) | until (8 bytes, big-endian Unix
// nanoseconds) | operator (1 byte, 0 or 1) | reason (UTF-8, the rest).
const banKeyPrefix = "\xF1link/ban/"

const banRecordV1 = 1

// banStore is link.BanStore on the node's pebble database. Writes are not
// synced: a ban lost to a crash is a ban the operator or the score makes
// again, and the next synced chain write persists it anyway.
type banStore struct {
	db  *pebble.DB
	log zerolog.Logger
}

var _ link.BanStore = banStore{}

func banKey(p link.PeerID) []byte { return append([]byte(banKeyPrefix), p...) }

func encodeBan(b link.Ban) []byte {
	v := make([]byte, 0, 10+len(b.Reason))
	v = append(v, banRecordV1)
	v = binary.BigEndian.AppendUint64(v, uint64(b.Until.UnixNano()))
	op := byte(0)
	if b.Operator {
		op = 1
	}
	v = append(v, op)
	return append(v, b.Reason...)
}

func decodeBan(key, val []byte) (link.Ban, error) {
	p, err := peer.IDFromBytes(key[len(banKeyPrefix):])
	if err != nil {
		return link.Ban{}, fmt.Errorf("node: stored ban key %x: %w", key, err)
	}
	if len(val) < 10 || val[0] != banRecordV1 || val[9] > 1 {
		return link.Ban{}, fmt.Errorf("node: stored ban for %s: bad record %x", p, val)
	}
	return link.Ban{
		Peer:     p,
		Until:    time.Unix(0, int64(binary.BigEndian.Uint64(val[1:9]))),
		Operator: val[9] == 1,
		Reason:   string(val[10:]),
	}, nil
}

// LoadBans reads every stored ban. A record that does not decode is
// logged and skipped (one bad record must not keep the node down or lift
// the other bans).
func (s banStore) LoadBans() ([]link.Ban, error) {
	upper := []byte(banKeyPrefix)
	upper[len(upper)-1]++
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte(banKeyPrefix), UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("node: reading bans: %w", err)
	}
	var out []link.Ban
	for it.First(); it.Valid(); it.Next() {
		b, err := decodeBan(it.Key(), it.Value())
		if err != nil {
			s.log.Error().Err(err).Msg("stored ban skipped")
			continue
		}
		out = append(out, b)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("node: reading bans: %w", err)
	}
	return out, nil
}

// SaveBan stores b.
func (s banStore) SaveBan(b link.Ban) error {
	if err := s.db.Set(banKey(b.Peer), encodeBan(b), pebble.NoSync); err != nil {
		return fmt.Errorf("node: storing ban of %s: %w", b.Peer, err)
	}
	return nil
}

// DeleteBan removes p's stored ban.
func (s banStore) DeleteBan(p link.PeerID) error {
	if err := s.db.Delete(banKey(p), pebble.NoSync); err != nil {
		return fmt.Errorf("node: deleting ban of %s: %w", p, err)
	}
	return nil
}
