package cftbench

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestDebugRun is a diagnostic: one short Run with engine and raft logs on
// the console (millisecond timestamps), to see elections and flaps.
//
//	CFTDEBUG=1 go test -count=1 -run TestDebugRun -v ./consensus/cft/cftbench
func TestDebugRun(t *testing.T) {
	if os.Getenv("CFTDEBUG") == "" {
		t.Skip()
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).Level(zerolog.InfoLevel).Hook(msHook{})
	res, err := Run(context.Background(), Options{Interval: 20 * time.Millisecond, Duration: time.Second, Failovers: 1, Logger: log})
	out, _ := json.Marshal(res)
	t.Logf("%s %v", out, err)
}

type msHook struct{}

func (msHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str("t", time.Now().Format("05.000"))
}
