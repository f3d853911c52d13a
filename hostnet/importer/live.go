package importer

import (
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
)

// ImportLive turns the live kernel state s into a Doc: every bond, bridge and VLAN, the
// NICs under them (pinned by their permanent MAC when the driver has one), addresses,
// default gateways and the static routes of the main table. Only what a plan expresses is
// written: bond options that differ from the kernel default for the bond's mode, every
// bridge option the plan language has. Links marked by hostnet are imported too (their
// plan addresses are not kept). Guest taps (tun) on bridges are left to libvirt. The ports
// of a VLAN-filtering bridge keep their VLANs when s was read with LiveReadOptions.
func ImportLive(s *live.State, opts Options) *Doc {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	d := newDoc("live", opts.Limits)
	d.Sources = []string{"the live kernel (netlink)"}
	at := func(l *live.Link) Origin { return Origin{File: "link " + l.Name} }
	want := map[int]bool{}
	var mark func(l *live.Link)
	mark = func(l *live.Link) {
		if l == nil || want[l.Index] {
			return
		}
		want[l.Index] = true
		for _, x := range s.Slaves(l) {
			if x.Kind == "tun" {
				d.warnf(at(x), "%s is a tap on %s (a guest's): left to libvirt", x.Name, l.Name)
				continue
			}
			mark(x)
		}
		if l.ParentIndex != 0 {
			mark(s.LinkByIndex(l.ParentIndex))
		}
	}
	for _, l := range s.Links {
		switch {
		case l.Name == "lo" || l.Flags&unix.IFF_LOOPBACK != 0:
		case l.Kind == "bond" || l.Kind == "bridge" || l.Kind == "vlan":
			mark(l)
		case (l.Kind == "" || l.Kind == "veth") && hasAddrs(l):
			mark(l)
		}
	}
	for _, l := range s.Links {
		if !want[l.Index] {
			continue
		}
		i := d.iface(l.Name, at(l))
		switch l.Kind {
		case "bond":
			d.setKind(i, Bond, at(l))
			liveBond(d, s, i, l)
		case "bridge":
			d.setKind(i, Bridge, at(l))
			liveBridge(d, s, i, l)
		case "vlan":
			d.setKind(i, VLAN, at(l))
			i.Link = s.Name(l.ParentIndex)
			if l.VLAN != nil {
				i.ID = l.VLAN.ID
				if l.VLAN.Protocol == 0x88a8 {
					i.Protocol = "802.1ad"
				}
			}
		case "", "veth":
			d.setKind(i, NIC, at(l))
			mac := l.PermMAC
			if l.BondSlave != nil && len(l.BondSlave.PermMAC) > 0 {
				mac = l.BondSlave.PermMAC
			}
			if len(mac) == 0 {
				mac = l.MAC
			}
			i.MAC = mac.String()
		default:
			d.warnf(at(l), "%s is a %s: not an interface a plan has; left out", l.Name, l.Kind)
			continue
		}
		if l.MTU != 1500 && l.MTU > 0 && l.BondSlave == nil {
			i.MTU = l.MTU
		}
		for _, a := range l.Addrs {
			if a.LinkLocal() {
				continue
			}
			i.Addrs = append(i.Addrs, a.Prefix.String())
		}
	}
	for _, r := range s.Routes {
		if r.Table != unix.RT_TABLE_MAIN || r.Protocol == unix.RTPROT_KERNEL || r.Type != unix.RTN_UNICAST {
			continue
		}
		dev := s.Name(r.OIF)
		i := d.byName[dev]
		if i == nil {
			continue
		}
		o := Origin{File: "route " + r.Dst.String() + " dev " + dev}
		if r.Protocol == unix.RTPROT_RA || r.Protocol == unix.RTPROT_DHCP {
			d.warnf(o, "learnt by %s: not carried over (a plan has static routes)", map[uint8]string{unix.RTPROT_RA: "router advertisement", unix.RTPROT_DHCP: "DHCP"}[r.Protocol])
			continue
		}
		if r.Dst.Bits() == 0 && r.Gateway.IsValid() && r.Priority == defaultMetric(r.Dst) && i.Gateway == "" {
			i.Gateway = r.Gateway.String()
			continue
		}
		rt := Route{To: r.Dst.String(), Dev: dev, Metric: r.Priority, Origin: o}
		if r.Dst.Bits() == 0 {
			rt.To = "default"
		}
		if r.Gateway.IsValid() {
			rt.Via = r.Gateway.String()
		}
		if rt.Metric == defaultMetric(r.Dst) {
			rt.Metric = 0
		}
		d.Routes = append(d.Routes, rt)
	}
	d.switchBlock = d.inferSwitch()
	return d
}

func defaultMetric(p netip.Prefix) int {
	if p.Addr().Is6() {
		return 1024
	}
	return 0
}

func hasAddrs(l *live.Link) bool {
	for _, a := range l.Addrs {
		if !a.LinkLocal() {
			return true
		}
	}
	return false
}

func liveBond(d *Doc, s *live.State, i *Iface, l *live.Link) {
	for _, x := range s.Slaves(l) {
		i.Slaves = append(i.Slaves, x.Name)
	}
	if l.Bond == nil {
		return
	}
	o := &l.Bond.Options
	mode := o.Mode()
	at := Origin{File: "link " + l.Name}
	for id := bonding.ID(0); id < bonding.NumOptions; id++ {
		opt := &bonding.Table[id]
		if id == bonding.OptActiveSlave || !l.Bond.Reported[id] {
			continue // the active slave is a momentary choice
		}
		v := o.Get(id)
		def := bonding.Value{Num: bonding.DefaultFor(id, mode)}
		if id != bonding.OptMode && id != bonding.OptMiimon && v.Equal(def) {
			continue
		}
		if opt.Kind == bonding.KindMAC && (v.MAC == nil || isZeroMAC(v.MAC)) {
			continue
		}
		if opt.Kind == bonding.KindIface && v.Iface == "" {
			continue
		}
		if !opt.Modes.Has(mode) {
			d.warnf(at, "bond %s: %s = %s has no effect in mode %s; left out", l.Name, opt.Name, v.Format(id), mode)
			continue
		}
		bo := BondOpt{Name: opt.Name, Origin: at}
		switch opt.Kind {
		case bonding.KindIPv4List, bonding.KindIPv6List:
			for _, a := range v.Addrs {
				bo.List = append(bo.List, a.String())
			}
		case bonding.KindMAC:
			bo.Value = v.MAC.String()
		case bonding.KindIface:
			bo.Value = v.Iface
		case bonding.KindEnum:
			bo.Value = opt.Format(v.Num)
		default:
			bo.Value = strconv.FormatUint(v.Num, 10)
		}
		i.BondOpts = append(i.BondOpts, bo)
	}
}

func isZeroMAC(m []byte) bool {
	for _, b := range m {
		if b != 0 {
			return false
		}
	}
	return true
}

func liveBridge(d *Doc, s *live.State, i *Iface, l *live.Link) {
	for _, x := range s.Slaves(l) {
		if x.Kind == "tun" {
			continue
		}
		i.Ports = append(i.Ports, x.Name)
	}
	if l.Bridge == nil {
		return
	}
	b := l.Bridge
	stp := b.STPState != 0
	i.STP = &stp
	at := Origin{File: "link " + l.Name}
	secs := func(name string, cs uint32) *int {
		n := int(cs / 100)
		if cs%100 != 0 {
			d.warnf(at, "bridge %s: %s is %d.%02d s; the plan has whole seconds: %d", l.Name, name, cs/100, cs%100, n)
		}
		return &n
	}
	i.ForwardDelay = secs("forward_delay", b.ForwardDelay)
	i.AgeingTime = secs("ageing_time", b.AgeingTime)
	vf, ms := b.VLANFiltering, b.MulticastSnooping
	i.VLANFiltering, i.McastSnooping = &vf, &ms
	if vf {
		liveBridgeVLANs(d, s, i, l)
	}
}

// liveBridgeVLANs carries over the VLAN membership of a VLAN-filtering bridge's ports, and
// the bridge's own when it is not what the kernel and the plan make anyway (VLAN 1, PVID,
// untagged, plus the id of every VLAN interface on the bridge). The state must have been
// read with LiveReadOptions.
func liveBridgeVLANs(d *Doc, s *live.State, i *Iface, l *live.Link) {
	at := Origin{File: "link " + l.Name}
	if !s.Included.VLANs {
		d.warnf(at, "bridge %s: VLAN membership not read (read the state with LiveReadOptions): not carried over", l.Name)
		return
	}
	for _, x := range s.Slaves(l) {
		if x.Kind == "tun" || x.BridgeVLANs == nil {
			continue
		}
		if i.PortVLANs == nil {
			i.PortVLANs = map[string]*Membership{}
		}
		i.PortVLANs[x.Name] = liveMembership(x.BridgeVLANs, Origin{File: "link " + x.Name})
	}
	if l.BridgeVLANs == nil {
		return
	}
	def := live.BridgeVLANs{PVID: 1}
	def.VIDs.Add(1)
	def.Untagged.Add(1)
	for _, v := range s.Links {
		if v.Kind == "vlan" && v.ParentIndex == l.Index && v.VLAN != nil {
			def.VIDs.Add(v.VLAN.ID)
		}
	}
	if have := l.BridgeVLANs; have.PVID != def.PVID || have.VIDs != def.VIDs || have.Untagged != def.Untagged {
		i.SelfVLANs = liveMembership(have, at)
	}
}

// LiveReadOptions is what ImportLive needs of a live read: the bridge VLAN dump.
var LiveReadOptions = live.ReadOptions{VLANs: true}
