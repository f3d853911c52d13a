package watch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Values of IFLA_EVENT (include/uapi/linux/if_link.h). vishvananda/netlink
// does not parse the attribute; x/sys/unix has IFLA_EVENT but not these.
const (
	iflaEventBondingFailover = 3 // NETDEV_BONDING_FAILOVER: the active slave changed
	iflaEventNotifyPeers     = 4 // NETDEV_NOTIFY_PEERS: the bond asks to announce itself
)

// linkMsg is what the watcher needs from one RTM_NEWLINK / RTM_DELLINK.
type linkMsg struct {
	Deleted     bool
	Index       int
	Name        string
	Master      int    // IFLA_MASTER: the bond, for a slave
	Kind        string // IFLA_INFO_KIND: "bond" for a bond
	Event       uint32 // IFLA_EVENT, 0 if absent
	ActiveSlave int    // IFLA_BOND_ACTIVE_SLAVE (bonds only), 0 if none
	// For the announcement cache (cache.go):
	Bridge    bool             // ifi_family AF_BRIDGE: a bridge's per-port notification, not the link's
	MAC       net.HardwareAddr // IFLA_ADDRESS
	Parent    int              // IFLA_LINK: a VLAN's real device
	VLANID    uint16           // IFLA_VLAN_ID (VLANs only)
	VLANProto uint16           // IFLA_VLAN_PROTOCOL, host order (VLANs only)
}

// neighMsg is one RTM_NEWNEIGH / RTM_DELNEIGH: a bridge FDB entry (Family AF_BRIDGE) or
// an IPv4 neighbour (AF_INET).
type neighMsg struct {
	Deleted bool
	Family  uint8
	Index   int // the port (FDB) or the link (ARP)
	State   uint16
	Flags   uint8
	MAC     net.HardwareAddr // NDA_LLADDR
	IP      net.IP           // NDA_DST (AF_INET)
	Master  int              // NDA_MASTER: the bridge (FDB)
	VLAN    uint16           // NDA_VLAN (FDB)
}

// addrMsg is one RTM_NEWADDR / RTM_DELADDR of an IPv4 address.
type addrMsg struct {
	Deleted bool
	Index   int
	IP      net.IP
}

// batch is what one netlink datagram brought.
type batch struct {
	links  []linkMsg
	neighs []neighMsg
	addrs  []addrMsg
}

// parseLinkMsgs decodes the link messages of one netlink datagram.
func parseLinkMsgs(b []byte) ([]linkMsg, error) {
	bt, err := parseEvents(b)
	return bt.links, err
}

// parseEvents decodes the link, neighbour and IPv4 address messages of one datagram.
func parseEvents(b []byte) (batch, error) {
	var out batch
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return out, fmt.Errorf("netlink: %w", err)
	}
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.RTM_NEWLINK, unix.RTM_DELLINK:
			if len(m.Data) >= unix.SizeofIfInfomsg {
				out.links = append(out.links, parseLink(m))
			}
		case unix.RTM_NEWNEIGH, unix.RTM_DELNEIGH:
			if len(m.Data) >= unix.SizeofNdMsg {
				out.neighs = append(out.neighs, parseNeigh(m))
			}
		case unix.RTM_NEWADDR, unix.RTM_DELADDR:
			if len(m.Data) >= unix.SizeofIfAddrmsg && m.Data[0] == unix.AF_INET {
				out.addrs = append(out.addrs, parseAddr(m))
			}
		}
	}
	return out, nil
}

func parseLink(m syscall.NetlinkMessage) linkMsg {
	lm := linkMsg{
		Deleted: m.Header.Type == unix.RTM_DELLINK,
		Bridge:  m.Data[0] == unix.AF_BRIDGE,
		Index:   int(int32(binary.NativeEndian.Uint32(m.Data[4:8]))),
	}
	for typ, val := range attrs(m.Data[unix.SizeofIfInfomsg:]) {
		switch typ {
		case unix.IFLA_IFNAME:
			lm.Name = cstring(val)
		case unix.IFLA_MASTER:
			lm.Master = int(u32(val))
		case unix.IFLA_EVENT:
			lm.Event = u32(val)
		case unix.IFLA_ADDRESS:
			lm.MAC = net.HardwareAddr(slices.Clone(val))
		case unix.IFLA_LINK:
			lm.Parent = int(u32(val))
		case unix.IFLA_LINKINFO:
			for t, v := range attrs(val) {
				switch t {
				case unix.IFLA_INFO_KIND:
					lm.Kind = cstring(v)
				case unix.IFLA_INFO_DATA:
					for bt, bv := range attrs(v) {
						lm.infoData(bt, bv)
					}
				}
			}
		}
	}
	if lm.Kind != "bond" {
		lm.ActiveSlave = 0 // only meaningful for bonds
	}
	if lm.Kind != "vlan" {
		lm.VLANID, lm.VLANProto = 0, 0
	}
	return lm
}

// infoData takes one IFLA_INFO_DATA attribute; its meaning depends on the kind, which
// comes first in IFLA_LINKINFO, so both readings are kept and the other is reset.
func (lm *linkMsg) infoData(typ uint16, v []byte) {
	if typ == unix.IFLA_BOND_ACTIVE_SLAVE {
		lm.ActiveSlave = int(u32(v))
	}
	if len(v) < 2 {
		return
	}
	switch typ {
	case unix.IFLA_VLAN_ID:
		lm.VLANID = binary.NativeEndian.Uint16(v)
	case unix.IFLA_VLAN_PROTOCOL:
		lm.VLANProto = binary.BigEndian.Uint16(v)
	}
}

func parseNeigh(m syscall.NetlinkMessage) neighMsg {
	d := m.Data
	n := neighMsg{Deleted: m.Header.Type == unix.RTM_DELNEIGH, Family: d[0],
		Index: int(int32(binary.NativeEndian.Uint32(d[4:8]))), State: binary.NativeEndian.Uint16(d[8:10]), Flags: d[10]}
	for typ, val := range attrs(d[unix.SizeofNdMsg:]) {
		switch typ {
		case unix.NDA_LLADDR:
			n.MAC = net.HardwareAddr(slices.Clone(val))
		case unix.NDA_DST:
			n.IP = net.IP(slices.Clone(val))
		case unix.NDA_MASTER:
			n.Master = int(u32(val))
		case unix.NDA_VLAN:
			if len(val) >= 2 {
				n.VLAN = binary.NativeEndian.Uint16(val)
			}
		}
	}
	return n
}

func parseAddr(m syscall.NetlinkMessage) addrMsg {
	a := addrMsg{Deleted: m.Header.Type == unix.RTM_DELADDR, Index: int(binary.NativeEndian.Uint32(m.Data[4:8]))}
	for typ, val := range attrs(m.Data[unix.SizeofIfAddrmsg:]) {
		// IFA_LOCAL is the address of the link; IFA_ADDRESS the peer's on point-to-point.
		if (typ == unix.IFA_LOCAL || (typ == unix.IFA_ADDRESS && a.IP == nil)) && len(val) == 4 {
			a.IP = net.IP(slices.Clone(val))
		}
	}
	return a
}

// attrs iterates over netlink attributes (type without the NLA_F_* bits).
// A truncated attribute ends the iteration.
func attrs(b []byte) func(yield func(uint16, []byte) bool) {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= unix.SizeofRtAttr {
			l := int(binary.NativeEndian.Uint16(b[0:2]))
			typ := binary.NativeEndian.Uint16(b[2:4]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
			if l < unix.SizeofRtAttr || l > len(b) {
				return
			}
			if !yield(typ, b[unix.SizeofRtAttr:l]) {
				return
			}
			al := (l + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1)
			if al > len(b) {
				return
			}
			b = b[al:]
		}
	}
}

func u32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.NativeEndian.Uint32(b)
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// linkEvents is a NETLINK_ROUTE socket of our own subscribed to
// RTNLGRP_LINK, read through Go's poller so Close wakes a blocked Read.
type linkEvents struct {
	f   *os.File
	buf []byte
}

// errOverrun: the kernel dropped events (ENOBUFS); the state must be re-read.
var errOverrun = errors.New("netlink: event queue overrun")

// eventBuffer is the receive buffer of the link-event socket: 32 MiB holds the
// burst of RTM_NEWLINK that a failover under 4094 VLANs, each in a bridge, raises
// (about 8000 messages of 1-2 KiB, as the kernel accounts them).
const eventBuffer = 32 << 20

func openLinkEvents() (*linkEvents, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	// A large buffer: a failover on a host with thousands of VLANs brings a
	// burst of RTM_NEWLINK (every VLAN upper follows its bond, and every
	// bridge above a VLAN). SO_RCVBUF is capped at net.core.rmem_max (208 KiB
	// by default), which 50 VLAN bridges already overran in the lab ("link
	// events lost" on every failover, then a full re-read); SO_RCVBUFFORCE
	// (CAP_NET_ADMIN, which watch needs anyway) is not capped.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, eventBuffer) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, eventBuffer)
	}
	// Links for the failovers and the bridges above the bonds; neighbours (bridge FDBs,
	// ARP) and IPv4 addresses for what an announcement sends (cache.go).
	groups := uint32(1<<(unix.RTNLGRP_LINK-1) | 1<<(unix.RTNLGRP_NEIGH-1) | 1<<(unix.RTNLGRP_IPV4_IFADDR-1))
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind RTNLGRP_LINK, NEIGH, IPV4_IFADDR: %w", err)
	}
	return &linkEvents{f: os.NewFile(uintptr(fd), "rtnetlink"), buf: make([]byte, 1<<16)}, nil
}

// Read blocks for the next datagram and decodes it.
func (e *linkEvents) Read() (batch, error) {
	n, err := e.f.Read(e.buf)
	if errors.Is(err, unix.ENOBUFS) {
		return batch{}, errOverrun
	}
	if err != nil {
		return batch{}, err
	}
	return parseEvents(e.buf[:n])
}

func (e *linkEvents) Close() error { return e.f.Close() }
