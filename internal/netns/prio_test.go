package netns

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ShapeWith's prio puts a pfifo_fast under the token bucket on both veth
// ends (txqueuelen: 100 ms of 1,500-byte packets per band at the rate);
// without it tbf keeps its own
// FIFO.
func TestShapeWithPrioAddsPfifoFast(t *testing.T) {
	SkipUnlessAvailable(t)
	lab, err := New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = lab.Close() })
	for _, prio := range []bool{true, false} {
		h, err := lab.AddHost()
		require.NoError(t, err)
		require.NoError(t, h.ShapeWith("100mbit", prio))
		for _, args := range [][]string{{"-n", h.NS, "qdisc", "show", "dev", h.Dev}, {"qdisc", "show", "dev", h.Port}} {
			out, err := exec.Command("tc", args...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "tbf 1: root")
			require.Equal(t, prio, strings.Contains(string(out), "pfifo_fast"), "prio %v: %s", prio, out)
		}
		out, err := exec.Command("ip", "-n", h.NS, "link", "show", "dev", h.Dev).CombinedOutput()
		require.NoError(t, err)
		if prio {
			require.Contains(t, string(out), "qlen 833", "100 ms of 1,500-byte packets at 100 Mbit/s per band")
		}
	}
}

// TestMeasurePrioShaping is a measurement, not a check (it asserts only
// that it ran): one namespace sends a saturating TCP flow marked like the
// link's bulk connection (TOS 0x20, SO_PRIORITY 2) to another over 10
// Mbit/s links, while a second, unmarked connection measures 1-byte round
// trips. Run with BLOCKWIRE_MEASURE_PRIO=1 -v; needs python3. Figures:
// docs/benchmarks.md, "Issue 19: raft leader churn on shaped links".
func TestMeasurePrioShaping(t *testing.T) {
	if os.Getenv("BLOCKWIRE_MEASURE_PRIO") == "" {
		t.Skip("a measurement: set BLOCKWIRE_MEASURE_PRIO=1")
	}
	SkipUnlessAvailable(t)
	for _, prio := range []bool{false, true} {
		lab, err := New()
		require.NoError(t, err)
		a, err := lab.AddHost()
		require.NoError(t, err)
		b, err := lab.AddHost()
		require.NoError(t, err)
		require.NoError(t, a.ShapeWith("10mbit", prio))
		require.NoError(t, b.ShapeWith("10mbit", prio))
		procs := []*exec.Cmd{
			b.Command("python3", "-c", pySink), b.Command("python3", "-c", pyEcho),
		}
		for _, p := range procs {
			require.NoError(t, p.Start())
		}
		time.Sleep(300 * time.Millisecond) // the listeners bind
		bulk := a.Command("python3", "-c", pyBulk, b.IP.String())
		require.NoError(t, bulk.Start())
		procs = append(procs, bulk)
		time.Sleep(2 * time.Second) // the bulk flow fills the queues
		out, err := a.Command("python3", "-c", pyProbe, b.IP.String()).CombinedOutput()
		require.NoError(t, err, "%s", out)
		t.Logf("pfifo_fast %v (votes' band ahead of the bulk band): probe round trip %s", prio, strings.TrimSpace(string(out)))
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		require.NoError(t, lab.Close())
	}
}

const (
	pySink = `import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 5555)); s.listen()
c,_=s.accept()
while c.recv(1<<20): pass`
	pyEcho = `import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 5556)); s.listen()
c,_=s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
  d=c.recv(10)
  if not d: break
  c.sendall(d)`
	pyBulk = `import socket,sys
s=socket.socket(); s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x20); s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, 2)
s.connect((sys.argv[1], 5555))
b=b"x"*(1<<16)
while True: s.sendall(b)`
	pyProbe = `import socket,sys,time
s=socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); s.connect((sys.argv[1], 5556))
r=[]
for i in range(40):
  t=time.time(); s.sendall(b"p"); s.recv(10); r.append((time.time()-t)*1000); time.sleep(0.05)
r.sort(); print("p50 %.1f ms, p90 %.1f ms, max %.1f ms over %d" % (r[20], r[36], r[-1], len(r)))`
)
