//go:build lab

package engine

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

func TestMain(m *testing.M) { lab.RunTestMain(m) }

// labHost builds the switch and two NICs with the fixture's MACs (labelled uplink0 and
// uplink1 like the fixture's, named eno1 and enp1s0f0 by the kernel, down), and a
// remote at 198.51.100.1 (the fixture's gateway) on the switch.
func labHost(t *testing.T) *topo.Topology {
	t.Helper()
	tp := labNICs(t)
	if _, err := tp.AddRemote("gw", "198.51.100.1/24"); err != nil {
		t.Fatal(err)
	}
	return tp
}

// labNICs builds the switch and the NICs uplink0 (mac0) and uplink1 (mac1); at the end of the test
// it removes what hostnet marked and the topology.
func labNICs(t *testing.T) *topo.Topology {
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
	if err := tp.AddNIC("uplink0", mac0); err != nil {
		t.Fatal(err)
	}
	if err := tp.AddNIC("uplink1", mac1); err != nil {
		t.Fatal(err)
	}
	return tp
}

func cleanMarked(t *testing.T) {
	ch, err := Diff(&plan.Plan{}, read(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), netns.None(), ch); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

func read(t *testing.T) *live.State {
	t.Helper()
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readFor reads the state as Diff of p needs it (arp_notify, FDB: Read).
func readFor(t *testing.T, p *plan.Plan) *live.State {
	t.Helper()
	s, err := Read(netns.None(), p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// apply plans p against the live state, applies it and fails the test on any error.
func apply(t *testing.T, p *plan.Plan) (*Changes, *Report) {
	t.Helper()
	ch, err := Diff(p, readFor(t, p))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(context.Background(), netns.None(), ch)
	if err != nil {
		for _, s := range ch.Steps() {
			t.Log(s)
		}
		t.Fatalf("apply: %v", err)
	}
	return ch, rep
}

func requireNoChanges(t *testing.T, p *plan.Plan) {
	t.Helper()
	ch, err := Diff(p, readFor(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() {
		t.Fatalf("re-plan not empty: %+v\n%v", ch.ChangedObjects(), ch.Steps())
	}
	rep, err := Apply(context.Background(), netns.None(), ch)
	if err != nil || rep.Message != "no changes" || rep.Requests != 0 {
		t.Fatalf("re-apply: %+v %v", rep, err)
	}
}

func TestLabApplyReplanDestroy(t *testing.T) {
	tp := labHost(t)
	before := read(t).Normalized()
	p := fixture()
	ch, rep := apply(t, p)
	t.Logf("fresh apply: %d steps, %d requests in %d sendmsg, exec %v, verify %v", len(ch.Steps()), rep.Requests,
		rep.Batches, rep.Exec, rep.Verify)

	s := read(t)
	bond := s.Link("bond0")
	if bond == nil || bond.Bond == nil || bond.Bond.Options.Mode() != bonding.ActiveBackup || !bond.Up() {
		t.Fatalf("bond0: %+v", bond)
	}
	var slaves []string
	for _, sl := range s.Slaves(bond) {
		slaves = append(slaves, sl.Name)
	}
	slices.Sort(slaves)
	if !slices.Equal(slaves, []string{tp.NIC("uplink0"), tp.NIC("uplink1")}) {
		t.Errorf("bond0 slaves %v", slaves)
	}
	if m := s.LinkByIndex(bond.MasterIndex); m == nil || m.Name != "br0" {
		t.Errorf("bond0 master %v", m)
	}
	v := s.Link("bond0.100")
	if v == nil || v.VLAN == nil || v.VLAN.ID != 100 || s.Name(v.MasterIndex) != "br100" || v.Alias != live.MarkFor(`vlan.tenant["100"]`) {
		t.Errorf("bond0.100: %+v", v)
	}
	if !slices.Equal(v.MAC, bond.MAC) {
		t.Errorf("VLAN MAC %s != bond MAC %s (VLAN created before the bond had a slave?)", v.MAC, bond.MAC)
	}
	gw := false
	for _, r := range s.Routes {
		if r.Dst.Bits() == 0 && r.Gateway == netip.MustParseAddr("198.51.100.1") && s.Name(r.OIF) == "br0" {
			gw = true
		}
	}
	if !gw {
		t.Error("no default route via 198.51.100.1 dev br0")
	}
	// The host reaches the remote through br0 -> bond0 -> NIC -> switch.
	if sent, recv, err := tp.Root().Ping("198.51.100.1", 5, 20*time.Millisecond); err != nil || recv == 0 {
		t.Errorf("ping gateway: %d/%d %v", recv, sent, err)
	}

	requireNoChanges(t, p)

	dch, err := DestroyChanges(p, read(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), netns.None(), dch); err != nil {
		t.Fatalf("destroy: %v\n%v", err, dch.Steps())
	}
	after := read(t).Normalized()
	if d := diffLines(before, after); d != "" {
		t.Errorf("destroy did not restore the host:\n%s", d)
	}
}

func TestLabModeChangeNeedsDown(t *testing.T) {
	tp := labHost(t)
	p := fixture()
	apply(t, p)

	for _, c := range []struct {
		name string
		set  func(o *bonding.Options)
	}{
		{"fail_over_mac", func(o *bonding.Options) { o.Set(bonding.OptFailOverMAC, num(2)) }},
		{"mode", func(o *bonding.Options) {
			*o = bondOpts(bonding.LACP, bonding.OptLACPRate, 1, bonding.OptXmitHashPolicy, 1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.set(&p.Bonds[0].Options)
			ch, err := Diff(p, read(t))
			if err != nil {
				t.Fatal(err)
			}
			o := object(t, ch, "bond.bond0")
			if o.Action != Replace || !slices.Contains(o.Flaps, tp.NIC("uplink0")) || !slices.Contains(o.Flaps, "br0") {
				t.Fatalf("bond0 change: %+v", o)
			}
			rep, err := Apply(context.Background(), netns.None(), ch)
			if err != nil {
				t.Fatalf("%v\n%v", err, ch.Steps())
			}
			t.Logf("%s: %d steps in %v", c.name, rep.Steps, rep.Exec)
			s := read(t)
			b := s.Link("bond0")
			for _, id := range p.Bonds[0].Options.SetIDs() {
				if got, want := b.Bond.Options.Get(id), p.Bonds[0].Options.Get(id); !got.Equal(want) {
					t.Errorf("%s = %s, want %s", bonding.Table[id].Name, got.Format(id), want.Format(id))
				}
			}
			if len(s.Slaves(b)) != 2 || !b.Up() {
				t.Errorf("bond0 after: up=%v slaves=%d", b.Up(), len(s.Slaves(b)))
			}
			requireNoChanges(t, p)
		})
	}
}

func TestLabInPlaceOptions(t *testing.T) {
	labHost(t)
	p := fixture()
	apply(t, p)
	ab := func(kv ...any) func(o *bonding.Options) {
		return func(o *bonding.Options) {
			*o = bondOpts(bonding.ActiveBackup, append([]any{bonding.OptMiimon, 100}, kv...)...)
		}
	}
	cases := []struct {
		name string
		set  func(o *bonding.Options)
	}{
		{"miimon", ab(bonding.OptMiimon, 50)},
		{"updelay", ab(bonding.OptUpdelay, 200)},
		{"downdelay", ab(bonding.OptUpdelay, 200, bonding.OptDowndelay, 300)},
		{"miimon keeps delays", ab(bonding.OptMiimon, 50, bonding.OptUpdelay, 200, bonding.OptDowndelay, 300)},
		{"peer_notif_delay", ab(bonding.OptPeerNotifDelay, 200)},
		{"num_grat_arp", ab(bonding.OptNumPeerNotif, 5)},
		{"resend_igmp", ab(bonding.OptResendIGMP, 3)},
		{"primary_reselect", ab(bonding.OptPrimaryReselect, 2)},
		{"xmit_hash_policy", ab(bonding.OptXmitHashPolicy, 2)},
		{"use_carrier", ab(bonding.OptUseCarrier, 0)},
		{"primary", func(o *bonding.Options) { // as the decoder has it: the NIC and its label
			ab()(o)
			p.Bonds[0].Primary = p.NICs[1]
			o.Set(bonding.OptPrimary, bonding.Value{Iface: p.NICs[1].Name})
		}},
		{"arp monitoring", func(o *bonding.Options) {
			*o = bondOpts(bonding.ActiveBackup, bonding.OptArpInterval, 100, bonding.OptArpValidate, 3, bonding.OptMissedMax, 3)
			o.Set(bonding.OptArpIPTarget, bonding.Value{Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}})
		}},
		{"back to mii", ab()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.set(&p.Bonds[0].Options)
			ch, err := Diff(p, read(t))
			if err != nil {
				t.Fatal(err)
			}
			o := object(t, ch, "bond.bond0")
			if o.Action != Update {
				t.Fatalf("bond0: %+v", o)
			}
			for _, s := range ch.Steps() {
				if strings.HasSuffix(s.Desc, " down") || strings.Contains(s.Desc, "release") {
					t.Errorf("in-place change plans %q", s.Desc)
				}
			}
			if _, err := Apply(context.Background(), netns.None(), ch); err != nil {
				t.Fatalf("%v\n%v", err, ch.Steps())
			}
			b := read(t).Link("bond0")
			if !b.Up() {
				t.Error("bond0 went down")
			}
			requireNoChanges(t, p)
		})
	}
}

func TestLabAbsentNIC(t *testing.T) {
	labHost(t)
	before := read(t).Normalized()
	p := fixture()
	p.NICs[1].MAC = mac9
	_, err := Diff(p, read(t))
	if err == nil || !strings.Contains(err.Error(), "nic.uplink1") || !strings.Contains(err.Error(), mac9.String()) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if d := diffLines(before, read(t).Normalized()); d != "" {
		t.Errorf("host changed:\n%s", d)
	}
}

func TestLabKernelRefuses(t *testing.T) {
	labHost(t)
	cases := []struct {
		name string
		edit func(p *plan.Plan)
		want []string
	}{
		{"nic mtu above max", func(p *plan.Plan) {
			p.Bonds[0].Slaves = p.Bonds[0].Slaves[:1]
			p.NICs[1].MTU = 70000
		}, []string{"nic.uplink1", "mtu 70000"}},
		{"bond option out of range", func(p *plan.Plan) {
			p.Bonds[0].Options.Set(bonding.OptMissedMax, num(0))
		}, []string{"bond.bond0", "create bond bond0"}},
		{"option refused in mode", func(p *plan.Plan) {
			p.Bonds[0].Options.Set(bonding.OptPacketsPerSlave, num(3))
		}, []string{"bond.bond0", "permission denied"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanMarked(t)
			before := read(t).Normalized()
			p := fixture()
			c.edit(p)
			ch, err := Diff(p, read(t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Apply(context.Background(), netns.None(), ch)
			var se *StepError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a StepError", err)
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			if d := diffLines(before, read(t).Normalized()); d != "" {
				t.Errorf("host changed:\n%s", d)
			}
		})
	}
}

// An address the NIC had before hostnet (as after an installer) moves to the bridge the plan
// puts it on: removed from the NIC before it is enslaved, added to br0.
func TestLabAddressMoves(t *testing.T) {
	tp := labHost(t)
	c, err := live.Dial(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := newResolver(read(t))
	pre := netip.MustParsePrefix("198.51.100.10/24")
	nic := tp.NIC("uplink0")
	for _, o := range []op{{kind: opLinkSet, link: nic, up: ptr(true)}, {kind: opAddrAdd, link: nic, prefix: pre}} {
		req, _ := o.request(r)
		if err := c.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	p := fixture()
	ch, _ := apply(t, p)
	if o := object(t, ch, "nic.uplink0"); !slices.ContainsFunc(o.Attrs, func(a AttrChange) bool { return a.Name == "address" && a.Old == pre.String() }) {
		t.Errorf("nic.uplink0 change does not show the address leaving: %+v", o)
	}
	s := read(t)
	for _, a := range s.Link(nic).Addrs {
		if !a.LinkLocal() {
			t.Errorf("%s still has %s", nic, a.Prefix)
		}
	}
	if !slices.ContainsFunc(s.Link("br0").Addrs, func(a live.Addr) bool { return a.Prefix == pre }) {
		t.Error("br0 lacks the address")
	}
	if _, recv, _ := tp.Root().Ping("198.51.100.1", 3, 20*time.Millisecond); recv == 0 {
		t.Error("gateway unreachable after the move")
	}
	requireNoChanges(t, p)
}

// Per-slave options go in IFLA_INFO_SLAVE_DATA, in place.
func TestLabSlaveOptions(t *testing.T) {
	tp := labHost(t)
	p := fixture()
	apply(t, p)
	q, prio := uint16(1), int32(5)
	p.Bonds[0].Slaves[0].QueueID = &q
	p.Bonds[0].Slaves[1].Prio = &prio
	ch, rep := apply(t, p)
	if o := object(t, ch, "bond.bond0"); o.Action != Update {
		t.Fatalf("%+v", o)
	}
	s := read(t)
	n0, n1 := s.Link(tp.NIC("uplink0")), s.Link(tp.NIC("uplink1"))
	if n0.BondSlave.QueueID != 1 || n1.BondSlave.Prio != 5 {
		t.Errorf("slave data %s %+v %s %+v", n0.Name, n0.BondSlave, n1.Name, n1.BondSlave)
	}
	t.Logf("%d steps", rep.Steps)
	requireNoChanges(t, p)
}

// 802.3ad options that are not IFDOWN change in place too.
func TestLabLACPInPlace(t *testing.T) {
	labHost(t)
	p := fixture()
	p.Bonds[0].Options = bondOpts(bonding.LACP, bonding.OptLACPRate, 1)
	apply(t, p)
	for _, kv := range [][]any{
		{bonding.OptXmitHashPolicy, 2},
		{bonding.OptMinLinks, 1},
		{bonding.OptADActorSysPrio, 100},
		{bonding.OptMiimon, 50},
	} {
		t.Run(bonding.Table[kv[0].(bonding.ID)].Name, func(t *testing.T) {
			p.Bonds[0].Options.Set(kv[0].(bonding.ID), num(uint64(kv[1].(int))))
			ch, err := Diff(p, read(t))
			if err != nil {
				t.Fatal(err)
			}
			if o := object(t, ch, "bond.bond0"); o.Action != Update {
				t.Fatalf("%+v", o)
			}
			if _, err := Apply(context.Background(), netns.None(), ch); err != nil {
				t.Fatalf("%v\n%v", err, ch.Steps())
			}
			requireNoChanges(t, p)
		})
	}
}

// live.Read reads the namespace it is given.
func TestLabReadHandleNamespace(t *testing.T) {
	nic := labHost(t).NIC("uplink0")
	ns, err := netns.GetFromName("hn-switch")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	s, err := live.Read(ns)
	if err != nil {
		t.Fatal(err)
	}
	if s.Link("sw0") == nil || s.Link(nic) != nil {
		t.Errorf("read the wrong namespace: %v", s.Normalized())
	}
	if s, err := live.Read(netns.None()); err != nil || s.Link(nic) == nil {
		t.Errorf("root handle: %v", err)
	}
}

// A value the kernel does not take as given (updelay is kept in miimon ticks: 250 ms with
// miimon 100 becomes 200) is caught by the read-back: the error names object and attribute.
func TestLabNotConverged(t *testing.T) {
	labHost(t)
	p := fixture()
	p.Bonds[0].Options.Set(bonding.OptUpdelay, num(250))
	ch, err := Diff(p, read(t))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(context.Background(), netns.None(), ch)
	var nc *NotConvergedError
	if !errors.As(err, &nc) {
		t.Fatalf("err = %v, want NotConvergedError", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "bond.bond0: updelay is 200, the plan wants 250") || len(rep.Unconverged) != 1 {
		t.Errorf("err = %v; unconverged %+v", err, rep.Unconverged)
	}
}

// diffLines is live.DiffNormalized as one text, for test messages.
func diffLines(a, b []string) string { return strings.Join(live.DiffNormalized(a, b), "\n") }
