package netview

import "math"

// Statistics are quantized before they are compared with what was sent,
// so that noise (an RTT moving by microseconds, a byte rate by a few
// bytes) does not make every link change in every frame.

// sig2 rounds x to two significant digits.
func sig2(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	mag := math.Pow(10, math.Floor(math.Log10(math.Abs(x)))-1)
	return math.Round(x/mag) * mag
}

// tenth rounds x to one decimal.
func tenth(x float64) float64 { return math.Round(x*10) / 10 }

// rate is the byte rate between two cumulative counters over dtS seconds
// (0 when the counter went back, as after a reconnect).
func rate(cur, prev uint64, dtS float64) float64 {
	if dtS <= 0 || cur < prev {
		return 0
	}
	return sig2(float64(cur-prev) / dtS)
}
