package chain

// SignersFault reports whether a refusal concerns content the producer
// signed that only execution or the parent's state reveals (a transaction
// the App rejects, a wrong state root, irreversible block or term, a block
// marked invalid). A relay may have forwarded such a block before executing
// it (blocksync's forwarding before executing), so the fault is the
// signer's, not the relaying peer's (blocksync/doc.go, "Forwarding before
// executing"). Forged or altered bodies never reach execution: the light
// check (signature, producer authority, tx root) refused them first.
func (r Reason) SignersFault() bool {
	switch r {
	case ReasonBadTx, ReasonBadStateRoot, ReasonBadIrreversible, ReasonBadTerm, ReasonInvalid:
		return true
	}
	return false
}
