package pexnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/pex"
)

// Driver runs a pex.Book over a link.Network: one goroutine owns the book
// and its one timer; dials and probes run on their own goroutines and
// report back. The node's link.Handler calls Connected, Disconnected and
// Receive (for routing-lane frames pex.IsFrame accepts).
type Driver struct {
	cfg    Config
	nw     link.Network
	log    zerolog.Logger
	static map[link.PeerID]bool
	book   *pex.Book // owned by the loop goroutine
	// in carries events into the loop. Its buffer absorbs a burst of link
	// events; PEX frames beyond it are dropped (counted), never blocking
	// the routing lane that also carries the transport.
	in      chan func(now time.Time)
	dropped atomic.Uint64
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
}

// New builds a driver (the book with the seeds and static peers); Start
// runs it.
func New(cfg Config, nw link.Network) (*Driver, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seeds, err := parse(cfg.Seeds, "p2p.seeds")
	if err != nil {
		return nil, err
	}
	static, err := parse(cfg.Static, "p2p.static_peers")
	if err != nil {
		return nil, err
	}
	self := cfg.Self
	if self == nil {
		if h, ok := nw.(*link.Host); ok {
			for _, a := range h.AddrInfo().Addrs {
				self = append(self, a.String())
			}
		}
	}
	// A network on one machine (seeds, static peers or our only listen
	// addresses on loopback) takes loopback addresses; any other refuses
	// them from peers as malformed.
	loopback := anyLoopback(seeds) || anyLoopback(static) || onlyLoopback(self)
	bc := cfg.Book
	bc.Self = pex.PeerID(nw.ID())
	bc.AllowLoopback = bc.AllowLoopback || loopback
	if bc.AllowLoopback {
		bc.MaxPerGroup = 0 // every node of a one-machine network is in 127.0.0.0/24
	}
	bc.CheckID = func(id pex.PeerID) error { _, err := peer.IDFromBytes([]byte(id)); return err }
	var own []string
	for _, s := range self {
		if a, err := pex.ParseAddr(s, bc.AllowLoopback); err == nil && len(own) < pex.MaxAddrsPerPeer {
			own = append(own, a.Text)
		}
	}
	now := time.Now()
	book, err := pex.New(bc, own, now)
	if err != nil {
		return nil, err
	}
	d := &Driver{cfg: cfg, nw: nw, book: book, static: map[link.PeerID]bool{},
		log: cfg.Logger.With().Str("component", "pex").Logger(), in: make(chan func(time.Time), 1024)}
	for _, s := range seeds {
		if err := book.AddConfigured(pex.PeerID(s.ID), textAddrs(s), pex.KindSeed, now); err != nil {
			return nil, err
		}
	}
	for _, s := range static {
		d.static[s.ID] = true
		if err := book.AddConfigured(pex.PeerID(s.ID), textAddrs(s), pex.KindStatic, now); err != nil {
			return nil, err
		}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.log.Info().Int("seeds", len(seeds)).Int("target_peers", bc.TargetPeers).Int("max_peers", bc.MaxPeers).
		Strs("self", own).Msg("peer discovery on")
	return d, nil
}

func parse(addrs []string, field string) ([]peer.AddrInfo, error) {
	mas := make([]multiaddr.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		ma, err := multiaddr.NewMultiaddr(a)
		if err != nil {
			return nil, fmt.Errorf("pexnet: %s entry %q: %w", field, a, err)
		}
		mas = append(mas, ma)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(mas...)
	if err != nil {
		return nil, fmt.Errorf("pexnet: %s: %w", field, err)
	}
	return infos, nil
}

func anyLoopback(infos []peer.AddrInfo) bool {
	for _, in := range infos {
		for _, a := range in.Addrs {
			if manet.IsIPLoopback(a) {
				return true
			}
		}
	}
	return false
}

func onlyLoopback(addrs []string) bool {
	for _, s := range addrs {
		ma, err := multiaddr.NewMultiaddr(s)
		if err != nil || !manet.IsIPLoopback(ma) {
			return false
		}
	}
	return len(addrs) > 0
}

func textAddrs(in peer.AddrInfo) []string {
	out := make([]string, 0, len(in.Addrs))
	for _, a := range in.Addrs {
		if len(out) < pex.MaxAddrsPerPeer {
			out = append(out, a.String())
		}
	}
	return out
}

// Start runs the loop.
func (d *Driver) Start() {
	d.wg.Add(1)
	go d.run()
}

// Close stops the loop and waits for dials and probes in flight.
func (d *Driver) Close() {
	d.once.Do(func() {
		d.cancel()
		d.wg.Wait()
	})
}

func (d *Driver) run() {
	defer d.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case fn := <-d.in:
			fn(time.Now())
		case <-timer.C:
			d.book.Tick(time.Now())
		}
		d.perform()
		timer.Reset(time.Until(d.book.Ready().Deadline))
	}
}

// post hands fn to the loop; block says whether to wait for room (link
// events must not be lost) or drop (frames: a flood is not our problem).
func (d *Driver) post(fn func(time.Time), block bool) {
	if !block {
		select {
		case d.in <- fn:
		default:
			d.dropped.Add(1)
		}
		return
	}
	select {
	case d.in <- fn:
	case <-d.ctx.Done():
	}
}

// Connected implements the link event (call from link.Handler.Connected).
func (d *Driver) Connected(l link.Link) {
	id := l.Peer()
	inbound := l.Direction() == link.Inbound
	exempt := d.static[id] || d.cfg.Exempt != nil && d.cfg.Exempt(id)
	ip := d.remoteIP(id)
	d.post(func(now time.Time) { d.book.Connected(now, pex.PeerID(id), inbound, exempt, ip) }, true)
}

// Disconnected implements the link event.
func (d *Driver) Disconnected(l link.Link, err error) {
	id := l.Peer()
	full := err != nil && strings.Contains(err.Error(), pex.CloseFull)
	if d.nw.Link(id) != nil {
		return // a replaced duplicate: the peer is still linked
	}
	d.post(func(now time.Time) { d.book.Disconnected(now, pex.PeerID(id), full) }, true)
}

// Receive takes a routing-lane frame for which pex.IsFrame holds.
func (d *Driver) Receive(l link.Link, msg []byte) {
	id := l.Peer()
	d.post(func(now time.Time) { _ = d.book.Receive(now, pex.PeerID(id), msg) }, false)
}

func (d *Driver) remoteIP(id link.PeerID) string {
	if d.cfg.RemoteIP != nil {
		return d.cfg.RemoteIP(id)
	}
	h, ok := d.nw.(*link.Host)
	if !ok {
		return ""
	}
	for _, c := range h.Libp2p().Network().ConnsToPeer(id) {
		if ip, err := manet.ToIP(c.RemoteMultiaddr()); err == nil {
			return ip.String()
		}
	}
	return ""
}

// perform carries out the book's Ready (pex.Ready's order).
func (d *Driver) perform() {
	if !d.book.HasReady() {
		return
	}
	rd := d.book.Ready()
	for _, m := range rd.Messages {
		if l := d.nw.Link(link.PeerID(m.To)); l != nil {
			_ = l.Send(link.LaneRouting, m.Msg) // a lost PEX frame is retried or only advice
		}
	}
	for _, c := range rd.Closes {
		if l := d.nw.Link(link.PeerID(c.Peer)); l != nil {
			d.log.Info().Str("peer", link.PeerID(c.Peer).String()).Msg("shedding an inbound peer: above max_peers")
			l.Close(errors.New(c.Reason))
		}
	}
	for _, x := range rd.Dials {
		d.dial(x)
	}
	for _, x := range rd.Probes {
		d.probe(x)
	}
	for _, p := range rd.Penalties {
		d.penalize(p)
	}
	d.book.Advance()
}

func (d *Driver) dial(x pex.Dial) {
	info := peer.AddrInfo{ID: link.PeerID(x.ID)}
	for _, s := range x.Addrs {
		if ma, err := multiaddr.NewMultiaddr(s); err == nil {
			info.Addrs = append(info.Addrs, ma)
		}
	}
	d.wg.Go(func() {
		ctx, cancel := context.WithTimeout(d.ctx, d.cfg.DialTimeout)
		_, err := d.nw.Connect(ctx, info)
		cancel()
		text := ""
		if err != nil {
			text = err.Error()
			d.log.Debug().Str("peer", info.ID.String()).Err(err).Msg("discovery dial failed")
		}
		d.post(func(now time.Time) { d.book.DialDone(now, x.ID, text) }, true)
	})
}

func (d *Driver) probe(x pex.Dial) {
	d.wg.Go(func() {
		ctx, cancel := context.WithTimeout(d.ctx, d.cfg.ProbeTimeout)
		probe := d.cfg.Probe
		if probe == nil {
			probe = tcpProbe
		}
		err := probe(ctx, x.Addrs)
		cancel()
		text := ""
		if err != nil {
			text = err.Error()
		}
		d.post(func(now time.Time) { d.book.ProbeDone(now, x.ID, text) }, true)
	})
}

// tcpProbe connects to the first TCP address and hangs up: something
// listens there (the libp2p handshake of whoever dials it later proves
// whose key it is).
func tcpProbe(ctx context.Context, addrs []string) error {
	for _, s := range addrs {
		a, err := pex.ParseAddr(s, true)
		if err != nil || !a.TCP {
			continue
		}
		var dl net.Dialer
		c, err := dl.DialContext(ctx, "tcp", net.JoinHostPort(a.Host, fmt.Sprint(a.Port)))
		if err != nil {
			return err
		}
		return c.Close()
	}
	return errors.New("no TCP address to probe")
}

func (d *Driver) penalize(p pex.Penalty) {
	r := link.ReasonProtocol
	switch p.Reason {
	case pex.PenaltyMalformed:
		r = link.ReasonDecode
	case pex.PenaltyFlood:
		r = link.ReasonFlood
	case pex.PenaltyJunk:
		r = link.ReasonInvalid
	}
	id := link.PeerID(p.Peer)
	d.log.Warn().Str("peer", id.String()).Str("reason", string(p.Reason)).Str("detail", p.Detail).Msg("peer discovery fault")
	d.nw.Penalize(id, r, "pex "+string(p.Reason)+": "+p.Detail)
}

// Snapshot is the book as operators see it (the admin API's /peers/book).
type Snapshot struct {
	pex.Status
	FramesDropped uint64    `json:"frames_dropped"`
	Entries       []Entry   `json:"entries"`
	Dropped       []Dropped `json:"dropped"`
}

// Entry is a book entry with peer ids in their libp2p text form.
type Entry struct {
	pex.EntryInfo
	ID     string `json:"id"`
	Source string `json:"source,omitempty"`
}

// Dropped is a drop record with peer ids in their libp2p text form.
type Dropped struct {
	pex.Dropped
	ID     string `json:"id,omitempty"`
	Source string `json:"source,omitempty"`
}

func idText(p pex.PeerID) string {
	if p == "" {
		return ""
	}
	return link.PeerID(p).String()
}

func (d *Driver) snapshot() Snapshot {
	s := Snapshot{Status: d.book.Status(), FramesDropped: d.dropped.Load()}
	for _, e := range d.book.Entries() {
		s.Entries = append(s.Entries, Entry{EntryInfo: e, ID: idText(e.ID), Source: idText(e.Source)})
	}
	for _, x := range d.book.Dropped() {
		s.Dropped = append(s.Dropped, Dropped{Dropped: x, ID: idText(x.ID), Source: idText(x.Source)})
	}
	return s
}

// Snapshot asks the loop for the book's state.
func (d *Driver) Snapshot(ctx context.Context) (Snapshot, error) {
	ch := make(chan Snapshot, 1)
	d.post(func(time.Time) {
		ch <- d.snapshot()
	}, true)
	select {
	case s := <-ch:
		return s, nil
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	case <-d.ctx.Done():
		return Snapshot{}, errors.New("pexnet: closed")
	}
}
