package netview

import (
	"fmt"
	"maps"
	"slices"
)

// Model is a client's copy of the picture, rebuilt from frames: what the
// page does in JavaScript, in Go for tools and tests.
type Model struct {
	Seq    uint64
	Nodes  map[string]Node
	Links  map[string]Link
	Routes map[string][]Route
}

// GapError is a delta that does not follow the model's last frame: the
// client must start again from a snapshot.
type GapError struct{ Have, Got uint64 }

func (e *GapError) Error() string {
	return fmt.Sprintf("netview: delta %d does not follow %d; start again from a snapshot", e.Got, e.Have)
}

// Apply applies a snapshot (replacing the model) or the next delta.
func (m *Model) Apply(f Frame) error {
	switch f.Kind {
	case "snapshot":
		*m = Model{Seq: f.Seq, Nodes: map[string]Node{}, Links: map[string]Link{}, Routes: map[string][]Route{}}
	case "delta":
		if m.Nodes == nil || f.Seq != m.Seq+1 {
			return &GapError{Have: m.Seq, Got: f.Seq}
		}
		m.Seq = f.Seq
	default:
		return fmt.Errorf("netview: unknown frame kind %q", f.Kind)
	}
	for _, n := range f.Nodes {
		m.Nodes[n.ID] = n
	}
	for _, id := range f.NodesGone {
		delete(m.Nodes, id)
		delete(m.Routes, id)
	}
	for _, l := range f.Links {
		m.Links[l.Key()] = l
	}
	for _, k := range f.LinksGone {
		delete(m.Links, k)
	}
	for _, r := range f.Routes {
		m.Routes[r.Node] = slices.Clone(r.Routes)
	}
	return nil
}

// Equal reports whether two models hold the same picture.
func (m *Model) Equal(o *Model) bool {
	return m.Seq == o.Seq && maps.Equal(m.Nodes, o.Nodes) &&
		maps.EqualFunc(m.Links, o.Links, linkEqual) && maps.EqualFunc(m.Routes, o.Routes, slices.Equal)
}
