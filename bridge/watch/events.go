package watch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
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
}

// parseLinkMsgs decodes the link messages of one netlink datagram.
func parseLinkMsgs(b []byte) ([]linkMsg, error) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	var out []linkMsg
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK {
			continue
		}
		if len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		lm := linkMsg{
			Deleted: m.Header.Type == unix.RTM_DELLINK,
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
			case unix.IFLA_LINKINFO:
				for t, v := range attrs(val) {
					switch t {
					case unix.IFLA_INFO_KIND:
						lm.Kind = cstring(v)
					case unix.IFLA_INFO_DATA:
						for bt, bv := range attrs(v) {
							if bt == unix.IFLA_BOND_ACTIVE_SLAVE {
								lm.ActiveSlave = int(u32(bv))
							}
						}
					}
				}
			}
		}
		if lm.Kind != "bond" {
			lm.ActiveSlave = 0 // only meaningful for bonds
		}
		out = append(out, lm)
	}
	return out, nil
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
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (unix.RTNLGRP_LINK - 1)}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind RTNLGRP_LINK: %w", err)
	}
	return &linkEvents{f: os.NewFile(uintptr(fd), "rtnetlink"), buf: make([]byte, 1<<16)}, nil
}

// Read blocks for the next datagram and decodes it.
func (e *linkEvents) Read() ([]linkMsg, error) {
	n, err := e.f.Read(e.buf)
	if errors.Is(err, unix.ENOBUFS) {
		return nil, errOverrun
	}
	if err != nil {
		return nil, err
	}
	return parseLinkMsgs(e.buf[:n])
}

func (e *linkEvents) Close() error { return e.f.Close() }
