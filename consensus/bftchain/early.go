package bftchain

import "github.com/blockwire/blockwire/chain/block"

// AddCert takes a block certificate that came on its own (the producer
// that proposed the block publishes it to every node as soon as it forms:
// docs/protocol.md §11, "Finalization certificates on their own"), not in
// a later block's body. It is verified exactly as a carried one; if the
// block it finalizes is pending, that block and its ancestors become final
// now and are returned, lowest first. If the block has not arrived yet,
// the certificate is kept (only the highest one: a newer certificate
// covers its ancestors) and applied when Add stores that block. A refused
// certificate leaves the follower unchanged.
//
// Without it a full node learns a block final only when the certificate
// rides in a later block: the next leader builds after the block interval
// and picks the newest certificate it holds when asked, so about two
// block intervals after the block formed.
func (f *Follower) AddCert(raw []byte) ([]block.ID, error) {
	c, err := f.verify(raw)
	if err != nil {
		return nil, err
	}
	x := c.Block
	if x.Height() <= f.root.Height() || x.Height() <= f.early.Height() {
		return nil, nil // already final, or a newer one waits
	}
	if _, ok := f.pending[x]; !ok {
		f.early = x
		return nil, nil
	}
	return f.finalize(x)
}

// applyEarly finalizes the block a certificate named before it arrived,
// once it is pending (Add).
func (f *Follower) applyEarly(id block.ID) ([]block.ID, error) {
	if f.early != id {
		return nil, nil
	}
	f.early = block.ID{}
	if id.Height() <= f.root.Height() {
		return nil, nil
	}
	return f.finalize(id)
}
