// Package topo builds small test networks around the simulated hypervisor,
// all with in-process netlink (no `ip` command: each process start costs
// ~36 ms inside the lab). It is meant to run INSIDE a lab (hostnet/lab),
// where the root network namespace plays the hypervisor:
//
//	root ns (hypervisor)          hn-switch ns               hn-<remote> ns
//	  NIC eno1 (veth, down)  <->  p-eno1 -- sw0 (bridge) -- s-<remote> <-> eth0 198.51.100.20/24
//	  <bridge> -- g-<guest>  <->  hn-<guest> ns: eth0 (the guest's NIC)
//
// NICs are named as udev names them on a real hypervisor (eno1, enp1s0f0, ...;
// KernelNICName), never after the label the caller gives them: a plan's `nic
// "uplink0"` finds its NIC by MAC and must never take its label for the kernel's
// name. Topology.NIC maps a label to the kernel name.
//
// topo owns only what it creates: the namespaces, the veths, the switch, and
// the bonds and bridges made with AddBond and AddBridge (NewReference builds
// the reference hypervisor with them). What the code under test builds on
// the NICs (bonds, bridges, VLANs) is the caller's to remove.
//
// Besides building, it measures: Host.Ping and PingStats count replies,
// Host.PingRecord and StartPing keep every reply's time (Pings.GapAfter);
// Host.Do, Sysctl and StaticNeigh act inside a host's namespace, Switch is
// the switch's. Raw frames and the kernel log are in hostnet/lab/probe.
package topo

import (
	"errors"
	"fmt"
	"net"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/nsexec"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

const (
	switchNS  = "hn-switch"
	switchLAG = "lag0"
)

// SwitchBridge is the switch's bridge, in the namespace of Topology.Switch.
const SwitchBridge = "sw0"

// Topology is a switch namespace plus the NICs and hosts attached to it.
type Topology struct {
	sw    netns.NsHandle
	swh   *netlink.Handle
	lag   string   // switch-side bond, "" when the NIC peers go straight into sw0
	nics  []nic    // root-ns NICs, in the order added
	devs  []string // root-ns bonds and bridges made by AddBond and AddBridge
	hosts []*Host
}

// nic is a NIC of the simulated hypervisor: the caller's label, the name the
// topology gave it and its ifindex (which survives a rename by the code under test).
type nic struct {
	label, name string
	index       int
}

// Host is a network namespace with one interface, eth0, or the root
// namespace itself (Topology.Root).
type Host struct {
	Name string
	NS   string           // named netns ("" for the root ns)
	MAC  net.HardwareAddr // eth0's (nil for the root ns and the switch)
	ns   netns.NsHandle
	root string // guests: the veth end in the root ns, removed by Close
}

// inNS runs fn on a locked OS thread switched into ns and always switches back.
func inNS(ns netns.NsHandle, fn func() error) error { return nsexec.Do(ns, fn) }

// newNamedNS creates /run/netns/<name> (the way `ip netns add` does) without
// moving the calling goroutine into it.
func newNamedNS(name string) (ns netns.NsHandle, err error) {
	cur, err := netns.Get()
	if err != nil {
		return netns.None(), err
	}
	defer cur.Close()
	// netns.NewNamed moves the current thread into the new namespace.
	err = inNS(cur, func() error {
		ns, err = netns.NewNamed(name)
		return err
	})
	return ns, err
}

func checkName(name string) error {
	if name == "" || len(name) > 15 {
		return fmt.Errorf("topo: interface name %q must be 1-15 characters", name)
	}
	return nil
}

// New creates the switch: netns hn-switch with bridge sw0, up, no STP.
// It refuses to run outside a lab, where it would change the network of
// the machine's own kernel.
func New() (*Topology, error) {
	if !lab.Inside() {
		return nil, errors.New("topo: outside the lab; refusing to touch this kernel's network")
	}
	sw, err := newNamedNS(switchNS)
	if err != nil {
		return nil, fmt.Errorf("topo: netns %s: %w", switchNS, err)
	}
	t := &Topology{sw: sw}
	if t.swh, err = netlink.NewHandleAt(sw); err != nil {
		t.Close()
		return nil, err
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: SwitchBridge}}
	if err := t.swh.LinkAdd(br); err != nil {
		t.Close()
		return nil, fmt.Errorf("topo: switch bridge: %w", err)
	}
	if err := t.up(t.swh, "lo", SwitchBridge); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Topology) up(h *netlink.Handle, names ...string) error {
	for _, n := range names {
		l, err := h.LinkByName(n)
		if err == nil {
			err = h.LinkSetUp(l)
		}
		if err != nil {
			return fmt.Errorf("topo: up %s: %w", n, err)
		}
	}
	return nil
}

// SetSwitchLAG makes the switch group the NIC peers in a bond (lag0, a port
// of sw0) instead of plugging each into sw0: "balance-xor" is a static LAG,
// "802.3ad" an LACP partner. Call it before AddNIC.
func (t *Topology) SetSwitchLAG(mode string) error {
	if len(t.nics) > 0 || t.lag != "" {
		return errors.New("topo: SetSwitchLAG must come once, before AddNIC")
	}
	m := netlink.StringToBondMode(mode)
	if m == netlink.BOND_MODE_UNKNOWN {
		return fmt.Errorf("topo: unknown bond mode %q", mode)
	}
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: switchLAG})
	bond.Mode, bond.Miimon = m, 50
	if m == netlink.BOND_MODE_802_3AD {
		bond.LacpRate = netlink.BOND_LACP_RATE_FAST
	}
	if err := t.swh.LinkAdd(bond); err != nil {
		return fmt.Errorf("topo: switch LAG: %w", err)
	}
	if err := t.enslave(t.swh, switchLAG, SwitchBridge); err != nil {
		return err
	}
	t.lag = switchLAG
	return t.up(t.swh, switchLAG)
}

func (t *Topology) enslave(h *netlink.Handle, port, master string) error {
	p, err := h.LinkByName(port)
	if err != nil {
		return fmt.Errorf("topo: %s: %w", port, err)
	}
	m, err := h.LinkByName(master)
	if err != nil {
		return fmt.Errorf("topo: %s: %w", master, err)
	}
	if err := h.LinkSetMaster(p, m); err != nil {
		return fmt.Errorf("topo: %s master %s: %w", port, master, err)
	}
	return nil
}

func peerName(nic string) string {
	p := "p-" + nic
	if len(p) > 15 {
		p = p[:15]
	}
	return p
}

// KernelNICName is the name the topology gives its i-th NIC (from 0), as udev names
// the NICs of a real host: an onboard port first (eno1), then the ports of dual-port
// PCIe cards (enp1s0f0, enp1s0f1, enp2s0f0, ...).
func KernelNICName(i int) string {
	if i == 0 {
		return "eno1"
	}
	return fmt.Sprintf("enp%ds0f%d", (i-1)/2+1, (i-1)%2)
}

// AddNIC plugs a NIC of the simulated hypervisor into the switch: a veth
// named by the first KernelNICName that is neither taken nor any NIC's label
// (with mac), that stays in the root ns, DOWN and unconfigured for the code
// under test, and whose peer p-<name> is a port of sw0 (or of the switch
// LAG), up. label is how the caller refers to the NIC (NIC, CutNIC, AddBond);
// it is never the kernel's name, even when it looks like one (a plan's `nic
// "eno1"` gets another name, so that a label used as a kernel name fails).
func (t *Topology) AddNIC(label string, mac net.HardwareAddr) error {
	used := map[string]bool{label: true}
	for _, n := range t.nics {
		used[n.label], used[n.name] = true, true
	}
	k := 0
	for used[KernelNICName(k)] {
		k++
	}
	return t.AddNICNamed(label, KernelNICName(k), mac)
}

// AddNICNamed is AddNIC with the kernel name chosen by the caller.
func (t *Topology) AddNICNamed(label, name string, mac net.HardwareAddr) error {
	if err := checkName(name); err != nil {
		return err
	}
	for _, n := range t.nics {
		if n.label == label || n.name == name || n.name == label || n.label == name {
			return fmt.Errorf("topo: NIC %s (%s): label or name already used by NIC %s (%s)", label, name, n.label, n.name)
		}
	}
	peer := peerName(name)
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: name, HardwareAddr: mac},
		PeerName:      peer,
		PeerNamespace: netlink.NsFd(t.sw),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("topo: NIC %s (%s): %w", label, name, err)
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("topo: NIC %s (%s): %w", label, name, err)
	}
	t.nics = append(t.nics, nic{label: label, name: name, index: l.Attrs().Index})
	master := SwitchBridge
	if t.lag != "" {
		master = t.lag // bond slaves must be down while enslaved: they are, fresh
	}
	if err := t.enslave(t.swh, peer, master); err != nil {
		return err
	}
	return t.up(t.swh, peer)
}

// find returns the NIC whose label or (current) kernel name is x.
func (t *Topology) find(x string) *nic {
	for i := range t.nics {
		n := &t.nics[i]
		if n.label == x || n.name == x || linkName(n.index) == x {
			return n
		}
	}
	return nil
}

func linkName(index int) string {
	l, err := netlink.LinkByIndex(index)
	if err != nil {
		return ""
	}
	return l.Attrs().Name
}

// NIC is the kernel's current name of the NIC labelled label (it follows a rename by
// the code under test), "" when there is no such NIC. Names that are not a NIC's label
// (a bond, a bridge, a NIC's kernel name) come back unchanged, so that callers can pass
// any link name through it.
func (t *Topology) NIC(label string) string {
	n := t.find(label)
	if n == nil {
		return label
	}
	if cur := linkName(n.index); cur != "" {
		return cur
	}
	return n.name
}

// NICs lists the kernel names of the NICs, in the order added.
func (t *Topology) NICs() []string {
	out := make([]string, len(t.nics))
	for i := range t.nics {
		out[i] = t.NIC(t.nics[i].label)
	}
	return out
}

// CutNIC sets the switch-side peer of a NIC (by label or kernel name) down:
// the NIC loses carrier, as on a cable pull.
func (t *Topology) CutNIC(nic string) error { return t.setPeer(nic, false) }

// RestoreNIC undoes CutNIC.
func (t *Topology) RestoreNIC(nic string) error { return t.setPeer(nic, true) }

func (t *Topology) setPeer(x string, up bool) error {
	n := t.find(x)
	if n == nil {
		return fmt.Errorf("topo: no NIC %q", x)
	}
	l, err := t.swh.LinkByName(peerName(n.name))
	if err != nil {
		return fmt.Errorf("topo: peer of %s: %w", x, err)
	}
	if up {
		return t.swh.LinkSetUp(l)
	}
	return t.swh.LinkSetDown(l)
}

// newHost makes netns hn-<name> holding eth0 with cidr, lo and eth0 up. The
// other end of eth0 is created by plug (in whichever ns it belongs).
func (t *Topology) newHost(name, cidr string, plug func(ns netns.NsHandle) error) (*Host, error) {
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return nil, fmt.Errorf("topo: %s: %w", name, err)
	}
	ns, err := newNamedNS("hn-" + name)
	if err != nil {
		return nil, fmt.Errorf("topo: netns hn-%s: %w", name, err)
	}
	h := &Host{Name: name, NS: "hn-" + name, ns: ns}
	t.hosts = append(t.hosts, h)
	if err := plug(ns); err != nil {
		return nil, err
	}
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, err
	}
	defer nh.Close()
	eth, err := nh.LinkByName("eth0")
	if err == nil {
		err = nh.AddrAdd(eth, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("topo: %s eth0: %w", name, err)
	}
	h.MAC = eth.Attrs().HardwareAddr
	return h, t.up(nh, "lo", "eth0")
}

// AddRemote adds a machine on the switch: netns hn-<name> whose eth0 (cidr)
// is wired to a port s-<name> of sw0.
func (t *Topology) AddRemote(name, cidr string) (*Host, error) {
	port := "s-" + name
	if err := checkName(port); err != nil {
		return nil, err
	}
	return t.newHost(name, cidr, func(ns netns.NsHandle) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns)}
		if err := t.swh.LinkAdd(veth); err != nil {
			return fmt.Errorf("topo: remote %s: %w", name, err)
		}
		if err := t.enslave(t.swh, port, SwitchBridge); err != nil {
			return err
		}
		return t.up(t.swh, port)
	})
}

// AddRemoteVLAN adds a machine on the switch whose traffic is tagged: netns hn-<name>
// with a VLAN interface eth0 (id vlan, cidr) on its wire "trunk" to port s-<name> of sw0,
// as a host in VLAN vlan behind a trunk port. The switch forwards the tagged frames as
// they are.
func (t *Topology) AddRemoteVLAN(name, cidr string, vlan int) (*Host, error) {
	port := "s-" + name
	if err := checkName(port); err != nil {
		return nil, err
	}
	return t.newHost(name, cidr, func(ns netns.NsHandle) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port}, PeerName: "trunk", PeerNamespace: netlink.NsFd(ns)}
		if err := t.swh.LinkAdd(veth); err != nil {
			return fmt.Errorf("topo: remote %s: %w", name, err)
		}
		if err := t.enslave(t.swh, port, SwitchBridge); err != nil {
			return err
		}
		if err := t.up(t.swh, port); err != nil {
			return err
		}
		nh, err := netlink.NewHandleAt(ns)
		if err != nil {
			return err
		}
		defer nh.Close()
		trunk, err := nh.LinkByName("trunk")
		if err != nil {
			return err
		}
		if err := nh.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "eth0", ParentIndex: trunk.Attrs().Index}, VlanId: vlan}); err != nil {
			return fmt.Errorf("topo: remote %s VLAN %d: %w", name, vlan, err)
		}
		return t.up(nh, "trunk")
	})
}

// AddGuest adds a VM-like guest of the hypervisor: netns hn-<name> whose
// eth0 (cidr) is wired to g-<name> in the root ns, a port of hostBridge
// (which must exist). Both ends take the bridge's MTU, as libvirt gives a
// guest's tap the MTU of its bridge: a smaller port would lower the bridge's
// MTU (the kernel sets a bridge to its smallest port's), which the plan did
// not ask for.
func (t *Topology) AddGuest(name, cidr, hostBridge string) (*Host, error) {
	port := "g-" + name
	if err := checkName(port); err != nil {
		return nil, err
	}
	br, err := netlink.LinkByName(hostBridge)
	if err != nil {
		return nil, fmt.Errorf("topo: guest %s: bridge %s: %w", name, hostBridge, err)
	}
	mtu := br.Attrs().MTU
	return t.newHost(name, cidr, func(ns netns.NsHandle) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port, MTU: mtu}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns)}
		if err := netlink.LinkAdd(veth); err != nil {
			return fmt.Errorf("topo: guest %s: %w", name, err)
		}
		t.hosts[len(t.hosts)-1].root = port
		if err := t.enslave(rootNS, port, hostBridge); err != nil {
			return err
		}
		return t.up(rootNS, port)
	})
}

// Root is the simulated hypervisor itself (the root netns), for Ping.
func (t *Topology) Root() *Host { return &Host{Name: "hypervisor"} }

// Close deletes what the topology created: root-ns veths first (so they
// are gone when Close returns; namespace teardown is asynchronous), then
// the namespaces. It keeps going after errors and returns them all.
func (t *Topology) Close() error {
	var errs []error
	del := func(name string) {
		if l, err := netlink.LinkByName(name); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("topo: delete %s: %w", name, err))
			}
		}
	}
	for i := len(t.devs) - 1; i >= 0; i-- {
		del(t.devs[i])
	}
	for _, n := range t.nics { // by ifindex: the code under test may have renamed it
		if l, err := netlink.LinkByIndex(n.index); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("topo: delete NIC %s: %w", n.label, err))
			}
		}
	}
	for _, h := range t.hosts {
		if h.root != "" {
			del(h.root)
		}
		h.ns.Close()
		if err := netns.DeleteNamed(h.NS); err != nil {
			errs = append(errs, fmt.Errorf("topo: delete netns %s: %w", h.NS, err))
		}
	}
	if t.swh != nil {
		t.swh.Close()
	}
	t.sw.Close()
	if err := netns.DeleteNamed(switchNS); err != nil {
		errs = append(errs, fmt.Errorf("topo: delete netns %s: %w", switchNS, err))
	}
	t.nics, t.devs, t.hosts, t.swh = nil, nil, nil, nil
	return errors.Join(errs...)
}

// rootNS is a netlink handle on the calling thread's namespace: a zero
// Handle opens its sockets per request, in the current (root) netns.
var rootNS = &netlink.Handle{}
