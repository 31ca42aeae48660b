package cftbench

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

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
