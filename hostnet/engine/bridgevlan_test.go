package engine

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/vid"
)

func vlanPlan(t *testing.T, port string) *plan.Plan {
	t.Helper()
	p, diags := plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(`
nic "a" { mac = "d0:bf:9c:45:0c:20" }
bridge "vmbr0" {
  ports          = [nic.a]
  vlan_filtering = true
  port {
    link = nic.a
    ` + port + `
  }
}
vlan "mgmt" {
  link = bridge.vmbr0
  id   = 50
}
`)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func vlansOf(t *testing.T, s string) *live.BridgeVLANs {
	t.Helper()
	v := &live.BridgeVLANs{}
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		set, err := vid.Parse(f[0])
		if err != nil {
			t.Fatal(err)
		}
		v.VIDs.Union(&set)
		for _, w := range f[1:] {
			switch w {
			case "pvid":
				v.PVID = set.Ranges()[0].Lo
			case "untagged":
				v.Untagged.Union(&set)
			}
		}
	}
	return v
}

// vlanState is vmbr0 (VLAN filtering, marked) with port eth0 and VLAN vmbr0.50, and the
// memberships given.
func vlanState(t *testing.T, port, self string) *live.State {
	up := uint32(unix.IFF_UP)
	n := &live.Link{Index: 2, Name: "eth0", MAC: mac0, MTU: 1500, Flags: up, MasterIndex: 3, SlaveKind: "bridge",
		BridgeVLANs: vlansOf(t, port)}
	br := &live.Link{Index: 3, Name: "vmbr0", Kind: "bridge", MAC: mac0, MTU: 1500, Flags: up, Alias: Mark("bridge.vmbr0"),
		Bridge: &live.Bridge{VLANFiltering: true, ForwardDelay: 1500, AgeingTime: 30000}, BridgeVLANs: vlansOf(t, self)}
	v := &live.Link{Index: 4, Name: "vmbr0.50", Kind: "vlan", MAC: mac0, MTU: 1500, Flags: up, ParentIndex: 3,
		Alias: Mark("vlan.mgmt"), VLAN: &live.VLAN{ID: 50, Protocol: unix.ETH_P_8021Q}}
	s := live.NewState([]*live.Link{{Index: 1, Name: "lo", MTU: 65536, Flags: up}, n, br, v}, nil)
	s.Included.VLANs = true
	return s
}

// Only the VLANs that change are sent, as ranges, at most one removal and one addition per
// device; the bridge itself joins the VLAN of vmbr0.50.
func TestDiffBridgeVLANs(t *testing.T) {
	for _, tc := range []struct {
		name, port, live, self string
		want                   []string
	}{
		{name: "converged", port: `vids = ["2-4094"]`, live: "1 pvid untagged, 2-4094", self: "1 pvid untagged, 50"},
		{name: "from the kernel default", port: `vids = ["2-4094"]`, live: "1 pvid untagged", self: "1 pvid untagged",
			want: []string{"bridge vlan add dev vmbr0 vid 50 self", "bridge vlan add dev eth0 vid 2-4094 master"}},
		{name: "shrink and grow", port: `vids = ["2-99", "200-4094"]`, live: "1 pvid untagged, 2-199", self: "1 pvid untagged, 50",
			want: []string{"bridge vlan del dev eth0 vid 100-199 master", "bridge vlan add dev eth0 vid 200-4094 master"}},
		{name: "pvid moves", port: `vids = [1, 20]
    pvid = 10`, live: "1 pvid untagged, 20", self: "1 pvid untagged, 50",
			want: []string{"bridge vlan add dev eth0 vid 1, 10 pvid untagged master"}},
		{name: "untagged only", port: `vids = [20]
    untagged = [20]`, live: "1 pvid untagged, 20", self: "1 pvid untagged, 50",
			want: []string{"bridge vlan add dev eth0 vid 20 untagged master"}},
		{name: "no pvid", port: `vids = [20]
    pvid = 0`, live: "1 pvid untagged, 20", self: "1 pvid untagged, 50",
			want: []string{"bridge vlan del dev eth0 vid 1 master"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := Diff(vlanPlan(t, tc.port), vlanState(t, tc.live, tc.self))
			if err != nil {
				t.Fatal(err)
			}
			got := descs(ch)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A diff that needs bridge VLANs refuses a state read without them.
func TestDiffBridgeVLANsNeedsRead(t *testing.T) {
	s := vlanState(t, "1 pvid untagged", "1 pvid untagged")
	s.Included.VLANs = false
	if _, err := Diff(vlanPlan(t, `vids = [2]`), s); err == nil {
		t.Fatal("diff against a state read without VLANs succeeded")
	}
}

// The request: AF_BRIDGE, the port's ifindex, BRIDGE_FLAGS_MASTER, and the groups as
// single entries or RANGE_BEGIN/RANGE_END pairs with their flags.
func TestVLANRequest(t *testing.T) {
	var vids, untagged vid.Set
	vids.AddRange(1, 4094)
	untagged.Add(1)
	o := op{kind: opVLANSet, link: "eth0", vlans: &vlanSpec{Groups: live.Groups(vids, 1, untagged)}}
	r, err := o.request(&resolver{idx: map[string]int{"eth0": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != unix.RTM_SETLINK || r.Body[0] != unix.AF_BRIDGE || native.Uint32(r.Body[4:8]) != 7 {
		t.Fatalf("header: type %d family %d index %d", r.Type, r.Body[0], native.Uint32(r.Body[4:8]))
	}
	type entry struct{ flags, vid uint16 }
	var got []entry
	var flags uint16
	forEach(r.Body[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) {
		if typ != unix.IFLA_AF_SPEC {
			return
		}
		forEach(v, func(typ uint16, v []byte) {
			switch typ {
			case live.IFLABridgeFlags:
				flags = native.Uint16(v)
			case live.IFLABridgeVLANInfo:
				got = append(got, entry{native.Uint16(v[0:2]), native.Uint16(v[2:4])})
			}
		})
	})
	want := []entry{
		{live.VLANInfoPVID | live.VLANInfoUntagged, 1},
		{live.VLANInfoRangeBegin, 2},
		{live.VLANInfoRangeEnd, 4094},
	}
	if flags != live.BridgeFlagsMaster || !slices.Equal(got, want) {
		t.Fatalf("flags %d entries %v, want %d %v", flags, got, live.BridgeFlagsMaster, want)
	}
}

// forEach walks netlink attributes (the test's own reader).
func forEach(b []byte, f func(typ uint16, v []byte)) {
	for len(b) >= 4 {
		l := int(native.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			return
		}
		f(native.Uint16(b[2:4])&^unix.NLA_F_NESTED, b[4:l])
		b = b[min((l+3)&^3, len(b)):]
	}
}

// Moving from per-VLAN bridges to a VLAN-aware bridge: the plan of changes names the
// guest ports the deleted bridges leave unplugged.
func TestDiffConversionNamesUnpluggedGuests(t *testing.T) {
	s := vlanState(t, "1 pvid untagged, 2-4094", "1 pvid untagged, 50")
	up := uint32(unix.IFF_UP)
	links := append(s.Links,
		&live.Link{Index: 5, Name: "br100", Kind: "bridge", MAC: mac1, MTU: 1500, Flags: up, Alias: Mark(`bridge.tenant["100"]`),
			Bridge: &live.Bridge{ForwardDelay: 1500, AgeingTime: 30000}},
		&live.Link{Index: 6, Name: "vnet0", Kind: "tun", MAC: mac9, MTU: 1500, Flags: up, MasterIndex: 5, SlaveKind: "bridge"})
	s2 := live.NewState(links, nil)
	s2.Included.VLANs = true
	ch, err := Diff(vlanPlan(t, `vids = ["2-4094"]`), s2)
	if err != nil {
		t.Fatal(err)
	}
	o := object(t, ch, `bridge.tenant["100"]`)
	if o.Action != Delete || !slices.Equal(o.Unplugged, []string{"vnet0"}) {
		t.Fatalf("br100: %+v", o)
	}
}
