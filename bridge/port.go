package bridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// SetMAC gives the bridge an explicit MAC address. Why: a bridge whose MAC
// was never set takes the lowest MAC of its ports and changes it whenever
// ports come and go or change address (bond fail_over_mac=active), which
// strands the neighbours' ARP entries for the host's own addresses; once
// set explicitly the kernel keeps it (addr_assign_type NET_ADDR_SET).
func SetMAC(br netlink.Link, mac net.HardwareAddr) error {
	if len(mac) != 6 || mac[0]&1 != 0 || isZero(mac) {
		return fmt.Errorf("bridge %s: MAC %v must be a unicast Ethernet address", br.Attrs().Name, mac)
	}
	if err := netlink.LinkSetHardwareAddr(br, mac); err != nil {
		return fmt.Errorf("bridge %s: set MAC %v: %w", br.Attrs().Name, mac, err)
	}
	return nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// procSys is where the sysctl tree is; tests do not change it.
var procSys = "/proc/sys"

func arpNotifyPath(dev string) (string, error) {
	// Interface names may contain dots (bond0.100); /proc/sys keeps them
	// as they are, but must not contain a path separator.
	if dev == "" || dev == "." || dev == ".." || strings.ContainsRune(dev, '/') || len(dev) > unix.IFNAMSIZ-1 {
		return "", fmt.Errorf("arp_notify: bad interface name %q", dev)
	}
	return filepath.Join(procSys, "net/ipv4/conf", dev, "arp_notify"), nil
}

// SetARPNotify sets net.ipv4.conf.<dev>.arp_notify. With 1 the kernel
// sends a gratuitous ARP for dev's addresses when dev comes up or changes
// MAC. Why on the bridge: the bond's own failover announcement
// (NETDEV_NOTIFY_PEERS) stops at the bond and never reaches the host's
// addresses on the bridge above it.
func SetARPNotify(dev string, on bool) error {
	p, err := arpNotifyPath(dev)
	if err != nil {
		return err
	}
	v := "0"
	if on {
		v = "1"
	}
	// O_WRONLY without O_CREATE: a missing device is an error, not a file.
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("arp_notify of %s: %w", dev, err)
	}
	_, err = f.WriteString(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("arp_notify of %s: %w", dev, err)
	}
	return nil
}

// ARPNotify reads net.ipv4.conf.<dev>.arp_notify.
func ARPNotify(dev string) (bool, error) {
	p, err := arpNotifyPath(dev)
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false, fmt.Errorf("arp_notify of %s: %w", dev, err)
	}
	return strings.TrimSpace(string(b)) != "0", nil
}

// PortFlags are the forwarding-database flags of a bridge port. The
// kernel's defaults are all true.
type PortFlags struct {
	// Learning: the bridge learns source MACs arriving on this port. Off
	// on the bond port means a reflected guest frame can never move the
	// guest's entry, at the cost of flooding unicast to MACs behind the
	// bond (they are never learned).
	Learning bool
	// UnicastFlood: unknown unicast is flooded to this port.
	UnicastFlood bool
	// MulticastFlood, BroadcastFlood: multicast / broadcast go to this
	// port. vishvananda/netlink has no setters for these two.
	MulticastFlood bool
	BroadcastFlood bool
}

// DefaultPortFlags is the kernel's default for a new port.
var DefaultPortFlags = PortFlags{Learning: true, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}

// SetPortFlags sets all four flags of a bridge port in one RTM_SETLINK
// (IFLA_PROTINFO, AF_BRIDGE), so the port never sits in a mixed state.
func SetPortFlags(port netlink.Link, f PortFlags) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
	msg.Index = int32(port.Attrs().Index)
	req.AddData(msg)
	pi := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	pi.AddRtAttr(nl.IFLA_BRPORT_LEARNING, boolByte(f.Learning))
	pi.AddRtAttr(nl.IFLA_BRPORT_UNICAST_FLOOD, boolByte(f.UnicastFlood))
	pi.AddRtAttr(nl.IFLA_BRPORT_MCAST_FLOOD, boolByte(f.MulticastFlood))
	pi.AddRtAttr(nl.IFLA_BRPORT_BCAST_FLOOD, boolByte(f.BroadcastFlood))
	req.AddData(pi)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("bridge port %s: set flags %+v: %w", port.Attrs().Name, f, err)
	}
	return nil
}

func boolByte(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// ErrNotPort: the link is not a bridge port.
var ErrNotPort = errors.New("not a bridge port")

// GetPortFlags reads a port's flags back from the kernel (an AF_BRIDGE
// link dump: only that dump carries IFLA_PROTINFO).
func GetPortFlags(port netlink.Link) (PortFlags, error) {
	var f PortFlags
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_BRIDGE))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil {
		return f, fmt.Errorf("bridge port %s: %w", port.Attrs().Name, err)
	}
	for _, m := range msgs {
		if len(m) < unix.SizeofIfInfomsg || nl.DeserializeIfInfomsg(m).Index != int32(port.Attrs().Index) {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfInfomsg:])
		if err != nil {
			return f, err
		}
		for _, a := range attrs {
			if a.Attr.Type&^unix.NLA_F_NESTED != unix.IFLA_PROTINFO {
				continue
			}
			infos, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return f, err
			}
			for _, i := range infos {
				if len(i.Value) < 1 {
					continue
				}
				on := i.Value[0] != 0
				switch i.Attr.Type {
				case nl.IFLA_BRPORT_LEARNING:
					f.Learning = on
				case nl.IFLA_BRPORT_UNICAST_FLOOD:
					f.UnicastFlood = on
				case nl.IFLA_BRPORT_MCAST_FLOOD:
					f.MulticastFlood = on
				case nl.IFLA_BRPORT_BCAST_FLOOD:
					f.BroadcastFlood = on
				}
			}
			return f, nil
		}
	}
	return f, fmt.Errorf("%s: %w", port.Attrs().Name, ErrNotPort)
}

// centisecond is the unit of IFLA_BR_AGEING_TIME (clock_t, USER_HZ 100).
const centisecond = 10 * time.Millisecond

// SetAgeingTime sets how long the bridge keeps a learned MAC that is not
// seen again (kernel default 300 s). 0 turns learning off for the whole
// bridge: every frame is flooded. Sent as a bare IFLA_BR_AGEING_TIME so no
// other bridge or link attribute is touched.
func SetAgeingTime(br netlink.Link, d time.Duration) error {
	if d < 0 || d/centisecond > 1<<32-1 {
		return fmt.Errorf("bridge %s: ageing time %v out of range", br.Attrs().Name, d)
	}
	if d%centisecond != 0 {
		return fmt.Errorf("bridge %s: ageing time %v is not a multiple of 10ms", br.Attrs().Name, d)
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(br.Attrs().Index)
	req.AddData(msg)
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := li.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_BR_AGEING_TIME, nl.Uint32Attr(uint32(d/centisecond)))
	req.AddData(li)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("bridge %s: set ageing time %v: %w", br.Attrs().Name, d, err)
	}
	return nil
}

// AgeingTime reads the bridge's ageing time back.
func AgeingTime(br netlink.Link) (time.Duration, error) {
	l, err := netlink.LinkByIndex(br.Attrs().Index)
	if err != nil {
		return 0, err
	}
	b, ok := l.(*netlink.Bridge)
	if !ok || b.AgeingTime == nil {
		return 0, fmt.Errorf("%s: not a bridge", br.Attrs().Name)
	}
	return time.Duration(*b.AgeingTime) * centisecond, nil
}
