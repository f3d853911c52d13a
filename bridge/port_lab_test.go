//go:build lab

package bridge

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab/probe"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func mac(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addLink creates l in the lab's root ns, deleted at the end of the test.
func addLink(t *testing.T, l netlink.Link) netlink.Link {
	t.Helper()
	if err := netlink.LinkAdd(l); err != nil {
		t.Fatalf("add %s: %v", l.Attrs().Name, err)
	}
	got, err := netlink.LinkByName(l.Attrs().Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(got) })
	return got
}

func reread(t *testing.T, l netlink.Link) netlink.Link {
	t.Helper()
	got, err := netlink.LinkByIndex(l.Attrs().Index)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSetMAC: a bridge with an explicit MAC keeps it when a port with a
// lower MAC joins; without one it follows the port (the control).
func TestSetMAC(t *testing.T) {
	for _, tc := range []struct {
		name     string
		explicit net.HardwareAddr
		want     string
	}{
		{"explicit MAC is kept", mac(t, "02:00:5e:10:00:01"), "02:00:5e:10:00:01"},
		{"no explicit MAC follows the port", nil, "00:00:5e:00:53:01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brmac"}})
			if tc.explicit != nil {
				if err := SetMAC(br, tc.explicit); err != nil {
					t.Fatal(err)
				}
			}
			port := addLink(t, &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "dmac", HardwareAddr: mac(t, "00:00:5e:00:53:01")}})
			if err := netlink.LinkSetMaster(port, br); err != nil {
				t.Fatal(err)
			}
			if got := reread(t, br).Attrs().HardwareAddr.String(); got != tc.want {
				t.Errorf("bridge MAC %s, want %s", got, tc.want)
			}
		})
	}
	br := addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brmac2"}})
	for _, bad := range []string{"01:00:5e:00:00:01", "00:00:00:00:00:00"} {
		if err := SetMAC(br, mac(t, bad)); err == nil {
			t.Errorf("SetMAC(%s) accepted", bad)
		}
	}
}

// TestARPNotify writes arp_notify through /proc/sys and reads it back.
func TestARPNotify(t *testing.T) {
	br := addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brarp"}})
	for _, on := range []bool{true, false, true} {
		if err := SetARPNotify(br.Attrs().Name, on); err != nil {
			t.Fatal(err)
		}
		got, err := ARPNotify(br.Attrs().Name)
		if err != nil || got != on {
			t.Errorf("after SetARPNotify(%v): %v, %v", on, got, err)
		}
		b, _ := os.ReadFile("/proc/sys/net/ipv4/conf/brarp/arp_notify")
		if want := map[bool]string{true: "1\n", false: "0\n"}[on]; string(b) != want {
			t.Errorf("procfs says %q, want %q", b, want)
		}
	}
	if err := SetARPNotify("nosuchdev0", true); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat("/proc/sys/net/ipv4/conf/nosuchdev0"); err == nil {
		t.Error("SetARPNotify created a sysctl file")
	}
}

// TestPortFlags sets each combination that matters on a bond-like port
// and reads all four flags back.
func TestPortFlags(t *testing.T) {
	br := addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brflags"}})
	port := addLink(t, &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "dflags"}})
	if _, err := GetPortFlags(port); !errors.Is(err, ErrNotPort) {
		t.Errorf("before enslaving: %v, want ErrNotPort", err)
	}
	if err := netlink.LinkSetMaster(port, br); err != nil {
		t.Fatal(err)
	}
	got, err := GetPortFlags(port)
	if err != nil || got != DefaultPortFlags {
		t.Errorf("new port: %+v, %v; want %+v", got, err, DefaultPortFlags)
	}
	for _, f := range []PortFlags{
		{Learning: false, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true},
		{Learning: true, UnicastFlood: false, MulticastFlood: true, BroadcastFlood: true},
		{Learning: false, UnicastFlood: false, MulticastFlood: false, BroadcastFlood: false},
		DefaultPortFlags,
	} {
		if err := SetPortFlags(port, f); err != nil {
			t.Fatal(err)
		}
		got, err := GetPortFlags(port)
		if err != nil || got != f {
			t.Errorf("set %+v, read %+v, %v", f, got, err)
		}
		pi, err := netlink.LinkGetProtinfo(port) // a second reader agrees
		if err != nil || pi.Learning != f.Learning || pi.Flood != f.UnicastFlood {
			t.Errorf("netlink protinfo %+v, %v; want learning %v flood %v", pi, err, f.Learning, f.UnicastFlood)
		}
	}
}

// TestAgeingTime sets and reads back the bridge's ageing time.
func TestAgeingTime(t *testing.T) {
	br := addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brage", MTU: 1400}})
	for _, d := range []time.Duration{300 * time.Second, 10 * time.Second, 1500 * time.Millisecond, 0, 300 * time.Second} {
		if err := SetAgeingTime(br, d); err != nil {
			t.Fatal(err)
		}
		if got, err := AgeingTime(br); err != nil || got != d {
			t.Errorf("set %v, read %v, %v", d, got, err)
		}
	}
	if mtu := reread(t, br).Attrs().MTU; mtu != 1400 {
		t.Errorf("SetAgeingTime changed the MTU to %d", mtu)
	}
	for _, bad := range []time.Duration{-time.Second, 5 * time.Millisecond} {
		if err := SetAgeingTime(br, bad); err == nil {
			t.Errorf("SetAgeingTime(%v) accepted", bad)
		}
	}
}

// TestStickyFDB is selftest bridge_sticky_fdb.sh on the bridged bond: a
// frame whose source is the guest's MAC arrives on the bond port (sent by
// the remote, flooded by the switch). A learned entry moves to the bond
// port (the control: the frame did arrive), a sticky one stays on the
// guest's port, and so does a learned one when learning is off on the bond.
func TestStickyFDB(t *testing.T) {
	r, err := topo.NewReference("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	guestPort, err := netlink.LinkByName("g-guest")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing but the test's own frames may teach the bridge the guest's
	// MAC: no IPv6 chatter (DAD, MLD, router solicitations) from it.
	for _, k := range []string{"all", "default", "eth0"} {
		if err := r.Guest.Sysctl("net/ipv6/conf/"+k+"/disable_ipv6", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := topo.WaitActive("bond0", r.NIC("uplink0"), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		setup     func() error
		wantPort  string
		wantFlags func(e FDBEntry) bool
	}{
		{"learned entry moves", func() error {
			return guestReachesHost(r)
		}, "bond0", func(e FDBEntry) bool { return !e.Static && !e.Sticky }},
		{"static entry moves", func() error {
			return netlink.NeighSet(&netlink.Neigh{LinkIndex: guestPort.Attrs().Index, Family: unix.AF_BRIDGE,
				Flags: netlink.NTF_MASTER, State: netlink.NUD_NOARP, HardwareAddr: r.Guest.MAC})
		}, "bond0", func(e FDBEntry) bool { return e.Static && !e.Sticky }},
		{"sticky entry stays", func() error { return AddSticky(guestPort, r.Guest.MAC, 0) },
			"g-guest", func(e FDBEntry) bool { return e.Static && e.Sticky }},
		{"learning off on the bond port", func() error {
			err := guestReachesHost(r)
			if err == nil {
				err = SetPortFlags(r.Bond, PortFlags{Learning: false, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true})
			}
			return err
		}, "g-guest", func(e FDBEntry) bool { return !e.Static && !e.Sticky }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Start from no entry and default flags.
			DelFDB(guestPort, r.Guest.MAC, 0)
			DelFDB(r.Bond, r.Guest.MAC, 0)
			if err := SetPortFlags(r.Bond, DefaultPortFlags); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(); err != nil {
				t.Fatal(err)
			}
			if e := entryOf(t, r.Bridge, r.Guest.MAC); e == nil || e.Port != guestPort.Attrs().Index {
				t.Fatalf("before: guest entry %+v, want on g-guest", e)
			}
			// The bridge floods the broadcast to the guest: once the guest
			// has it, the bridge has processed its source address.
			c, err := probe.StartCapture(r.Guest, "eth0")
			if err != nil {
				t.Fatal(err)
			}
			frame := probe.EtherFrame(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, r.Guest.MAC, 0x88b5, []byte("hostnet sticky test"))
			if err := probe.Send(r.Remote, "eth0", frame); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(3 * time.Second); !seenEthertype(c, 0x88b5); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					c.Stop()
					t.Fatal("the injected frame never crossed the bridge")
				}
			}
			c.Stop()
			e := entryOf(t, r.Bridge, r.Guest.MAC)
			if e == nil {
				t.Fatal("after: no guest entry")
			}
			port, _ := netlink.LinkByIndex(e.Port)
			if port.Attrs().Name != tc.wantPort || !tc.wantFlags(*e) {
				t.Errorf("after: guest entry on %s %+v, want on %s", port.Attrs().Name, e, tc.wantPort)
			}
		})
	}
	if err := SetPortFlags(r.Bond, DefaultPortFlags); err != nil {
		t.Fatal(err)
	}
}

func entryOf(t *testing.T, br netlink.Link, m net.HardwareAddr) *FDBEntry {
	t.Helper()
	es, err := FDB(br.Attrs().Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.MAC.String() == m.String() && e.VLAN == 0 {
			return &e
		}
	}
	return nil
}

// guestReachesHost pings the host from the guest: the bridge learns the
// guest's MAC on g-guest.
func guestReachesHost(r *topo.Reference) error {
	p, err := r.Guest.PingRecord(context.Background(), topo.HostIP, 2, 10*time.Millisecond, time.Second)
	if err == nil && p.Received() == 0 {
		err = errors.New("guest cannot reach the host")
	}
	return err
}

func seenEthertype(c *probe.Capture, et uint16) bool {
	for _, f := range c.Frames() {
		if len(f.Data) >= 14 && uint16(f.Data[12])<<8|uint16(f.Data[13]) == et {
			return true
		}
	}
	return false
}
