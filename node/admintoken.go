// The admin API's bearer token file and the loopback test that decides
// whether the API needs it.

package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/blockwire/blockwire/node/config"
)

// AdminTokenFile is the token file InitNetwork writes beside each config.
const AdminTokenFile = "admin.token"

// minTokenLen bounds a usable token from below: a short token is guessable.
const minTokenLen = 16

// LoopbackListen reports whether an admin listen address (ip:port) only
// accepts connections from this machine (config.LoopbackListen).
func LoopbackListen(listen string) bool { return config.LoopbackListen(listen) }

// WriteAdminToken creates path with a random 256-bit token in hex, mode
// 0600. An existing file is kept (re-running init keeps the token, as it
// keeps keys).
func WriteAdminToken(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("node: admin token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("node: writing admin token %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(b[:]) + "\n"); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("node: writing admin token %s: %w", path, err)
	}
	return f.Close()
}

// ReadAdminToken reads a token file. It refuses a file other users can
// read (like ssh with a private key) and a token shorter than 16
// characters.
func ReadAdminToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("admin token file %s does not exist (blockwire init writes one; or write a random string there with mode 0600): %w", path, err)
		}
		return "", fmt.Errorf("admin token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("admin token file %s has mode %v: other users can read it; chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if len(tok) < minTokenLen {
		return "", fmt.Errorf("admin token file %s holds %d characters, want at least %d", path, len(tok), minTokenLen)
	}
	return tok, nil
}
