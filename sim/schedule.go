package sim

// scheduleFault queues the events of one fault.
func (r *runner) scheduleFault(f *Fault) {
	switch f.Kind {
	case FaultPartition:
		r.e.at(f.From, evFault, 1, 0, 0, func() {
			r.net.cuts = append(r.net.cuts, f)
			r.net.reconcile()
		})
		r.e.at(f.To, evFault, 2, 0, 0, func() {
			r.net.cuts = without(r.net.cuts, f)
			r.net.reconcile()
			r.openWindow("partition heal")
		})
	case FaultOneWay:
		r.e.at(f.From, evFault, 3, 0, 0, func() { r.net.holds = append(r.net.holds, f) })
		r.e.at(f.To, evFault, 4, 0, 0, func() {
			r.net.holds = without(r.net.holds, f)
			r.net.reconcile()
			r.openWindow("one-way heal")
		})
	case FaultCrash:
		r.e.at(f.From, evFault, 5, 0, 0, func() {
			for _, v := range f.Nodes {
				r.crash(v)
			}
		})
	case FaultRestart:
		r.e.at(f.From, evFault, 6, 0, 0, func() {
			for _, v := range f.Nodes {
				r.restart(v)
			}
		})
	}
}

func without(fs []*Fault, f *Fault) []*Fault {
	out := fs[:0:0]
	for _, x := range fs {
		if x != f {
			out = append(out, x)
		}
	}
	return out
}

// crash stops a node: its connections close, and it keeps only its
// irreversible chain.
func (r *runner) crash(v int) {
	n := r.nodes[v]
	if !n.up {
		return
	}
	for _, pc := range n.sortedConns() {
		r.connClosed(v, pc)
	}
	n.crash()
	r.net.up[v] = false
	r.net.reconcile()
	r.cons.HeadChanged(v, nil)
	if d, ok := r.cons.(driven); ok {
		d.crashed(v)
	}
	for _, w := range r.m.windows {
		delete(w.missing, v)
	}
	r.closeWindows()
}

// restart boots a crashed node from what it kept and reconnects it.
func (r *runner) restart(v int) {
	n := r.nodes[v]
	if n.up {
		return
	}
	n.boot(n.store)
	r.net.up[v] = true
	r.net.reconcile()
	r.headChanged(n)
	if d, ok := r.cons.(driven); ok {
		d.restarted(v)
	}
	r.openWindow("restart")
}
