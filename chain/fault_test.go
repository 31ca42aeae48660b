package chain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Only reasons execution reveals are the signer's fault; a duplicate, an
// unknown parent or a bad signature is the sender's business.
func TestSignersFault(t *testing.T) {
	for _, r := range []Reason{ReasonBadTx, ReasonBadStateRoot, ReasonBadIrreversible, ReasonBadTerm, ReasonInvalid} {
		require.True(t, r.SignersFault(), r)
	}
	for _, r := range []Reason{ReasonDuplicate, ReasonUnknownParent, ReasonBelowIrreversible, ReasonInvalidAncestor, "bad-signature", ""} {
		require.False(t, r.SignersFault(), r)
	}
}
