// Package guestvlan puts each libvirt guest's port into its VLAN on a VLAN-aware bridge,
// the moment the port joins the bridge (the libvirt part of `hostnet watch`).
//
// Why: libvirt before 11.0 (Debian 12 ships 9.0) applies a portgroup's <vlan> only to Open
// vSwitch ports; on a Linux bridge with vlan_filtering a guest's tap stays in the kernel's
// default VLAN 1 and reaches nothing. hostnet's plan says which VLAN each portgroup is
// (plan.PortGroup.VLAN, Trunk); a Tagger listens to the kernel's link events, finds the
// domain interface behind every new port of a watched bridge (its <target dev>, <source
// network portgroup>), and sets the port's VLANs: the portgroup's VLAN as PVID, untagged,
// plus its trunk VLANs tagged, VID 1 removed. The same events bring it back when anything
// (a restore, a hand-made change) sets a guest port's VLANs otherwise.
//
// The package owns: its rtnetlink event socket, its libvirt connections (read-only), and
// the bridge VLAN requests for guest ports. It never touches a port that no running domain
// claims.
package guestvlan

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/vid"
)

// Membership is the VLANs of a guest port: PVID (egress untagged, 0 = none) and Trunk
// (tagged).
type Membership struct {
	PVID  int
	Trunk vid.Set
}

// want is the kernel form of m.
func (m Membership) want() *live.BridgeVLANs {
	v := &live.BridgeVLANs{VIDs: m.Trunk, PVID: m.PVID}
	v.VIDs.Add(m.PVID)
	v.Untagged.Add(m.PVID)
	return v
}

// Network is a libvirt network on a VLAN-aware bridge and the VLANs of its portgroups.
type Network struct {
	Name       string                // libvirt network name
	Bridge     string                // kernel bridge
	PortGroups map[string]Membership // by portgroup name, tagged ones only
	// Default is the membership of interfaces that name no portgroup (the default
	// portgroup's, when it is tagged); nil = leave them.
	Default *Membership
	// Planned are the bridge's ports the plan owns (the uplink): never guest ports.
	Planned []string
}

// FromPlan lists the plan's libvirt networks whose portgroups put guests in VLANs.
func FromPlan(p *plan.Plan) []Network {
	var out []Network
	for _, n := range p.Networks {
		if n.Bridge == nil {
			continue
		}
		net := Network{Name: n.Name, Bridge: n.Bridge.Name, PortGroups: map[string]Membership{}}
		for _, pg := range n.PortGroups {
			if !pg.Tagged() {
				continue
			}
			m := Membership{PVID: pg.VLAN, Trunk: pg.Trunk}
			net.PortGroups[pg.Name] = m
			if pg.Default {
				net.Default = &m
			}
		}
		if len(net.PortGroups) == 0 {
			continue
		}
		for _, port := range n.Bridge.Ports {
			net.Planned = append(net.Planned, port.Common().Name)
		}
		out = append(out, net)
	}
	return out
}

// Config for New.
type Config struct {
	Networks []Network
	// URIs are the libvirt connections whose running domains are looked up (default
	// qemu:///system and lxc:///system); one that does not answer is skipped.
	URIs []string
	// Settle is how long events are gathered before a pass (default 50ms).
	Settle time.Duration
	// Retry is how long after a pass that left a port without its domain (libvirt puts
	// the port on the bridge before the domain is listed) the next one runs (default
	// 200ms); a port is looked up at most MaxLookups times (default 50).
	Retry      time.Duration
	MaxLookups int
	Logger     *slog.Logger
}

// Tagger keeps guest ports in their VLANs.
type Tagger struct {
	cfg      Config
	conns    map[string]*libvirt.Connect
	assigned map[int]assignment // ifindex -> what its domain interface says
	lookups  map[int]int        // ifindex -> lookups that found no domain
	planned  map[string]bool    // bridge/port names the plan owns
}

type assignment struct {
	name    string // port name when found (ifindex reuse check)
	domain  string
	network string
	group   string
}

// Stats counts what one pass did.
type Stats struct {
	Ports   int // guest ports on watched bridges
	Changed int // ports whose VLANs were set
	Pending int // ports with no domain found yet
}

// New checks the configuration.
func New(cfg Config) (*Tagger, error) {
	if len(cfg.URIs) == 0 {
		cfg.URIs = []string{"qemu:///system", "lxc:///system"}
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 50 * time.Millisecond
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 200 * time.Millisecond
	}
	if cfg.MaxLookups <= 0 {
		cfg.MaxLookups = 50
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	t := &Tagger{cfg: cfg, conns: map[string]*libvirt.Connect{}, assigned: map[int]assignment{},
		lookups: map[int]int{}, planned: map[string]bool{}}
	for _, n := range cfg.Networks {
		for _, p := range n.Planned {
			t.planned[n.Bridge+"/"+p] = true
		}
	}
	return t, nil
}

// Close closes the libvirt connections.
func (t *Tagger) Close() {
	for _, c := range t.conns {
		c.Close()
	}
	t.conns = map[string]*libvirt.Connect{}
}

// Run does a pass, then one after every burst of link events (and retries while ports
// wait for their domain), until ctx ends.
func (t *Tagger) Run(ctx context.Context) error {
	defer t.Close()
	s, err := nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
	if err != nil {
		return fmt.Errorf("guestvlan: link events: %w", err)
	}
	events := make(chan struct{}, 1)
	go func() {
		for {
			if _, _, err := s.Receive(); err != nil {
				close(events)
				return
			}
			select {
			case events <- struct{}{}:
			default:
			}
		}
	}()
	go func() { <-ctx.Done(); s.Close() }()
	var retry <-chan time.Time
	pass := func() {
		st, err := t.Pass()
		if err != nil {
			t.cfg.Logger.Warn("guest VLANs", "error", err)
		}
		retry = nil
		if st.Pending > 0 {
			retry = time.After(t.cfg.Retry)
		}
	}
	pass()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("guestvlan: link event socket closed")
			}
			time.Sleep(t.cfg.Settle) // one pass for a burst
			select {
			case <-events:
			default:
			}
			pass()
		case <-retry:
			pass()
		}
	}
}

// Pass reads the bridges' ports and their VLANs once, finds the domain behind every port
// it does not know yet, and sets the VLANs of those that differ from their portgroup's.
func (t *Tagger) Pass() (Stats, error) {
	var st Stats
	c, err := live.Dial(netns.None())
	if err != nil {
		return st, err
	}
	defer c.Close()
	s, err := c.ReadWith(live.ReadOptions{VLANs: true})
	if err != nil {
		return st, err
	}
	type port struct {
		link *live.Link
		net  *Network
	}
	var ports []port
	present := map[int]bool{}
	for i := range t.cfg.Networks {
		n := &t.cfg.Networks[i]
		br := s.Link(n.Bridge)
		if br == nil || br.Bridge == nil {
			continue
		}
		for _, l := range s.Slaves(br) {
			if t.planned[n.Bridge+"/"+l.Name] {
				continue
			}
			present[l.Index] = true
			ports = append(ports, port{l, n})
		}
	}
	for idx := range t.assigned {
		if !present[idx] {
			delete(t.assigned, idx)
		}
	}
	for idx := range t.lookups {
		if !present[idx] {
			delete(t.lookups, idx)
		}
	}
	// Look the unknown ports up: one listing of the running domains per pass.
	var unknown []*live.Link
	for _, p := range ports {
		if a, ok := t.assigned[p.link.Index]; !ok || a.name != p.link.Name {
			if t.lookups[p.link.Index] < t.cfg.MaxLookups {
				unknown = append(unknown, p.link)
			}
		}
	}
	if len(unknown) > 0 {
		found := t.domainInterfaces()
		for _, l := range unknown {
			if a, ok := found[l.Name]; ok {
				a.name = l.Name
				t.assigned[l.Index] = a
				delete(t.lookups, l.Index)
				continue
			}
			t.lookups[l.Index]++
			st.Pending++
		}
	}
	var reqs []live.Request
	type note struct {
		first, n int // the port's requests: reqs[first : first+n]
		log      func(err error)
	}
	var notes []note
	for _, p := range ports {
		a, ok := t.assigned[p.link.Index]
		if !ok || a.network != p.net.Name {
			continue
		}
		st.Ports++
		var m *Membership
		if a.group == "" {
			m = p.net.Default
		} else if x, ok := p.net.PortGroups[a.group]; ok {
			m = &x
		}
		if m == nil {
			continue // an untagged portgroup: the kernel's default VLAN is what it wants
		}
		have := p.link.BridgeVLANs
		if have == nil {
			have = &live.BridgeVLANs{}
		}
		want := m.want()
		del, add := live.VLANChange(have, want)
		if del == nil && add == nil {
			continue
		}
		st.Changed++
		first := len(reqs)
		if del != nil {
			reqs = append(reqs, live.VLANRequest(true, p.link.Index, false, del))
		}
		if add != nil {
			reqs = append(reqs, live.VLANRequest(false, p.link.Index, false, add))
		}
		l, from := p.link, have.String()
		notes = append(notes, note{first, len(reqs) - first, func(err error) {
			if err != nil {
				t.cfg.Logger.Warn("guest port VLANs not set", "port", l.Name, "domain", a.domain, "network", a.network,
					"portgroup", a.group, "error", err)
				return
			}
			t.cfg.Logger.Info("guest port VLANs set", "port", l.Name, "domain", a.domain, "network", a.network,
				"portgroup", a.group, "from", from, "to", want.String())
		}})
	}
	if len(reqs) == 0 {
		return st, nil
	}
	errs, err := c.Batch(reqs)
	if err != nil {
		return st, err
	}
	for _, n := range notes {
		var first error
		for _, e := range errs[n.first : n.first+n.n] {
			if e != nil && first == nil {
				first = e
			}
		}
		n.log(first)
	}
	return st, nil
}

// domainXML is the part of a running domain's XML the tagger reads. libvirtxml cannot be
// used: a running domain shows its network interfaces as <interface type='bridge'> whose
// <source> keeps network= and portgroup= beside bridge=, and libvirtxml decodes the source
// by the interface type, dropping them.
type domainXML struct {
	Name       string `xml:"name"`
	Interfaces []struct {
		Source struct {
			Network   string `xml:"network,attr"`
			PortGroup string `xml:"portgroup,attr"`
		} `xml:"source"`
		Target struct {
			Dev string `xml:"dev,attr"`
		} `xml:"target"`
	} `xml:"devices>interface"`
}

// domainInterfaces maps the target device of every network interface of every running
// domain to its domain, network and portgroup.
func (t *Tagger) domainInterfaces() map[string]assignment {
	out := map[string]assignment{}
	uris := append([]string(nil), t.cfg.URIs...)
	sort.Strings(uris)
	for _, uri := range uris {
		c := t.conns[uri]
		if c == nil {
			var err error
			if c, err = libvirt.NewConnect(uri); err != nil {
				continue // no such driver or daemon: nothing of ours there
			}
			t.conns[uri] = c
		}
		doms, err := c.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
		if err != nil {
			c.Close()
			delete(t.conns, uri) // reconnect next time
			continue
		}
		for _, d := range doms {
			x, err := d.GetXMLDesc(0)
			d.Free()
			if err != nil {
				continue
			}
			var dom domainXML
			if xml.Unmarshal([]byte(x), &dom) != nil {
				continue
			}
			for _, ifc := range dom.Interfaces {
				if ifc.Target.Dev == "" || ifc.Source.Network == "" {
					continue
				}
				out[ifc.Target.Dev] = assignment{domain: dom.Name, network: ifc.Source.Network, group: ifc.Source.PortGroup}
			}
		}
	}
	return out
}
