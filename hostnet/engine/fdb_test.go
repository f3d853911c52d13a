package engine

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

var (
	guestMAC = mustMAC("52:54:00:aa:00:01")
	otherMAC = mustMAC("52:54:00:aa:00:02")
)

func bp(b bool) *bool { return &b }

// bridgePlan is the fixture with arp_notify, learning off and a sticky entry on br0.
func bridgePlan() *plan.Plan {
	p := fixture()
	br := p.Bridges[0]
	br.ARPNotify = bp(true)
	br.PortFlags = []*plan.PortFlags{{Link: p.Bonds[0], Learning: bp(false)}}
	br.FDB = []*plan.FDBEntry{{MAC: guestMAC, Port: p.Bonds[0], Sticky: true}}
	return p
}

// bridgeAfter is after() with the bridge settings of bridgePlan applied (and the kernel's
// copy of the entry in the default PVID 1), read with the options the plan needs.
func bridgeAfter() *live.State {
	s := after(abOpts())
	s.Link("br0").ARPNotify = bp(true)
	s.Link("bond0").BridgePort = &live.BridgePort{Learning: false, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}
	s.Link("bond0.100").BridgePort = &live.BridgePort{Learning: true, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}
	s.FDB = []live.FDBEntry{
		{MAC: mac0, Port: 11, Bridge: 11, State: unix.NUD_PERMANENT, Flags: unix.NTF_MASTER},
		{MAC: guestMAC, Port: 10, Bridge: 11, State: unix.NUD_NOARP, Flags: unix.NTF_MASTER | live.NTFSticky},
		{MAC: guestMAC, VLAN: 1, Port: 10, Bridge: 11, State: unix.NUD_NOARP, Flags: unix.NTF_MASTER | live.NTFSticky},
		{MAC: otherMAC, Port: 2, Bridge: 13, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
	}
	s.Included = ReadOptions(bridgePlan())
	return s
}

func attrNames(o Change) []string {
	var out []string
	for _, a := range o.Attrs {
		out = append(out, a.Name+" "+a.Old+"→"+a.New)
	}
	return out
}

func TestReadOptions(t *testing.T) {
	if o := ReadOptions(fixture()); o.FDB || len(o.ARPNotify) != 0 {
		t.Errorf("a plan without bridge settings reads extra: %+v", o)
	}
	if o := ReadOptions(bridgePlan()); !o.FDB || !slices.Equal(o.ARPNotify, []string{"br0"}) {
		t.Errorf("%+v", o)
	}
	// A state read without them is refused rather than diffed wrongly.
	if _, err := Diff(bridgePlan(), after(abOpts())); err == nil || !strings.Contains(err.Error(), "engine.Read") {
		t.Errorf("err = %v", err)
	}
	if _, err := DestroyChanges(bridgePlan(), after(abOpts())); err == nil {
		t.Error("destroy accepted a state without the FDB")
	}
}

func TestDiffBridgeSettingsFresh(t *testing.T) {
	p := bridgePlan()
	p.Bridges[0].MAC = mustMAC("52:54:00:00:10:00")
	s := before()
	s.Included = ReadOptions(p)
	ch, err := Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	o := object(t, ch, "bridge.br0")
	got := attrNames(o)
	for _, want := range []string{"mac →52:54:00:00:10:00", "arp_notify →on", "port bond0 learning →off", "fdb 52:54:00:aa:00:01 →sticky on bond0"} {
		if !slices.Contains(got, want) {
			t.Errorf("bridge.br0 attrs %q lack %q", got, want)
		}
	}
	d := descs(ch)
	create := indexOf(t, d, "create bridge br0")
	arp := indexOf(t, d, "set net.ipv4.conf.br0.arp_notify = 1")
	port := indexOf(t, d, "add port bond0 to br0")
	flags := indexOf(t, d, "set port bond0 learning off")
	fdb := indexOf(t, d, "fdb replace 52:54:00:aa:00:01 dev bond0 master static sticky")
	if !(create < arp && arp < port && port < flags && flags < fdb) {
		t.Errorf("order: %d %d %d %d %d\n%s", create, arp, port, flags, fdb, strings.Join(d, "\n"))
	}
	for _, st := range ch.Steps() {
		switch {
		case strings.HasPrefix(st.Desc, "set port bond0"):
			if len(st.op.slaveData) != 1 || st.op.slaveData[0].typ != unix.IFLA_BRPORT_LEARNING || st.op.slaveData[0].val[0] != 0 {
				t.Errorf("port flags request: %+v", st.op.slaveData)
			}
		case strings.HasPrefix(st.Desc, "fdb replace"):
			req, err := st.op.request(&resolver{idx: map[string]int{"bond0": 10}})
			if err != nil || req.Type != unix.RTM_NEWNEIGH || req.Flags != unix.NLM_F_CREATE|unix.NLM_F_REPLACE ||
				req.Body[0] != unix.AF_BRIDGE || native.Uint32(req.Body[4:8]) != 10 ||
				native.Uint16(req.Body[8:10]) != unix.NUD_NOARP || req.Body[10] != unix.NTF_MASTER|live.NTFSticky {
				t.Errorf("fdb request %+v %v", req, err)
			}
		case strings.HasPrefix(st.Desc, "create bridge br0"):
			if st.op.mac.String() != "52:54:00:00:10:00" {
				t.Errorf("bridge created without its MAC: %+v", st.op)
			}
		}
	}
}

func TestDiffBridgeSettingsConverged(t *testing.T) {
	ch, err := Diff(bridgePlan(), bridgeAfter())
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() {
		t.Fatalf("changes on a converged host: %+v\n%s", ch.ChangedObjects(), strings.Join(descs(ch), "\n"))
	}
}

func TestDiffBridgeSettingsInPlace(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(p *plan.Plan, s *live.State)
		attrs []string
		step  string
	}{
		{"arp_notify", func(p *plan.Plan, _ *live.State) { p.Bridges[0].ARPNotify = bp(false) },
			[]string{"arp_notify on→off"}, "set net.ipv4.conf.br0.arp_notify = 0"},
		{"learning", func(p *plan.Plan, _ *live.State) { p.Bridges[0].PortFlags[0].Learning = bp(true) },
			[]string{"port bond0 learning off→on"}, "set port bond0 learning on"},
		{"floods", func(p *plan.Plan, _ *live.State) {
			p.Bridges[0].PortFlags[0].MulticastFlood, p.Bridges[0].PortFlags[0].BroadcastFlood = bp(false), bp(false)
		}, []string{"port bond0 multicast_flood on→off", "port bond0 broadcast_flood on→off"},
			"set port bond0 multicast_flood off broadcast_flood off"},
		{"unset flags are not diffed", func(_ *plan.Plan, s *live.State) { s.Link("bond0").BridgePort.UnicastFlood = false },
			nil, ""},
		{"sticky off", func(p *plan.Plan, _ *live.State) { p.Bridges[0].FDB[0].Sticky = false },
			[]string{"fdb 52:54:00:aa:00:01 sticky on bond0→static on bond0"}, "fdb replace 52:54:00:aa:00:01 dev bond0 master static"},
		{"learned entry made static", func(_ *plan.Plan, s *live.State) {
			s.FDB[1].State, s.FDB[1].Flags, s.FDB[1].Port = unix.NUD_REACHABLE, unix.NTF_MASTER, 99
			s.FDB = s.FDB[:3]
		}, []string{"fdb 52:54:00:aa:00:01 learned on →sticky on bond0"}, "fdb replace 52:54:00:aa:00:01 dev bond0 master static sticky"},
		{"entry removed", func(p *plan.Plan, _ *live.State) {
			p.Bridges[0].FDB = append(p.Bridges[0].FDB, &plan.FDBEntry{MAC: otherMAC, Port: p.Bonds[0], Sticky: true})
			p.Bridges[0].FDB = p.Bridges[0].FDB[1:]
		}, []string{"fdb 52:54:00:aa:00:02 →sticky on bond0", "fdb 52:54:00:aa:00:01 sticky on bond0→"},
			"fdb replace 52:54:00:aa:00:02 dev bond0 master static sticky"},
		{"entries on unplanned ports are left alone", func(_ *plan.Plan, s *live.State) {
			s.FDB = append(s.FDB, live.FDBEntry{MAC: otherMAC, Port: 40, Bridge: 11, State: unix.NUD_NOARP, Flags: unix.NTF_MASTER})
		}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s := bridgePlan(), bridgeAfter()
			c.edit(p, s)
			ch, err := Diff(p, s)
			if err != nil {
				t.Fatal(err)
			}
			if c.attrs == nil {
				if ch.HasChanges() {
					t.Fatalf("changes: %+v", ch.ChangedObjects())
				}
				return
			}
			o := object(t, ch, "bridge.br0")
			if got := attrNames(o); o.Action != Update || !slices.Equal(got, c.attrs) {
				t.Errorf("bridge.br0 %s %q, want %q", o.Action, got, c.attrs)
			}
			if d := descs(ch); d[0] != c.step {
				t.Errorf("steps %q, want first %q", d, c.step)
			}
			if n := len(ch.ChangedObjects()); n != 1 {
				t.Errorf("%d objects change", n)
			}
		})
	}
}

// A port that joins the bridge in this apply gets its flags compared with the kernel's
// defaults, not with what it had elsewhere.
func TestDiffPortFlagsJoining(t *testing.T) {
	p, s := bridgePlan(), bridgeAfter()
	s.Link("bond0").MasterIndex = 0
	s.Link("bond0").BridgePort = nil
	s = live.NewState(s.Links, s.Routes)
	s.Included = ReadOptions(p)
	ch, err := Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	d := descs(ch)
	if indexOf(t, d, "add port bond0 to br0") > indexOf(t, d, "set port bond0 learning off") {
		t.Error("flags set before the port joins")
	}
	if got := attrNames(object(t, ch, "bridge.br0")); !slices.Contains(got, "port bond0 learning →off") {
		t.Errorf("attrs %q", got)
	}
}

// Destroy: a bridge hostnet deletes takes its FDB along; on a bridge it did not create the
// plan's entries are removed, before anything else.
func TestDestroyFDB(t *testing.T) {
	p, s := bridgePlan(), bridgeAfter()
	ch, err := DestroyChanges(p, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range descs(ch) {
		if strings.HasPrefix(x, "fdb") {
			t.Errorf("fdb step on a deleted bridge: %s", x)
		}
	}
	// br0 and its port bond0 left alone (not hostnet's): only the plan's entry goes. (Had
	// hostnet created bond0, deleting it would take the entry along.)
	s.Link("br0").Alias, s.Link("bond0").Alias = "", ""
	ch, err = DestroyChanges(p, s)
	if err != nil {
		t.Fatal(err)
	}
	o := object(t, ch, "bridge.br0")
	if o.Action != Update || !slices.Equal(attrNames(o), []string{"fdb 52:54:00:aa:00:01 sticky on bond0→"}) {
		t.Errorf("br0: %+v", o)
	}
	indexOf(t, descs(ch), "fdb del 52:54:00:aa:00:01 dev bond0 master")
}
