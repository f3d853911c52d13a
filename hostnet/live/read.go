package live

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"

	"github.com/hostnet/hostnet/hostnet/nsexec"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/bridge"
	"github.com/hostnet/hostnet/hostnet/bonding"
)

// rtextFilterSkipStats asks the kernel to leave the statistics out of link dumps
// (RTEXT_FILTER_SKIP_STATS, Linux 4.20+; older kernels ignore the bit).
const rtextFilterSkipStats = 1 << 3

// Read dumps links, addresses and routes of network namespace ns (netns.None(): the current
// one): three dumps in all.
func Read(ns netns.NsHandle) (*State, error) {
	return ReadWith(ns, ReadOptions{})
}

// ReadOptions asks a read for state outside the three dumps, which only some plans need.
type ReadOptions struct {
	// ARPNotify names the links whose net.ipv4.conf.<name>.arp_notify is read (from
	// /proc/sys as ns sees it) into Link.ARPNotify; absent links are skipped.
	ARPNotify []string
	// FDB adds one AF_BRIDGE neighbour dump: every bridge's forwarding database.
	FDB bool
	// VLANs adds one AF_BRIDGE link dump: the VLAN membership of every bridge and bridge
	// port (Link.BridgeVLANs), as ranges.
	VLANs bool
}

// ReadWith is Read plus what o asks for.
func ReadWith(ns netns.NsHandle, o ReadOptions) (*State, error) {
	c, err := Dial(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ReadWith(o)
}

// Read dumps the state through an open Conn.
func (c *Conn) Read() (*State, error) { return c.ReadWith(ReadOptions{}) }

// ReadWith dumps the state through an open Conn, plus what o asks for.
func (c *Conn) ReadWith(o ReadOptions) (*State, error) {
	s, err := c.read()
	if err != nil {
		return nil, err
	}
	if o.FDB {
		if s.FDB, err = c.readFDB(); err != nil {
			return nil, err
		}
	}
	if o.VLANs {
		by := make(map[int]*Link, len(s.Links))
		for _, l := range s.Links {
			if l.Bridge != nil || l.SlaveKind == "bridge" {
				by[l.Index] = l
			}
		}
		if err := c.readBridgeVLANs(by); err != nil {
			return nil, err
		}
	}
	s.Included = o
	if len(o.ARPNotify) > 0 {
		err := nsexec.Do(c.ns, func() error {
			for _, name := range o.ARPNotify {
				l := s.Link(name)
				if l == nil {
					continue
				}
				on, err := bridge.ARPNotify(name)
				if errors.Is(err, fs.ErrNotExist) {
					continue // gone since the dump, or no IPv4 on it
				}
				if err != nil {
					return err
				}
				l.ARPNotify = &on
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("live: %w", err)
		}
	}
	return s, nil
}

// readFDB runs one AF_BRIDGE neighbour dump.
func (c *Conn) readFDB() ([]FDBEntry, error) {
	var out []FDBEntry
	body := make([]byte, unix.SizeofNdMsg)
	body[0] = unix.AF_BRIDGE
	err := c.dumpRetry(unix.RTM_GETNEIGH, body, unix.RTM_NEWNEIGH, func() { out = out[:0] }, func(data []byte) error {
		if e, ok := parseFDB(data); ok {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("live: fdb dump: %w", err)
	}
	return out, nil
}

// parseFDB decodes one RTM_NEWNEIGH of the AF_BRIDGE dump; entries without NDA_MASTER or
// with NTF_SELF (a port's own address list) are not the bridge's and are skipped.
func parseFDB(data []byte) (FDBEntry, bool) {
	if len(data) < unix.SizeofNdMsg || data[0] != unix.AF_BRIDGE {
		return FDBEntry{}, false
	}
	e := FDBEntry{
		Port:  int(int32(native.Uint32(data[4:8]))),
		State: native.Uint16(data[8:10]),
		Flags: data[10],
	}
	forAttrs(data[unix.SizeofNdMsg:], func(t uint16, v []byte) {
		switch t {
		case unix.NDA_LLADDR:
			if len(v) == 6 {
				e.MAC = net.HardwareAddr(append([]byte(nil), v...))
			}
		case unix.NDA_VLAN:
			e.VLAN = int(u16(v))
		case unix.NDA_MASTER:
			e.Bridge = int(u32(v))
		}
	})
	if e.Bridge == 0 || e.Flags&unix.NTF_SELF != 0 || e.MAC == nil {
		return FDBEntry{}, false
	}
	return e, true
}

func (c *Conn) read() (*State, error) {
	var links []*Link
	byIndex := map[int]*Link{}

	// Links.
	body := nl.NewIfInfomsg(unix.AF_UNSPEC).Serialize()
	body = append(body, nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterSkipStats)).Serialize()...)
	err := c.dumpRetry(unix.RTM_GETLINK, body, unix.RTM_NEWLINK, func() { links = links[:0] }, func(data []byte) error {
		if l := parseLink(data); l != nil {
			links = append(links, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		byIndex[l.Index] = l
	}
	// Bond options that name a slave carry its ifindex: resolve now that every link is known.
	for _, l := range links {
		if l.Bond == nil {
			continue
		}
		for _, id := range []bonding.ID{bonding.OptPrimary, bonding.OptActiveSlave} {
			if !l.Bond.Reported[id] {
				continue
			}
			v := l.Bond.Options.Get(id)
			if idx := int(v.Num); idx != 0 {
				if s := byIndex[idx]; s != nil {
					l.Bond.Options.Set(id, bonding.Value{Iface: s.Name})
				}
			} else {
				l.Bond.Options.Set(id, bonding.Value{})
			}
		}
	}

	// Addresses.
	body = nl.NewIfAddrmsg(unix.AF_UNSPEC).Serialize()
	err = c.dumpRetry(unix.RTM_GETADDR, body, unix.RTM_NEWADDR, func() {
		for _, l := range links {
			l.Addrs = l.Addrs[:0]
		}
	}, func(data []byte) error {
		idx, a, ok := parseAddr(data)
		if ok {
			if l := byIndex[idx]; l != nil {
				l.Addrs = append(l.Addrs, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Routes.
	var routes []Route
	body = nl.NewRtMsg().Serialize()
	body[0] = unix.AF_UNSPEC
	err = c.dumpRetry(unix.RTM_GETROUTE, body, unix.RTM_NEWROUTE, func() { routes = routes[:0] }, func(data []byte) error {
		if r, ok := parseRoute(data); ok {
			routes = append(routes, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return NewState(links, routes), nil
}

func u32(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return native.Uint32(v)
}

func u16(v []byte) uint16 {
	if len(v) < 2 {
		return 0
	}
	return native.Uint16(v)
}

func u8(v []byte) uint8 {
	if len(v) < 1 {
		return 0
	}
	return v[0]
}

func mac(v []byte) net.HardwareAddr {
	for _, b := range v {
		if b != 0 {
			return net.HardwareAddr(append([]byte(nil), v...))
		}
	}
	return nil
}

func parseLink(data []byte) *Link {
	if len(data) < unix.SizeofIfInfomsg {
		return nil
	}
	l := &Link{
		Index: int(int32(native.Uint32(data[4:8]))),
		Flags: native.Uint32(data[8:12]),
	}
	var info []byte
	otherNS := false
	forAttrs(data[unix.SizeofIfInfomsg:], func(t uint16, v []byte) {
		switch t {
		case unix.IFLA_IFNAME:
			l.Name = cString(v)
		case unix.IFLA_ADDRESS:
			l.MAC = mac(v)
		case unix.IFLA_PERM_ADDRESS:
			l.PermMAC = mac(v)
		case unix.IFLA_MTU:
			l.MTU = int(u32(v))
		case unix.IFLA_MIN_MTU:
			l.MinMTU = int(u32(v))
		case unix.IFLA_MAX_MTU:
			l.MaxMTU = int(u32(v))
		case unix.IFLA_NUM_TX_QUEUES:
			l.NumTxQueues = int(u32(v))
		case unix.IFLA_OPERSTATE:
			l.OperState = u8(v)
		case unix.IFLA_MASTER:
			l.MasterIndex = int(u32(v))
		case unix.IFLA_LINK:
			l.ParentIndex = int(u32(v))
		case unix.IFLA_IFALIAS:
			l.Alias = cString(v)
		case unix.IFLA_LINKINFO:
			info = v
		case unix.IFLA_LINK_NETNSID:
			otherNS = true
		}
	})
	if otherNS {
		l.ParentIndex = 0 // IFLA_LINK names a device of another namespace (a veth's peer)
	}
	if info != nil {
		parseLinkInfo(l, info)
	}
	if l.ParentIndex == l.Index {
		l.ParentIndex = 0
	}
	return l
}

func parseLinkInfo(l *Link, info []byte) {
	var data, slaveData []byte
	forAttrs(info, func(t uint16, v []byte) {
		switch t {
		case unix.IFLA_INFO_KIND:
			l.Kind = cString(v)
		case unix.IFLA_INFO_DATA:
			data = v
		case unix.IFLA_INFO_SLAVE_KIND:
			l.SlaveKind = cString(v)
		case unix.IFLA_INFO_SLAVE_DATA:
			slaveData = v
		}
	})
	switch l.Kind {
	case "vlan":
		l.VLAN = &VLAN{Protocol: unix.ETH_P_8021Q}
		forAttrs(data, func(t uint16, v []byte) {
			switch t {
			case unix.IFLA_VLAN_ID:
				l.VLAN.ID = int(u16(v))
			case unix.IFLA_VLAN_PROTOCOL:
				if len(v) >= 2 {
					l.VLAN.Protocol = uint16(v[0])<<8 | uint16(v[1]) // big endian
				}
			}
		})
	case "bridge":
		l.Bridge = &Bridge{}
		forAttrs(data, func(t uint16, v []byte) {
			switch t {
			case unix.IFLA_BR_STP_STATE:
				l.Bridge.STPState = u32(v)
			case unix.IFLA_BR_FORWARD_DELAY:
				l.Bridge.ForwardDelay = u32(v)
			case unix.IFLA_BR_AGEING_TIME:
				l.Bridge.AgeingTime = u32(v)
			case unix.IFLA_BR_VLAN_FILTERING:
				l.Bridge.VLANFiltering = u8(v) != 0
			case unix.IFLA_BR_MCAST_SNOOPING:
				l.Bridge.MulticastSnooping = u8(v) != 0
			}
		})
	case "bond":
		l.Bond = parseBond(data)
	}
	if l.SlaveKind == "bridge" {
		bp := &BridgePort{Learning: true, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}
		forAttrs(slaveData, func(t uint16, v []byte) {
			switch t {
			case unix.IFLA_BRPORT_LEARNING:
				bp.Learning = u8(v) != 0
			case unix.IFLA_BRPORT_UNICAST_FLOOD:
				bp.UnicastFlood = u8(v) != 0
			case unix.IFLA_BRPORT_MCAST_FLOOD:
				bp.MulticastFlood = u8(v) != 0
			case unix.IFLA_BRPORT_BCAST_FLOOD:
				bp.BroadcastFlood = u8(v) != 0
			}
		})
		l.BridgePort = bp
	}
	if l.SlaveKind == "bond" {
		s := &BondSlave{}
		forAttrs(slaveData, func(t uint16, v []byte) {
			switch t {
			case unix.IFLA_BOND_SLAVE_STATE:
				s.State = u8(v)
			case unix.IFLA_BOND_SLAVE_MII_STATUS:
				s.MIIStatus = u8(v)
			case unix.IFLA_BOND_SLAVE_LINK_FAILURE_COUNT:
				s.LinkFailureCount = u32(v)
			case unix.IFLA_BOND_SLAVE_PERM_HWADDR:
				s.PermMAC = mac(v)
			case unix.IFLA_BOND_SLAVE_QUEUE_ID:
				s.QueueID = u16(v)
			case unix.IFLA_BOND_SLAVE_AD_AGGREGATOR_ID:
				s.AggregatorID = u16(v)
			case unix.IFLA_BOND_SLAVE_PRIO:
				s.Prio = int32(u32(v))
			case unix.IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE:
				s.ADActorState = u8(v)
			case unix.IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE:
				s.ADPartnerState = uint8(u16(v)) // a u16 on the wire; the state is 8 bits
			}
		})
		l.BondSlave = s
	}
}

// bondAttr maps IFLA_BOND_* to the option table.
var bondAttr = func() map[uint16]bonding.ID {
	m := map[uint16]bonding.ID{}
	for i := range bonding.Table {
		m[bonding.Table[i].Attr] = bonding.ID(i)
	}
	return m
}()

// decodeBondOption decodes one IFLA_BOND_* attribute value. KindIface options come back with
// the slave's ifindex in Num (the caller names it).
func decodeBondOption(id bonding.ID, v []byte) bonding.Value {
	o := &bonding.Table[id]
	switch o.Kind {
	case bonding.KindIPv4List, bonding.KindIPv6List:
		var addrs []netip.Addr
		forAttrs(v, func(_ uint16, a []byte) {
			if ip, ok := netip.AddrFromSlice(a); ok {
				if o.Kind == bonding.KindIPv4List {
					ip = ip.Unmap()
				}
				addrs = append(addrs, ip)
			}
		})
		return bonding.Value{Addrs: addrs}
	case bonding.KindMAC:
		return bonding.Value{MAC: mac(v)}
	}
	switch o.Size {
	case 1:
		return bonding.Value{Num: uint64(u8(v))}
	case 2:
		return bonding.Value{Num: uint64(u16(v))}
	default:
		return bonding.Value{Num: uint64(u32(v))}
	}
}

func parseBond(data []byte) *Bond {
	b := &Bond{}
	// Mode first: defaults of the others depend on it.
	forAttrs(data, func(t uint16, v []byte) {
		if t == unix.IFLA_BOND_MODE {
			b.Options.Set(bonding.OptMode, bonding.Value{Num: uint64(u8(v))})
			b.Reported[bonding.OptMode] = true
		}
	})
	forAttrs(data, func(t uint16, v []byte) {
		if t == unix.IFLA_BOND_AD_INFO {
			b.AD = parseADInfo(v)
			return
		}
		id, ok := bondAttr[t]
		if !ok || id == bonding.OptMode {
			return
		}
		b.Options.Set(id, decodeBondOption(id, v))
		b.Reported[id] = true
	})
	return b
}

// parseADInfo reads the 802.3ad active aggregator: what LACP negotiated with the partner.
func parseADInfo(data []byte) *ADInfo {
	ad := &ADInfo{}
	forAttrs(data, func(t uint16, v []byte) {
		switch t {
		case unix.IFLA_BOND_AD_INFO_AGGREGATOR:
			ad.AggregatorID = u16(v)
		case unix.IFLA_BOND_AD_INFO_NUM_PORTS:
			ad.NumPorts = u16(v)
		case unix.IFLA_BOND_AD_INFO_ACTOR_KEY:
			ad.ActorKey = u16(v)
		case unix.IFLA_BOND_AD_INFO_PARTNER_KEY:
			ad.PartnerKey = u16(v)
		case unix.IFLA_BOND_AD_INFO_PARTNER_MAC:
			ad.PartnerMAC = mac(v)
		}
	})
	return ad
}

func parseAddr(data []byte) (int, Addr, bool) {
	if len(data) < unix.SizeofIfAddrmsg {
		return 0, Addr{}, false
	}
	family, plen, flags, scope := data[0], int(data[1]), uint32(data[2]), data[3]
	idx := int(native.Uint32(data[4:8]))
	var local, address []byte
	forAttrs(data[unix.SizeofIfAddrmsg:], func(t uint16, v []byte) {
		switch t {
		case unix.IFA_LOCAL:
			local = v
		case unix.IFA_ADDRESS:
			address = v
		case unix.IFA_FLAGS:
			flags = u32(v)
		}
	})
	raw := address
	if family == unix.AF_INET && local != nil {
		raw = local
	}
	ip, ok := netip.AddrFromSlice(raw)
	if !ok {
		return 0, Addr{}, false
	}
	return idx, Addr{Prefix: netip.PrefixFrom(ip, plen), Flags: flags, Scope: scope}, true
}

func parseRoute(data []byte) (Route, bool) {
	if len(data) < unix.SizeofRtMsg {
		return Route{}, false
	}
	r := Route{
		Family:   int(data[0]),
		Table:    int(data[4]),
		Protocol: data[5],
		Scope:    data[6],
		Type:     data[7],
	}
	dstLen := int(data[1])
	var dst []byte
	forAttrs(data[unix.SizeofRtMsg:], func(t uint16, v []byte) {
		switch t {
		case unix.RTA_DST:
			dst = v
		case unix.RTA_GATEWAY:
			if ip, ok := netip.AddrFromSlice(v); ok {
				r.Gateway = ip
			}
		case unix.RTA_OIF:
			r.OIF = int(u32(v))
		case unix.RTA_PRIORITY:
			r.Priority = int(u32(v))
		case unix.RTA_TABLE:
			r.Table = int(u32(v))
		}
	})
	if r.Table == unix.RT_TABLE_LOCAL || (r.Family != unix.AF_INET && r.Family != unix.AF_INET6) {
		return Route{}, false
	}
	var ip netip.Addr
	if dst != nil {
		ip, _ = netip.AddrFromSlice(dst)
	} else if r.Family == unix.AF_INET {
		ip = netip.IPv4Unspecified()
	} else {
		ip = netip.IPv6Unspecified()
	}
	r.Dst = netip.PrefixFrom(ip, dstLen)
	return r, true
}
