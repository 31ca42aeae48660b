package attest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseLevels(t *testing.T) {
	ls, err := ParseLevels("L2=3,L3=1,L4=1,L5=1", time.Second)
	require.NoError(t, err)
	require.Equal(t, "L2=3,L3=1,L4=1,L5=1", FormatLevels(ls))
	require.Equal(t, Level{Number: 2, Required: 3, Deadline: time.Second}, ls[0])
	for _, bad := range []string{"", "L2", "X2=1", "L0=1", "L2=0", "L3=1,L2=1", "L2=65", "L256=1"} {
		_, err := ParseLevels(bad, time.Second)
		require.Error(t, err, bad)
	}
}
