package link

import (
	"math/rand/v2"
	"time"
)

// backoff computes reconnect delays: min·2^attempt capped at max, then
// scaled by a uniform factor in [1-jitter, 1+jitter) drawn from rnd. It is
// pure apart from rnd, which the caller owns (and locks if shared).
type backoff struct {
	min, max time.Duration
	jitter   float64
}

func (b backoff) delay(attempt int, rnd *rand.Rand) time.Duration {
	d := b.min
	for i := 0; i < attempt && d < b.max; i++ {
		d *= 2 // stops doubling at max, so it cannot overflow
	}
	d = min(d, b.max)
	if b.jitter > 0 {
		f := 1 + b.jitter*(2*rnd.Float64()-1)
		d = time.Duration(float64(d) * f)
	}
	return d
}
