package planview

import (
	"encoding/json"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// A fixed ownership-mark key keeps the marks in the golden files stable.
func init() { live.SetMarkKey([]byte("planview golden files")) }

func mac(s string) net.HardwareAddr {
	m, _ := net.ParseMAC(s)
	return m
}

// scenario: a live 802.3ad-less host with bond0 (active-backup) under br0 and VLAN 100 with
// br100, plus a stale marked bridge; the plan switches bond0 to 802.3ad, raises miimon,
// moves the gateway, adds VLAN 200 with br200 and drops the stale bridge.
func scenario(t *testing.T) *engine.Changes {
	up := uint32(unix.IFF_UP)
	m0, m1 := mac("d0:bf:9c:45:0c:20"), mac("d0:bf:9c:45:0c:21")
	var ab bonding.Options
	ab.Set(bonding.OptMode, bonding.Value{Num: uint64(bonding.ActiveBackup)})
	ab.Set(bonding.OptMiimon, bonding.Value{Num: 100})
	var rep [bonding.NumOptions]bool
	for i := range rep {
		rep[i] = true
	}
	rep[bonding.OptActiveSlave], rep[bonding.OptPrimary] = false, false
	links := []*live.Link{
		{Index: 2, Name: "eth0", Kind: "veth", MAC: m0, MTU: 1500, Flags: up, MasterIndex: 10, BondSlave: &live.BondSlave{PermMAC: m0}},
		{Index: 3, Name: "eth1", Kind: "veth", MAC: m0, MTU: 1500, Flags: up, MasterIndex: 10, BondSlave: &live.BondSlave{PermMAC: m1}},
		{Index: 10, Name: "bond0", Kind: "bond", MAC: m0, MTU: 1500, Flags: up, MasterIndex: 11, Alias: live.MarkFor("bond.bond0"),
			Bond: &live.Bond{Options: ab, Reported: rep}},
		{Index: 11, Name: "br0", Kind: "bridge", MAC: m0, MTU: 1500, Flags: up, Alias: live.MarkFor("bridge.br0"), Bridge: &live.Bridge{},
			Addrs: []live.Addr{{Prefix: netip.MustParsePrefix("198.51.100.10/24")}}},
		{Index: 12, Name: "bond0.100", Kind: "vlan", MAC: m0, MTU: 1500, Flags: up, MasterIndex: 13, ParentIndex: 10,
			Alias: live.MarkFor(`vlan.tenant["100"]`), VLAN: &live.VLAN{ID: 100, Protocol: 0x8100}},
		{Index: 13, Name: "br100", Kind: "bridge", MAC: m0, MTU: 1500, Flags: up, Alias: live.MarkFor(`bridge.tenant["100"]`), Bridge: &live.Bridge{}},
		{Index: 14, Name: "brold", Kind: "bridge", MTU: 1500, Flags: up, Alias: live.MarkFor(`bridge.old`), Bridge: &live.Bridge{}},
	}
	routes := []live.Route{{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("0.0.0.0/0"),
		Gateway: netip.MustParseAddr("198.51.100.1"), OIF: 11, Protocol: live.RouteProtocol, Type: unix.RTN_UNICAST}}
	s := live.NewState(links, routes)

	n0 := &plan.NIC{Iface: plan.Iface{Source: plan.Source{Addr: "nic.uplink0"}, Kind: plan.KindNIC, Name: "uplink0", MAC: m0}}
	n1 := &plan.NIC{Iface: plan.Iface{Source: plan.Source{Addr: "nic.uplink1"}, Kind: plan.KindNIC, Name: "uplink1", MAC: m1}}
	b := &plan.Bond{Iface: plan.Iface{Source: plan.Source{Addr: "bond.bond0"}, Kind: plan.KindBond, Name: "bond0"},
		Slaves: []plan.Slave{{NIC: n0}, {NIC: n1}}}
	b.Options.Set(bonding.OptMode, bonding.Value{Num: uint64(bonding.LACP)})
	b.Options.Set(bonding.OptMiimon, bonding.Value{Num: 200})
	b.Options.Set(bonding.OptLACPRate, bonding.Value{Num: 1})
	br := &plan.Bridge{Iface: plan.Iface{Source: plan.Source{Addr: "bridge.br0"}, Kind: plan.KindBridge, Name: "br0",
		Addresses: []netip.Prefix{netip.MustParsePrefix("198.51.100.10/24")}, Gateway: netip.MustParseAddr("198.51.100.254")},
		Ports: []plan.Interface{b}}
	p := &plan.Plan{NICs: []*plan.NIC{n0, n1}, Bonds: []*plan.Bond{b}, Bridges: []*plan.Bridge{br}}
	for _, id := range []int{100, 200} {
		v := &plan.VLAN{Iface: plan.Iface{Kind: plan.KindVLAN, Name: "bond0." + itoa(id)}, Link: b, ID: id}
		v.Addr = `vlan.tenant["` + itoa(id) + `"]`
		vb := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: "br" + itoa(id)}, Ports: []plan.Interface{v}}
		vb.Addr = `bridge.tenant["` + itoa(id) + `"]`
		p.VLANs = append(p.VLANs, v)
		p.Bridges = append(p.Bridges, vb)
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	golden(t, "changes.golden", Text(scenario(t)))
}

func TestJSONGolden(t *testing.T) {
	b, err := json.MarshalIndent(scenario(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "changes.json.golden", string(b)+"\n")
}

func TestNoChanges(t *testing.T) {
	ch, err := engine.Diff(&plan.Plan{}, live.NewState(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := Text(ch); got != "No changes. The live network matches the plan.\n" {
		t.Errorf("got %q", got)
	}
}

// bridgeScenario: a live br0 over bond0 (learning on, arp_notify off, a static entry for
// 52:54:00:aa:00:03); the plan pins the bridge MAC, turns arp_notify on and learning off on
// bond0, and lists one sticky entry in VLAN 100 (vlan_filtering on).
func bridgeScenario(t *testing.T) *engine.Changes {
	up := uint32(unix.IFF_UP)
	m0 := mac("d0:bf:9c:45:0c:20")
	on, off := true, false
	links := []*live.Link{
		{Index: 2, Name: "eth0", Kind: "veth", MAC: m0, MTU: 1500, Flags: up, MasterIndex: 11, SlaveKind: "bridge",
			BridgePort: &live.BridgePort{Learning: true, UnicastFlood: true, MulticastFlood: true, BroadcastFlood: true}},
		{Index: 11, Name: "br0", Kind: "bridge", MAC: m0, MTU: 1500, Flags: up, Alias: live.MarkFor("bridge.br0"),
			Bridge: &live.Bridge{VLANFiltering: true}, ARPNotify: &off},
	}
	s := live.NewState(links, nil)
	s.FDB = []live.FDBEntry{{MAC: mac("52:54:00:aa:00:03"), VLAN: 100, Port: 2, Bridge: 11, State: unix.NUD_NOARP, Flags: unix.NTF_MASTER}}
	n0 := &plan.NIC{Iface: plan.Iface{Source: plan.Source{Addr: "nic.uplink0"}, Kind: plan.KindNIC, Name: "uplink0", MAC: m0}}
	br := &plan.Bridge{Iface: plan.Iface{Source: plan.Source{Addr: "bridge.br0"}, Kind: plan.KindBridge, Name: "br0",
		MAC: mac("52:54:00:00:10:00")}, Ports: []plan.Interface{n0}, VLANFiltering: &on, ARPNotify: &on}
	br.PortFlags = []*plan.PortFlags{{Link: n0, Learning: &off}}
	br.FDB = []*plan.FDBEntry{{MAC: mac("52:54:00:aa:00:01"), Port: n0, VLAN: 100, Sticky: true}}
	p := &plan.Plan{NICs: []*plan.NIC{n0}, Bridges: []*plan.Bridge{br}}
	s.Included = engine.ReadOptions(p)
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestBridgeSettingsGolden(t *testing.T) {
	golden(t, "bridge.golden", Text(bridgeScenario(t)))
}

// TestAdoptText: an adoption shows as "= adopt" with the owner it gets, and is counted.
func TestAdoptText(t *testing.T) {
	ch := &engine.Changes{
		Objects: []engine.Change{{Address: "bond.bond0", Kind: "bond", Name: "bond0", Action: engine.Adopt,
			Attrs:  []engine.AttrChange{{Name: "owner", Old: "(not managed by hostnet)", New: "hostnet:bond.bond0"}},
			Reason: "exists, not created by hostnet, and matches the plan: only the ownership mark is written"}},
		Summary: engine.Summary{Adopt: 1}, Changed: true, NumSteps: 1,
	}
	got := Text(ch)
	for _, want := range []string{"  = adopt bond.bond0\n", "owner  (not managed by hostnet) → hostnet:bond.bond0",
		"Plan: 1 to adopt, 0 to create, 0 to update in place, 0 to replace, 0 to delete (1 kernel operations)."} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
}
