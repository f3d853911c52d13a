package planview

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// The 500-VLAN example against a host that has only its two NICs: the compact view fits a
// screen; the full view lists every object.
func TestCompact500VLANs(t *testing.T) {
	p, diags := plan.Load("../../examples/kvm-lacp-500-vlans", plan.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	up := uint32(unix.IFF_UP)
	s := live.NewState([]*live.Link{
		{Index: 2, Name: "uplink0", Kind: "veth", MAC: mac("52:54:00:00:06:01"), MTU: 1500, Flags: up},
		{Index: 3, Name: "uplink1", Kind: "veth", MAC: mac("52:54:00:00:06:02"), MTU: 1500, Flags: up},
	}, nil)
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	compact := TextWith(ch, Options{})
	golden(t, "compact-500-vlans.golden", compact)
	for _, want := range []string{
		"+ create 500 vlan.tenant[100..599] (bond0.100 … bond0.599)",
		"+ create 500 bridge.tenant[100..599] (br100 … br599)",
		"id      + 100 … 599",
		"Plan: 1002 to create",
	} {
		if !strings.Contains(compact, want) {
			t.Errorf("compact view lacks %q", want)
		}
	}
	if n := strings.Count(compact, "\n"); n > 60 {
		t.Errorf("compact view has %d lines", n)
	}
	full := TextWith(ch, Options{Verbose: true})
	if n := strings.Count(full, `+ create vlan.tenant["`); n != 500 {
		t.Errorf("full view: %d VLAN entries, want 500", n)
	}
}

// Objects that are alone in their group look the same in both views.
func TestCompactSinglesAsFull(t *testing.T) {
	ch := scenario(t)
	if c, f := TextWith(ch, Options{}), Text(ch); c != f {
		t.Errorf("compact:\n%s\nfull:\n%s", c, f)
	}
}

func TestKeyRanges(t *testing.T) {
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"100", "101", "102"}, "100..102"},
		{[]string{"5", "1", "2", "3", "9"}, "1..3, 5, 9"},
		{[]string{"a", "b"}, `"a", "b"`},
		{[]string{"1", "3", "5", "7", "9", "11", "13", "15"}, "1, 3, 5, 7, 9, 11, … 2 more"},
	} {
		if got := keyRanges(c.keys); got != c.want {
			t.Errorf("keyRanges(%v) = %q, want %q", c.keys, got, c.want)
		}
	}
}

// Instances that change differently are separate groups: an update is not merged with a
// create of the same block.
func TestGroupsSplitByChange(t *testing.T) {
	objs := []engine.Change{
		{Address: `vlan.v["1"]`, Kind: "vlan", Name: "b.1", Action: engine.Create, Attrs: []engine.AttrChange{{Name: "id", New: "1"}}},
		{Address: `vlan.v["2"]`, Kind: "vlan", Name: "b.2", Action: engine.Create, Attrs: []engine.AttrChange{{Name: "id", New: "2"}}},
		{Address: `vlan.v["3"]`, Kind: "vlan", Name: "b.3", Action: engine.Update, Attrs: []engine.AttrChange{{Name: "mtu", Old: "1500", New: "9000"}}},
	}
	var b strings.Builder
	writeGroups(&b, groupKernel(objs), Options{})
	got := b.String()
	for _, want := range []string{"+ create 2 vlan.v[1..2] (b.1 … b.2)", `~ update in place vlan.v["3"] (b.3)`, "mtu  1500 → 9000"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
}
