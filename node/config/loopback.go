package config

import "net/netip"

// LoopbackListen reports whether an admin listen address (ip:port) only
// accepts connections from this machine: a loopback IP (all of
// 127.0.0.0/8 and ::1). 0.0.0.0 and :: listen everywhere, so they are not
// loopback, nor is anything that does not parse.
func LoopbackListen(listen string) bool {
	ap, err := netip.ParseAddrPort(listen)
	return err == nil && ap.Addr().IsLoopback()
}
