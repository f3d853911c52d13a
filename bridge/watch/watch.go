// Package watch re-announces the MACs behind a bridged bond when the bond
// fails over (the long-running part of `hostnet watch`).
//
// Why: on failover the kernel announces only the bond's own addresses
// (NETDEV_NOTIFY_PEERS stops at the bond, the bridge above does not pass it
// on), never the guests behind the bridge. The switch keeps sending an idle
// guest's traffic to the old port until it relearns the MAC, which for a
// guest that does not transmit is the switch's ageing time (300 s by
// default). Open vSwitch solves it with a learning packet per MAC on the new
// active slave (ofproto/bond.c bond_compose_learning_packet); so do we.
//
// The package owns: an rtnetlink socket of its own on RTNLGRP_LINK, NEIGH
// and IPV4_IFADDR (it decodes IFLA_EVENT and IFLA_BOND_ACTIVE_SLAVE, which
// vishvananda/netlink does not), a cache of the links, bridge FDBs,
// neighbours and addresses fed by those events (so a failover reads nothing
// from the kernel), the choice of MACs to announce, and one send-only
// AF_PACKET socket per announcement. It never receives or forwards frames.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
)

// Config for Run / New.
type Config struct {
	// Bonds to watch, by interface name. Empty: every bond. A bond that
	// is not (through a VLAN or directly) a bridge port has nothing to
	// announce and is skipped quietly.
	Bonds []string
	// FramesPerMs caps the send rate: at most this many frames in any
	// millisecond window (default 10, i.e. 10 000 frames/s).
	FramesPerMs int
	// MaxFrames bounds the frames of one announcement (default 16384);
	// what is beyond is counted as skipped and logged.
	MaxFrames int
	// Holdoff: a trigger for a bond whose active slave is the one of its
	// last announcement, less than Holdoff after that announcement ended,
	// is dropped. One failover
	// raises BONDING_FAILOVER, NOTIFY_PEERS and an active-slave change;
	// they make one announcement. Default 200ms.
	Holdoff time.Duration
	// Logger gets one line per announcement; default: text to stderr.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.FramesPerMs <= 0 {
		c.FramesPerMs = 10
	}
	if c.MaxFrames <= 0 {
		c.MaxFrames = 16384
	}
	if c.Holdoff <= 0 {
		c.Holdoff = 200 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

// Stats counts what one announcement did.
type Stats struct {
	Bridges   int // bridges (and VLAN bridges) found above the bond
	MACs      int // distinct (MAC, VLAN) announced, the bridges' own included
	RARP      int // RARP frames sent
	GARP      int // gratuitous ARPs sent (MACs whose IPv4 address is known)
	Skipped   int // frames beyond MaxFrames, not sent
	SendError int // frames the kernel refused
	Took      time.Duration
	Read      time.Duration // of Took: reading what to announce from the kernel
}

// Trigger says why an announcement ran.
type Trigger string

const (
	TriggerFailover    Trigger = "bonding_failover" // IFLA_EVENT_BONDING_FAILOVER
	TriggerNotifyPeers Trigger = "notify_peers"     // IFLA_EVENT_NOTIFY_PEERS
	TriggerActiveSlave Trigger = "active_slave"     // IFLA_BOND_ACTIVE_SLAVE changed
	TriggerResync      Trigger = "resync"           // events were lost; state re-read
	TriggerManual      Trigger = "manual"           // Announce called
)

// Watcher watches bonds and announces on failover. Create with New.
type Watcher struct {
	cfg    Config
	events *linkEvents
	cache  *cache // what announcements send, fed by events
	log    *slog.Logger

	mu    sync.Mutex
	bonds map[int]*bondState // by ifindex: bonds seen and watched
	// pending announcements, by bond ifindex, handled by the announcer
	pending map[int]Trigger
	wake    chan struct{}
}

type bondState struct {
	name         string
	active       int       // active slave ifindex as last seen (0 = none)
	announced    int       // active slave at the last announcement
	announcedAt  time.Time // when it ended
	everAnnounce bool
}

// New subscribes to link events before it reads the bonds' state, so no
// change between the two is missed.
func New(cfg Config) (*Watcher, error) {
	cfg.defaults()
	ev, err := openLinkEvents()
	if err != nil {
		return nil, err
	}
	w := &Watcher{cfg: cfg, events: ev, cache: newCache(), log: cfg.Logger,
		bonds: map[int]*bondState{}, pending: map[int]Trigger{}, wake: make(chan struct{}, 1)}
	if err := w.cache.load(); err != nil {
		ev.Close()
		return nil, err
	}
	if err := w.resync(false); err != nil {
		ev.Close()
		return nil, err
	}
	return w, nil
}

// Run is New followed by Watcher.Run: what `hostnet watch PLAN` calls with
// the plan's bridged bonds until it is interrupted.
func Run(ctx context.Context, cfg Config) error {
	w, err := New(cfg)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

func (w *Watcher) watched(name string) bool {
	return len(w.cfg.Bonds) == 0 || slices.Contains(w.cfg.Bonds, name)
}

// resync re-reads every watched bond's active slave; with announce, it
// queues an announcement for each whose active slave changed unseen.
func (w *Watcher) resync(announce bool) error {
	links, err := netlink.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("watch: link dump: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[int]bool{}
	for _, l := range links {
		b, ok := l.(*netlink.Bond)
		if !ok || !w.watched(b.Name) {
			continue
		}
		seen[b.Index] = true
		active := max(b.ActiveSlave, 0)
		st := w.bonds[b.Index]
		if st == nil {
			w.bonds[b.Index] = &bondState{name: b.Name, active: active, announced: active}
			continue
		}
		st.name = b.Name
		if active != st.active {
			st.active = active
			if announce {
				w.queue(b.Index, TriggerResync)
			}
		}
	}
	for i := range w.bonds {
		if !seen[i] {
			delete(w.bonds, i)
		}
	}
	return nil
}

// queue schedules an announcement; w.mu must be held.
func (w *Watcher) queue(bond int, why Trigger) {
	if _, ok := w.pending[bond]; !ok {
		w.pending[bond] = why
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// handle applies one link message to the state and queues what it triggers.
func (w *Watcher) handle(m linkMsg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.Kind == "bond" {
		if m.Deleted || !w.watched(m.Name) {
			delete(w.bonds, m.Index)
			return
		}
		st := w.bonds[m.Index]
		if st == nil {
			st = &bondState{name: m.Name, active: m.ActiveSlave, announced: m.ActiveSlave}
			w.bonds[m.Index] = st
		}
		st.name = m.Name
		switch {
		case m.Event == iflaEventBondingFailover:
			st.active = m.ActiveSlave
			w.queue(m.Index, TriggerFailover)
		case m.Event == iflaEventNotifyPeers:
			st.active = m.ActiveSlave
			w.queue(m.Index, TriggerNotifyPeers)
		case m.ActiveSlave != st.active:
			st.active = m.ActiveSlave
			if m.ActiveSlave != 0 {
				w.queue(m.Index, TriggerActiveSlave)
			}
		}
		return
	}
	// A slave's state changed (carrier, enslaved, released): its bond's
	// active slave may have changed without a message for the bond
	// (balance-tlb/alb). Re-read that bond.
	if st := w.bonds[m.Master]; st != nil {
		l, err := netlink.LinkByIndex(m.Master)
		if err != nil {
			return
		}
		if b, ok := l.(*netlink.Bond); ok && max(b.ActiveSlave, 0) != st.active {
			st.active = max(b.ActiveSlave, 0)
			if st.active != 0 {
				w.queue(m.Master, TriggerActiveSlave)
			}
		}
	}
}

// Run reads link events and announces until ctx is done; it closes the
// watcher's socket on return. The error is nil after ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		w.events.Close() // wakes the blocked Read
	}()
	announcer := make(chan struct{})
	go func() {
		defer close(announcer)
		w.announcer(ctx)
	}()
	defer func() { <-announcer }()
	for {
		b, err := w.events.Read()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errOverrun) {
			w.log.Warn("watch: link events lost, re-reading bonds")
			if err := w.cache.load(); err != nil {
				w.log.Error("watch: resync", "err", err)
			}
			if err := w.resync(true); err != nil {
				w.log.Error("watch: resync", "err", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		// The cache first: an announcement this batch triggers sees the batch.
		w.cache.apply(b)
		for _, m := range b.links {
			w.handle(m)
		}
	}
}

func (w *Watcher) announcer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			var idx int
			var why Trigger
			for i, t := range w.pending {
				idx, why = i, t
				break
			}
			if why == "" {
				w.mu.Unlock()
				break
			}
			delete(w.pending, idx)
			st := w.bonds[idx]
			if st == nil {
				w.mu.Unlock()
				continue
			}
			name, active := st.name, st.active
			if st.everAnnounce && active == st.announced && time.Since(st.announcedAt) < w.cfg.Holdoff {
				w.mu.Unlock()
				continue // the same failover, already announced
			}
			w.mu.Unlock()
			w.announceLogged(idx, name, active, why)
			// The holdoff runs from the end: triggers of the same failover
			// that queued up while a slow announcement ran are dropped.
			w.mu.Lock()
			st.everAnnounce, st.announced, st.announcedAt = true, active, time.Now()
			w.mu.Unlock()
		}
	}
}

// Announce sends the learning frames for one bond now, whatever its state
// (e.g. at start-up, or from an operator's command), and logs the line.
func (w *Watcher) Announce(bond string) (Stats, error) {
	l, err := netlink.LinkByName(bond)
	if err != nil {
		return Stats{}, fmt.Errorf("watch: %w", err)
	}
	b, ok := l.(*netlink.Bond)
	if !ok {
		return Stats{}, fmt.Errorf("watch: %s is not a bond", bond)
	}
	// A manual announcement may come without Run feeding the cache: read it afresh.
	if err := w.cache.load(); err != nil {
		return Stats{}, err
	}
	return w.announceLogged(b.Index, b.Name, max(b.ActiveSlave, 0), TriggerManual)
}

func (w *Watcher) announceLogged(idx int, name string, active int, why Trigger) (Stats, error) {
	st, err := announce(idx, w.cfg, w.cache)
	activeName := ""
	if l, lerr := netlink.LinkByIndex(active); active != 0 && lerr == nil {
		activeName = l.Attrs().Name
	}
	attrs := []any{"bond", name, "trigger", string(why), "active", activeName,
		"bridges", st.Bridges, "macs", st.MACs, "rarp", st.RARP, "garp", st.GARP,
		"skipped", st.Skipped, "send_errors", st.SendError, "took", st.Took.Round(time.Microsecond),
		"read", st.Read.Round(time.Microsecond)}
	switch {
	case err != nil:
		w.log.Error("watch: announce failed", append(attrs, "err", err)...)
	case st.Skipped > 0 || st.SendError > 0:
		w.log.Warn("watch: announced guest MACs (incomplete)", attrs...)
	default:
		w.log.Info("watch: announced guest MACs", attrs...)
	}
	return st, err
}
