package cft

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.LocalID = "a"
	require.NoError(t, c.Validate())

	c.HeartbeatTimeout = 20 * time.Millisecond
	c.ElectionTimeout = 10 * time.Millisecond
	c.LeaderLeaseTimeout = 200 * time.Millisecond
	c.ProduceInterval = time.Millisecond
	c.LocalID = ""
	err := c.Validate()
	require.ErrorIs(t, err, ErrConfig)
	for _, want := range []string{"HeartbeatTimeout 20ms is below 50ms", "ElectionTimeout 10ms is below HeartbeatTimeout",
		"LeaderLeaseTimeout 200ms exceeds HeartbeatTimeout", "ProduceInterval 1ms", "LocalID is empty"} {
		require.Contains(t, err.Error(), want)
	}
	c = DefaultConfig()
	c.LocalID = "a"
	c.ProduceInterval = MinProduceInterval
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = MinTimeout, MinTimeout, MinTimeout
	require.NoError(t, c.Validate(), "the floors themselves are allowed")
}

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLog(zerolog.New(&buf).Level(zerolog.InfoLevel), "raft")
	l.Debug("hidden")
	l.With("term", 3).Named("x").Info("elected", "leader", "p1", "err", errors.New("boom"), "f", hclog.Fmt("%d", 7))
	require.NotContains(t, buf.String(), "hidden")
	require.Contains(t, buf.String(), `"component":"raft.x"`)
	require.Contains(t, buf.String(), `"term":"3"`)
	require.Contains(t, buf.String(), `"leader":"p1"`)
	require.Contains(t, buf.String(), `"f":"7"`)
	require.False(t, l.IsDebug())
	require.True(t, l.IsInfo())
	require.Equal(t, hclog.Info, l.GetLevel())

	silent := newHCLog(zerolog.Logger{}, "raft")
	require.False(t, silent.IsError(), "the zero logger is silent")
	silent.Error("nothing happens")
}
