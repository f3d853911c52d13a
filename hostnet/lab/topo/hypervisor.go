package topo

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// AddHypervisor adds a second (third, ...) hypervisor on the same switch: netns hn-<name>
// with only lo up, for fleets on one kernel. Its NICs are added with AddNICTo; hostnet
// reaches it with --netns hn-<name>. Close deletes the namespace and with it the NICs.
func (t *Topology) AddHypervisor(name string) (*Host, error) {
	if err := checkName("hn-" + name); err != nil {
		return nil, err
	}
	ns, err := newNamedNS("hn-" + name)
	if err != nil {
		return nil, fmt.Errorf("topo: netns hn-%s: %w", name, err)
	}
	h := &Host{Name: name, NS: "hn-" + name, ns: ns}
	t.hosts = append(t.hosts, h)
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, err
	}
	defer nh.Close()
	return h, t.up(nh, "lo")
}

// AddNICTo plugs a NIC named nic (with mac) into hypervisor h, as AddNIC does for the root
// namespace: down and unconfigured on h's side, its peer a port of the switch (or of the
// switch LAG), up. The switch port is named <host>-<nic>, cut to 15 bytes.
func (t *Topology) AddNICTo(h *Host, nic string, mac net.HardwareAddr) error {
	if h.NS == "" {
		return t.AddNIC(nic, mac)
	}
	if err := checkName(nic); err != nil {
		return err
	}
	peer := h.Name + "-" + nic
	if len(peer) > 15 {
		peer = peer[:15]
	}
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: peer},
		PeerName:         nic,
		PeerNamespace:    netlink.NsFd(h.ns),
		PeerHardwareAddr: mac,
	}
	if err := t.swh.LinkAdd(veth); err != nil {
		return fmt.Errorf("topo: NIC %s of %s: %w", nic, h.Name, err)
	}
	master := SwitchBridge
	if t.lag != "" {
		master = t.lag
	}
	if err := t.enslave(t.swh, peer, master); err != nil {
		return err
	}
	return t.up(t.swh, peer)
}
