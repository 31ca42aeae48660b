package sim

import (
	"testing"
)

// FuzzParseFaults checks that the fault parser never panics and that what
// it accepts prints back to a string that parses to the same faults.
func FuzzParseFaults(f *testing.F) {
	f.Add("partition@2s-5s:0-24/25-49,oneway@1s-2s:0+3>4,crash@3s:7,restart@6s:7,byz@0:withhold")
	f.Add("byz@1-3:equivocate")
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFaults(s)
		if err != nil {
			return
		}
		again, err := ParseFaults(FormatFaults(fs))
		if err != nil {
			t.Fatalf("%q formats to %q, which does not parse: %v", s, FormatFaults(fs), err)
		}
		if FormatFaults(again) != FormatFaults(fs) {
			t.Fatalf("%q: %q then %q", s, FormatFaults(fs), FormatFaults(again))
		}
	})
}

// FuzzSweep lets the fuzzer pick seeds for the sweep's generator: any seed
// must keep safety and never make a correct node reject a correct one.
func FuzzSweep(f *testing.F) {
	f.Add(uint64(1))
	f.Add(uint64(457))
	f.Fuzz(func(t *testing.T, seed uint64) {
		cfg := sweepConfig(seed)
		res, err := Run(cfg)
		if res.SafetyViolations > 0 || res.CorrectRejections > 0 || (correctStayConnected(t, cfg) && err != nil) {
			t.Fatalf("seed %d: %v\nreplay: %s", seed, err, cfg.Command())
		}
	})
}
