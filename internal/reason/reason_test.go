package reason

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Two packages' reason types, as bft and rbc declare theirs.
type aReason string

var errA = errors.New("a: input refused")

func (aReason) Scope() (string, error) { return "a", errA }

type bReason string

var errB = errors.New("b: peer fault")

func (bReason) Scope() (string, error) { return "b", errB }

func TestMessageIsPrefixReasonDetail(t *testing.T) {
	require.Equal(t, "a: stale", (&Error[aReason]{Reason: "stale"}).Error())
	require.Equal(t, "a: stale: view 3 ≤ 7", New(aReason("stale"), "view %d ≤ %d", 3, 7).Error())
	require.Equal(t, "b: malformed: short", New(bReason("malformed"), "short").Error())
}

// errors.Is matches the package's own sentinel through wrapping, and
// never another package's; Of finds the reason only for its own type.
func TestIsAndOfStayWithinThePackage(t *testing.T) {
	err := fmt.Errorf("step: %w", New(aReason("equivocation"), "signer 2"))
	require.ErrorIs(t, err, errA)
	require.NotErrorIs(t, err, errB)
	require.Equal(t, aReason("equivocation"), Of[aReason](err))
	require.Equal(t, bReason(""), Of[bReason](err))
	require.Equal(t, aReason(""), Of[aReason](nil))
	require.Equal(t, aReason(""), Of[aReason](errA), "the sentinel itself carries no reason")

	var b *Error[bReason]
	require.False(t, errors.As(err, &b))
}
