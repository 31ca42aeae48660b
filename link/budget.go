package link

// The node-wide queue budget (ConnConfig.QueueBudget; issue 11, attack
// 4). Each link bounds its own queues (SendQueueBytes per lane), but many
// peers that grant no credit would each hold a full queue: the hub counts
// the bytes queued on non-consensus lanes over all links, and Send to an
// unprotected peer fails (DropBudget) while the total is at or above the
// budget. Protected and static peers are counted and never refused, so
// producers keep getting blocks; consensus is never refused.

// budgetAdmits reports whether n more queued bytes to p fit the budget.
func (h *hub) budgetAdmits(p PeerID, n int) bool {
	b := h.cfg.QueueBudget
	return b == 0 || h.queued.Load()+int64(n) <= b || h.isProtected(p)
}

// unqueued accounts bytes that left the non-consensus queues (written or
// dropped).
func (h *hub) unqueued(n int64) {
	if n != 0 {
		h.queued.Add(-n)
	}
}

// QueuedBytes is the total the node-wide queue budget counts now.
func (h *hub) QueuedBytes() int64 { return h.queued.Load() }
