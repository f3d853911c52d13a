// Package plan owns the host plan: the HCL language (files, variables, for_each, references
// between blocks) and the typed model it decodes into. Later stages (validation, live state,
// diff, apply) read only the model, never HCL.
package plan

import (
	"net"
	"net/netip"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/vid"
)

// Kind is the type of an interface block.
type Kind string

// Interface kinds, in the order they are created on the host.
const (
	KindNIC    Kind = "nic"
	KindBond   Kind = "bond"
	KindVLAN   Kind = "vlan"
	KindBridge Kind = "bridge"
)

// Plan is a decoded host plan.
type Plan struct {
	Host     *Host   // nil when the plan has no host block
	Switch   Switch  // upstream switch capabilities
	NICs     []*NIC  // in source order
	Bonds    []*Bond // in source order
	VLANs    []*VLAN
	Bridges  []*Bridge
	Routes   []*Route
	Networks []*Network

	// Files holds the parsed sources, for diagnostics that print the source line.
	Files map[string]*hcl.File

	// Incomplete are the source ranges of blocks whose bodies had errors (an unknown or
	// missing argument): their objects are in the plan without what was misspelt, so
	// findings of validation inside them may only follow from that error (see InIncomplete).
	Incomplete []hcl.Range
}

// InIncomplete reports whether r lies in a block whose body had errors.
func (p *Plan) InIncomplete(r *hcl.Range) bool {
	if r == nil {
		return false
	}
	for _, b := range p.Incomplete {
		if b.Filename == r.Filename && b.Start.Byte <= r.Start.Byte && r.End.Byte <= b.End.Byte {
			return true
		}
	}
	return false
}

// Host guards a plan to one machine.
type Host struct {
	Name  string
	Range hcl.Range
}

// Switch declares what the upstream switch ports provide; validation of bonded modes
// under a bridge depends on it.
type Switch struct {
	LACP      bool // an 802.3ad partner answers on the ports
	StaticLAG bool // the ports form a static LAG (EtherChannel "mode on")
	Declared  bool // the plan has a switch block
	Range     hcl.Range
}

// Source locates an object and its attributes in the plan files.
type Source struct {
	Addr   string               // block address: `bond.bond0`, `vlan.tenant["100"]`
	Block  hcl.Range            // the block header
	Attrs  map[string]hcl.Range // attribute name -> expression range
	Blocks map[string]hcl.Range // nested block -> its header range
}

// Attr returns the range of attribute name, or the block header when it was not written.
func (s *Source) Attr(name string) hcl.Range {
	if r, ok := s.Attrs[name]; ok {
		return r
	}
	return s.Block
}

// Has reports whether attribute name was written in the plan.
func (s *Source) Has(name string) bool {
	_, ok := s.Attrs[name]
	return ok
}

// Iface is what every interface block has in common.
type Iface struct {
	Source
	Kind      Kind
	Name      string           // kernel interface name
	MTU       int              // 0 = leave as the kernel sets it
	MAC       net.HardwareAddr // nil = kernel's choice (for NICs: the match key)
	Addresses []netip.Prefix
	Gateway   netip.Addr // default route via this interface; zero = none
}

// Interface is implemented by NIC, Bond, VLAN and Bridge.
type Interface interface {
	Common() *Iface
	// Lower lists the interfaces this one is stacked on (slaves, link, ports).
	Lower() []Interface
}

// Common returns the shared attributes.
func (i *Iface) Common() *Iface { return i }

// NIC is a physical interface, found on the host by MAC address.
type NIC struct {
	Iface
	// Rename is true when the plan gives `name`: hostnet then renames the NIC it found by
	// MAC. Without it the NIC keeps the kernel's name and Name is only the plan's label.
	Rename bool
}

// Lower implements Interface.
func (n *NIC) Lower() []Interface { return nil }

// Slave is a bond member with its per-slave options.
type Slave struct {
	NIC     *NIC
	QueueID *uint16 // nil = kernel default (0)
	Prio    *int32  // nil = kernel default (0)
	// Attrs are the ranges of the slave block's attributes (queue_id, prio), for
	// diagnostics about one of them.
	Attrs map[string]hcl.Range
}

// Attr returns the range of the slave block's attribute name, or def when not written.
func (s *Slave) Attr(name string, def hcl.Range) hcl.Range {
	if r, ok := s.Attrs[name]; ok {
		return r
	}
	return def
}

// Bond is a bonding master.
type Bond struct {
	Iface
	Slaves  []Slave
	Options bonding.Options
	// Primary and ActiveSlave are the slaves named by the primary and active_slave
	// options. Their Options values carry the NIC's plan name; the engine maps the NIC
	// to its kernel name, which for a NIC found by MAC is only known on the host.
	Primary, ActiveSlave *NIC
}

// Lower implements Interface.
func (b *Bond) Lower() []Interface {
	l := make([]Interface, len(b.Slaves))
	for i, s := range b.Slaves {
		l[i] = s.NIC
	}
	return l
}

// VLAN is an 802.1Q interface on a lower link.
type VLAN struct {
	Iface
	Link     Interface
	ID       int
	Protocol string // "802.1Q" (default) or "802.1ad"
}

// Lower implements Interface.
func (v *VLAN) Lower() []Interface { return []Interface{v.Link} }

// Bridge is a Linux bridge. Pointer fields are nil when the plan leaves them to the kernel.
//
// The forwarding-database settings that keep guest MACs where they belong when a bond is a
// port (bonding-rules §C): `mac` (Iface.MAC) pins the bridge's own MAC so that it does not
// follow its ports; `arp_notify = true` makes the kernel send a gratuitous ARP for the
// bridge's addresses when it comes up or changes MAC (net.ipv4.conf.<bridge>.arp_notify);
// `ageing_time` is how long learned MACs live; a `port` block sets the learning and
// flooding flags of one port; an `fdb` block adds a static (by default sticky) entry:
//
//	bridge "br0" {
//	  ports       = [bond.bond0]
//	  mac         = "52:54:00:00:10:00"
//	  arp_notify  = true
//	  ageing_time = 300
//	  port {
//	    link            = bond.bond0   # one of ports
//	    learning        = false        # reflected guest frames cannot move guest MACs
//	    unicast_flood   = true
//	    multicast_flood = true
//	    broadcast_flood = true
//	  }
//	  fdb {
//	    mac    = "52:54:00:aa:00:01"
//	    port   = bond.bond0           # one of ports
//	    vlan   = 100                  # only with vlan_filtering = true
//	    sticky = true                 # the default
//	  }
//	}
//
// Whatever the plan does not set is left as the kernel has it: flags and arp_notify are
// compared only when written, and FDB entries only on bridges that have fdb blocks.
type Bridge struct {
	Iface
	Ports             []Interface
	STP               bool
	ForwardDelay      *int // seconds (kernel default 15)
	AgeingTime        *int // seconds (kernel default 300; 0 = no learning)
	VLANFiltering     *bool
	MulticastSnooping *bool
	ARPNotify         *bool // net.ipv4.conf.<bridge>.arp_notify; nil = leave it (kernel default 0)

	// PortFlags are the port blocks, at most one per port, in source order.
	PortFlags []*PortFlags
	// FDB are the static entries of the fdb blocks, in source order.
	FDB []*FDBEntry
	// VLANs are the bridge's own (self) VLANs, from its vids, pvid and untagged arguments:
	// the VLANs the host's stack sends and receives on the bridge device. nil = none written;
	// the engine still adds the id of every planned VLAN interface on the bridge (vmbr0.50)
	// when the bridge filters VLANs (SelfVLANs).
	VLANs *VLANs
}

// VLANs is the VLAN membership of a bridge port (a port block's vids, pvid, untagged) or
// of the bridge itself, on a bridge with vlan_filtering = true:
//
//	bridge "vmbr0" {
//	  ports          = [bond.bond0]
//	  vlan_filtering = true
//	  port {
//	    link = bond.bond0
//	    vids = ["2-4094"]      # tagged members: ids and "lo-hi" ranges (range(2, 4095) works too)
//	    pvid = 1               # untagged frames in go to VLAN 1, which goes out untagged (default 1)
//	  }
//	}
//
// The membership written is the whole membership: VIDs the kernel has and the plan does
// not list are removed.
type VLANs struct {
	VIDs     vid.Set // member VLANs, sent tagged unless PVID or in Untagged
	PVID     int     // untagged ingress goes to this VLAN, which egresses untagged; 0 = none
	Untagged vid.Set // further member VLANs that egress untagged
	Range    hcl.Range
	Attrs    map[string]hcl.Range
}

// Attr returns the range of attribute name, or the block's when it was not written.
func (v *VLANs) Attr(name string) hcl.Range { return nestedAttr(v.Attrs, v.Range, name) }

// Members is every VLAN of the membership: VIDs, PVID and Untagged.
func (v *VLANs) Members() vid.Set {
	m := v.VIDs
	m.Union(&v.Untagged)
	m.Add(v.PVID)
	return m
}

// DefaultPVID is the PVID the kernel gives every new port and bridge (default_pvid), and
// the one a membership that does not write pvid keeps.
const DefaultPVID = 1

// SelfVLANs is the bridge's own membership as hostnet makes it: the plan's vids, pvid and
// untagged plus the id of every planned VLAN interface on the bridge (the kernel drops
// tagged frames for vmbr0.50 unless the bridge itself is in VLAN 50). nil when the plan
// manages none (no vids written, no VLAN interface on a filtering bridge).
func (p *Plan) SelfVLANs(b *Bridge) *VLANs {
	var out *VLANs
	if b.VLANs != nil {
		c := *b.VLANs
		out = &c
	}
	if b.VLANFiltering == nil || !*b.VLANFiltering {
		return out
	}
	for _, v := range p.VLANs {
		if v.Link != Interface(b) || !vid.Valid(v.ID) {
			continue
		}
		if out == nil {
			out = &VLANs{PVID: DefaultPVID, Range: b.Block}
		}
		out.VIDs.Add(v.ID)
	}
	return out
}

// PortFlags are the forwarding flags a `port` block sets on one bridge port. A nil flag is
// left as the kernel has it (a new port has all four on).
type PortFlags struct {
	Link           Interface // one of the bridge's Ports
	Learning       *bool     // IFLA_BRPORT_LEARNING: learn source MACs arriving on the port
	UnicastFlood   *bool     // IFLA_BRPORT_UNICAST_FLOOD: unknown unicast goes out of the port
	MulticastFlood *bool     // IFLA_BRPORT_MCAST_FLOOD
	BroadcastFlood *bool     // IFLA_BRPORT_BCAST_FLOOD
	VLANs          *VLANs    // vids, pvid, untagged; nil = none written (left as the kernel has it)
	Range          hcl.Range // the block
	Attrs          map[string]hcl.Range
}

// Set reports whether the block sets any flag.
func (f *PortFlags) Set() bool {
	return f.Learning != nil || f.UnicastFlood != nil || f.MulticastFlood != nil || f.BroadcastFlood != nil
}

// PortVLANs returns the VLAN membership the plan gives port, nil when it gives none.
func (b *Bridge) PortVLANs(port Interface) *VLANs {
	if f := b.PortFlagsOf(port); f != nil {
		return f.VLANs
	}
	return nil
}

// FDBEntry is a static entry of a bridge's forwarding database: frames to MAC (in VLAN,
// with vlan_filtering) go out of Port. It never ages; a sticky one never moves to another
// port either, whatever source MACs arrive (NTF_STICKY).
type FDBEntry struct {
	MAC    net.HardwareAddr
	Port   Interface // meant to be one of the bridge's Ports (validation checks)
	VLAN   int       // 0 = none (a bridge without vlan_filtering)
	Sticky bool      // default true
	Range  hcl.Range // the block
	Attrs  map[string]hcl.Range
}

// nestedAttr returns the range of attribute name of a nested block, or the block's.
func nestedAttr(attrs map[string]hcl.Range, block hcl.Range, name string) hcl.Range {
	if r, ok := attrs[name]; ok {
		return r
	}
	return block
}

// Attr returns the range of attribute name, or the block's when it was not written.
func (f *PortFlags) Attr(name string) hcl.Range { return nestedAttr(f.Attrs, f.Range, name) }

// Attr returns the range of attribute name, or the block's when it was not written.
func (e *FDBEntry) Attr(name string) hcl.Range { return nestedAttr(e.Attrs, e.Range, name) }

// PortFlagsOf returns the port block for port, nil when the plan has none.
func (b *Bridge) PortFlagsOf(port Interface) *PortFlags {
	for _, f := range b.PortFlags {
		if f.Link == port {
			return f
		}
	}
	return nil
}

// Lower implements Interface.
func (b *Bridge) Lower() []Interface { return b.Ports }

// Route is a static route.
type Route struct {
	Source
	Name string
	To   netip.Prefix // masked
	// Written is `to` as the plan wrote it when it has host bits set (203.0.113.5/24),
	// which the kernel refuses; invalid otherwise.
	Written netip.Prefix
	Via     netip.Addr // zero = on-link
	Dev     Interface  // nil = resolved by the kernel from Via
	Metric  int
	Table   int // 0 = main
}

// Network is a libvirt network of <forward mode='bridge'/> on a planned bridge.
type Network struct {
	Source
	Name      string
	Bridge    *Bridge
	Autostart bool
	MTU       int
	// Bandwidth is libvirt's QoS for the network as a whole (the aggregate of its guests);
	// nil = none. PortGroups are the network's <portgroup>s, in source order.
	Bandwidth  *Bandwidth
	PortGroups []*PortGroup
}

// Bandwidth is libvirt's <bandwidth>: rates in kilobytes per second, bursts in kilobytes.
// Inbound is traffic towards the guests. A nil direction is unlimited.
type Bandwidth struct {
	Inbound, Outbound *Rate
}

// Rate is one direction of a Bandwidth. Zero means "not set"; libvirt needs Average
// whenever Peak or Burst is set.
type Rate struct {
	Average, Peak, Burst uint64
}

// PortGroup is a libvirt network <portgroup>: a named class of guest ports (here: with
// its own bandwidth), which guest interfaces pick with portgroup='name'. The default one
// applies to interfaces that name none.
type PortGroup struct {
	Name      string
	Default   bool
	Bandwidth *Bandwidth
	// VLAN puts the guest ports of the portgroup in that VLAN of a VLAN-aware bridge (its
	// pvid, egress untagged: an access port); Trunk lists VLANs they carry tagged. 0 and
	// empty: the kernel's default (VLAN 1). `hostnet watch` sets them on each guest's tap
	// when it joins the bridge (libvirt 9 tags only Open vSwitch ports).
	VLAN  int
	Trunk vid.Set
	Range hcl.Range // the portgroup block
	Attrs map[string]hcl.Range
}

// Attr returns the range of attribute name, or the block's when it was not written.
func (pg *PortGroup) Attr(name string) hcl.Range { return nestedAttr(pg.Attrs, pg.Range, name) }

// Tagged reports whether the portgroup puts its guests in VLANs.
func (pg *PortGroup) Tagged() bool { return pg.VLAN != 0 || !pg.Trunk.Empty() }

// Interfaces lists every interface in creation order: NICs, bonds, VLANs, bridges. VLANs
// on bridges come after their bridge, which the dependency sort in Ordered handles.
func (p *Plan) Interfaces() []Interface {
	var out []Interface
	for _, n := range p.NICs {
		out = append(out, n)
	}
	for _, b := range p.Bonds {
		out = append(out, b)
	}
	for _, v := range p.VLANs {
		out = append(out, v)
	}
	for _, b := range p.Bridges {
		out = append(out, b)
	}
	return out
}

// Ordered lists the interfaces so that every interface comes after those it is stacked on.
// The decoder has refused cycles, so this always terminates.
func (p *Plan) Ordered() []Interface {
	all := p.Interfaces()
	done := make(map[Interface]bool, len(all))
	out := make([]Interface, 0, len(all))
	var visit func(i Interface)
	visit = func(i Interface) {
		if done[i] {
			return
		}
		done[i] = true
		for _, l := range i.Lower() {
			visit(l)
		}
		out = append(out, i)
	}
	for _, i := range all {
		visit(i)
	}
	return out
}

// Bridging is one way a bond ends up under a bridge: as a port itself, or through a VLAN
// (possibly stacked) that is the port. Guests on that bridge send through the bond, which
// is what the bridge-over-bond rules and the failover re-announcer care about.
type Bridging struct {
	Bond   *Bond
	Bridge *Bridge
	Via    *VLAN // the VLAN that is the bridge port; nil when the bond itself is
}

// BondsUnderBridges lists every bond-under-bridge relation of the plan, in bridge order.
func (p *Plan) BondsUnderBridges() []Bridging {
	var out []Bridging
	for _, br := range p.Bridges {
		for _, port := range br.Ports {
			var via *VLAN
			low := port
			for {
				v, ok := low.(*VLAN)
				if !ok || v.Link == nil {
					break
				}
				if via == nil {
					via = v
				}
				low = v.Link
			}
			if b, ok := low.(*Bond); ok {
				out = append(out, Bridging{Bond: b, Bridge: br, Via: via})
			}
		}
	}
	return out
}
