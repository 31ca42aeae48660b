package route

import (
	"fmt"
	"maps"
	"slices"
)

// Attrs are what a destination says about itself in its signed
// announcement, beside (RouterID, seqno): the attestation level it serves
// as a verifier (0: none) and labels (operator, region, ...). They are
// signed with the seqno, so no relay can add, alter or strip them; they
// are fixed for a Router's run (a new run has a new RouterID). Nodes build
// directories from them (Router.Announced): consensus/attest selects its
// verifiers from the destinations that announce a level.
type Attrs struct {
	// Level is the attestation level served; 0 announces a participant
	// that verifies nothing (a requester).
	Level uint8
	// Labels are criteria a selector matches (at most MaxLabels; keys of
	// 1..MaxLabelKey bytes of [a-z0-9._-], values of at most MaxLabelValue
	// printable ASCII bytes).
	Labels map[string]string
}

// Attribute bounds: an announcement with attributes stays below 1 KiB.
const (
	MaxLabels     = 8
	MaxLabelKey   = 32
	MaxLabelValue = 64
)

// Validate checks the bounds and character sets; its errors name the
// label at fault.
func (a *Attrs) Validate() error {
	if len(a.Labels) > MaxLabels {
		return fmt.Errorf("route: %d labels, at most %d", len(a.Labels), MaxLabels)
	}
	for k, v := range a.Labels {
		if err := checkLabel(k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkLabel(k, v string) error {
	if len(k) < 1 || len(k) > MaxLabelKey {
		return fmt.Errorf("route: label key %q: want 1..%d bytes", k, MaxLabelKey)
	}
	for i := 0; i < len(k); i++ {
		if !keyByte(k[i]) {
			return fmt.Errorf("route: label key %q: only a-z 0-9 . _ -", k)
		}
	}
	if len(v) > MaxLabelValue {
		return fmt.Errorf("route: label %q value of %d bytes, at most %d", k, len(v), MaxLabelValue)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return fmt.Errorf("route: label %q value: printable ASCII only", k)
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// Equal reports whether a and b say the same (nil is no attributes).
func (a *Attrs) Equal(b *Attrs) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Level == b.Level && maps.Equal(a.Labels, b.Labels)
}

// clone returns a deep copy (nil stays nil): a Router never shares its
// attribute maps with callers.
func (a *Attrs) clone() *Attrs {
	if a == nil {
		return nil
	}
	return &Attrs{Level: a.Level, Labels: maps.Clone(a.Labels)}
}

// attrsSize is the encoded size of a.
func (a *Attrs) size() int {
	n := 2
	for k, v := range a.Labels {
		n += 2 + len(k) + len(v)
	}
	return n
}

// appendAttrs appends the canonical encoding: level(1) n(1) then n ×
// (klen(1) key vlen(1) value) in strictly ascending key order.
func appendAttrs(b []byte, a *Attrs) []byte {
	b = append(b, a.Level, byte(len(a.Labels)))
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		v := a.Labels[k]
		b = append(b, byte(len(k)))
		b = append(b, k...)
		b = append(b, byte(len(v)))
		b = append(b, v...)
	}
	return b
}

// decodeAttrs decodes exactly b (strict: bounds, character sets, keys
// strictly ascending, no trailing bytes).
func decodeAttrs(b []byte) (*Attrs, error) {
	if len(b) < 2 {
		return nil, fault(ReasonMalformed, "update: attributes of %d bytes", len(b))
	}
	a := &Attrs{Level: b[0]}
	n := int(b[1])
	if n > MaxLabels {
		return nil, fault(ReasonMalformed, "update: %d labels, at most %d", n, MaxLabels)
	}
	b = b[2:]
	prev := ""
	for i := 0; i < n; i++ {
		k, rest, ok := cut8(b)
		if !ok {
			return nil, fault(ReasonMalformed, "update: label %d truncated", i)
		}
		v, rest, ok := cut8(rest)
		if !ok {
			return nil, fault(ReasonMalformed, "update: label %q truncated", k)
		}
		if err := checkLabel(k, v); err != nil {
			return nil, fault(ReasonMalformed, "update: %v", err)
		}
		if i > 0 && k <= prev {
			return nil, fault(ReasonMalformed, "update: label keys not strictly ascending")
		}
		if a.Labels == nil {
			a.Labels = make(map[string]string, n)
		}
		a.Labels[k], prev, b = v, k, rest
	}
	if len(b) != 0 {
		return nil, fault(ReasonMalformed, "update: %d bytes after the attributes", len(b))
	}
	return a, nil
}

// cut8 splits a length-prefixed (one byte) string off b.
func cut8(b []byte) (string, []byte, bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

// Announcement is a destination that announced attributes, as this
// router holds it: through its selected route (so it is reachable now).
type Announcement struct {
	Dest   NodeID
	Attrs  Attrs
	Metric Metric
}

// Announced lists the reachable destinations that announced attributes,
// sorted by id (a verifier directory; ourselves excluded).
func (r *Router) Announced() []Announcement {
	var out []Announcement
	for _, id := range r.destOrder {
		d := r.dests[id]
		if d.sel == nil || d.sel.attrs == nil {
			continue
		}
		out = append(out, Announcement{Dest: id, Attrs: *d.sel.attrs.clone(), Metric: d.selM})
	}
	return out
}

// Attrs returns our own announced attributes (nil: none).
func (r *Router) Attrs() *Attrs { return r.cfg.Attrs.clone() }

// admit applies Config.Admit and Config.AdmitAttrs to a destination that
// announced attrs (nil: none known).
func (r *Router) admit(id NodeID, attrs *Attrs) bool {
	if r.cfg.Admit == nil || r.cfg.Admit(id) {
		return true
	}
	return attrs != nil && r.cfg.AdmitAttrs != nil && r.cfg.AdmitAttrs(id, *attrs)
}
