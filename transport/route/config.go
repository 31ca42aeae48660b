package route

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Config configures one Router. Start from DefaultConfig; Key and RouterID
// have no default.
type Config struct {
	// Key is the node's ed25519 private key. It signs our own route
	// announcements and the messages we originate; its public half is our
	// NodeID.
	Key ed25519.PrivateKey
	// RouterID identifies this run of the node in its announcements. The
	// driver must draw it at random at every start (crypto/rand in a node,
	// the seeded source in the simulator): a restarted node then announces
	// a source that no neighbour holds a feasibility distance for, so its
	// routes are feasible at once (psibase #1259 shut out a node that came
	// back with an old id and seqno 0).
	RouterID uint64
	// Routable announces this node as a destination (producers always; any
	// node may opt in).
	Routable bool
	// Admit, when set, says which destinations we accept routes for (the
	// producers and verifiers of the set in force, say). Updates for others
	// are refused with ReasonNotRoutable and penalize the sender. Nil admits
	// every destination that signs its announcements.
	Admit func(NodeID) bool
	// AdmitAttrs, when set, admits destinations Admit refuses by the
	// attributes they announced (signed with their seqno): verifiers of
	// consensus/attest, say. Nil admits no one beyond Admit.
	AdmitAttrs func(NodeID, Attrs) bool
	// Attrs are our own attributes, announced (signed) with our seqno when
	// Routable; nil announces none. Fixed for the Router's run.
	Attrs *Attrs
	// HelloInterval is how often we send a Hello (with its IHU echo) on each
	// link. It bounds failure detection: a silent link is declared dead
	// HoldMultiplier intervals after its last hello. 250 ms detects a silent
	// failure in well under raft's 1 s election timeout for about 17 bytes
	// per link per interval.
	HelloInterval time.Duration
	// HoldMultiplier × the neighbour's advertised hello interval is how long
	// a link stays up without a hello from it. Above 1; 2.5 tolerates one
	// late hello and declares a silent link dead after two missed ones.
	HoldMultiplier float64
	// UpdateInterval is the period of full-table refreshes to every
	// neighbour (unsigned refreshes of unchanged routes, 47 bytes each).
	// Links are reliable streams, so changes are sent when they happen and
	// refreshes only guard against lost state; routes expire after 3.5
	// update intervals without one.
	UpdateInterval time.Duration
	// HopCost is added per hop to the RTT-based link cost (in metric units
	// of 100 µs), so that at equal latency fewer hops win and every link
	// costs at least 1 (strict monotonicity keeps RTT routing loop-free).
	HopCost Metric
	// RTTAlpha is the weight (in 1/256) of a new RTT sample in the smoothed
	// RTT; RFC 9616 uses 42.
	RTTAlpha int
	// SwitchThreshold is the hysteresis between feasible routes in percent
	// of the installed metric: a better route replaces the selected one only
	// if it is better by more than max(SwitchThreshold%, SwitchMin). It
	// bounds both flapping under RTT noise and the stretch it leaves.
	SwitchThreshold int
	// SwitchMin is the absolute part of the hysteresis, in metric units.
	SwitchMin Metric
	// MulticastSlack, in percent of the selected metric, is how much worse
	// a feasible route may be and still carry a multicast copy to a
	// destination: copies to several destinations then share a next hop
	// where their selected routes differ only by hysteresis and RTT noise,
	// instead of splitting and merging again downstream (two copies on one
	// link). It bounds the extra latency of multicast over unicast.
	MulticastSlack int
	// TriggerThreshold: a change of our selected route's metric by less than
	// max(TriggerThreshold% of the last advertised metric, SwitchMin) is not
	// advertised until the next refresh (route switches, new seqnos and
	// retractions always are).
	TriggerThreshold int
	// RequestTimeout is when an originated seqno request is resent if we
	// are still starving; it doubles per resend (RFC 8966 §3.8.2.1).
	RequestTimeout time.Duration
	// RequestResends bounds the resends of an originated request. Forwarded
	// requests are never resent (BIRD 2022: resending them multiplies
	// requests exponentially).
	RequestResends int
	// RequestHops is the hop count of an originated seqno request.
	RequestHops uint8
	// MinBumpInterval rate-limits our own seqno increments (each costs a
	// signature and a network-wide update); requests in between are
	// answered by a bump at the end of the interval, not dropped.
	MinBumpInterval time.Duration
	// SourceGC drops feasibility distances not refreshed for this long
	// (RFC 8966: 3 minutes), so sources of restarted nodes do not leak.
	SourceGC time.Duration
	// MaxDestinations caps the routing table (and the no-route queues).
	MaxDestinations int
	// HopLimit is the initial hop limit of the data messages we originate.
	HopLimit uint8
	// QueueTTL is how long a message waits for a route to its destination
	// before the sender gets a SendError.
	QueueTTL time.Duration
	// ClassQueueTTL overrides QueueTTL per data class. Raft's messages
	// (ClassConsensus) want a few hundred milliseconds: a heartbeat or vote
	// that waited longer arrives after raft stopped caring and the RPC has
	// timed out already. Every node should set the same values (relays
	// queue too).
	ClassQueueTTL map[Class]time.Duration
	// QueueBytes and QueueMessages cap each destination's no-route queue.
	QueueBytes    int
	QueueMessages int
	// MaxAge and MaxSkew bound the send time carried in a data message's
	// sequence number against our clock: older messages are replays, later
	// ones are refused. Node clocks must agree within MaxSkew.
	MaxAge  time.Duration
	MaxSkew time.Duration
	// MaxOrigins caps the per-origin replay windows (a window idle for
	// MaxAge is dropped; its old messages are stale by then).
	MaxOrigins int
	// DeferTTL, DeferMessages and DeferBytes bound the messages a validator
	// deferred.
	DeferTTL      time.Duration
	DeferMessages int
	DeferBytes    int
	// Limits bound what Receive decodes.
	Limits Limits
	// ReplyClasses are the data classes whose unicast messages leave a
	// reverse path at every hop, so that the destination can Reply (a
	// transaction's accepted or rejected answer to a full node that is not
	// routable). Every node must list the same classes.
	ReplyClasses []Class
	// ReplyTTL is how long a reverse-path entry waits for its reply. It
	// must cover the destination's answer time plus the round trip.
	ReplyTTL time.Duration
	// MaxReplyPaths caps the reverse-path entries (about 120 bytes each);
	// when full, the oldest is dropped.
	MaxReplyPaths int
	// FloodUnicast and FloodMulticast bound, at a relay, the messages of
	// one origin and class it forwards (flood.go): Rate per second with
	// bursts of Burst. They must cover the busiest honest origin: a raft
	// leader sends heartbeats every HeartbeatTimeout/10 to each follower,
	// plus a submitter's transactions. Rate 0 turns a limit off.
	FloodUnicast, FloodMulticast FloodLimit
	// DisableFeasibility turns off Babel's feasibility condition. Never set
	// it outside tests: it exists so the simulator can prove that its loop
	// detector finds the loops the condition prevents.
	DisableFeasibility bool
}

// Limits bound decoded messages; each is checked before allocating.
type Limits struct {
	// MaxPayload bounds a data message's payload.
	MaxPayload int
	// MaxDests bounds a data message's destination set (at most 1024).
	MaxDests int
}

// DefaultLimits allow 1 MiB payloads and 256 destinations.
func DefaultLimits() Limits { return Limits{MaxPayload: 1 << 20, MaxDests: 256} }

// DefaultConfig returns the settings the simulator measures: 250 ms hellos,
// 30 s refreshes, 3% hysteresis.
func DefaultConfig() Config {
	return Config{
		HelloInterval:    250 * time.Millisecond,
		HoldMultiplier:   2.5,
		UpdateInterval:   30 * time.Second,
		HopCost:          10,
		RTTAlpha:         42,
		SwitchThreshold:  3,
		SwitchMin:        5,
		TriggerThreshold: 10,
		MulticastSlack:   10,
		RequestTimeout:   200 * time.Millisecond,
		RequestResends:   3,
		RequestHops:      64,
		MinBumpInterval:  250 * time.Millisecond,
		SourceGC:         3 * time.Minute,
		MaxDestinations:  1024,
		HopLimit:         32,
		QueueTTL:         2 * time.Second,
		QueueBytes:       1 << 20,
		QueueMessages:    256,
		MaxAge:           60 * time.Second,
		MaxSkew:          30 * time.Second,
		MaxOrigins:       4096,
		DeferTTL:         12 * time.Second,
		DeferMessages:    4096,
		DeferBytes:       16 << 20,
		ReplyTTL:         10 * time.Second,
		MaxReplyPaths:    16384,
		Limits:           DefaultLimits(),
		FloodUnicast:     FloodLimit{Rate: 5000, Burst: 10000},
		FloodMulticast:   FloodLimit{Rate: 1000, Burst: 2000},
	}
}

// Validate reports the first invalid field, by name and value.
func (c *Config) Validate() error {
	checks := []struct {
		bad          bool
		field, value string
		reason       string
	}{
		{len(c.Key) != ed25519.PrivateKeySize, "Key", fmt.Sprint(len(c.Key)), "want an ed25519 private key"},
		{c.HelloInterval < time.Millisecond || c.HelloInterval > 65*time.Second, "HelloInterval", c.HelloInterval.String(), "want 1ms..65s"},
		{c.HoldMultiplier <= 1, "HoldMultiplier", fmt.Sprint(c.HoldMultiplier), "want above 1"},
		{c.UpdateInterval < c.HelloInterval, "UpdateInterval", c.UpdateInterval.String(), "want at least HelloInterval"},
		{c.HopCost < 1, "HopCost", fmt.Sprint(c.HopCost), "want at least 1 (strict monotonicity)"},
		{c.RTTAlpha < 1 || c.RTTAlpha > 256, "RTTAlpha", fmt.Sprint(c.RTTAlpha), "want 1..256"},
		{c.SwitchThreshold < 0 || c.TriggerThreshold < 0 || c.MulticastSlack < 0, "SwitchThreshold", fmt.Sprint(c.SwitchThreshold), "thresholds and slack must not be negative"},
		{c.RequestTimeout <= 0, "RequestTimeout", c.RequestTimeout.String(), "must be positive"},
		{c.RequestResends < 0, "RequestResends", fmt.Sprint(c.RequestResends), "must not be negative"},
		{c.RequestHops < 1, "RequestHops", fmt.Sprint(c.RequestHops), "need at least 1"},
		{c.MinBumpInterval < 0, "MinBumpInterval", c.MinBumpInterval.String(), "must not be negative"},
		{c.SourceGC <= 0, "SourceGC", c.SourceGC.String(), "must be positive"},
		{c.MaxDestinations < 1, "MaxDestinations", fmt.Sprint(c.MaxDestinations), "need at least 1"},
		{c.HopLimit < 1, "HopLimit", fmt.Sprint(c.HopLimit), "need at least 1"},
		{c.QueueTTL < 0 || c.QueueBytes < 0 || c.QueueMessages < 0, "QueueTTL", c.QueueTTL.String(), "queue limits must not be negative"},
		{negativeTTL(c.ClassQueueTTL), "ClassQueueTTL", fmt.Sprint(c.ClassQueueTTL), "TTLs must not be negative"},
		{c.MaxAge <= 0 || c.MaxSkew < 0, "MaxAge", c.MaxAge.String(), "MaxAge must be positive, MaxSkew not negative"},
		{c.MaxOrigins < 1, "MaxOrigins", fmt.Sprint(c.MaxOrigins), "need at least 1"},
		{c.DeferTTL < 0 || c.DeferMessages < 0 || c.DeferBytes < 0, "DeferTTL", c.DeferTTL.String(), "defer limits must not be negative"},
		{c.ReplyTTL < 0 || c.MaxReplyPaths < 0 || len(c.ReplyClasses) > 0 && (c.ReplyTTL == 0 || c.MaxReplyPaths == 0), "ReplyTTL", c.ReplyTTL.String(), "ReplyTTL and MaxReplyPaths must be positive when ReplyClasses is set"},
		{c.Limits.MaxPayload < 0, "Limits.MaxPayload", fmt.Sprint(c.Limits.MaxPayload), "must not be negative"},
		{c.Limits.MaxDests < 1 || c.Limits.MaxDests > maxDestsWire, "Limits.MaxDests", fmt.Sprint(c.Limits.MaxDests), fmt.Sprintf("want 1..%d", maxDestsWire)},
	}
	for _, ch := range checks {
		if ch.bad {
			return fmt.Errorf("route: Config.%s %s: %s", ch.field, ch.value, ch.reason)
		}
	}
	if err := c.FloodUnicast.validate("FloodUnicast"); err != nil {
		return err
	}
	if err := c.FloodMulticast.validate("FloodMulticast"); err != nil {
		return err
	}
	if c.Attrs != nil {
		if err := c.Attrs.Validate(); err != nil {
			return fmt.Errorf("route: Config.Attrs: %w", err)
		}
	}
	return nil
}

func negativeTTL(m map[Class]time.Duration) bool {
	for _, d := range m {
		if d < 0 {
			return true
		}
	}
	return false
}

// queueTTL is how long a message of class c waits for a route.
func (c *Config) queueTTL(class Class) time.Duration {
	if d, ok := c.ClassQueueTTL[class]; ok {
		return d
	}
	return c.QueueTTL
}

// hold is how long a neighbour advertising interval iv stays up without a
// hello.
func (c *Config) hold(iv time.Duration) time.Duration {
	return time.Duration(float64(iv) * c.HoldMultiplier)
}

// routeExpiry is how long a route lives without an update (RFC 8966:
// 3.5 × the update interval).
func (c *Config) routeExpiry() time.Duration { return c.UpdateInterval*7/2 + c.HelloInterval }
