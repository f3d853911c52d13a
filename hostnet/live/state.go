// Package live reads the kernel's network state (links, addresses, routes) with netlink:
// one link dump, one address dump and one route dump per read, whatever the number of links,
// decoded into maps so that later stages never re-read a single object.
//
// Bonds carry every option of bonding.Table, decoded from the raw IFLA_INFO_DATA (the netlink
// library's Bond lacks several), and bond slaves their IFLA_INFO_SLAVE_DATA, including the
// permanent MAC by which an enslaved NIC is still found.
package live

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// MarkPrefix starts the IFLA_IFALIAS of every interface hostnet creates; the plan address of
// the object and a keyed tag follow (see MarkFor).
const MarkPrefix = "hostnet:"

// RouteProtocol is the rtm_protocol hostnet gives the routes it adds: their ownership mark.
const RouteProtocol = 0xb7

// Link is one network interface as the kernel reports it.
type Link struct {
	Index       int
	Name        string
	Kind        string // IFLA_INFO_KIND: "bond", "bridge", "vlan", "veth", ... ("" for plain hardware)
	SlaveKind   string // IFLA_INFO_SLAVE_KIND when enslaved: "bond", "bridge"
	MAC         net.HardwareAddr
	PermMAC     net.HardwareAddr // IFLA_PERM_ADDRESS, when the driver has one
	MTU         int
	MinMTU      int
	MaxMTU      int
	NumTxQueues int    // IFLA_NUM_TX_QUEUES (a bond's bounds its slaves' queue_id)
	Flags       uint32 // IFF_* (ifi_flags)
	OperState   uint8  // IF_OPER_*
	MasterIndex int    // IFLA_MASTER, 0 = none
	ParentIndex int    // IFLA_LINK (a VLAN's real device) in this namespace, 0 = none
	Alias       string // IFLA_IFALIAS

	VLAN       *VLAN
	Bridge     *Bridge
	Bond       *Bond
	BondSlave  *BondSlave
	BridgePort *BridgePort // IFLA_INFO_SLAVE_DATA of a bridge port

	// BridgeVLANs is the VLAN membership of a bridge port or of a bridge itself, read only
	// when asked (ReadOptions.VLANs); nil = not read, or not a bridge or port.
	BridgeVLANs *BridgeVLANs

	// ARPNotify is net.ipv4.conf.<name>.arp_notify, read only when asked (ReadOptions);
	// nil = not read.
	ARPNotify *bool

	Addrs []Addr
}

// BridgePort holds the forwarding flags of a bridge port, from the link dump's
// IFLA_INFO_SLAVE_DATA. A new port has all four on.
type BridgePort struct {
	Learning       bool // IFLA_BRPORT_LEARNING
	UnicastFlood   bool // IFLA_BRPORT_UNICAST_FLOOD
	MulticastFlood bool // IFLA_BRPORT_MCAST_FLOOD
	BroadcastFlood bool // IFLA_BRPORT_BCAST_FLOOD
}

// FDBEntry is one entry of a bridge's forwarding database (NTF_MASTER entries of the
// AF_BRIDGE neighbour dump; the ports' own NTF_SELF lists are left out).
type FDBEntry struct {
	MAC    net.HardwareAddr
	VLAN   int    // NDA_VLAN, 0 = none
	Port   int    // ifindex of the port (the bridge's own for its own MACs)
	Bridge int    // NDA_MASTER: ifindex of the bridge
	State  uint16 // NUD_*: NUD_PERMANENT local, NUD_NOARP static, else learned
	Flags  uint8  // NTF_*
}

// Local reports an address of the bridge or a port (never forwarded out).
func (e FDBEntry) Local() bool { return e.State&unix.NUD_PERMANENT != 0 }

// Static reports an entry added by hand that never ages (NUD_NOARP), not a local one.
func (e FDBEntry) Static() bool { return !e.Local() && e.State&unix.NUD_NOARP != 0 }

// Sticky reports an entry that never moves to another port (NTF_STICKY).
func (e FDBEntry) Sticky() bool { return e.Flags&NTFSticky != 0 }

// NTFSticky is NTF_STICKY (Linux 4.20+), which x/sys/unix lacks.
const NTFSticky = 0x40

// VLAN is an 802.1Q/802.1ad link's data; its real device is Link.ParentIndex.
type VLAN struct {
	ID       int
	Protocol uint16 // ETH_P_8021Q (0x8100) or ETH_P_8021AD (0x88a8)
}

// Bridge holds the bridge options hostnet manages. Times are in the kernel's clock_t units
// (1/100 s).
type Bridge struct {
	STPState          uint32
	ForwardDelay      uint32
	AgeingTime        uint32
	VLANFiltering     bool
	MulticastSnooping bool
}

// Bond holds a bond's full option set as the kernel reports it. Options the kernel did not
// report (too old a kernel, or reported only in some modes) are left unset, so Get returns
// the kernel default. Reported lists which options the kernel did report.
type Bond struct {
	Options  bonding.Options
	Reported [bonding.NumOptions]bool
	AD       *ADInfo // 802.3ad only: the active aggregator
}

// ADInfo is IFLA_BOND_AD_INFO: the active aggregator and the LACP partner it agreed with.
// A zero PartnerMAC means no partner answered (the switch runs no LACP on these ports).
type ADInfo struct {
	AggregatorID uint16
	NumPorts     uint16
	ActorKey     uint16
	PartnerKey   uint16
	PartnerMAC   net.HardwareAddr
}

// BondSlave is IFLA_INFO_SLAVE_DATA of a bond member.
type BondSlave struct {
	State            uint8 // 0 active, 1 backup
	MIIStatus        uint8 // 0 up, 1 fail, 2 down, 3 back
	LinkFailureCount uint32
	PermMAC          net.HardwareAddr
	QueueID          uint16
	Prio             int32
	AggregatorID     uint16
	// 802.3ad port state bits (IEEE 802.1AX actor/partner state: activity, timeout,
	// aggregation, synchronization, collecting, distributing, defaulted, expired) of this
	// port and of its partner; zero outside 802.3ad.
	ADActorState   uint8
	ADPartnerState uint8
}

// Addr is one interface address.
type Addr struct {
	Prefix netip.Prefix // address and prefix length
	Flags  uint32       // IFA_F_*
	Scope  uint8
}

// LinkLocal reports whether the address is IPv6 link-local (left alone by hostnet).
func (a Addr) LinkLocal() bool { return a.Prefix.Addr().Is6() && a.Prefix.Addr().IsLinkLocalUnicast() }

// Route is one route of a non-local table.
type Route struct {
	Family   int
	Table    int
	Dst      netip.Prefix // 0.0.0.0/0 or ::/0 for the default route
	Gateway  netip.Addr   // zero = on-link
	OIF      int
	Priority int // metric
	Protocol uint8
	Scope    uint8
	Type     uint8
}

// Up reports the administrative state.
func (l *Link) Up() bool { return l.Flags&unix.IFF_UP != 0 }

// Mark returns the plan address in the link's ownership mark; ok is false when the link
// has no valid mark (see MarkFor).
func (l *Link) Mark() (addr string, ok bool) { return ParseMark(l.Alias) }

// OperString names the operational state as `ip link` does.
func (l *Link) OperString() string {
	names := []string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}
	if int(l.OperState) < len(names) {
		return names[l.OperState]
	}
	return fmt.Sprint(l.OperState)
}

// State is the live network state of one network namespace.
type State struct {
	Links  []*Link // by ifindex
	Routes []Route
	// FDB holds every bridge's forwarding database when the read asked for it
	// (ReadOptions.FDB), in dump order.
	FDB []FDBEntry
	// Included is what the read included beyond links, addresses and routes.
	Included ReadOptions

	byName  map[string]*Link
	byIndex map[int]*Link
	byMAC   map[string][]*Link
	lowers  map[int][]*Link // index -> links whose master or parent it is
}

// NewState indexes links and routes (tests build states with it; Read uses it too).
func NewState(links []*Link, routes []Route) *State {
	s := &State{
		Links:   links,
		Routes:  routes,
		byName:  make(map[string]*Link, len(links)),
		byIndex: make(map[int]*Link, len(links)),
		byMAC:   make(map[string][]*Link),
		lowers:  make(map[int][]*Link),
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Index < links[j].Index })
	for _, l := range links {
		s.byName[l.Name] = l
		s.byIndex[l.Index] = l
		if len(l.MAC) > 0 {
			s.byMAC[string(l.MAC)] = append(s.byMAC[string(l.MAC)], l)
		}
		perm := l.PermMAC
		if l.BondSlave != nil && len(l.BondSlave.PermMAC) > 0 {
			perm = l.BondSlave.PermMAC
		}
		if len(perm) > 0 && !bytes.Equal(perm, l.MAC) {
			s.byMAC[string(perm)] = append(s.byMAC[string(perm)], l)
		}
		if l.MasterIndex != 0 {
			s.lowers[l.MasterIndex] = append(s.lowers[l.MasterIndex], l)
		}
		if l.ParentIndex != 0 && l.ParentIndex != l.Index && l.ParentIndex != l.MasterIndex {
			s.lowers[l.ParentIndex] = append(s.lowers[l.ParentIndex], l)
		}
	}
	return s
}

// Link finds a link by name (nil if absent).
func (s *State) Link(name string) *Link { return s.byName[name] }

// LinkByIndex finds a link by ifindex (nil if absent).
func (s *State) LinkByIndex(i int) *Link { return s.byIndex[i] }

// Name is the name of ifindex i, "" if none.
func (s *State) Name(i int) string {
	if l := s.byIndex[i]; l != nil {
		return l.Name
	}
	return ""
}

// MaxIndex is the highest ifindex in use.
func (s *State) MaxIndex() int {
	if len(s.Links) == 0 {
		return 0
	}
	return s.Links[len(s.Links)-1].Index
}

// IsBridge reports whether a bridge of that name exists (libvirt networks go only on
// bridges the kernel has).
func (s *State) IsBridge(name string) bool {
	l := s.byName[name]
	return l != nil && l.Bridge != nil
}

// Slaves lists the links enslaved to l (bond slaves, bridge ports).
func (s *State) Slaves(l *Link) []*Link {
	var out []*Link
	for _, x := range s.lowers[l.Index] {
		if x.MasterIndex == l.Index {
			out = append(out, x)
		}
	}
	return out
}

// Uppers lists, transitively, the links stacked on l: its VLANs, its master, their uppers.
func (s *State) Uppers(l *Link) []*Link {
	seen := map[int]bool{l.Index: true}
	var out []*Link
	var walk func(x *Link)
	walk = func(x *Link) {
		var next []*Link
		if m := s.byIndex[x.MasterIndex]; m != nil {
			next = append(next, m)
		}
		for _, y := range s.lowers[x.Index] {
			if y.ParentIndex == x.Index && y.Kind == "vlan" {
				next = append(next, y)
			}
		}
		for _, y := range next {
			if !seen[y.Index] {
				seen[y.Index] = true
				out = append(out, y)
				walk(y)
			}
		}
	}
	walk(l)
	return out
}

// virtualKinds are link kinds that copy a lower device's MAC and so never stand for a NIC.
var virtualKinds = map[string]bool{"bond": true, "bridge": true, "vlan": true, "macvlan": true,
	"macvtap": true, "ipvlan": true, "ipvtap": true, "team": true, "vrf": true}

// NIC finds the physical interface with MAC mac: a bond slave by its permanent MAC (its
// current MAC is the bond's), else the one non-virtual link with that MAC.
func (s *State) NIC(mac net.HardwareAddr) (*Link, error) {
	var cands []*Link
	for _, l := range s.byMAC[string(mac)] {
		if l.BondSlave != nil && bytes.Equal(l.BondSlave.PermMAC, mac) {
			return l, nil
		}
		if !virtualKinds[l.Kind] && (bytes.Equal(l.MAC, mac) || bytes.Equal(l.PermMAC, mac)) {
			cands = append(cands, l)
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		return nil, fmt.Errorf("no interface with MAC %s on this host", mac)
	}
	var names []string
	for _, c := range cands {
		if c.BondSlave == nil { // a non-first bond slave wears the bond's MAC
			names = append(names, c.Name)
		}
	}
	if len(names) == 1 {
		return s.byName[names[0]], nil
	}
	names = names[:0]
	for _, c := range cands {
		names = append(names, c.Name)
	}
	return nil, fmt.Errorf("MAC %s is on several interfaces: %s", mac, strings.Join(names, ", "))
}
