package cft

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind (the
// synctest bubbles check their own goroutines as well).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
