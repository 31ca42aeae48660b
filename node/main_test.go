package node

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a node starts ends by Stop; the synctest tests check it
// per bubble, this checks the real-network tests too.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
