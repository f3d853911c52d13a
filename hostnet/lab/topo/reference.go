package topo

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// AddBond creates bond b in the root ns (b as netlink.NewLinkBond makes it,
// with its name and settings) and enslaves the NICs (labels or kernel names)
// to it, which stay down:
// options that need the slaves (primary) can be set once it returns. The
// topology owns the bond: Close deletes it.
func (t *Topology) AddBond(b *netlink.Bond, nics ...string) (netlink.Link, error) {
	name := b.Attrs().Name
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := netlink.LinkAdd(b); err != nil {
		return nil, fmt.Errorf("topo: bond %s: %w", name, err)
	}
	t.devs = append(t.devs, name)
	for _, n := range nics {
		if err := t.enslave(rootNS, t.NIC(n), name); err != nil {
			return nil, err
		}
	}
	return netlink.LinkByName(name)
}

// AddBridge creates bridge name in the root ns with the given ports (NICs by
// label or any link by its kernel name), gives
// it cidr ("" for none) and sets it and its ports up. The topology owns the
// bridge: Close deletes it.
func (t *Topology) AddBridge(name, cidr string, ports ...string) (netlink.Link, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		return nil, fmt.Errorf("topo: bridge %s: %w", name, err)
	}
	t.devs = append(t.devs, name)
	ports = slices.Clone(ports)
	for i, p := range ports {
		ports[i] = t.NIC(p)
		if err := t.enslave(rootNS, ports[i], name); err != nil {
			return nil, err
		}
	}
	br, err := netlink.LinkByName(name)
	if err != nil {
		return nil, err
	}
	if cidr != "" {
		addr, err := netlink.ParseAddr(cidr)
		if err != nil {
			return nil, fmt.Errorf("topo: bridge %s: %w", name, err)
		}
		if err := netlink.AddrAdd(br, addr); err != nil {
			return nil, fmt.Errorf("topo: bridge %s address: %w", name, err)
		}
	}
	return br, t.up(rootNS, append(ports, name)...)
}

// Addresses and NICs of the reference hypervisor (documentation ranges).
const (
	HostIP   = "198.51.100.10" // br0
	RemoteIP = "198.51.100.20" // the remote behind the switch
	GuestIP  = "198.51.100.30" // the guest behind br0
)

// ReferenceNICs are the NICs of the reference hypervisor, by label, with their MACs.
// The kernel names them eno1 and enp1s0f0 (KernelNICName); Topology.NIC maps.
var ReferenceNICs = [2]struct {
	Name string
	MAC  string
}{{"uplink0", "52:54:00:00:00:01"}, {"uplink1", "52:54:00:00:00:02"}}

// Reference is the reference hypervisor: NICs labelled uplink0 and uplink1 in bond0,
// bridge br0 on bond0 with HostIP/24, a guest behind br0 at GuestIP/24 and
// a remote behind the switch at RemoteIP/24.
type Reference struct {
	*Topology
	Bond, Bridge  netlink.Link // bond0 and br0, as created
	Remote, Guest *Host
}

// NewReference builds the reference hypervisor. switchLAG is "" for a
// plain switch or a mode for SetSwitchLAG. bond0 is active-backup with
// miimon 50 unless configure (if not nil) changes it before it is created.
// On error what was built is removed.
func NewReference(switchLAG string, configure func(*netlink.Bond)) (r *Reference, err error) {
	t, err := New()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			t.Close()
			r = nil
		}
	}()
	r = &Reference{Topology: t}
	if switchLAG != "" {
		if err := t.SetSwitchLAG(switchLAG); err != nil {
			return r, err
		}
	}
	var nics []string
	for _, n := range ReferenceNICs {
		mac, err := net.ParseMAC(n.MAC)
		if err != nil {
			return r, err
		}
		if err := t.AddNIC(n.Name, mac); err != nil {
			return r, err
		}
		nics = append(nics, n.Name)
	}
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	bond.Mode, bond.Miimon = netlink.BOND_MODE_ACTIVE_BACKUP, 50
	if configure != nil {
		configure(bond)
	}
	if bond.Name != "bond0" {
		return r, fmt.Errorf("topo: the reference bond is bond0, not %q", bond.Name)
	}
	if r.Bond, err = t.AddBond(bond, nics...); err != nil {
		return r, err
	}
	if err := t.up(rootNS, t.NICs()...); err != nil {
		return r, err
	}
	if r.Bridge, err = t.AddBridge("br0", HostIP+"/24", "bond0"); err != nil {
		return r, err
	}
	if r.Remote, err = t.AddRemote("remote", RemoteIP+"/24"); err != nil {
		return r, err
	}
	if r.Guest, err = t.AddGuest("guest", GuestIP+"/24", "br0"); err != nil {
		return r, err
	}
	return r, nil
}

// ActiveSlave is the current active slave of bond ("" if none or no bond).
func ActiveSlave(bond string) string {
	l, err := netlink.LinkByName(bond)
	if err != nil {
		return ""
	}
	b, ok := l.(*netlink.Bond)
	if !ok || b.ActiveSlave <= 0 {
		return ""
	}
	s, err := netlink.LinkByIndex(b.ActiveSlave)
	if err != nil {
		return ""
	}
	return s.Attrs().Name
}

// WaitActive waits until want is bond's active slave.
func WaitActive(bond, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got := ActiveSlave(bond)
		if got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topo: %s active slave is %q, want %q after %v", bond, got, want, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// LACPDistributing reports whether ports ports of the 802.3ad bond, and
// their partners, are collecting and distributing (LACP state bits
// 0x10|0x20). netlink v1.3.1 does not parse IFLA_BOND_AD_INFO; procfs has
// it.
func LACPDistributing(bond string, ports int) (bool, error) {
	b, err := os.ReadFile("/proc/net/bonding/" + bond)
	if err != nil {
		return false, err
	}
	ok := 0
	for _, blk := range strings.Split(string(b), "lacp pdu:")[1:] {
		_, rest, _ := strings.Cut(blk, "port state: ")
		var st int
		fmt.Sscan(rest, &st)
		if st&0x30 == 0x30 {
			ok++
		}
	}
	return ok >= 2*ports, nil // actor and partner
}

// WaitLACP waits until LACPDistributing(bond, ports). Until then traffic
// over the bond flows only by luck; in the lab it takes about 9 s (the
// aggregator selection timer of the switch's LAG).
func WaitLACP(bond string, ports int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := LACPDistributing(bond, ports)
		if ok || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile("/proc/net/bonding/" + bond)
			return errors.New("topo: LACP did not converge in " + timeout.String() + ":\n" + string(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
