// Package netns builds a small network of Linux network namespaces on one
// machine, for testnets and benchmarks of real processes: one namespace
// per host, each with a veth pair whose other end is a port of one bridge
// this package creates; an address per host in a private /16 (10.X.0.0/16,
// the first X from 78 with no route on the machine); the host machine gets
// 10.X.255.254 on the bridge, so a driver outside the namespaces reaches
// every host (admin APIs) and the hosts reach each other through the bridge.
//
// Faults and shaping are the ones this kernel has (tc netem is absent):
//   - Shape: tc tbf on both ends of a host's veth, so the host's upload and
//     download are each limited to a rate (a host's access link);
//   - SetPort: the bridge port (the veth's outer end) down or up — the host
//     is unplugged; its own interface stays up, so its sockets see silence
//     rather than an error, as with a pulled cable upstream;
//   - Block/Unblock: blackhole routes inside a host's namespace for other
//     hosts' addresses — packets to them are dropped, a partition when both
//     sides block each other.
//
// # Usage
//
//  1. Check Available (root, the ip and tc tools, namespaces) — or, in a
//     test, call SkipUnlessAvailable.
//  2. New makes the bridge; AddHost a namespace per host; Shape them.
//  3. Host.Command runs a program inside a host (via ip netns exec, which
//     execs it, so the process's pid is the program's own: signals reach it).
//  4. Close removes everything New and AddHost made, in reverse order, on
//     every path (defer it, and cancel on SIGINT/SIGTERM so defers run).
//     Sweep removes what a killed driver left behind: every name carries
//     the creating process's pid, and Sweep deletes only names whose pid is
//     no longer running.
//
// Names: namespaces "bwt-<pid>-<i>", interfaces "bwt<pid>b" (the
// bridge) and "bwt<pid>h<i>" (a host's bridge port). Nothing else on
// the machine is touched. A Lab is safe for concurrent use.
package netns
