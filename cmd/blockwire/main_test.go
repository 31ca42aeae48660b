package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestVersionAndHelp(t *testing.T) {
	out, err := run(t, "--version")
	require.NoError(t, err)
	require.Contains(t, out, "blockwire version")
	out, err = run(t, "--help")
	require.NoError(t, err)
	require.Contains(t, out, "Usage:")
}

func TestUnknownCommandFails(t *testing.T) {
	_, err := run(t, "frobnicate")
	require.Error(t, err)
}
