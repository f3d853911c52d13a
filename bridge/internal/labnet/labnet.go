// Package labnet is the test bench shared by the lab tests of bridge/...:
// the reference hypervisor (two NICs in bond0, br0 on it with the host's
// address, a guest behind br0, a remote behind the switch) built on
// hostnet/lab/topo, plus what those tests measure with: a pinger that keeps
// every reply time and counts duplicates, a reader of the kernel log, and
// namespace helpers. It must only ever run inside a lab (hostnet/lab).
package labnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Addresses of the bench (documentation ranges only).
const (
	HostIP   = "198.51.100.10"
	RemoteIP = "198.51.100.20"
	GuestIP  = "198.51.100.30"
	prefix   = "/24"
)

// NIC names and MACs of the simulated hypervisor.
var (
	NICs    = []string{"eth0", "eth1"}
	NICMACs = []string{"52:54:00:00:00:01", "52:54:00:00:00:02"}
)

// Switch set-ups.
const (
	SwitchPlain     = ""            // a plain learning bridge
	SwitchStaticLAG = "balance-xor" // NIC peers grouped in a static LAG
	SwitchLACP      = "802.3ad"     // NIC peers grouped by an LACP partner
)

// Spec says what to build.
type Spec struct {
	SwitchLAG string // SwitchPlain, SwitchStaticLAG or SwitchLACP
	// Bond configures bond0 before it is created (mode, miimon ...);
	// primary and other slave-dependent options go in AfterEnslave.
	Bond         func(b *netlink.Bond)
	AfterEnslave func(r *Rig) error
}

// Rig is the built bench.
type Rig struct {
	Topo           *topo.Topology
	Remote, Guest  *topo.Host
	GuestMAC       net.HardwareAddr
	RemoteMAC      net.HardwareAddr
	Bond, Bridge   netlink.Link
	switchHandle   *netlink.Handle
	createdHostDev []string
}

func mustInside() {
	if !lab.Inside() {
		panic("labnet: outside the lab; refusing to touch this kernel's network")
	}
}

// Build creates the bench. On error what was created is removed.
func Build(s Spec) (r *Rig, err error) {
	mustInside()
	t, err := topo.New()
	if err != nil {
		return nil, err
	}
	r = &Rig{Topo: t}
	defer func() {
		if err != nil {
			r.Close()
			r = nil
		}
	}()
	if s.SwitchLAG != SwitchPlain {
		if err := t.SetSwitchLAG(s.SwitchLAG); err != nil {
			return r, err
		}
	}
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	bond.Mode, bond.Miimon = netlink.BOND_MODE_ACTIVE_BACKUP, 50
	if s.Bond != nil {
		s.Bond(bond)
	}
	if err := netlink.LinkAdd(bond); err != nil {
		return r, fmt.Errorf("bond0: %w", err)
	}
	r.createdHostDev = append(r.createdHostDev, "bond0")
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}); err != nil {
		return r, fmt.Errorf("br0: %w", err)
	}
	r.createdHostDev = append(r.createdHostDev, "br0")
	if r.Bond, err = netlink.LinkByName("bond0"); err != nil {
		return r, err
	}
	if r.Bridge, err = netlink.LinkByName("br0"); err != nil {
		return r, err
	}
	for i, n := range NICs {
		mac, _ := net.ParseMAC(NICMACs[i])
		if err := t.AddNIC(n, mac); err != nil {
			return r, err
		}
		l, err := netlink.LinkByName(n)
		if err != nil {
			return r, err
		}
		if err := netlink.LinkSetMaster(l, r.Bond); err != nil {
			return r, fmt.Errorf("enslave %s: %w", n, err)
		}
	}
	if s.AfterEnslave != nil {
		if err := s.AfterEnslave(r); err != nil {
			return r, err
		}
	}
	if err := netlink.LinkSetMaster(r.Bond, r.Bridge); err != nil {
		return r, err
	}
	addr, _ := netlink.ParseAddr(HostIP + prefix)
	if err := netlink.AddrAdd(r.Bridge, addr); err != nil {
		return r, err
	}
	for _, n := range append(append([]string{}, NICs...), "bond0", "br0") {
		if err := SetUp(n); err != nil {
			return r, err
		}
	}
	if r.Remote, err = t.AddRemote("remote", RemoteIP+prefix); err != nil {
		return r, err
	}
	if r.Guest, err = t.AddGuest("guest", GuestIP+prefix, "br0"); err != nil {
		return r, err
	}
	if r.GuestMAC, err = MACIn(r.Guest.NS, "eth0"); err != nil {
		return r, err
	}
	if r.RemoteMAC, err = MACIn(r.Remote.NS, "eth0"); err != nil {
		return r, err
	}
	return r, nil
}

// SetUp sets a root-ns link up.
func SetUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkSetUp(l)
	}
	if err != nil {
		return fmt.Errorf("up %s: %w", name, err)
	}
	return nil
}

// Close removes the bond, the bridge and the topology.
func (r *Rig) Close() error {
	var errs []error
	if r.switchHandle != nil {
		r.switchHandle.Close()
	}
	for _, n := range r.createdHostDev {
		if l, err := netlink.LinkByName(n); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := r.Topo.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SwitchHandle is a netlink handle in the switch namespace.
func (r *Rig) SwitchHandle() (*netlink.Handle, error) {
	if r.switchHandle == nil {
		h, err := HandleIn("hn-switch")
		if err != nil {
			return nil, err
		}
		r.switchHandle = h
	}
	return r.switchHandle, nil
}

// ActiveSlave is bond0's current active slave ("" if none).
func (r *Rig) ActiveSlave() string {
	l, err := netlink.LinkByName("bond0")
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

// WaitActive waits until bond0's active slave is want.
func (r *Rig) WaitActive(want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if got := r.ActiveSlave(); got == want {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("bond0 active slave is %q, want %q after %v", got, want, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitLACP waits until both NICs and their partners are collecting and
// distributing (state bits 0x30). netlink v1.3.1 does not parse
// IFLA_BOND_AD_INFO; procfs has it. About 9 s in the lab.
func WaitLACP(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile("/proc/net/bonding/bond0")
		if err != nil {
			return err
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
		if ok >= 2*len(NICs) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("LACP did not converge in %v:\n%s", timeout, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// InNS runs fn on a locked OS thread inside the named netns ("" = the
// current one). If the thread cannot switch back it stays locked, so the
// runtime discards it.
func InNS(name string, fn func() error) error {
	if name == "" {
		return fn()
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		return errors.Join(ferr, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// HandleIn is a netlink handle in the named netns.
func HandleIn(name string) (*netlink.Handle, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// MACIn is the MAC address of link in the named netns.
func MACIn(ns, link string) (net.HardwareAddr, error) {
	h, err := HandleIn(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return nil, err
	}
	return l.Attrs().HardwareAddr, nil
}

// Sysctl writes value to /proc/sys/<path> as seen from the named netns
// (net.* sysctls are per namespace, resolved when the file is opened).
func Sysctl(ns, path, value string) error {
	return InNS(ns, func() error {
		return os.WriteFile("/proc/sys/"+path, []byte(value), 0o644)
	})
}

// StaticNeigh adds a permanent ARP entry in ns so that no ARP traffic is
// needed to reach ip.
func StaticNeigh(ns, dev, ip string, mac net.HardwareAddr) error {
	h, err := HandleIn(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(dev)
	if err != nil {
		return err
	}
	return h.NeighSet(&netlink.Neigh{
		LinkIndex: l.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
		IP: net.ParseIP(ip), HardwareAddr: mac,
	})
}

// SwitchPortOf reports the switch port (in hn-switch's sw0) where the switch
// has learned mac, or "" if it has no entry.
func (r *Rig) SwitchPortOf(mac net.HardwareAddr) (string, error) {
	h, err := r.SwitchHandle()
	if err != nil {
		return "", err
	}
	ns, err := h.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		return "", err
	}
	for _, n := range ns {
		if n.HardwareAddr.String() == mac.String() && n.Flags&netlink.NTF_SELF == 0 {
			l, err := h.LinkByIndex(n.LinkIndex)
			if err != nil {
				return "", err
			}
			return l.Attrs().Name, nil
		}
	}
	return "", nil
}
