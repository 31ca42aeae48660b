package route

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
)

// Domain tags keep an announcement signature from ever verifying as a data
// signature, a block signature, or anything else the node key signs.
const (
	announceDomain = "blockwire/route/announce/v2"
	dataDomain     = "blockwire/route/data/v1"
	replyDomain    = "blockwire/route/reply/v1"
)

// announceBytes are the bytes a destination signs for its announcement:
// only the destination can advance its own seqno or say what it is. The
// metric is not signed (every hop changes it). A presence byte before the
// attributes binds their absence too: a relay can neither strip nor add
// them.
func announceBytes(dest NodeID, routerID uint64, seqno uint16, attrs *Attrs) []byte {
	b := make([]byte, 0, len(announceDomain)+32+8+2+1+64)
	b = append(b, announceDomain...)
	b = append(b, dest[:]...)
	b = binary.BigEndian.AppendUint64(b, routerID)
	b = binary.BigEndian.AppendUint16(b, seqno)
	if attrs == nil {
		return append(b, 0)
	}
	return appendAttrs(append(b, 1), attrs)
}

// dataBytes are the bytes an origin signs for a data message: everything
// but the hop limit and the remaining set, which relays change.
func dataBytes(m *Data) []byte {
	digest := sha256.Sum256(m.Payload)
	b := make([]byte, 0, len(dataDomain)+32+1+8+2+32*len(m.Dests)+32)
	b = append(b, dataDomain...)
	b = append(b, m.Origin[:]...)
	b = append(b, byte(m.Class))
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Dests)))
	for i := range m.Dests {
		b = append(b, m.Dests[i][:]...)
	}
	return append(b, digest[:]...)
}

func signAnnounce(key ed25519.PrivateKey, dest NodeID, routerID uint64, seqno uint16, attrs *Attrs) (sig [sigLen]byte) {
	copy(sig[:], ed25519.Sign(key, announceBytes(dest, routerID, seqno, attrs)))
	return sig
}

func verifyAnnounce(u *Update) bool {
	return ed25519.Verify(u.Dest[:], announceBytes(u.Dest, u.RouterID, u.Seqno, u.Attrs), u.Sig[:])
}

func signData(key ed25519.PrivateKey, m *Data) {
	copy(m.Sig[:], ed25519.Sign(key, dataBytes(m)))
}

func verifyData(m *Data) bool {
	return ed25519.Verify(m.Origin[:], dataBytes(m), m.Sig[:])
}

// replyBytes are the bytes a replier signs: everything but the hop limit.
func replyBytes(m *Reply) []byte {
	digest := sha256.Sum256(m.Payload)
	b := make([]byte, 0, len(replyDomain)+32+32+1+8+32)
	b = append(b, replyDomain...)
	b = append(b, m.Replier[:]...)
	b = append(b, m.To[:]...)
	b = append(b, byte(m.Class))
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	return append(b, digest[:]...)
}

func signReply(key ed25519.PrivateKey, m *Reply) {
	copy(m.Sig[:], ed25519.Sign(key, replyBytes(m)))
}

func verifyReply(m *Reply) bool {
	return ed25519.Verify(m.Replier[:], replyBytes(m), m.Sig[:])
}
