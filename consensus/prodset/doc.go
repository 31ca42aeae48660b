// Package prodset is the producer set and the authority to change it: a
// pure, standard-library-only core that node/ drives and the BFT engine
// will share.
//
// # What it holds
//
//   - Set: an immutable producer set (ed25519 keys and the libp2p peer ids
//     that embed them), its hash as headers carry it, its state record,
//     and Apply (the set after an add or a remove).
//   - Change, Tx, EncodeTx, DecodeTx: the producer-set change transaction,
//     version 3 (TxPrefix), which carries the signatures that authorise it.
//   - SigningBytes, Sign: what a signer signs, domain-separated and bound
//     to the chain (genesis block id), the operation, the peer and the
//     change's nonce.
//   - Policy, Quorum, Verify: who may change the set. Verify is one pure
//     function — set in force, last nonce, change, signatures, policy →
//     the next set or a *Error with a stable Reason.
//
// # Authority
//
// A change takes effect only if the policy in force authorises its
// signers. The default, Quorum{Size: Majority}, wants distinct signatures
// of at least ⌊n/2⌋+1 of the n producers in force and of no one else; the
// BFT engine's quorum is TwoThirds (⌊2n/3⌋+1). An App may replace the
// policy (stake, an on-chain vote) by implementing Policy; Verify still
// checks the nonce and every signature before asking it.
//
// Signatures are collected off-chain into one transaction: each signer
// signs SigningBytes(chain, change) with its node key (`blockwire
// producers sign`), and any one of them (or anyone) submits the
// transaction with every share (`blockwire producers add|remove`). One
// transaction keeps the rule stateless between blocks — no pending
// approvals live in the state — and the change is atomic: it is in a
// block with all its authority or not at all.
//
// # Replay
//
// Changes are numbered: the first has nonce 1 and each must carry the last
// applied nonce plus one, which the state keeps under NonceKey. So the
// applied nonces are exactly 1..last, a change applied once is refused
// when replayed (ReasonReplayed), and a signature share made for one
// position in the sequence is worthless once another change took it: a
// share that leaked from an abandoned proposal cannot be used later. The
// chain id in the signed bytes keeps a change of one chain off every
// other chain.
//
// # Caller's duties
//
//  1. Execute change transactions in the chain's App with the state
//     before them: ReadSet and ReadNonce, Verify, then write SetKey and
//     NonceKey (EncodeNonce) — the node's App wrapper does this.
//  2. Refuse App transactions that write under ReservedPrefix.
//  3. Carry out the new set in consensus only once the block holding the
//     change is irreversible (node/ and consensus/cft do).
package prodset
