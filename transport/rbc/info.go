package rbc

import "time"

// InstanceInfo is what an operator sees of one instance (admin /rbc).
type InstanceInfo struct {
	Inst    Instance
	Opened  time.Time
	Status  Status // ours
	Echoes  int    // distinct echo signers, any digest
	Readies int    // distinct ready signers, any digest
	// Digests counts the distinct payload digests seen (more than one:
	// the origin or an echoer equivocated).
	Digests     int
	Retransmits int
	Cert        *Certificate // once delivered
}

// Instances lists the instances held, in (origin, seq) order.
func (c *Core) Instances() []InstanceInfo {
	var out []InstanceInfo
	for _, in := range c.sorted() {
		i := InstanceInfo{Inst: in.id, Opened: in.opened, Status: in.mine(), Echoes: len(in.echoes),
			Readies: len(in.readies), Digests: len(in.payloads), Retransmits: in.attempt}
		if in.delivered != nil {
			i.Cert = in.delivered.Cert
		}
		out = append(out, i)
	}
	return out
}
