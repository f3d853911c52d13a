package engine

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// ReadOptions is what a read of the live state must include, beyond links, addresses and
// routes, for Diff and DestroyChanges of p: arp_notify of the bridges that set it (one
// /proc/sys read each) and, when a bridge has fdb blocks, the forwarding databases (one
// AF_BRIDGE neighbour dump). A plan without these settings costs nothing extra.
func ReadOptions(p *plan.Plan) live.ReadOptions {
	var o live.ReadOptions
	if p == nil {
		return o
	}
	for _, b := range p.Bridges {
		if b.ARPNotify != nil {
			o.ARPNotify = append(o.ARPNotify, b.Name)
		}
		if len(b.FDB) > 0 {
			o.FDB = true
		}
	}
	o.VLANs = needsVLANs(p)
	return o
}

// Read reads the live state of network namespace ns as Diff and DestroyChanges of p need
// it (live.ReadWith with ReadOptions(p)).
func Read(ns netns.NsHandle, p *plan.Plan) (*live.State, error) {
	return live.ReadWith(ns, ReadOptions(p))
}

// checkIncluded refuses a state read without what the plan's bridge settings need: a diff
// against it would plan changes that are already there, or miss some.
func checkIncluded(p *plan.Plan, s *live.State) error {
	need := ReadOptions(p)
	if need.VLANs && !s.Included.VLANs {
		return fmt.Errorf("engine: the plan has bridge VLANs but the live state was read without them; read it with engine.Read(ns, plan)")
	}
	if need.FDB && !s.Included.FDB {
		return fmt.Errorf("engine: the plan has fdb entries but the live state was read without the FDB; read it with engine.Read(ns, plan)")
	}
	for _, name := range need.ARPNotify {
		if !slices.Contains(s.Included.ARPNotify, name) {
			return fmt.Errorf("engine: bridge %s sets arp_notify but the live state was read without it; read it with engine.Read(ns, plan)", name)
		}
	}
	return nil
}

// portLink is the live link a planned bridge port is now (nil: created by this apply, or
// being deleted).
func (d *differ) portLink(i plan.Interface) *live.Link {
	if n, ok := i.(*plan.NIC); ok {
		return d.nicLink[n]
	}
	return d.liveLink(d.name[i])
}

// arpNotify sets net.ipv4.conf.<bridge>.arp_notify when the plan sets it and the kernel
// differs. A bridge created now always gets the write: a new device copies
// net.ipv4.conf.default, which need not be 0. On an existing bridge it runs with the other
// link attributes (before a MAC change of the same apply, which it then announces); on a
// new one right after the bridge is created.
func (d *differ) arpNotify(b *plan.Bridge, ch *Change, l *live.Link) {
	if b.ARPNotify == nil {
		return
	}
	want := *b.ARPNotify
	ph, old := PhaseBridges, ""
	if l != nil {
		ph, old = PhaseBonds, "(unknown)"
		if l.ARPNotify != nil {
			if *l.ARPNotify == want {
				return
			}
			old = boolStr(*l.ARPNotify)
		}
	}
	ch.Attrs = append(ch.Attrs, AttrChange{Name: "arp_notify", Old: old, New: boolStr(want)})
	d.step(ph, Addr(b), fmt.Sprintf("set net.ipv4.conf.%s.arp_notify = %d", b.Name, b2u(want)),
		op{kind: opARPNotify, link: b.Name, on: want})
}

// portFlagAttrs are the bridge port flags a port block sets, as IFLA_BRPORT_* attributes.
var portFlagAttrs = []struct {
	name string
	typ  uint16
	plan func(*plan.PortFlags) *bool
	live func(*live.BridgePort) bool
}{
	{"learning", unix.IFLA_BRPORT_LEARNING, func(f *plan.PortFlags) *bool { return f.Learning }, func(p *live.BridgePort) bool { return p.Learning }},
	{"unicast_flood", unix.IFLA_BRPORT_UNICAST_FLOOD, func(f *plan.PortFlags) *bool { return f.UnicastFlood }, func(p *live.BridgePort) bool { return p.UnicastFlood }},
	{"multicast_flood", unix.IFLA_BRPORT_MCAST_FLOOD, func(f *plan.PortFlags) *bool { return f.MulticastFlood }, func(p *live.BridgePort) bool { return p.MulticastFlood }},
	{"broadcast_flood", unix.IFLA_BRPORT_BCAST_FLOOD, func(f *plan.PortFlags) *bool { return f.BroadcastFlood }, func(p *live.BridgePort) bool { return p.BroadcastFlood }},
}

// defaultPort is what the kernel gives a new bridge port (new_nbp: BR_LEARNING | BR_FLOOD |
// BR_MCAST_FLOOD | BR_BCAST_FLOOD).
var defaultPort = live.BridgePort{Learning: true, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}

// portFlags sets the flags the port blocks give, where they differ: for a port that joins
// the bridge in this apply, from the kernel's defaults. One RTM_NEWLINK per port with the
// flags in IFLA_INFO_SLAVE_DATA (br_port_slave_changelink), after the port has joined.
func (d *differ) portFlags(b *plan.Bridge, ch *Change, joining map[string]bool) {
	for _, f := range b.PortFlags {
		name := d.name[f.Link]
		cur, old := defaultPort, false
		if !joining[name] {
			if pl := d.portLink(f.Link); pl != nil && pl.BridgePort != nil {
				cur, old = *pl.BridgePort, true
			}
		}
		var data []attr
		var parts []string
		for _, a := range portFlagAttrs {
			want := a.plan(f)
			if want == nil || *want == a.live(&cur) {
				continue
			}
			data = append(data, attr{typ: a.typ, val: []byte{b2u(*want)}})
			parts = append(parts, a.name+" "+boolStr(*want))
			ac := AttrChange{Name: "port " + name + " " + a.name, New: boolStr(*want)}
			if old {
				ac.Old = boolStr(a.live(&cur))
			}
			ch.Attrs = append(ch.Attrs, ac)
		}
		if len(data) > 0 {
			d.step(PhasePorts, Addr(b), "set port "+name+" "+strings.Join(parts, " "),
				op{kind: opLinkSet, link: name, slaveData: data})
		}
	}
}

func fdbName(mac net.HardwareAddr, vlan int) string {
	if vlan != 0 {
		return fmt.Sprintf("fdb %s vlan %d", mac, vlan)
	}
	return "fdb " + mac.String()
}

func fdbText(static, sticky bool, port string) string {
	switch {
	case sticky && static:
		return "sticky on " + port
	case static:
		return "static on " + port
	}
	return "learned on " + port
}

// bridgeFDB returns the live FDB entries of the bridge with ifindex idx, indexing the dump
// once per Diff (a host may have thousands of bridges).
func (d *differ) bridgeFDB(idx int) []live.FDBEntry {
	if d.fdbBy == nil {
		d.fdbBy = map[int][]live.FDBEntry{}
		for _, e := range d.s.FDB {
			d.fdbBy[e.Bridge] = append(d.fdbBy[e.Bridge], e)
		}
	}
	return d.fdbBy[idx]
}

// fdb makes the static entries of a bridge with fdb blocks what the plan lists: an entry
// missing, learned, on another port or with another stickiness is added or replaced in
// place (RTM_NEWNEIGH, NLM_F_REPLACE); a static entry on one of the bridge's planned ports
// that the plan does not list is removed, as an address the plan drops is. Entries on
// ports the plan does not name (guest taps) and bridges without fdb blocks are left alone.
// Entries are keyed by MAC and VLAN, as the kernel keys them.
func (d *differ) fdb(b *plan.Bridge, ch *Change, l *live.Link) {
	if len(b.FDB) == 0 {
		return
	}
	obj := Addr(b)
	type key struct {
		mac  string
		vlan int
	}
	portName := map[int]string{} // live ifindex of a planned port -> its planned name
	have := map[key]live.FDBEntry{}
	if l != nil {
		for _, p := range b.Ports {
			if pl := d.portLink(p); pl != nil {
				portName[pl.Index] = d.name[p]
			}
		}
		for _, e := range d.bridgeFDB(l.Index) {
			if !e.Local() && !d.gone[e.Port] {
				have[key{string(e.MAC), e.VLAN}] = e
			}
		}
	}
	want := map[key]bool{}
	// An entry added without a VLAN on a port that has VLANs (every port has the default
	// PVID 1, VLAN filtering or not) is added by the kernel in each of them too, and
	// changed and deleted with it (br_fdb_add, br_fdb_delete): those copies belong to it.
	type portMAC struct {
		port int
		mac  string
	}
	copies := map[portMAC]bool{}
	for _, e := range b.FDB {
		k := key{string(e.MAC), e.VLAN}
		want[k] = true
		if pl := d.portLink(e.Port); pl != nil && e.VLAN == 0 {
			copies[portMAC{pl.Index, string(e.MAC)}] = true
		}
		port := d.name[e.Port]
		ac := AttrChange{Name: fdbName(e.MAC, e.VLAN), New: fdbText(true, e.Sticky, port)}
		if cur, ok := have[k]; ok {
			pl := d.portLink(e.Port)
			if cur.Static() && pl != nil && cur.Port == pl.Index && cur.Sticky() == e.Sticky {
				continue
			}
			ac.Old = fdbText(cur.Static(), cur.Sticky(), d.s.Name(cur.Port))
		}
		ch.Attrs = append(ch.Attrs, ac)
		desc := fmt.Sprintf("fdb replace %s dev %s master static", e.MAC, port)
		if e.Sticky {
			desc += " sticky"
		}
		if e.VLAN != 0 {
			desc += fmt.Sprintf(" vlan %d", e.VLAN)
		}
		d.step(PhasePorts, obj, desc, op{kind: opFDBSet, link: port,
			fdb: &fdbSpec{MAC: e.MAC, VLAN: e.VLAN, Sticky: e.Sticky}})
	}
	if l == nil {
		return
	}
	for _, e := range d.bridgeFDB(l.Index) {
		if e.Static() && e.VLAN == 0 {
			copies[portMAC{e.Port, string(e.MAC)}] = true // its copies go with it
		}
	}
	for _, e := range d.bridgeFDB(l.Index) {
		port, planned := portName[e.Port]
		if !e.Static() || !planned || want[key{string(e.MAC), e.VLAN}] {
			continue
		}
		if e.VLAN != 0 && copies[portMAC{e.Port, string(e.MAC)}] {
			continue
		}
		ch.Attrs = append(ch.Attrs, AttrChange{Name: fdbName(e.MAC, e.VLAN), Old: fdbText(true, e.Sticky(), port)})
		desc := fmt.Sprintf("fdb del %s dev %s master", e.MAC, port)
		if e.VLAN != 0 {
			desc += fmt.Sprintf(" vlan %d", e.VLAN)
		}
		d.step(PhasePorts, obj, desc, op{kind: opFDBDel, link: port, fdb: &fdbSpec{MAC: e.MAC, VLAN: e.VLAN}})
	}
}

// destroyFDB removes the plan's static entries from a bridge that destroy leaves in place
// (hostnet did not create it). A bridge hostnet deletes takes its FDB with it, and the
// kernel flushes a port's entries when it leaves the bridge.
func (d *differ) destroyFDB(b *plan.Bridge, l *live.Link, ch *Change) {
	for _, e := range b.FDB {
		pl := d.portLink(e.Port)
		if _, nic := e.Port.(*plan.NIC); !nic {
			pl = d.liveLink(e.Port.Common().Name) // destroy names links as it goes, uppers first
		}
		if pl == nil {
			continue
		}
		for _, x := range d.bridgeFDB(l.Index) {
			if x.Port != pl.Index || !x.Static() || x.VLAN != e.VLAN || !slices.Equal(x.MAC, e.MAC) {
				continue
			}
			ch.Attrs = append(ch.Attrs, AttrChange{Name: fdbName(e.MAC, e.VLAN), Old: fdbText(true, x.Sticky(), pl.Name)})
			d.step(PhaseAddrsDel, Addr(b), fmt.Sprintf("fdb del %s dev %s master", e.MAC, pl.Name),
				op{kind: opFDBDel, link: pl.Name, fdb: &fdbSpec{MAC: e.MAC, VLAN: e.VLAN}})
		}
	}
}
