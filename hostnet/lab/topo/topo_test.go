//go:build lab

package topo

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
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

// TestActiveBackupFailover builds the reference hypervisor (two NICs,
// active-backup bond0, br0 on it, a guest behind br0, a remote behind the
// switch), pulls the active NIC's cable and checks that both the
// hypervisor and the guest still reach the remote, and that Close leaves
// nothing behind.
func TestActiveBackupFailover(t *testing.T) {
	topo, err := NewReference("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := topo.Close(); err != nil {
			t.Error(err)
		}
		for _, n := range []string{KernelNICName(0), KernelNICName(1), "g-guest", "bond0", "br0"} {
			if _, err := netlink.LinkByName(n); err == nil {
				t.Errorf("%s still exists after Close", n)
			}
		}
		if ents, _ := os.ReadDir("/run/netns"); len(ents) > 0 {
			t.Errorf("namespaces left after Close: %v", ents)
		}
	}()
	for _, h := range []*Host{topo.Remote, topo.Guest} {
		if len(h.MAC) != 6 {
			t.Errorf("%s: MAC %v", h.Name, h.MAC)
		}
	}
	if topo.Bond.Attrs().Name != "bond0" || topo.Bridge.Attrs().Name != "br0" {
		t.Errorf("bond %s, bridge %s", topo.Bond.Attrs().Name, topo.Bridge.Attrs().Name)
	}

	waitActive := func(not string) string {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			if s := ActiveSlave("bond0"); s != "" && s != not {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("bond0 has no active slave other than %q", not)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	active := waitActive("")
	ping(t, topo.Root(), RemoteIP)
	ping(t, topo.Guest, RemoteIP)

	if err := topo.CutNIC(active); err != nil {
		t.Fatal(err)
	}
	t.Logf("cut %s, now active: %s", active, waitActive(active))
	ping(t, topo.Root(), RemoteIP)
	ping(t, topo.Guest, RemoteIP)
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
			for i, n := range []string{"uplink0", "uplink1"} {
				if err := topo.AddNIC(n, mustMAC(t, []string{"52:54:00:00:00:01", "52:54:00:00:00:02"}[i])); err != nil {
					t.Fatal(err)
				}
			}
			bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			bond.Mode, bond.Miimon = netlink.StringToBondMode(mode), 50
			if mode == "802.3ad" {
				bond.LacpRate = netlink.BOND_LACP_RATE_FAST
			}
			b, err := topo.AddBond(bond, "uplink0", "uplink1")
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := netlink.ParseAddr("203.0.113.10/24")
			if err := netlink.AddrAdd(b, addr); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{topo.NIC("uplink0"), topo.NIC("uplink1"), "bond0"} {
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
				if err := WaitLACP("bond0", 2, 30*time.Second); err != nil {
					t.Fatal(err)
				}
				t.Logf("LACP converged after %v", time.Since(start).Round(time.Millisecond))
			}
			ping(t, topo.Root(), "203.0.113.20")
			if err := topo.CutNIC("uplink0"); err != nil {
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

// TestInsideHosts: what acts inside a host's namespace (Do, Sysctl,
// StaticNeigh, Handle), the switch's namespace and what it learned, and the
// background pinger across a cable pull.
func TestInsideHosts(t *testing.T) {
	r, err := NewReference("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := WaitActive("bond0", r.NIC("uplink0"), 3*time.Second); err != nil {
		t.Fatal(err)
	}

	// A sysctl set in the guest is the guest's alone.
	if err := r.Guest.Sysctl("net/ipv4/conf/eth0/arp_notify", "1"); err != nil {
		t.Fatal(err)
	}
	read := func(h *Host, path string) (v string) {
		t.Helper()
		if err := h.Do(func() error {
			b, err := os.ReadFile("/proc/sys/" + path)
			v = strings.TrimSpace(string(b))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if g, rm := read(r.Guest, "net/ipv4/conf/eth0/arp_notify"), read(r.Remote, "net/ipv4/conf/eth0/arp_notify"); g != "1" || rm != "0" {
		t.Errorf("arp_notify: guest %s, remote %s; want 1, 0", g, rm)
	}

	// The switch namespace holds the switch bridge and the NIC ports.
	h, err := r.Switch().Handle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, n := range []string{SwitchBridge, r.NICPort("uplink0"), r.NICPort("uplink1"), "s-remote"} {
		if _, err := h.LinkByName(n); err != nil {
			t.Errorf("switch: %s: %v", n, err)
		}
	}

	// A static neighbour lets the remote reach the guest without ARP.
	if err := r.Remote.StaticNeigh("eth0", GuestIP, r.Guest.MAC); err != nil {
		t.Fatal(err)
	}
	rh, err := r.Remote.Handle()
	if err != nil {
		t.Fatal(err)
	}
	defer rh.Close()
	ns, err := rh.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range ns {
		found = found || n.IP.String() == GuestIP && n.State == netlink.NUD_PERMANENT && n.HardwareAddr.String() == r.Guest.MAC.String()
	}
	if !found {
		t.Errorf("remote neighbours %v lack a permanent %s -> %s", ns, GuestIP, r.Guest.MAC)
	}

	p, err := r.Remote.PingRecord(context.Background(), GuestIP, 5, 10*time.Millisecond, time.Second)
	if err != nil || p.Received() != 5 || len(p.Sent) != 5 || p.Dups != 0 {
		t.Fatalf("remote -> guest: %+v, %v", p, err)
	}
	if port, err := r.SwitchPortOf(r.Guest.MAC); err != nil || port != r.NICPort("uplink0") {
		t.Errorf("switch has the guest on %q (%v), want %s", port, err, r.NICPort("uplink0"))
	}

	// The pinger keeps going across a cable pull; the gap after the cut
	// closes once the bond has failed over and the guest answered from eth1.
	pg, err := r.Remote.StartPing(GuestIP, 0, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cut := time.Now()
	if err := r.CutNIC("uplink0"); err != nil {
		t.Fatal(err)
	}
	if err := WaitActive("bond0", r.NIC("uplink1"), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	p = pg.Stop(time.Second)
	if again := pg.Stop(0); again != p {
		t.Error("a second Stop returned another record")
	}
	gap, recovered := p.GapAfter(cut)
	t.Logf("%d requests, %d replies; gap after the cut %v (recovered %v), %d of %d lost", len(p.Sent), p.Received(),
		gap.Round(time.Millisecond), recovered, p.LostAfter(cut), p.SentAfter(cut))
	if !recovered || p.SentAfter(cut) < 40 || p.Received() < len(p.Sent)/2 {
		t.Errorf("pinger across the cut: %d/%d, gap %v, recovered %v", p.Received(), len(p.Sent), gap, recovered)
	}
	if port, _ := r.SwitchPortOf(r.Guest.MAC); port != r.NICPort("uplink1") {
		t.Errorf("after the cut the switch has the guest on %q, want %s", port, r.NICPort("uplink1"))
	}
}

// NICs get kernel-style names, never their labels; NIC follows a rename by the code under
// test, and Close removes a renamed NIC too.
func TestNICNames(t *testing.T) {
	tp, err := New()
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"uplink0", "uplink1", "uplink2"}
	for i, l := range labels {
		if err := tp.AddNIC(l, mustMAC(t, fmt.Sprintf("52:54:00:00:0f:%02x", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := tp.NICs(), []string{"eno1", "enp1s0f0", "enp1s0f1"}; !slices.Equal(got, want) {
		t.Fatalf("NICs %v, want %v", got, want)
	}
	for _, l := range labels {
		if _, err := netlink.LinkByName(l); err == nil {
			t.Errorf("a link is named after the label %s", l)
		}
	}
	if err := tp.AddNIC("uplink0", mustMAC(t, "52:54:00:00:0f:10")); err == nil {
		t.Error("a second NIC with the same label was accepted")
	}
	l := link(t, "enp1s0f0")
	if err := netlink.LinkSetName(l, "wan0"); err != nil {
		t.Fatal(err)
	}
	if got := tp.NIC("uplink1"); got != "wan0" {
		t.Errorf("after a rename NIC(uplink1) = %q, want wan0", got)
	}
	if err := tp.CutNIC("uplink1"); err != nil {
		t.Error(err)
	}
	if err := tp.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"eno1", "wan0", "enp1s0f1"} {
		if _, err := netlink.LinkByName(n); err == nil {
			t.Errorf("%s still exists after Close", n)
		}
	}
}
