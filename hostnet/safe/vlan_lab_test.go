//go:build lab

package safe

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// vlanAwarePlan is a VLAN-aware bridge over a bond with the given uplink VLANs, pvid and
// host VLAN interfaces.
func vlanAwarePlan(t *testing.T, vids string, pvid string, hostVLANs string) *plan.Plan {
	t.Helper()
	src := `
nic "uplink0" { mac = "52:54:00:5a:fe:01" }
nic "uplink1" { mac = "52:54:00:5a:fe:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
  port {
    link = bond.bond0
    vids = ` + vids + `
    pvid = ` + pvid + `
  }
}
vlan "host" {
  for_each = toset(` + hostVLANs + `)
  link     = bridge.vmbr0
  id       = each.value
}
`
	p, diags := plan.Decode([]plan.Input{{Name: "vlan.hcl", Bytes: []byte(src)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// A failed apply of a VLAN-aware bridge is undone to the VLAN: for every k, the k-th
// kernel operation of an apply that changes the uplink's VLANs (some removed, some added,
// the pvid moved) and the bridge's own VLANs (a host VLAN interface added, one removed)
// fails, and the restore puts back exactly the memberships the snapshot recorded.
func TestLabVLANAwareFaultInjection(t *testing.T) {
	labHost(t)
	before := vlanAwarePlan(t, `["2-100", "200-4094"]`, "1", "[50, 60]")
	after := vlanAwarePlan(t, `["2-59", "70-4000"]`, "10", "[50, 70]")
	mustApply(t, before)
	pre := readFor(t, after).Normalized()
	if !slices.ContainsFunc(pre, func(l string) bool { return strings.Contains(l, `vlans="1 pvid untagged, 2-100, 200-4094"`) }) {
		t.Fatalf("bond0's VLANs are not as planned:\n%s", strings.Join(pre, "\n"))
	}
	ch, err := engine.Diff(after, readFor(t, after))
	if err != nil {
		t.Fatal(err)
	}
	n := len(ch.Steps())
	for _, s := range ch.Steps() {
		t.Log(s)
	}
	dir := t.TempDir()
	for k := 1; k <= n; k++ {
		s := readFor(t, after)
		ch, err := engine.Diff(after, s)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "k.json")
		if err := Take(s, after, "apply test").Save(path); err != nil {
			t.Fatal(err)
		}
		snap, err := LoadSnapshot(path)
		if err != nil {
			t.Fatal(err)
		}
		fired := failAt(k)
		_, err = Apply(context.Background(), netns.None(), dir, snap, ch, false, nil)
		engine.FaultHook = nil
		var ae *ApplyError
		var se *engine.StepError
		if !fired.Load() || !errors.As(err, &ae) || !errors.As(err, &se) || se.Index != k-1 {
			t.Fatalf("k=%d: fault not reported as step %d: %v", k, k, err)
		}
		if ae.RestoreErr != nil {
			t.Errorf("k=%d (%s): %v", k, se.Step.Desc, ae.RestoreErr)
		}
		if d := live.DiffNormalized(pre, readFor(t, after).Normalized()); len(d) > 0 {
			t.Fatalf("k=%d (%s): live state differs from the snapshot:\n%s", k, se.Step.Desc, strings.Join(d, "\n"))
		}
		t.Logf("k=%d %-60s restored: %s", k, se.Step.Desc, ae.Restore)
	}
	// Without a fault the apply converges, sending only what changes.
	mustApply(t, after)
	got := readFor(t, after)
	for name, want := range map[string]string{
		"bond0": "2-9, 10 pvid untagged, 11-59, 70-4000",
		"vmbr0": "1 pvid untagged, 50, 70",
	} {
		if l := got.Link(name); l == nil || l.BridgeVLANs.String() != want {
			t.Errorf("%s VLANs = %q, want %q", name, l.BridgeVLANs.String(), want)
		}
	}
}
