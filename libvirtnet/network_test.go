package libvirtnet

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
)

func loadPlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	p, diags := plan.Decode([]plan.Input{{Name: "plan.hcl", Bytes: []byte(src)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("decode: %v", diags)
	}
	return p
}

func testdataNetworks(t *testing.T) []Network {
	t.Helper()
	b, err := os.ReadFile("testdata/networks.hcl")
	if err != nil {
		t.Fatal(err)
	}
	nets, err := Desired(loadPlan(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

// TestDesired: the decoder's libvirt_network blocks (for_each, portgroups, bandwidth)
// become the networks hostnet registers, named and addressed as in the plan.
func TestDesired(t *testing.T) {
	nets := testdataNetworks(t)
	var names []string
	for _, n := range nets {
		names = append(names, n.Name+"@"+n.Bridge+"="+n.Address)
	}
	want := []string{
		"hostnet-lan@br0=libvirt_network.lan",
		`tenant100@br100=libvirt_network.tenant["100"]`,
		`tenant101@br101=libvirt_network.tenant["101"]`,
		`tenant102@br102=libvirt_network.tenant["102"]`,
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("networks:\n got %q\nwant %q", names, want)
	}
	lan := nets[0]
	if !lan.Autostart || nets[1].Autostart {
		t.Errorf("autostart: lan %v (want true, the default), tenant %v (want false)", lan.Autostart, nets[1].Autostart)
	}
	wantPG := []PortGroup{
		{Name: "standard", Default: true, Bandwidth: &Bandwidth{Inbound: &Rate{Average: 12500, Peak: 25000, Burst: 1024}}},
		{Name: "bulk", Bandwidth: &Bandwidth{Inbound: &Rate{Average: 1250}, Outbound: &Rate{Average: 1250}}},
		{Name: "unlimited"},
	}
	if !reflect.DeepEqual(lan.PortGroups, wantPG) {
		t.Errorf("portgroups: got %+v", lan.PortGroups)
	}
	if lan.Bandwidth.String() != "inbound average=125000, outbound average=125000" || lan.MTU != 1500 {
		t.Errorf("bandwidth %q mtu %d", lan.Bandwidth.String(), lan.MTU)
	}
}

// TestDesiredErrors: what libvirt would refuse at define time fails before any change.
func TestDesiredErrors(t *testing.T) {
	base := `
bridge "br0" {}
`
	for _, tc := range []struct{ name, src, want string }{
		{"two defaults", `libvirt_network "n" {
  bridge = bridge.br0
  portgroup {
    name = "a"
    default = true
  }
  portgroup {
    name = "b"
    default = true
  }
}`, "2 portgroups have default = true"},
		{"duplicate portgroup", `libvirt_network "n" {
  bridge = bridge.br0
  portgroup { name = "a" }
  portgroup { name = "a" }
}`, `portgroup "a" declared twice`},
		{"bad name", `libvirt_network "n" {
  name = "a/b"
  bridge = bridge.br0
}`, `network name "a/b"`},
		{"same name twice", `libvirt_network "n" {
  name = "x"
  bridge = bridge.br0
}
libvirt_network "m" {
  name = "x"
  bridge = bridge.br0
}`, `network name "x" is also used by libvirt_network.n`},
		{"peak below average", `libvirt_network "n" {
  bridge = bridge.br0
  inbound_average = 100
  inbound_peak = 50
}`, "inbound peak 50 KiB/s is below the average 100 KiB/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Desired(loadPlan(t, base+tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// libvirt needs an average with peak/burst: the decoder says so, with the line.
	_, diags := plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(base + `libvirt_network "n" {
  bridge = bridge.br0
  outbound_burst = 10
}`)}}, nil, nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "outbound_average") {
		t.Fatalf("want a diagnostic about outbound_average, got %v", diags)
	}
}

// TestXML: the generated XML has forward mode bridge, the bridge, the mark, QoS and
// portgroups, and parses back to the same network (what Diff relies on).
func TestXML(t *testing.T) {
	for _, n := range testdataNetworks(t) {
		doc, err := n.XML("")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`<forward mode="bridge"></forward>`,
			`<bridge name="` + n.Bridge + `"></bridge>`,
			`<hostnet:owner xmlns:hostnet="https://hostnet.invalid/ns/1" plan-address="` + strings.ReplaceAll(n.Address, `"`, "&#34;") + `"></hostnet:owner>`,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: XML lacks %s:\n%s", n.Name, want, doc)
			}
		}
		p, err := parseXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Owned {
			t.Errorf("%s: mark not found in own XML", n.Name)
		}
		if !reflect.DeepEqual(p.Network, withoutAutostart(n)) {
			t.Errorf("%s: round trip:\n got %+v\nwant %+v", n.Name, p.Network, withoutAutostart(n))
		}
	}
	// UUID is carried when redefining.
	n := testdataNetworks(t)[0]
	doc, _ := n.XML("3e3fce45-4f53-4fa7-bb32-11f34168b82b")
	if !strings.Contains(doc, "<uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>") {
		t.Errorf("uuid missing:\n%s", doc)
	}
}

func withoutAutostart(n Network) Network { n.Autostart = false; return n }

// TestOwnerMark: the mark is found whatever prefix libvirt or a person wrote, and a
// similar element in another namespace is not a mark.
func TestOwnerMark(t *testing.T) {
	for _, tc := range []struct {
		meta  string
		owned bool
		addr  string
	}{
		{`<hostnet:owner xmlns:hostnet="https://hostnet.invalid/ns/1" plan-address="libvirt_network.x"/>`, true, "libvirt_network.x"},
		{`<other:foo xmlns:other="http://example.invalid/"/><h:owner xmlns:h="https://hostnet.invalid/ns/1" plan-address="a"/>`, true, "a"},
		{`<hostnet:owner xmlns:hostnet="https://hostnet.invalid/ns/2" plan-address="a"/>`, false, ""},
		{`<owner plan-address="a"/>`, false, ""},
		{``, false, ""},
	} {
		addr, ok := owner(tc.meta)
		if ok != tc.owned || addr != tc.addr {
			t.Errorf("owner(%s) = %q, %v; want %q, %v", tc.meta, addr, ok, tc.addr, tc.owned)
		}
	}
}

// TestXMLValidates runs libvirt's own schema check (virt-xml-validate FILE network) on
// every generated XML, and on a portgroup-free minimal one.
func TestXMLValidates(t *testing.T) {
	if _, err := exec.LookPath("virt-xml-validate"); err != nil {
		t.Fatal("virt-xml-validate missing (package libvirt-clients; scripts/setup installs it)")
	}
	nets := append(testdataNetworks(t), Network{Name: "min", Address: "libvirt_network.min", Forward: "bridge", Bridge: "br9"})
	dir := t.TempDir()
	for _, n := range nets {
		doc, err := n.XML("3e3fce45-4f53-4fa7-bb32-11f34168b82b")
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, n.Name+".xml")
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("virt-xml-validate", f, "network").CombinedOutput()
		if err != nil {
			t.Errorf("%s: virt-xml-validate: %v\n%s\n%s", n.Name, err, out, doc)
		}
	}
	// The check is real: a network with a bad forward mode is refused.
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(`<network><name>x</name><forward mode="bogus"/></network>`), 0o644)
	if err := exec.Command("virt-xml-validate", bad, "network").Run(); err == nil {
		t.Error("virt-xml-validate accepted forward mode bogus: the schema check proves nothing")
	}
}

func live(n Network, active, autostart bool) Live {
	n.Autostart = autostart
	return Live{Network: n, UUID: "u-" + n.Name, Owned: true, Active: active, Persistent: true}
}

// TestDiff: table of live states against one planned network.
func TestDiff(t *testing.T) {
	want := Network{Name: "n1", Address: "libvirt_network.n1", Forward: "bridge", Bridge: "br1", Autostart: true,
		PortGroups: []PortGroup{{Name: "a", Default: true}, {Name: "b", Bandwidth: &Bandwidth{Inbound: &Rate{Average: 10}}}}}
	mod := func(f func(n *Network)) Network {
		n := want
		n.PortGroups = append([]PortGroup(nil), want.PortGroups...)
		f(&n)
		return n
	}
	type exp struct {
		action  Action // "" = no change
		restart bool
		attrs   []string // names of changed attributes
		ops     []string // portgroup updates, "cmd name"
		define  bool
		start   bool
	}
	for _, tc := range []struct {
		name string
		live []Live
		want exp
	}{
		{"absent: create", nil, exp{action: Create, attrs: []string{"forward", "bridge", "autostart", "portgroup.a", "portgroup.b"}, define: true, start: true}},
		{"equal: nothing", []Live{live(want, true, true)}, exp{}},
		{"stopped: start", []Live{live(want, false, true)}, exp{action: Update, attrs: []string{"active"}, start: true}},
		{"autostart off: set it", []Live{live(want, true, false)}, exp{action: Update, attrs: []string{"autostart"}}},
		{"bridge changed, running: restart", []Live{live(mod(func(n *Network) { n.Bridge = "br2" }), true, true)},
			exp{action: Replace, restart: true, attrs: []string{"bridge"}, define: true}},
		{"bridge changed, stopped: redefine and start", []Live{live(mod(func(n *Network) { n.Bridge = "br2" }), false, true)},
			exp{action: Update, attrs: []string{"bridge", "active"}, define: true, start: true}},
		{"mtu changed, running: restart", []Live{live(mod(func(n *Network) { n.MTU = 9000 }), true, true)},
			exp{action: Replace, restart: true, attrs: []string{"mtu"}, define: true}},
		{"bandwidth added, running: restart", []Live{live(mod(func(n *Network) { n.Bandwidth = nil }), true, true)}, exp{}},
		{"portgroup added, running: in place", []Live{live(mod(func(n *Network) { n.PortGroups = n.PortGroups[:1] }), true, true)},
			exp{action: Update, attrs: []string{"portgroup.b"}, ops: []string{"add b"}}},
		{"portgroup removed and modified, running: in place", []Live{live(mod(func(n *Network) {
			n.PortGroups = []PortGroup{{Name: "a", Default: true}, {Name: "b"}, {Name: "c"}}
		}), true, true)}, exp{action: Update, attrs: []string{"portgroup.c", "portgroup.b"}, ops: []string{"delete c", "modify b"}}},
		{"default moves: the old default is modified first", []Live{live(mod(func(n *Network) {
			n.PortGroups = []PortGroup{{Name: "a"}, {Name: "b", Default: true, Bandwidth: &Bandwidth{Inbound: &Rate{Average: 10}}}}
		}), true, true)}, exp{action: Update, attrs: []string{"portgroup.a", "portgroup.b"}, ops: []string{"modify b", "modify a"}}},
		{"portgroup changed, stopped: redefine", []Live{live(mod(func(n *Network) { n.PortGroups = nil }), false, true)},
			exp{action: Update, attrs: []string{"portgroup.a", "portgroup.b", "active"}, define: true, start: true}},
		{"mark address changed: config only", []Live{live(mod(func(n *Network) { n.Address = "libvirt_network.old" }), true, true)},
			exp{action: Update, attrs: []string{"address"}, define: true}},
		{"transient: make persistent", []Live{func() Live { l := live(want, true, true); l.Persistent = false; return l }()},
			exp{action: Update, attrs: []string{"persistent"}, define: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "bandwidth added, running: restart" {
				w := want
				w.Bandwidth = &Bandwidth{Outbound: &Rate{Average: 1000, Burst: 64}}
				ch, err := Diff([]Network{w}, &State{Networks: tc.live})
				if err != nil {
					t.Fatal(err)
				}
				if len(ch.Changes) != 1 || ch.Changes[0].Action != Replace || ch.Changes[0].Attrs[0].New != "outbound average=1000 burst=64" {
					t.Fatalf("got %s", ch.Summary())
				}
				return
			}
			ch, err := Diff([]Network{want}, &State{Networks: tc.live})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.action == "" {
				if !ch.Empty() {
					t.Fatalf("want no change, got\n%s", ch.Summary())
				}
				return
			}
			if len(ch.Changes) != 1 {
				t.Fatalf("want 1 change, got\n%s", ch.Summary())
			}
			c := ch.Changes[0]
			var attrs, ops []string
			for _, a := range c.Attrs {
				attrs = append(attrs, a.Name)
			}
			for _, o := range c.pgOps {
				ops = append(ops, o.cmd+" "+o.pg.Name)
			}
			got := exp{action: c.Action, restart: c.RestartNeeded, attrs: attrs, ops: ops, define: c.define, start: c.start}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v\n%s", got, tc.want, ch.Summary())
			}
		})
	}
}

// TestDiffOwnership: a foreign network is never planned for change; one with a planned
// name is an error naming it; owned networks no longer planned are deleted; destroy
// deletes only owned networks the plan names.
func TestDiffOwnership(t *testing.T) {
	planned := []Network{{Name: "mine", Address: "libvirt_network.mine", Forward: "bridge", Bridge: "br1", Autostart: true}}
	foreign := Live{Network: Network{Name: "default", Forward: "nat", Bridge: "virbr0"}, Active: true, Persistent: true}
	gone := live(Network{Name: "old", Address: "libvirt_network.old", Forward: "bridge", Bridge: "br9"}, true, true)
	st := &State{Networks: []Live{foreign, gone, live(planned[0], true, true)}}
	ch, err := Diff(planned, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Delete || ch.Changes[0].Name != "old" {
		t.Fatalf("want only a delete of old, got\n%s", ch.Summary())
	}
	if !reflect.DeepEqual(ch.Foreign, []string{"default"}) {
		t.Errorf("foreign %v", ch.Foreign)
	}
	d := DestroyChanges(append(planned, Network{Name: "default"}), st)
	if len(d.Changes) != 1 || d.Changes[0].Name != "mine" || d.Changes[0].Action != Delete {
		t.Fatalf("destroy: want only mine deleted, got\n%s", d.Summary())
	}
	_, err = Diff([]Network{{Name: "default", Address: "libvirt_network.default", Forward: "bridge", Bridge: "br0"}}, st)
	var fe *ForeignError
	if err == nil || !strings.Contains(err.Error(), `libvirt network "default" exists and was not created by hostnet`) || !errorsAs(err, &fe) {
		t.Fatalf("want a foreign-network error, got %v", err)
	}
}

// TestChangesJSON: the plan serializes with actions, attributes and restart flags.
func TestChangesJSON(t *testing.T) {
	ch := &Changes{Changes: []Change{{Action: Replace, Name: "n", Bridge: "br2", RestartNeeded: true, Guests: []string{"vm1"},
		Attrs: []AttrChange{{Name: "bridge", Old: "br1", New: "br2", Restart: true}}}}}
	b, err := json.Marshal(ch)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"changes":[{"action":"replace","name":"n","bridge":"br2","attributes":[{"name":"bridge","old":"br1","new":"br2","restart":true}],"restart_needed":true,"guests":["vm1"]}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

// TestApplyRefusesMissingBridge: no libvirt call at all when a bridge is missing.
func TestApplyRefusesMissingBridge(t *testing.T) {
	ch, err := Diff(testdataNetworks(t), &State{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{URI: "test:///nowhere"} // no connection: any libvirt call would panic
	err = Apply(c, ch, BridgeSet("br0", "br100"))
	if err == nil || !strings.Contains(err.Error(), "bridge br101 (for tenant101)") || !strings.Contains(err.Error(), "bridge br102 (for tenant102)") {
		t.Fatalf("want refusal naming br101 and br102, got %v", err)
	}
	if calls := c.Calls(); calls.Reads+calls.Writes != 0 {
		t.Fatalf("libvirt calls made: %+v", calls)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// The XML hostnet writes for names the validator accepts reads back to the same names and
// portgroups (the daemon side is TestNamesRoundTripLibvirtd, in the lab).
func TestNamesRoundTripXML(t *testing.T) {
	for _, name := range []string{"a", "Hn_rt.v2-9", "gold-2.tier_A", "x" + strings.Repeat("._-Z9", 12)} {
		n := Network{Name: name, Bridge: "br0", Address: `libvirt_network.n["` + name + `"]`,
			PortGroups: []PortGroup{{Name: name, Default: true}, {Name: "p-" + name}}}
		doc, err := n.XML("")
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		if back.Name != name || len(back.PortGroups) != 2 || back.PortGroups[0].Name != name || back.PortGroups[1].Name != "p-"+name || back.Address != n.Address {
			t.Errorf("%q read back as %+v\n%s", name, back, doc)
		}
	}
}
