package route

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func verifierAttrs(level uint8, op string) *Attrs {
	return &Attrs{Level: level, Labels: map[string]string{"operator": op}}
}

// A verifier's level and labels reach a node three hops away through
// signed announcements and are kept across unsigned refreshes.
func TestAttributesTravelWithTheAnnouncement(t *testing.T) {
	nt := newNet(t, 4, func(i int, c *Config) {
		c.Routable = i == 0 || i == 3
		if i == 3 {
			c.Attrs = verifierAttrs(2, "acme")
		}
	})
	nt.connect(0, 1, 5*time.Millisecond)
	nt.connect(1, 2, 5*time.Millisecond)
	nt.connect(2, 3, 5*time.Millisecond)
	nt.run(2 * time.Second)
	ann := nt.nodes[0].Announced()
	require.Len(t, ann, 1, "node 3 announced attributes; node 0 announced none")
	require.Equal(t, nt.ids[3], ann[0].Dest)
	require.True(t, verifierAttrs(2, "acme").Equal(&ann[0].Attrs))
	require.Empty(t, nt.nodes[3].Announced(), "a router does not list itself")
	require.True(t, verifierAttrs(2, "acme").Equal(nt.nodes[3].Attrs()))

	nt.run(3 * DefaultConfig().UpdateInterval) // unsigned refreshes only
	ann = nt.nodes[0].Announced()
	require.Len(t, ann, 1)
	require.Equal(t, "acme", ann[0].Attrs.Labels["operator"])
}

// A relay that alters, adds or strips a destination's attributes breaks
// the destination's signature: the next node refuses the update and
// penalizes the relay.
func TestARelayCannotAlterAttributes(t *testing.T) {
	for name, edit := range map[string]func(u *Update){
		"alter": func(u *Update) { u.Attrs.Level = 5 },
		"strip": func(u *Update) { u.Attrs = nil },
	} {
		t.Run(name, func(t *testing.T) {
			nt := newNet(t, 3, func(i int, c *Config) {
				c.Routable = i == 2
				if i == 2 {
					c.Attrs = verifierAttrs(2, "acme")
				}
			})
			nt.hook = func(from, to int, b []byte) []byte {
				if from != 1 || to != 0 {
					return b
				}
				m, err := Decode(b, DefaultLimits())
				require.NoError(t, err)
				if u, ok := m.(*Update); ok && u.Signed && u.Dest == nt.ids[2] {
					edit(u)
					return u.AppendTo(nil)
				}
				return b
			}
			nt.connect(0, 1, 5*time.Millisecond)
			nt.connect(1, 2, 5*time.Millisecond)
			nt.run(2 * time.Second)
			require.Empty(t, nt.nodes[0].Announced())
			require.NotEmpty(t, nt.penalties[0])
			require.Equal(t, ReasonBadSignature, nt.penalties[0][0].Err.Reason)
			require.Equal(t, nt.ids[1], nt.penalties[0][0].Peer)
		})
	}
}

// Adding attributes to an announcement signed without them fails too.
func TestARelayCannotAddAttributes(t *testing.T) {
	nt := newNet(t, 3, func(i int, c *Config) { c.Routable = i == 2 })
	nt.hook = func(from, to int, b []byte) []byte {
		m, _ := Decode(b, DefaultLimits())
		if u, ok := m.(*Update); ok && from == 1 && to == 0 && u.Signed && u.Dest == nt.ids[2] {
			u.Attrs = verifierAttrs(2, "forged")
			return u.AppendTo(nil)
		}
		return b
	}
	nt.connect(0, 1, 5*time.Millisecond)
	nt.connect(1, 2, 5*time.Millisecond)
	nt.run(2 * time.Second)
	require.Empty(t, nt.nodes[0].Announced())
	require.NotEmpty(t, nt.penalties[0])
	require.Equal(t, ReasonBadSignature, nt.penalties[0][0].Err.Reason)
}

// AdmitAttrs admits destinations that Admit refuses by what they
// announced; Readmit applies it again.
func TestAdmitByAttributes(t *testing.T) {
	allow := true
	nt := newNet(t, 3, func(i int, c *Config) {
		c.Routable = i != 0
		if i == 2 {
			c.Attrs = verifierAttrs(3, "acme")
		}
		if i == 0 {
			c.Admit = func(NodeID) bool { return false }
			c.AdmitAttrs = func(_ NodeID, a Attrs) bool { return allow && a.Level > 0 }
		}
	})
	nt.connect(0, 1, 5*time.Millisecond)
	nt.connect(1, 2, 5*time.Millisecond)
	nt.run(2 * time.Second)
	require.Equal(t, -1, nt.nextHop(0, 1), "no attributes: Admit refuses")
	require.Equal(t, 1, nt.nextHop(0, 2), "a level: AdmitAttrs admits")
	nt.run(2 * DefaultConfig().UpdateInterval)
	require.Equal(t, 1, nt.nextHop(0, 2), "refreshes keep the admission")
	allow = false
	nt.nodes[0].Readmit(nt.now)
	nt.flush(0)
	require.Equal(t, -1, nt.nextHop(0, 2))
}

func TestAttrsEncodingIsStrict(t *testing.T) {
	good := appendAttrs(nil, &Attrs{Level: 2, Labels: map[string]string{"a": "1", "b": ""}})
	a, err := decodeAttrs(good)
	require.NoError(t, err)
	require.Equal(t, good, appendAttrs(nil, a))
	bad := map[string][]byte{
		"empty":          {},
		"trailing":       append(bytes.Clone(good), 0),
		"truncated":      good[:len(good)-1],
		"unsorted":       {2, 2, 1, 'b', 0, 1, 'a', 0},
		"duplicate":      {2, 2, 1, 'a', 0, 1, 'a', 0},
		"empty key":      {2, 1, 0, 0},
		"upper key":      {2, 1, 1, 'A', 0},
		"control value":  {2, 1, 1, 'a', 1, '\n'},
		"too many":       {2, MaxLabels + 1},
		"key too long":   append([]byte{2, 1, MaxLabelKey + 1}, bytes.Repeat([]byte{'a'}, MaxLabelKey+1)...),
		"claims 1 has 0": {2, 1},
	}
	for name, b := range bad {
		_, err := decodeAttrs(b)
		require.ErrorIs(t, err, ErrPeer, name)
	}
	c := DefaultConfig()
	c.Key, c.RouterID = testKey(0), 1
	c.Attrs = &Attrs{Labels: map[string]string{"Bad Key": "x"}}
	_, err = New(c, time.Unix(0, 0))
	require.ErrorContains(t, err, "Config.Attrs")
}
