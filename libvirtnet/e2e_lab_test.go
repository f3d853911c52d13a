//go:build lab

package libvirtnet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// TestGuestOverBond is the end-to-end check: a real libvirt guest (an LXC domain of the
// same libvirtd) whose <interface type='network'> uses a network hostnet registered on
// br0, a bridge over an active-backup bond of two NICs wired to a switch with a remote
// host. The remote pings the guest through the bond, and keeps reaching it when the
// active slave's cable is cut.
func TestGuestOverBond(t *testing.T) {
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close() })
	macs := []string{"52:54:00:e2:e0:01", "52:54:00:e2:e0:02"}
	for i, nic := range []string{"uplink0", "uplink1"} {
		mac, _ := net.ParseMAC(macs[i])
		if err := tp.AddNIC(nic, mac); err != nil {
			t.Fatal(err)
		}
	}
	remote, err := tp.AddRemote("remote", "198.51.100.20/24")
	if err != nil {
		t.Fatal(err)
	}
	// The kernel side hostnet's engine builds: bond0 (active-backup, miimon 10) over the
	// NICs, br0 over bond0 with the hypervisor's address.
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	bond.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
	bond.Miimon = 10
	if err := netlink.LinkAdd(bond); err != nil {
		t.Fatal(err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(br); netlink.LinkDel(bond) })
	for _, nic := range tp.NICs() {
		l, _ := netlink.LinkByName(nic)
		netlink.LinkSetDown(l)
		if err := netlink.LinkSetBondSlave(l, bond); err != nil {
			t.Fatalf("enslave %s: %v", nic, err)
		}
		netlink.LinkSetUp(l)
	}
	if err := netlink.LinkSetMaster(bond, br); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("198.51.100.10/24")
	netlink.AddrAdd(br, addr)
	netlink.LinkSetUp(bond)
	netlink.LinkSetUp(br)

	c := connect(t)
	t.Cleanup(func() { destroyAll(t, c) })
	apply(t, c, desired(t, `
bridge "br0" { name = "br0" }
libvirt_network "guests" {
  name   = "hn-guests"
  bridge = bridge.br0
}`))

	if s, r, _ := tp.Root().Ping("198.51.100.20", 5, 50*time.Millisecond); r == 0 {
		t.Fatalf("hypervisor cannot reach the remote through the bond (%d/%d): topology broken", r, s)
	}

	// LXC needs cgroups: mount cgroup2 if nothing is there (only inside the lab).
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		os.MkdirAll("/sys/fs/cgroup", 0o755)
		if err := syscall.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
			t.Logf("mount cgroup2: %v", err)
		}
	}
	// libvirt_lxc serves the guest's /proc/meminfo through FUSE.
	if out, err := exec.Command("modprobe", "fuse").CombinedOutput(); err != nil {
		t.Fatalf("modprobe fuse: %v %s", err, out)
	}
	lc, err := libvirt.NewConnect("lxc:///system")
	if err != nil {
		t.Fatalf("libvirt LXC driver: %v", err)
	}
	defer lc.Close()
	const marker = "31415926"
	dom, err := lc.DomainCreateXML(fmt.Sprintf(`<domain type='lxc'>
  <name>hn-guest</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>ip link set lo up; ip addr add 198.51.100.30/24 dev eth0; ip link set eth0 up; exec sleep %s</initarg>
  </os>
  <devices>
    <interface type='network'>
      <source network='hn-guests'/>
      <guest dev='eth0'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>`, marker), 0)
	if err != nil {
		b, _ := os.ReadFile("/var/log/libvirt/lxc/hn-guest.log")
		t.Fatalf("start LXC guest: %v\n--- /var/log/libvirt/lxc/hn-guest.log ---\n%s", err, b)
	}
	defer func() { dom.Destroy(); dom.Free() }()

	guests, err := c.Guests("hn-guests")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("libvirt reports guests on hn-guests: %v", guests)
	if strings.Join(guests, ",") != "hn-guest" {
		t.Errorf("Guests: want [hn-guest], got %v", guests)
	}

	// The guest's veth is on br0 and answers the remote through the bond.
	deadline := time.Now().Add(10 * time.Second)
	var s, r int
	for time.Now().Before(deadline) {
		if s, r, _ = remote.Ping("198.51.100.30", 5, 20*time.Millisecond); r == s {
			break
		}
	}
	if r == 0 {
		t.Fatalf("remote cannot reach the LXC guest: %d/%d", r, s)
	}
	t.Logf("remote -> guest before the cut: %d/%d", r, s)

	// Cut the active slave: the guest stays reachable over the other NIC.
	active := activeSlave(t)
	if err := tp.CutNIC(active); err != nil {
		t.Fatal(err)
	}
	defer tp.RestoreNIC(active)
	res, err := remote.PingStats("198.51.100.30", 100, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	now := activeSlave(t)
	t.Logf("cut %s: active slave now %s; remote -> guest %d/%d, max gap %v", active, now, res.Received, res.Sent, res.MaxGap)
	if now == active || res.Received < res.Sent/2 {
		t.Fatalf("guest not reachable after the cut of %s (active now %s): %d/%d", active, now, res.Received, res.Sent)
	}
	if s, r, _ := remote.Ping("198.51.100.30", 20, 10*time.Millisecond); r != s {
		t.Fatalf("after failover: %d/%d", r, s)
	}

	// A change libvirt cannot make live is planned as a restart that names the guest.
	_, ch, err := c.Plan(desired(t, `
bridge "br0" { name = "br0" }
libvirt_network "guests" {
  name   = "hn-guests"
  bridge = bridge.br0
  mtu    = 1400
}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Replace || strings.Join(ch.Changes[0].Guests, ",") != "hn-guest" {
		t.Fatalf("want a replace naming hn-guest, got\n%s", ch.Summary())
	}
	t.Logf("plan with a guest attached:\n%s", ch.Summary())
}

func activeSlave(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/sys/class/net/bond0/bonding/active_slave")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
