//go:build lab

package engine

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/lab/probe"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

var (
	bond6  = netip.MustParsePrefix("2001:db8:17::10/64")
	vlan6  = netip.MustParsePrefix("2001:db8:117::10/64")
	route6 = netip.MustParsePrefix("2001:db8:99::/64")
	via6   = netip.MustParseAddr("2001:db8:17::1")
	route4 = netip.MustParsePrefix("203.0.113.0/24")
)

// addressedBond is the fixture with the addresses and the gateway on bond0 itself (no br0),
// an IPv6 address on bond0 and on the VLAN bond0.100, and an IPv6 and an IPv4 route through
// bond0: what a bond replace takes down with the bond.
func addressedBond() *plan.Plan {
	p := fixture()
	b := p.Bonds[0]
	b.Addresses = []netip.Prefix{netip.MustParsePrefix("198.51.100.10/24"), bond6}
	b.Gateway = netip.MustParseAddr("198.51.100.1")
	p.Bridges = p.Bridges[1:] // br100 stays, br0 goes
	p.VLANs[0].Addresses = []netip.Prefix{vlan6}
	p.Routes = []*plan.Route{
		{Source: plan.Source{Addr: "route.r6"}, Name: "r6", To: route6, Via: via6, Dev: b},
		{Source: plan.Source{Addr: "route.r4"}, Name: "r4", To: route4, Via: netip.MustParseAddr("198.51.100.1")},
	}
	return p
}

// TestLabReplaceKeepsIPv6: the kernel removes a link's IPv6 addresses when it goes down (and
// takes the VLANs on a bond down with it), and deletes the routes through a link that goes
// down. A change that replaces the bond in place (down, release, set, re-enslave, up) puts
// them back, and the next plan is empty.
func TestLabReplaceKeepsIPv6(t *testing.T) {
	tp := labHost(t)
	p := addressedBond()
	apply(t, p)
	for _, c := range []struct {
		name string
		set  func(o *bonding.Options)
	}{
		{"fail_over_mac", func(o *bonding.Options) { o.Set(bonding.OptFailOverMAC, num(2)) }},
		{"mode", func(o *bonding.Options) { *o = bondOpts(bonding.BalanceALB, bonding.OptMiimon, 100) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.set(&p.Bonds[0].Options)
			ch, err := Diff(p, readFor(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if o := object(t, ch, "bond.bond0"); o.Action != Replace {
				t.Fatalf("bond0: %+v", o)
			}
			if _, err := Apply(context.Background(), netns.None(), ch); err != nil {
				for _, s := range ch.Steps() {
					t.Log(s)
				}
				t.Fatalf("apply: %v", err)
			}
			s := read(t)
			hasAddr := func(link string, want netip.Prefix) bool {
				l := s.Link(link)
				return l != nil && slices.ContainsFunc(l.Addrs, func(a live.Addr) bool { return a.Prefix == want })
			}
			if !hasAddr("bond0", bond6) || !hasAddr("bond0.100", vlan6) {
				t.Errorf("IPv6 addresses after the replace: bond0 %v, bond0.100 %v", s.Link("bond0").Addrs, s.Link("bond0.100").Addrs)
			}
			for _, want := range []netip.Prefix{route6, route4, netip.MustParsePrefix("0.0.0.0/0")} {
				if !slices.ContainsFunc(s.Routes, func(r live.Route) bool { return r.Dst == want && s.Name(r.OIF) == "bond0" }) {
					t.Errorf("route %s dev bond0 missing after the replace", want)
				}
			}
			if _, recv, _ := tp.Root().Ping("198.51.100.1", 3, 20*time.Millisecond); recv == 0 {
				t.Error("gateway unreachable after the replace")
			}
			requireNoChanges(t, p)
		})
	}
}

// lacpHost is labNICs with an 802.3ad partner on the switch side (the NIC peers in lag0).
func lacpHost(t *testing.T) *topo.Topology {
	t.Helper()
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cleanMarked(t)
		if err := tp.Close(); err != nil {
			t.Log(err)
		}
	})
	if err := tp.SetSwitchLAG("802.3ad"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name string
		mac  net.HardwareAddr
	}{{"eth0", mac0}, {"eth1", mac1}} {
		if err := tp.AddNIC(n.name, n.mac); err != nil {
			t.Fatal(err)
		}
	}
	return tp
}

// partnerSeesActor captures the LACPDUs that reach the switch on the port of eth0 (IEEE
// 802.1AX: slow protocols ethertype 0x8809, subtype 1, actor system at bytes 6-11 of the
// LACPDU) until the last n all carry want as actor system, and fails with what it saw when
// that does not happen within timeout. The last n, not the first: a LACPDU sent before the
// replace may still be on its way when the capture starts.
func partnerSeesActor(t *testing.T, tp *topo.Topology, want net.HardwareAddr, n int, timeout time.Duration) {
	t.Helper()
	c, err := probe.StartCapture(tp.Switch(), tp.NICPort("eth0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	var seen []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		seen = seen[:0]
		for _, f := range c.Frames() {
			if d := f.Data; len(d) >= 26 && d[12] == 0x88 && d[13] == 0x09 && d[14] == 1 {
				seen = append(seen, net.HardwareAddr(d[20:26]).String())
			}
		}
		if len(seen) >= n && !slices.ContainsFunc(seen[len(seen)-n:], func(m string) bool { return m != want.String() }) {
			t.Logf("LACPDU actor systems seen by the switch: %v", seen)
			return
		}
	}
	t.Fatalf("the switch did not receive %d LACPDUs in a row with actor system %s within %v; it saw %v", n, want, timeout, seen)
}

// TestLabBondMACReachesLACPPartner: the bonding driver takes the 802.3ad actor system id from
// the bond's MAC when the first slave is enslaved (bond_3ad_initialize), never when the MAC
// changes later. A planned mac must therefore be set while the bond has no slaves: through a
// replace, before re-enslaving, and a mac change alone on an 802.3ad bond takes the replace.
// The LACPDUs the switch receives carry the planned MAC as actor system.
func TestLabBondMACReachesLACPPartner(t *testing.T) {
	tp := lacpHost(t)
	p := fixture()
	p.Bonds[0].Options = bondOpts(bonding.LACP, bonding.OptMiimon, 100, bonding.OptLACPRate, 1)
	apply(t, p)
	macA := mustMAC("02:00:5e:17:00:0a")
	macB := mustMAC("02:00:5e:17:00:0b")
	for _, c := range []struct {
		name string
		mac  net.HardwareAddr
		opts func(o *bonding.Options)
	}{
		{"with ad_select", macA, func(o *bonding.Options) { o.Set(bonding.OptADSelect, num(1)) }},
		{"mac alone", macB, func(o *bonding.Options) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.Bonds[0].MAC = c.mac
			c.opts(&p.Bonds[0].Options)
			ch, err := Diff(p, readFor(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if o := object(t, ch, "bond.bond0"); !slices.ContainsFunc(o.Attrs, func(a AttrChange) bool { return a.Name == "mac" }) {
				t.Fatalf("bond0 change without the mac: %+v", o)
			}
			if o := object(t, ch, "bond.bond0"); o.Action != Replace {
				t.Fatalf("bond0 change is not a replace: %+v", o)
			}
			if _, err := Apply(context.Background(), netns.None(), ch); err != nil {
				t.Fatalf("apply: %v\n%v", err, ch.Steps())
			}
			requireNoChanges(t, p)
			// lag0 asks for fast LACPDUs (one a second): the last three carry the new actor.
			partnerSeesActor(t, tp, c.mac, 3, 15*time.Second)
		})
	}
}

// TestLabLeavingLACPResetsRate: the kernel keeps lacp_rate when a bond leaves 802.3ad, unused
// and unreported; a later return to 802.3ad without lacp_rate in the plan would bring back
// the old fast rate, unseen. The replace that leaves 802.3ad resets it and says so.
func TestLabLeavingLACPResetsRate(t *testing.T) {
	labHost(t)
	p := fixture()
	p.Bonds[0].Options = bondOpts(bonding.LACP, bonding.OptMiimon, 100, bonding.OptLACPRate, 1)
	apply(t, p)
	p.Bonds[0].Options = bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 100)
	ch, _ := apply(t, p)
	if o := object(t, ch, "bond.bond0"); !slices.ContainsFunc(o.Attrs, func(a AttrChange) bool { return a.Name == "lacp_rate" && a.New == "slow" }) {
		t.Errorf("leaving 802.3ad does not show the lacp_rate reset: %+v", o)
	}
	p.Bonds[0].Options = bondOpts(bonding.LACP, bonding.OptMiimon, 100)
	apply(t, p)
	if got := read(t).Link("bond0").Bond.Options.Num(bonding.OptLACPRate); got != 0 {
		t.Errorf("back in 802.3ad, lacp_rate is %d, want 0 (slow)", got)
	}
	requireNoChanges(t, p)
}
