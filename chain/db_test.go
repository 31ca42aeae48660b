package chain

import (
	"os"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

func TestOpenDBPinsTheFormatMajorVersion(t *testing.T) {
	db, err := OpenDB("db", testDBConfig(vfs.NewMem()))
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, FormatMajorVersion, db.FormatMajorVersion())
}

func TestDBConfigValidateNamesTheField(t *testing.T) {
	cfg := DefaultDBConfig()
	require.NoError(t, cfg.Validate())
	cfg.MaxCompactions = 0
	require.ErrorContains(t, cfg.Validate(), "MaxCompactions 0")
	_, err := OpenDB("db", cfg)
	require.Error(t, err)
}

// Pebble calls Fatalf when an acknowledged write may not be durable; the
// adapter must stop the process, never return to pebble.
func TestPebbleFatalfTerminates(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devnull.Close()
	code := -1
	l := &pebbleLogger{exit: func(c int) { code = c }, stderr: devnull}
	require.Panics(t, func() { l.Fatalf("disk %s", "gone") }, "Fatalf must not return even if exit does")
	require.Equal(t, 2, code)
	l.Infof("quiet by default %d", 1) // the zero zerolog.Logger is silent
	l.Errorf("quiet by default %d", 2)
}

func TestASecondOpenOfTheSameDirectorySaysItIsInUse(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(dir, DefaultDBConfig())
	require.NoError(t, err)
	defer db.Close()
	_, err = OpenDB(dir, DefaultDBConfig())
	require.ErrorIs(t, err, ErrDatabaseInUse)
	require.Contains(t, err.Error(), "another process has it open")
}
