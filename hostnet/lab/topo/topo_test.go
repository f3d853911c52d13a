//go:build lab

package topo

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/vishvananda/netlink"
)

// These tests need bonding and a kernel of their own: they run in the lab.
func TestMain(m *testing.M) { lab.RunTestMain(m) }

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return l
}

func ping(t *testing.T, h *Host, dst string) {
	t.Helper()
	r, err := h.PingStats(dst, 5, 20*time.Millisecond)
	if err != nil || r.Received != r.Sent {
		t.Fatalf("%s -> %s: %+v, %v", h.Name, dst, r, err)
	}
	t.Logf("%s -> %s: %d/%d, max gap %v", h.Name, dst, r.Received, r.Sent, r.MaxGap)
}

// TestActiveBackupFailover builds the hypervisor of the reference setup
// (two NICs, active-backup bond0, br0 on it, a guest behind br0, a remote
// behind the switch), pulls the active NIC's cable and checks that both the
// hypervisor and the guest still reach the remote.
func TestActiveBackupFailover(t *testing.T) {
	topo, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := topo.Close(); err != nil {
			t.Error(err)
		}
		for _, n := range []string{"eth0", "eth1", "g-guest"} {
			if _, err := netlink.LinkByName(n); err == nil {
				t.Errorf("%s still exists after Close", n)
			}
		}
		if ents, _ := os.ReadDir("/run/netns"); len(ents) > 0 {
			t.Errorf("namespaces left after Close: %v", ents)
		}
	}()
	for i, n := range []string{"eth0", "eth1"} {
		if err := topo.AddNIC(n, mustMAC(t, []string{"52:54:00:00:00:01", "52:54:00:00:00:02"}[i])); err != nil {
			t.Fatal(err)
		}
	}

	// What hostnet itself would build, done by hand with netlink.
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	bond.Mode, bond.Miimon = netlink.BOND_MODE_ACTIVE_BACKUP, 50
	if err := netlink.LinkAdd(bond); err != nil {
		t.Fatal(err)
	}
	defer netlink.LinkDel(link(t, "bond0"))
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	defer netlink.LinkDel(link(t, "br0"))
	for _, n := range []string{"eth0", "eth1"} {
		if err := netlink.LinkSetMaster(link(t, n), link(t, "bond0")); err != nil {
			t.Fatal(err)
		}
	}
	if err := netlink.LinkSetMaster(link(t, "bond0"), link(t, "br0")); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("198.51.100.10/24")
	if err := netlink.AddrAdd(link(t, "br0"), addr); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"eth0", "eth1", "bond0", "br0"} {
		if err := netlink.LinkSetUp(link(t, n)); err != nil {
			t.Fatal(err)
		}
	}

	remote, err := topo.AddRemote("remote", "198.51.100.20/24")
	if err != nil {
		t.Fatal(err)
	}
	guest, err := topo.AddGuest("guest", "198.51.100.30/24", "br0")
	if err != nil {
		t.Fatal(err)
	}
	_ = remote

	waitActive := func(not string) string {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			b := link(t, "bond0").(*netlink.Bond)
			if b.ActiveSlave > 0 {
				if s, err := netlink.LinkByIndex(b.ActiveSlave); err == nil && s.Attrs().Name != not {
					return s.Attrs().Name
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("bond0 has no active slave other than %q", not)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	active := waitActive("")
	ping(t, topo.Root(), "198.51.100.20")
	ping(t, guest, "198.51.100.20")

	if err := topo.CutNIC(active); err != nil {
		t.Fatal(err)
	}
	t.Logf("cut %s, now active: %s", active, waitActive(active))
	ping(t, topo.Root(), "198.51.100.20")
	ping(t, guest, "198.51.100.20")
	if err := topo.RestoreNIC(active); err != nil {
		t.Fatal(err)
	}
}

// TestSwitchLAG: a bond on the hypervisor against a LAG on the switch, in
// both static (balance-xor) and LACP (802.3ad) flavours, survives a cut.
func TestSwitchLAG(t *testing.T) {
	for _, mode := range []string{"balance-xor", "802.3ad"} {
		t.Run(mode, func(t *testing.T) {
			topo, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := topo.Close(); err != nil {
					t.Error(err)
				}
			}()
			if err := topo.SetSwitchLAG(mode); err != nil {
				t.Fatal(err)
			}
			bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			bond.Mode, bond.Miimon = netlink.StringToBondMode(mode), 50
			if mode == "802.3ad" {
				bond.LacpRate = netlink.BOND_LACP_RATE_FAST
			}
			if err := netlink.LinkAdd(bond); err != nil {
				t.Fatal(err)
			}
			defer netlink.LinkDel(link(t, "bond0"))
			for i, n := range []string{"eth0", "eth1"} {
				if err := topo.AddNIC(n, mustMAC(t, []string{"52:54:00:00:00:01", "52:54:00:00:00:02"}[i])); err != nil {
					t.Fatal(err)
				}
				if err := netlink.LinkSetMaster(link(t, n), link(t, "bond0")); err != nil {
					t.Fatal(err)
				}
			}
			addr, _ := netlink.ParseAddr("203.0.113.10/24")
			if err := netlink.AddrAdd(link(t, "bond0"), addr); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"eth0", "eth1", "bond0"} {
				if err := netlink.LinkSetUp(link(t, n)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := topo.AddRemote("remote", "203.0.113.20/24"); err != nil {
				t.Fatal(err)
			}
			if mode == "802.3ad" {
				// Until both sides' ports are distributing, traffic only
				// flows by luck; this takes ~9 s (bonding's aggregator
				// selection timer on the switch side).
				start := time.Now()
				for !lacpDistributing(t, "bond0", 2) {
					if time.Since(start) > 30*time.Second {
						b, _ := os.ReadFile("/proc/net/bonding/bond0")
						t.Fatalf("LACP did not converge:\n%s", b)
					}
					time.Sleep(100 * time.Millisecond)
				}
				t.Logf("LACP converged after %v", time.Since(start).Round(time.Millisecond))
			}
			ping(t, topo.Root(), "203.0.113.20")
			if err := topo.CutNIC("eth0"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // miimon 50 on both sides
			if r, err := topo.Root().PingStats("203.0.113.20", 5, 20*time.Millisecond); err != nil || r.Received != r.Sent {
				b, _ := os.ReadFile("/proc/net/bonding/bond0")
				t.Fatalf("after cut: %+v, %v\n%s", r, err, b)
			}
		})
	}
}

// lacpDistributing reports whether n ports of the bond, and their partners,
// are collecting and distributing (LACP state bits 0x10|0x20). netlink
// v1.3.1 does not parse IFLA_BOND_AD_INFO; procfs has it.
func lacpDistributing(t *testing.T, bond string, n int) bool {
	b, err := os.ReadFile("/proc/net/bonding/" + bond)
	if err != nil {
		t.Fatal(err)
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
	return ok >= 2*n // actor and partner
}
