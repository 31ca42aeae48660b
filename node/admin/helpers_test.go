package admin

import (
	"crypto/ed25519"

	"github.com/libp2p/go-libp2p/core/peer"
)

var testPeer = func() peer.ID {
	id, err := peer.Decode("12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X")
	if err != nil {
		panic(err)
	}
	return id
}()

func testKey() ed25519.PrivateKey {
	var seed [ed25519.SeedSize]byte
	return ed25519.NewKeyFromSeed(seed[:])
}
