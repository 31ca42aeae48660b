package link

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInboxDeliversInOrderThenEndsWhenClosed(t *testing.T) {
	b := newInbox()
	for _, m := range []string{"a", "b", "c"} {
		b.push(delivery{msg: []byte(m), release: func() {}}, nil)
	}
	b.close()
	var got []string
	for {
		d, ok := b.next()
		if !ok {
			break
		}
		got = append(got, string(d.msg))
		b.delivered()
	}
	require.Equal(t, []string{"a", "b", "c"}, got)
}
