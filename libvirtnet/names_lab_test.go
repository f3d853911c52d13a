//go:build lab

package libvirtnet

import (
	"slices"
	"testing"

	"github.com/hostnet/hostnet/hostnet/validate"
)

// Every character the validator accepts in a network or portgroup name survives a trip
// through a real libvirtd: defined, read back with the same names and the same portgroups
// (no extra element), re-applied with no write (audit finding 5).
func TestNamesRoundTripLibvirtd(t *testing.T) {
	c := connect(t)
	addBridges(t, "hnbr-rt")
	t.Cleanup(func() { destroyAll(t, c) })
	p := loadPlan(t, `
bridge "rt" { name = "hnbr-rt" }
libvirt_network "rt" {
  name   = "Hn_rt.v2-9"
  bridge = bridge.rt
  portgroup {
    name    = "gold-2.tier_A"
    default = true
  }
  portgroup { name = "z9._-Q" }
}
`)
	if diags := validate.Plan(p); len(diags) > 0 {
		t.Fatalf("the validator refuses the names: %v", diags)
	}
	nets, err := Desired(p)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, c, nets)
	got := mustRead(t, c).Find("Hn_rt.v2-9")
	if got == nil {
		t.Fatal("network not read back under its name")
	}
	var names []string
	for _, pg := range got.PortGroups {
		names = append(names, pg.Name)
	}
	slices.Sort(names)
	if want := []string{"gold-2.tier_A", "z9._-Q"}; !slices.Equal(names, want) {
		t.Fatalf("portgroups read back %q, want %q\n%s", names, want, got.XML)
	}
	reapplyWritesNothing(t, c, nets)
}
