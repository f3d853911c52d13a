package engine

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

var (
	mac0 = mustMAC("d0:bf:9c:45:0c:20")
	mac1 = mustMAC("d0:bf:9c:45:0c:21")
	mac9 = mustMAC("d0:bf:9c:45:0c:99")
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func num(v uint64) bonding.Value { return bonding.Value{Num: v} }

// fixture is a plan of bond0 (active-backup over two NICs) under br0 with an address and a
// gateway, and VLAN 100 on bond0 with its own bridge br100.
func fixture() *plan.Plan {
	p := &plan.Plan{}
	n0 := &plan.NIC{Iface: plan.Iface{Kind: plan.KindNIC, Name: "uplink0", MAC: mac0}}
	n1 := &plan.NIC{Iface: plan.Iface{Kind: plan.KindNIC, Name: "uplink1", MAC: mac1}}
	n0.Addr, n1.Addr = "nic.uplink0", "nic.uplink1"
	b := &plan.Bond{Iface: plan.Iface{Kind: plan.KindBond, Name: "bond0"}, Slaves: []plan.Slave{{NIC: n0}, {NIC: n1}}}
	b.Addr = "bond.bond0"
	b.Options.Set(bonding.OptMode, num(uint64(bonding.ActiveBackup)))
	b.Options.Set(bonding.OptMiimon, num(100))
	v := &plan.VLAN{Iface: plan.Iface{Kind: plan.KindVLAN, Name: "bond0.100"}, Link: b, ID: 100}
	v.Addr = `vlan.tenant["100"]`
	br := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: "br0",
		Addresses: []netip.Prefix{netip.MustParsePrefix("198.51.100.10/24")},
		Gateway:   netip.MustParseAddr("198.51.100.1")}, Ports: []plan.Interface{b}}
	br.Addr = "bridge.br0"
	br100 := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: "br100"}, Ports: []plan.Interface{v}}
	br100.Addr = `bridge.tenant["100"]`
	p.NICs = []*plan.NIC{n0, n1}
	p.Bonds = []*plan.Bond{b}
	p.VLANs = []*plan.VLAN{v}
	p.Bridges = []*plan.Bridge{br, br100}
	return p
}

func nicLink(idx int, name string, mac net.HardwareAddr) *live.Link {
	return &live.Link{Index: idx, Name: name, Kind: "veth", MAC: mac, MTU: 1500, MaxMTU: 65535}
}

// before is the host as topo leaves it: two NICs, down.
func before() *live.State {
	return live.NewState([]*live.Link{
		{Index: 1, Name: "lo", MTU: 65536, Flags: unix.IFF_UP},
		nicLink(2, "eth0", mac0),
		nicLink(3, "eth1", mac1),
	}, nil)
}

func bondOpts(mode bonding.Mode, kv ...any) bonding.Options {
	var o bonding.Options
	o.Set(bonding.OptMode, num(uint64(mode)))
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(bonding.ID), num(uint64(kv[i+1].(int))))
	}
	return o
}

// after is the host as an apply of fixture() leaves it.
func after(opts bonding.Options) *live.State {
	up := uint32(unix.IFF_UP)
	n0 := nicLink(2, "eth0", mac0)
	n1 := nicLink(3, "eth1", mac1)
	for _, n := range []*live.Link{n0, n1} {
		n.Flags, n.MasterIndex, n.SlaveKind = up, 10, "bond"
		n.BondSlave = &live.BondSlave{PermMAC: n.MAC}
	}
	n1.MAC = mac0
	rep := [bonding.NumOptions]bool{}
	for id := range rep {
		rep[id] = id != int(bonding.OptCoupledControl) && id != int(bonding.OptActiveSlave) && id != int(bonding.OptPrimary)
	}
	bond := &live.Link{Index: 10, Name: "bond0", Kind: "bond", MAC: mac0, MTU: 1500, Flags: up, MasterIndex: 11,
		Alias: live.MarkFor("bond.bond0"), Bond: &live.Bond{Options: opts, Reported: rep}}
	br := &live.Link{Index: 11, Name: "br0", Kind: "bridge", MAC: mac0, MTU: 1500, Flags: up, Alias: live.MarkFor("bridge.br0"),
		Bridge: &live.Bridge{ForwardDelay: 1500, AgeingTime: 30000, MulticastSnooping: true},
		Addrs:  []live.Addr{{Prefix: netip.MustParsePrefix("198.51.100.10/24")}, {Prefix: netip.MustParsePrefix("fe80::1/64")}}}
	vl := &live.Link{Index: 12, Name: "bond0.100", Kind: "vlan", MAC: mac0, MTU: 1500, Flags: up, MasterIndex: 13, ParentIndex: 10,
		Alias: live.MarkFor(`vlan.tenant["100"]`), VLAN: &live.VLAN{ID: 100, Protocol: unix.ETH_P_8021Q}}
	br100 := &live.Link{Index: 13, Name: "br100", Kind: "bridge", MAC: mac0, MTU: 1500, Flags: up, Alias: live.MarkFor(`bridge.tenant["100"]`),
		Bridge: &live.Bridge{ForwardDelay: 1500, AgeingTime: 30000, MulticastSnooping: true}}
	routes := []live.Route{
		{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("198.51.100.1"),
			OIF: 11, Protocol: live.RouteProtocol, Type: unix.RTN_UNICAST},
		{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("198.51.100.0/24"), OIF: 11, Protocol: unix.RTPROT_KERNEL,
			Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST},
	}
	return live.NewState([]*live.Link{{Index: 1, Name: "lo", MTU: 65536, Flags: up}, n0, n1, bond, br, vl, br100}, routes)
}

func abOpts() bonding.Options { return bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 100) }

func descs(ch *Changes) []string {
	var out []string
	for _, s := range ch.Steps() {
		out = append(out, s.Desc)
	}
	return out
}

func indexOf(t *testing.T, ss []string, prefix string) int {
	t.Helper()
	for i, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return i
		}
	}
	t.Fatalf("no step %q in:\n%s", prefix, strings.Join(ss, "\n"))
	return -1
}

func object(t *testing.T, ch *Changes, addr string) Change {
	t.Helper()
	for _, o := range ch.Objects {
		if o.Address == addr {
			return o
		}
	}
	t.Fatalf("no object %s", addr)
	return Change{}
}

func TestDiffFresh(t *testing.T) {
	ch, err := Diff(fixture(), before())
	if err != nil {
		t.Fatal(err)
	}
	if !ch.HasChanges() {
		t.Fatal("no changes")
	}
	for addr, act := range map[string]Action{"bond.bond0": Create, "bridge.br0": Create, `vlan.tenant["100"]`: Create,
		`bridge.tenant["100"]`: Create, "nic.uplink0": Update} {
		if o := object(t, ch, addr); o.Action != act {
			t.Errorf("%s: %s, want %s", addr, o.Action, act)
		}
	}
	d := descs(ch)
	t.Logf("steps:\n%s", strings.Join(d, "\n"))
	create := indexOf(t, d, "create bond bond0 mode=active-backup miimon=100")
	down := indexOf(t, d, "set eth0 down")
	ensl := indexOf(t, d, "enslave eth0 to bond0")
	br := indexOf(t, d, "create bridge br100")
	vl := indexOf(t, d, "create vlan bond0.100 on bond0 id 100 master br100")
	port := indexOf(t, d, "add port bond0 to br0")
	addr := indexOf(t, d, "add address 198.51.100.10/24 to br0")
	route := indexOf(t, d, "add default route via 198.51.100.1 dev br0")
	if !(create < down && down < ensl && ensl < br && br < vl && vl < port && port < addr && addr < route) {
		t.Errorf("steps out of order: %d %d %d %d %d %d %d %d", create, down, ensl, br, vl, port, addr, route)
	}
	indexOf(t, d, "mark bond0.100 "+live.MarkFor(`vlan.tenant["100"]`))
	// Only the options the plan sets go into the create request.
	for _, s := range ch.Steps() {
		if strings.HasPrefix(s.Desc, "create bond") && len(s.op.data) != 2 {
			t.Errorf("bond create sends %d options, want 2 (mode, miimon)", len(s.op.data))
		}
	}
	if _, err := json.Marshal(ch); err != nil {
		t.Fatal(err)
	}
}

func TestDiffNoChanges(t *testing.T) {
	ch, err := Diff(fixture(), after(abOpts()))
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() || len(ch.Steps()) != 0 {
		t.Fatalf("changes on a converged host: %+v\n%s", ch.ChangedObjects(), strings.Join(descs(ch), "\n"))
	}
}

func TestDiffAbsentNIC(t *testing.T) {
	p := fixture()
	p.NICs[1].MAC = mac9
	_, err := Diff(p, before())
	if err == nil || !strings.Contains(err.Error(), "nic.uplink1") || !strings.Contains(err.Error(), mac9.String()) {
		t.Fatalf("err = %v, want one naming nic.uplink1 and %s", err, mac9)
	}
}

func TestDiffBondOptions(t *testing.T) {
	cases := []struct {
		name      string
		plan      func(o *bonding.Options)
		live      bonding.Options
		action    Action
		attr      string
		needsDown bool
	}{
		{"miimon in place", func(o *bonding.Options) { o.Set(bonding.OptMiimon, num(200)) }, abOpts(), Update, "miimon", false},
		{"updelay in place", func(o *bonding.Options) { o.Set(bonding.OptUpdelay, num(200)) }, abOpts(), Update, "updelay", false},
		{"num_grat_arp in place", func(o *bonding.Options) { o.Set(bonding.OptNumPeerNotif, num(3)) }, abOpts(), Update, "num_grat_arp", false},
		{"primary in place", func(o *bonding.Options) { o.Set(bonding.OptPrimary, bonding.Value{Iface: "eth1"}) }, abOpts(), Update, "primary", false},
		{"mode needs down", func(o *bonding.Options) { o.Set(bonding.OptMode, num(uint64(bonding.LACP))) }, abOpts(), Replace, "mode", true},
		{"fail_over_mac needs down", func(o *bonding.Options) { o.Set(bonding.OptFailOverMAC, num(2)) }, abOpts(), Replace, "fail_over_mac", true},
		{"default left out resets", func(o *bonding.Options) {}, bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 100, bonding.OptResendIGMP, 5),
			Update, "resend_igmp", false},
		{"802.3ad miimon default is 100", func(o *bonding.Options) {
			*o = bondOpts(bonding.LACP)
		}, bondOpts(bonding.LACP, bonding.OptMiimon, 100), NoOp, "", false},
		{"lacp_rate needs down", func(o *bonding.Options) {
			*o = bondOpts(bonding.LACP, bonding.OptLACPRate, 1)
		}, bondOpts(bonding.LACP, bonding.OptMiimon, 100), Replace, "lacp_rate", true},
		{"arp options refused in 802.3ad are not compared", func(o *bonding.Options) {
			*o = bondOpts(bonding.LACP)
		}, bondOpts(bonding.LACP, bonding.OptMiimon, 100, bonding.OptArpInterval, 0, bonding.OptMissedMax, 2), NoOp, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := fixture()
			c.plan(&p.Bonds[0].Options)
			ch, err := Diff(p, after(c.live))
			if err != nil {
				t.Fatal(err)
			}
			o := object(t, ch, "bond.bond0")
			if o.Action != c.action {
				t.Fatalf("action %s, want %s; attrs %+v", o.Action, c.action, o.Attrs)
			}
			d := descs(ch)
			down := false
			for _, s := range d {
				if s == "set bond0 down" {
					down = true
				}
			}
			if down != c.needsDown {
				t.Errorf("bond down planned: %v, want %v\n%s", down, c.needsDown, strings.Join(d, "\n"))
			}
			if c.attr == "" {
				return
			}
			found := false
			for _, a := range o.Attrs {
				if a.Name == c.attr {
					found = true
					if (a.Needs == NeedsBondDown) != c.needsDown {
						t.Errorf("%s needs %q", a.Name, a.Needs)
					}
				}
			}
			if !found {
				t.Errorf("no attr %s in %+v", c.attr, o.Attrs)
			}
			if c.needsDown {
				for _, f := range []string{"bond0", "eth0", "eth1", "br0", "bond0.100", "br100"} {
					if !strings.Contains(strings.Join(o.Flaps, ","), f) {
						t.Errorf("flaps %v lack %s", o.Flaps, f)
					}
				}
				seq := []string{"set bond0 down", "release eth0 from bond0", "set " + c.attr + "=", "set eth0 down", "enslave eth0 to bond0", "set bond0 up"}
				last := -1
				for _, s := range seq {
					i := indexOf(t, d, s)
					if i < last {
						t.Errorf("%q out of order:\n%s", s, strings.Join(d, "\n"))
					}
					last = i
				}
			}
		})
	}
}

func TestDiffMiimonResendsDelays(t *testing.T) {
	p := fixture()
	p.Bonds[0].Options.Set(bonding.OptMiimon, num(50))
	p.Bonds[0].Options.Set(bonding.OptUpdelay, num(200))
	ch, err := Diff(p, after(bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 100, bonding.OptUpdelay, 200)))
	if err != nil {
		t.Fatal(err)
	}
	var set *Step
	for i, s := range ch.Steps() {
		if strings.Contains(s.Desc, "(in place)") {
			set = &ch.Steps()[i]
		}
	}
	if set == nil {
		t.Fatal("no in-place set step")
	}
	types := map[uint16]bool{}
	for _, a := range set.op.data {
		types[a.typ] = true
	}
	if !types[unix.IFLA_BOND_MIIMON] || !types[unix.IFLA_BOND_UPDELAY] || !types[unix.IFLA_BOND_DOWNDELAY] {
		t.Errorf("miimon change must resend the delays (kept in miimon ticks): %v", types)
	}
}

func TestDiffDeletesOnlyMarked(t *testing.T) {
	s := after(abOpts())
	links := append(s.Links,
		&live.Link{Index: 20, Name: "old0", Kind: "bridge", Alias: live.MarkFor("bridge.old"), Bridge: &live.Bridge{}},
		&live.Link{Index: 21, Name: "virbr0", Kind: "bridge", Bridge: &live.Bridge{}})
	ch, err := Diff(fixture(), live.NewState(links, s.Routes))
	if err != nil {
		t.Fatal(err)
	}
	if o := object(t, ch, "bridge.old"); o.Action != Delete || o.Name != "old0" {
		t.Errorf("old0: %+v", o)
	}
	d := descs(ch)
	if len(d) != 1 || d[0] != "delete bridge old0" {
		t.Errorf("steps %v, want only the delete of old0", d)
	}
}

func TestDiffVLANIDReplaced(t *testing.T) {
	p := fixture()
	p.VLANs[0].ID = 101
	ch, err := Diff(p, after(abOpts()))
	if err != nil {
		t.Fatal(err)
	}
	o := object(t, ch, `vlan.tenant["100"]`)
	if o.Action != Replace || len(o.Flaps) == 0 {
		t.Fatalf("%+v", o)
	}
	d := descs(ch)
	if indexOf(t, d, "delete vlan bond0.100") > indexOf(t, d, "create vlan bond0.100 on bond0 id 101 master br100") {
		t.Error("create before delete")
	}
}

func TestDiffUnmanagedConflict(t *testing.T) {
	s := before()
	links := append(s.Links, &live.Link{Index: 9, Name: "bond0", Kind: "bridge", Bridge: &live.Bridge{}})
	_, err := Diff(fixture(), live.NewState(links, nil))
	if err == nil || !strings.Contains(err.Error(), "bond.bond0") || !strings.Contains(err.Error(), "did not create") {
		t.Fatalf("err = %v", err)
	}
}

func TestDiffAddresses(t *testing.T) {
	s := after(abOpts())
	br := s.Link("br0")
	br.Addrs = append(br.Addrs, live.Addr{Prefix: netip.MustParsePrefix("203.0.113.5/24")})
	eth0 := s.Link("eth0")
	eth0.Addrs = []live.Addr{{Prefix: netip.MustParsePrefix("198.51.100.99/24")}, {Prefix: netip.MustParsePrefix("fe80::2/64")}}
	ch, err := Diff(fixture(), s)
	if err != nil {
		t.Fatal(err)
	}
	d := descs(ch)
	indexOf(t, d, "remove address 203.0.113.5/24 from br0")
	indexOf(t, d, "remove address 198.51.100.99/24 from eth0")
	for _, x := range d {
		if strings.Contains(x, "fe80") {
			t.Errorf("link-local touched: %s", x)
		}
	}
}

func TestDiffGatewayChange(t *testing.T) {
	p := fixture()
	p.Bridges[0].Gateway = netip.MustParseAddr("198.51.100.254")
	ch, err := Diff(p, after(abOpts()))
	if err != nil {
		t.Fatal(err)
	}
	d := descs(ch)
	if indexOf(t, d, "delete default route via 198.51.100.1 dev br0") > indexOf(t, d, "add default route via 198.51.100.254 dev br0") {
		t.Error("order")
	}
}

func TestDestroyChanges(t *testing.T) {
	s := after(abOpts())
	links := append(s.Links, &live.Link{Index: 30, Name: "br7", Kind: "bridge", Bridge: &live.Bridge{}})
	p := fixture()
	p.Bridges = append(p.Bridges, &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: "br7"}})
	ch, err := DestroyChanges(p, live.NewState(links, s.Routes))
	if err != nil {
		t.Fatal(err)
	}
	d := descs(ch)
	t.Logf("destroy steps:\n%s", strings.Join(d, "\n"))
	// Uppers first.
	if indexOf(t, d, "delete bridge br100") > indexOf(t, d, "delete bond bond0") {
		t.Error("deletion order")
	}
	for _, x := range d {
		if x == "delete vlan bond0.100" {
			t.Error("VLAN deleted on its own: the kernel deletes it with bond0")
		}
	}
	if o := object(t, ch, `vlan.tenant["100"]`); o.Action != Delete {
		t.Errorf("VLAN change %+v", o)
	}
	indexOf(t, d, "set eth0 down")
	for _, x := range d {
		if strings.Contains(x, "br7") {
			t.Errorf("unmarked br7 touched: %s", x)
		}
	}
	if o := object(t, ch, "bridge.br7"); o.Action != NoOp {
		t.Errorf("br7: %+v", o)
	}
}

// TestDiffReleaseOrder checks that the slaves a bond loses are released in a stable order
// (ifindex), not in map order: plans, StepError indexes and fault positions depend on it.
func TestDiffReleaseOrder(t *testing.T) {
	s := after(abOpts())
	links := s.Links
	for i := 0; i < 8; i++ {
		links = append(links, &live.Link{Index: 40 + i, Name: fmt.Sprintf("dummy%d", i), Kind: "dummy",
			MasterIndex: 10, SlaveKind: "bond", MTU: 1500})
	}
	s = live.NewState(links, s.Routes)
	var first []string
	for run := 0; run < 20; run++ {
		ch, err := Diff(fixture(), s)
		if err != nil {
			t.Fatal(err)
		}
		var rel []string
		for _, d := range descs(ch) {
			if strings.HasPrefix(d, "release ") {
				rel = append(rel, d)
			}
		}
		if run == 0 {
			first = rel
			if len(rel) != 8 || rel[0] != "release dummy0 from bond0" || rel[7] != "release dummy7 from bond0" {
				t.Fatalf("releases %q", rel)
			}
		} else if !slices.Equal(rel, first) {
			t.Fatalf("run %d: %q, first %q", run, rel, first)
		}
	}
}

// TestDiffForeignRouteConflict checks that a planned gateway or route whose table,
// destination and metric a route hostnet did not add already has (a DHCP default route)
// is an error naming both, and that a route add carries NLM_F_EXCL.
func TestDiffForeignRouteConflict(t *testing.T) {
	s := after(abOpts())
	routes := append([]live.Route(nil), s.Routes...)
	routes[0].Protocol = unix.RTPROT_DHCP // the default route via 198.51.100.1 dev br0
	routes = append(routes, live.Route{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("10.0.0.0/8"),
		Gateway: netip.MustParseAddr("198.51.100.7"), OIF: 11, Protocol: unix.RTPROT_STATIC, Type: unix.RTN_UNICAST})
	s = live.NewState(s.Links, routes)

	// The same default route is no conflict: hostnet keeps it.
	if _, err := Diff(fixture(), s); err != nil {
		t.Fatalf("same gateway: %v", err)
	}

	p := fixture()
	p.Bridges[0].Gateway = netip.MustParseAddr("198.51.100.254")
	p.Routes = []*plan.Route{{Name: "ten", To: netip.MustParsePrefix("10.0.0.0/8"), Via: netip.MustParseAddr("198.51.100.9")}}
	_, err := Diff(p, s)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"planned route 0.0.0.0/0 via 198.51.100.254 dev br0", "existing route 0.0.0.0/0 via 198.51.100.1 dev br0 (protocol dhcp)",
		"planned route 10.0.0.0/8 via 198.51.100.9", "existing route 10.0.0.0/8 via 198.51.100.7 dev br0 (protocol static)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	// Another metric is no conflict; the add is exclusive.
	p.Bridges[0].Gateway = netip.Addr{}
	p.Routes[0].Metric = 50
	ch, err := Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver(s)
	n := 0
	for _, st := range ch.steps {
		if st.op.kind != opRouteAdd {
			continue
		}
		n++
		req, err := st.op.request(r)
		if err != nil {
			t.Fatal(err)
		}
		if req.Flags != unix.NLM_F_CREATE|unix.NLM_F_EXCL {
			t.Errorf("%s: flags %#x", st.Desc, req.Flags)
		}
	}
	if n != 1 {
		t.Errorf("%d route adds, want 1: %q", n, descs(ch))
	}
}

// primary and active_slave name a NIC by its plan label; the kernel knows it by the name it
// gave it (eth0 here), unless the plan renames it. The steps carry the kernel's name, and a
// bond whose kernel reports that name is converged.
func TestDiffPrimaryKernelName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rename bool
		want   string
	}{
		{"found by MAC", false, "eth0"},
		{"renamed by the plan", true, "uplink0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fixture()
			b, n0 := p.Bonds[0], p.NICs[0]
			n0.Rename = tc.rename
			b.Primary, b.ActiveSlave = n0, n0
			b.Options.Set(bonding.OptPrimary, bonding.Value{Iface: n0.Name})
			b.Options.Set(bonding.OptActiveSlave, bonding.Value{Iface: n0.Name})
			ch, err := Diff(p, before())
			if err != nil {
				t.Fatal(err)
			}
			steps := strings.Join(descs(ch), "\n")
			for _, w := range []string{"primary=" + tc.want, "make " + tc.want + " the active slave"} {
				if !strings.Contains(steps, w) {
					t.Errorf("no %q in:\n%s", w, steps)
				}
			}
			if tc.rename {
				return
			}
			opts := abOpts()
			opts.Set(bonding.OptPrimary, bonding.Value{Iface: "eth0"})
			opts.Set(bonding.OptActiveSlave, bonding.Value{Iface: "eth0"})
			s := after(opts)
			ch, err = Diff(p, s)
			if err != nil {
				t.Fatal(err)
			}
			if o := object(t, ch, "bond.bond0"); o.Action != NoOp {
				t.Errorf("converged bond: %+v", o)
			}
		})
	}
}

// A VLAN with the planned parent and id under another name (not hostnet's, so not deleted
// by this apply) is refused before any change: the kernel would refuse the create with
// EEXIST half way through. A marked one that the plan lacks is deleted first: no error.
func TestDiffSameVLANOtherName(t *testing.T) {
	for _, tt := range []struct {
		name  string
		alias string
		fails bool
	}{{"user's vlan100", "", true}, {"hostnet's, not in the plan", live.MarkFor("vlan.old"), false}} {
		t.Run(tt.name, func(t *testing.T) {
			s := after(abOpts())
			l := s.Link("bond0.100")
			l.Name, l.Alias, l.MasterIndex = "vlan100", tt.alias, 0
			s = live.NewState(s.Links, s.Routes)
			_, err := Diff(fixture(), s)
			if tt.fails != (err != nil && strings.Contains(err.Error(), "already exists as vlan100")) {
				t.Errorf("err = %v", err)
			}
		})
	}
}
