//go:build lab

package engine

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/plan"
)

func decodeLab(t *testing.T, src string) *plan.Plan {
	t.Helper()
	p, diags := plan.Decode([]plan.Input{{Name: "vlan.hcl", Bytes: []byte(src)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// The kernel behind rule vlan-filtering-without-vids: on a VLAN-filtering bridge whose
// uplink is only in VLAN 1, the switch's tagged frames are dropped at the port, so the host's
// own vmbr0.50 cannot reach a host in VLAN 50. Adding VLAN 50 to the uplink port (one
// request: only that VID changes) makes it work.
func TestLabVLANFilteringDropsTagged(t *testing.T) {
	tp := labNICs(t)
	r50, err := tp.AddRemoteVLAN("r50", "198.51.100.1/24", 50)
	if err != nil {
		t.Fatal(err)
	}
	base := `
nic "a" { mac = "d0:bf:9c:45:0c:20" }
bridge "vmbr0" {
  ports          = [nic.a]
  vlan_filtering = true
  %s
}
vlan "mgmt" {
  link      = bridge.vmbr0
  id        = 50
  addresses = ["198.51.100.10/24"]
}
`
	// The plan validation refuses (no port block with vids): applied anyway, to show why.
	without := decodeLab(t, fmt.Sprintf(base, ""))
	apply(t, without)
	if got := readFor(t, without).Link(tp.NIC("uplink0")).BridgeVLANs.String(); got != "1 pvid untagged" {
		t.Fatalf("uplink VLANs: %q", got)
	}
	if s, r, _ := r50.Ping("198.51.100.10", 20, 20*time.Millisecond); r != 0 {
		t.Fatalf("VLAN 50 reached the host through an uplink only in VLAN 1: %d/%d", r, s)
	}
	with := decodeLab(t, fmt.Sprintf(base, `port {
    link = nic.a
    vids = [50]
  }`))
	ch, rep := apply(t, with)
	var descs []string
	for _, s := range ch.Steps() {
		descs = append(descs, s.Desc)
	}
	if !slices.Equal(descs, []string{"bridge vlan add dev " + tp.NIC("uplink0") + " vid 50 master"}) {
		t.Fatalf("steps: %q", descs)
	}
	t.Logf("adding VLAN 50 to the uplink: %d request(s) and the read-back", rep.Steps)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, r, _ := r50.Ping("198.51.100.10", 3, 20*time.Millisecond); r > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("VLAN 50 does not reach vmbr0.50 with VID 50 on the uplink")
		}
	}
	requireNoChanges(t, with)
}
