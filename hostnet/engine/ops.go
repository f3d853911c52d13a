package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
)

var native = binary.NativeEndian

type opKind uint8

const (
	opLinkCreate opKind = iota + 1
	opLinkSet
	opLinkDelete
	opAddrAdd
	opAddrDel
	opRouteAdd
	opRouteDel
	opFDBSet  // RTM_NEWNEIGH AF_BRIDGE: add or replace a static FDB entry
	opFDBDel  // RTM_DELNEIGH AF_BRIDGE
	opVLANSet // RTM_SETLINK AF_BRIDGE: add bridge VLANs, or change their flags
	opVLANDel // RTM_DELLINK AF_BRIDGE: remove bridge VLANs
	// opARPNotify writes net.ipv4.conf.<link>.arp_notify through bridge.SetARPNotify: the
	// one kind of step that is not a netlink request.
	opARPNotify
)

// attr is a netlink attribute to send: a value or nested attributes.
type attr struct {
	typ    uint16
	val    []byte
	nested []attr
}

func (a attr) rt() *nl.RtAttr {
	r := nl.NewRtAttr(int(a.typ), a.val)
	for _, n := range a.nested {
		r.AddChild(n.rt())
	}
	return r
}

// op is one typed kernel operation; links are named, and resolved to ifindexes only when
// the request is built, so that a plan can refer to links it creates.
type op struct {
	kind opKind

	// link create/set/delete; address and route ops use link as the device
	link      string
	linkKind  string // IFLA_INFO_KIND (create, and set with data)
	up        *bool
	mtu       int
	mac       net.HardwareAddr
	alias     *string
	master    *string // "" releases
	parent    string  // IFLA_LINK (VLAN's real device)
	rename    string
	vlanID    int
	vlanProto uint16
	data      []attr // IFLA_INFO_DATA
	slaveData []attr // IFLA_INFO_SLAVE_DATA

	prefix netip.Prefix // address ops
	route  *routeSpec   // route ops
	fdb    *fdbSpec     // FDB ops: link is the port
	vlans  *vlanSpec    // bridge VLAN ops: link is the port or the bridge (self)
	on     bool         // opARPNotify
	// again marks an address or route added back after its link went down and up in the
	// same apply (the kernel removes them); EEXIST means the kernel kept it
	// (keep_addr_on_down) and is no error.
	again bool
}

// fdbSpec is a static entry of a bridge's forwarding database.
type fdbSpec struct {
	MAC    net.HardwareAddr
	VLAN   int
	Sticky bool
}

// sysctl reports steps that are not netlink requests.
func (o *op) sysctl() bool { return o.kind == opARPNotify }

type routeSpec struct {
	Dst      netip.Prefix
	Gateway  netip.Addr
	Dev      string
	Metric   int
	Table    int
	Protocol uint8
	// Readd marks the add of a route the plan keeps, after an IPv4 address of its link was
	// removed: the kernel flushes a link's IPv4 routes with its last IPv4 address, so the
	// route is added again; EEXIST means it survived, which is as good.
	Readd bool
}

// tolerated reports errors that mean the operation's goal already holds.
func (o *op) tolerated(err error) bool {
	switch o.kind {
	case opLinkDelete:
		return errors.Is(err, unix.ENODEV)
	case opAddrDel:
		return errors.Is(err, unix.EADDRNOTAVAIL)
	case opRouteDel:
		return errors.Is(err, unix.ESRCH)
	case opFDBDel:
		return errors.Is(err, unix.ENOENT)
	case opVLANDel:
		return errors.Is(err, unix.ENOENT)
	case opAddrAdd, opRouteAdd:
		return (o.again || (o.route != nil && o.route.Readd)) && errors.Is(err, unix.EEXIST)
	}
	return false
}

// resolver turns link names into ifindexes while a step list runs: the live links, plus the
// links the steps create, which get ifindexes chosen above every live one (RTM_NEWLINK with
// ifi_index set) so that later requests can name them before any read-back.
type resolver struct {
	idx  map[string]int
	next int
}

func newResolver(s *live.State) *resolver {
	r := &resolver{idx: make(map[string]int, len(s.Links)), next: s.MaxIndex() + 1}
	for _, l := range s.Links {
		r.idx[l.Name] = l.Index
	}
	return r
}

func (r *resolver) index(name string) (int, error) {
	if i, ok := r.idx[name]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("no link %q", name)
}

func ifinfo(index int, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	native.PutUint32(b[4:8], uint32(int32(index)))
	native.PutUint32(b[8:12], flags)
	native.PutUint32(b[12:16], change)
	return b
}

func u32(v uint32) []byte { return nl.Uint32Attr(v) }

func appendAttrs(b []byte, as ...*nl.RtAttr) []byte {
	for _, a := range as {
		b = append(b, a.Serialize()...)
	}
	return b
}

// request builds the netlink request for the op.
func (o *op) request(r *resolver) (live.Request, error) {
	switch o.kind {
	case opLinkCreate, opLinkSet:
		return o.linkRequest(r)
	case opLinkDelete:
		i, err := r.index(o.link)
		if err != nil {
			return live.Request{}, err
		}
		delete(r.idx, o.link)
		return live.Request{Type: unix.RTM_DELLINK, Body: ifinfo(i, 0, 0)}, nil
	case opAddrAdd, opAddrDel:
		i, err := r.index(o.link)
		if err != nil {
			return live.Request{}, err
		}
		a := o.prefix.Addr()
		fam := byte(unix.AF_INET6)
		if a.Is4() {
			fam = unix.AF_INET
		}
		b := make([]byte, unix.SizeofIfAddrmsg)
		b[0], b[1] = fam, byte(o.prefix.Bits())
		native.PutUint32(b[4:8], uint32(i))
		raw := a.AsSlice()
		if a.Is4() {
			b = appendAttrs(b, nl.NewRtAttr(unix.IFA_LOCAL, raw))
		}
		b = appendAttrs(b, nl.NewRtAttr(unix.IFA_ADDRESS, raw))
		if o.kind == opAddrAdd {
			return live.Request{Type: unix.RTM_NEWADDR, Flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, Body: b}, nil
		}
		return live.Request{Type: unix.RTM_DELADDR, Body: b}, nil
	case opRouteAdd, opRouteDel:
		return o.routeRequest(r)
	case opFDBSet, opFDBDel:
		return o.fdbRequest(r)
	case opVLANSet, opVLANDel:
		return o.vlanRequest(r)
	}
	return live.Request{}, fmt.Errorf("engine: unknown op %d", o.kind)
}

func (o *op) linkRequest(r *resolver) (live.Request, error) {
	var index int
	var flags uint16
	if o.kind == opLinkCreate {
		index = r.next
		r.next++
		flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	} else {
		i, err := r.index(o.link)
		if err != nil {
			return live.Request{}, err
		}
		index = i
	}
	var ifFlags, change uint32
	if o.up != nil {
		change = unix.IFF_UP
		if *o.up {
			ifFlags = unix.IFF_UP
		}
	}
	b := ifinfo(index, ifFlags, change)
	if o.kind == opLinkCreate {
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(o.link)))
	}
	if o.rename != "" {
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(o.rename)))
	}
	if o.parent != "" {
		p, err := r.index(o.parent)
		if err != nil {
			return live.Request{}, err
		}
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_LINK, u32(uint32(p))))
	}
	if o.mtu > 0 {
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_MTU, u32(uint32(o.mtu))))
	}
	if o.mac != nil {
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(o.mac)))
	}
	if o.alias != nil {
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_IFALIAS, []byte(*o.alias)))
	}
	if o.master != nil {
		m := 0
		if *o.master != "" {
			i, err := r.index(*o.master)
			if err != nil {
				return live.Request{}, err
			}
			m = i
		}
		b = appendAttrs(b, nl.NewRtAttr(unix.IFLA_MASTER, u32(uint32(m))))
	}
	if o.linkKind != "" || o.slaveData != nil {
		li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
		if o.linkKind != "" {
			li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated(o.linkKind))
		}
		data, err := resolveData(o.data, r)
		if err != nil {
			return live.Request{}, err
		}
		if o.linkKind == "vlan" && o.kind == opLinkCreate {
			proto := make([]byte, 2)
			binary.BigEndian.PutUint16(proto, o.vlanProto)
			data = append([]attr{{typ: unix.IFLA_VLAN_ID, val: nl.Uint16Attr(uint16(o.vlanID))},
				{typ: unix.IFLA_VLAN_PROTOCOL, val: proto}}, data...)
		}
		if len(data) > 0 {
			d := li.AddRtAttr(nl.IFLA_INFO_DATA, nil)
			for _, a := range data {
				d.AddChild(a.rt())
			}
		}
		if len(o.slaveData) > 0 {
			d := li.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
			for _, a := range o.slaveData {
				d.AddChild(a.rt())
			}
		}
		b = appendAttrs(b, li)
	}
	if o.kind == opLinkCreate {
		r.idx[o.link] = index
	}
	if o.rename != "" {
		delete(r.idx, o.link)
		r.idx[o.rename] = index
	}
	return live.Request{Type: unix.RTM_NEWLINK, Flags: flags, Body: b}, nil
}

func (o *op) routeRequest(r *resolver) (live.Request, error) {
	rt := *o.route
	fam := byte(unix.AF_INET6)
	if rt.Dst.Addr().Is4() {
		fam = unix.AF_INET
	}
	table := rt.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	b := make([]byte, unix.SizeofRtMsg)
	b[0], b[1] = fam, byte(rt.Dst.Bits())
	if table < 256 {
		b[4] = byte(table)
	} else {
		b[4] = unix.RT_TABLE_UNSPEC
	}
	b[5] = rt.Protocol
	b[7] = unix.RTN_UNICAST
	var flags uint16
	typ := uint16(unix.RTM_NEWROUTE)
	if o.kind == opRouteAdd {
		// NLM_F_EXCL: a route with the same table, destination and metric that Diff did not
		// see (added since the read) makes the add fail rather than merge with it (IPv6
		// multipath) or stay shadowed by it (IPv4).
		flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
		if rt.Gateway.IsValid() {
			b[6] = unix.RT_SCOPE_UNIVERSE
		} else {
			b[6] = unix.RT_SCOPE_LINK
		}
	} else {
		typ = unix.RTM_DELROUTE
		b[5] = 0
		b[6] = unix.RT_SCOPE_NOWHERE
	}
	if rt.Dst.Bits() > 0 {
		b = appendAttrs(b, nl.NewRtAttr(unix.RTA_DST, rt.Dst.Masked().Addr().AsSlice()))
	}
	if rt.Gateway.IsValid() {
		b = appendAttrs(b, nl.NewRtAttr(unix.RTA_GATEWAY, rt.Gateway.AsSlice()))
	}
	if rt.Dev != "" {
		i, err := r.index(rt.Dev)
		if err != nil {
			return live.Request{}, err
		}
		b = appendAttrs(b, nl.NewRtAttr(unix.RTA_OIF, u32(uint32(i))))
	}
	if rt.Metric != 0 {
		b = appendAttrs(b, nl.NewRtAttr(unix.RTA_PRIORITY, u32(uint32(rt.Metric))))
	}
	b = appendAttrs(b, nl.NewRtAttr(unix.RTA_TABLE, u32(uint32(table))))
	return live.Request{Type: typ, Flags: flags, Body: b}, nil
}

// fdbRequest builds the RTM_NEWNEIGH/RTM_DELNEIGH of an FDB op, as `bridge fdb replace MAC
// dev PORT master static [sticky] [vlan N]` does: NTF_MASTER sends it to the port's bridge,
// NUD_NOARP makes it static (never ages), NTF_STICKY keeps it from moving to another port.
// NLM_F_REPLACE changes an existing entry in place (port, sticky; a learned entry becomes
// static).
func (o *op) fdbRequest(r *resolver) (live.Request, error) {
	i, err := r.index(o.link)
	if err != nil {
		return live.Request{}, err
	}
	f := o.fdb
	b := make([]byte, unix.SizeofNdMsg)
	b[0] = unix.AF_BRIDGE
	native.PutUint32(b[4:8], uint32(i))
	flags := uint8(unix.NTF_MASTER)
	if o.kind == opFDBSet {
		native.PutUint16(b[8:10], unix.NUD_NOARP)
		if f.Sticky {
			flags |= live.NTFSticky
		}
	}
	b[10] = flags
	b = appendAttrs(b, nl.NewRtAttr(unix.NDA_LLADDR, []byte(f.MAC)))
	if f.VLAN != 0 {
		b = appendAttrs(b, nl.NewRtAttr(unix.NDA_VLAN, nl.Uint16Attr(uint16(f.VLAN))))
	}
	if o.kind == opFDBSet {
		return live.Request{Type: unix.RTM_NEWNEIGH, Flags: unix.NLM_F_CREATE | unix.NLM_F_REPLACE, Body: b}, nil
	}
	return live.Request{Type: unix.RTM_DELNEIGH, Body: b}, nil
}

// bondAttr encodes one bond option as its IFLA_BOND_* attribute. KindIface values name a
// link; the resolver is not available when steps are planned, so they are encoded through
// ifaceAttr at request time (see deferredIface).
func bondAttr(id bonding.ID, v bonding.Value) attr {
	o := &bonding.Table[id]
	switch o.Kind {
	case bonding.KindIPv4List, bonding.KindIPv6List:
		a := attr{typ: o.Attr, nested: []attr{}}
		for i, ip := range v.Addrs {
			a.nested = append(a.nested, attr{typ: uint16(i), val: ip.AsSlice()})
		}
		return a
	case bonding.KindMAC:
		return attr{typ: o.Attr, val: []byte(v.MAC)}
	case bonding.KindIface:
		return attr{typ: o.Attr, val: []byte(v.Iface), nested: ifaceMarker}
	}
	switch o.Size {
	case 1:
		return attr{typ: o.Attr, val: []byte{byte(v.Num)}}
	case 2:
		return attr{typ: o.Attr, val: nl.Uint16Attr(uint16(v.Num))}
	default:
		return attr{typ: o.Attr, val: u32(uint32(v.Num))}
	}
}

// ifaceMarker flags an attr whose val is a link name to resolve into a u32 ifindex.
var ifaceMarker = []attr{{typ: 0xffff}}

func isIfaceAttr(a attr) bool { return len(a.nested) == 1 && a.nested[0].typ == 0xffff }

// resolveData replaces link names in bond attributes by ifindexes.
func resolveData(data []attr, r *resolver) ([]attr, error) {
	var out []attr
	for _, a := range data {
		if isIfaceAttr(a) {
			idx := 0
			if name := string(a.val); name != "" {
				i, err := r.index(name)
				if err != nil {
					return nil, err
				}
				idx = i
			}
			a = attr{typ: a.typ, val: u32(uint32(idx))}
		}
		out = append(out, a)
	}
	return out, nil
}
