package topo

import (
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Do runs fn on a locked OS thread inside h's namespace (for the root ns,
// as it is). What fn opens there (sockets, /proc/sys/net files) stays in
// that namespace.
func (h *Host) Do(fn func() error) error {
	if h.NS == "" {
		return fn()
	}
	return inNS(h.ns, fn)
}

// Handle is a netlink handle in h's namespace; the caller closes it.
func (h *Host) Handle() (*netlink.Handle, error) {
	if h.NS == "" {
		return netlink.NewHandle()
	}
	return netlink.NewHandleAt(h.ns)
}

// Sysctl writes value to /proc/sys/<path> as h's namespace sees it (net.*
// sysctls are per namespace), e.g. "net/ipv6/conf/all/disable_ipv6".
func (h *Host) Sysctl(path, value string) error {
	err := h.Do(func() error { return os.WriteFile("/proc/sys/"+path, []byte(value), 0o644) })
	if err != nil {
		return fmt.Errorf("topo: %s: sysctl %s: %w", h.Name, path, err)
	}
	return nil
}

// StaticNeigh adds a permanent ARP entry ip -> mac on dev in h's namespace,
// so that reaching ip needs no ARP traffic.
func (h *Host) StaticNeigh(dev, ip string, mac net.HardwareAddr) error {
	addr := net.ParseIP(ip)
	if addr.To4() == nil {
		return fmt.Errorf("topo: %s: neighbour %q is not an IPv4 address", h.Name, ip)
	}
	nh, err := h.Handle()
	if err != nil {
		return err
	}
	defer nh.Close()
	l, err := nh.LinkByName(dev)
	if err == nil {
		err = nh.NeighSet(&netlink.Neigh{
			LinkIndex: l.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
			IP: addr, HardwareAddr: mac,
		})
	}
	if err != nil {
		return fmt.Errorf("topo: %s: neighbour %s on %s: %w", h.Name, ip, dev, err)
	}
	return nil
}

// Switch is the switch's namespace (hn-switch, holding SwitchBridge and
// the NIC peers), for Do, Handle and Sysctl. It is not a machine on the
// network: it has no eth0 and no address to ping from.
func (t *Topology) Switch() *Host { return &Host{Name: "switch", NS: switchNS, ns: t.sw} }

// NICPort is the switch port the NIC (by label or kernel name) is plugged into, "" for
// no such NIC.
func (t *Topology) NICPort(nic string) string {
	if n := t.find(nic); n != nil {
		return peerName(n.name)
	}
	return ""
}

// SwitchPortOf is the switch port on which the switch has learned mac ("" if
// it has no entry): a NICPort, the switch LAG, or a remote's port s-<name>.
func (t *Topology) SwitchPortOf(mac net.HardwareAddr) (string, error) {
	ns, err := t.swh.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		return "", fmt.Errorf("topo: switch fdb: %w", err)
	}
	for _, n := range ns {
		if n.HardwareAddr.String() == mac.String() && n.Flags&netlink.NTF_SELF == 0 {
			l, err := t.swh.LinkByIndex(n.LinkIndex)
			if err != nil {
				return "", fmt.Errorf("topo: switch fdb: %w", err)
			}
			return l.Attrs().Name, nil
		}
	}
	return "", nil
}
