package plan

import (
	"strings"
	"testing"
)

// vids, pvid and untagged of a bridge and its port blocks: every spelling, and the
// bad values with their file:line.
func TestBridgeVLANs(t *testing.T) {
	src := func(port, self string) string {
		return twoNICs + `
bridge "vmbr0" {
  ports          = [nic.a]
  vlan_filtering = true
  ` + self + `
  port {
    link = nic.a
    ` + port + `
  }
}
`
	}
	ok := []struct {
		port, self       string
		vids, untag      string
		pvid             int
		selfVIDs         string
		selfPVID         int
		portNil, selfNil bool
	}{
		{port: `vids = ["2-4094"]`, vids: "2-4094", pvid: 1, selfNil: true},
		{port: `vids = concat(range(10, 13), ["100-102", "7"], [4094])`, vids: "7,10-12,100-102,4094", pvid: 1, selfNil: true},
		{port: `vids = 42`, vids: "42", pvid: 1, selfNil: true},
		{port: `vids = "10,20-21"`, vids: "10,20-21", pvid: 1, selfNil: true},
		{port: `pvid = 10`, vids: "", pvid: 10, selfNil: true},
		{port: `vids = [5]
    pvid = 0
    untagged = [5]`, vids: "5", untag: "5", pvid: 0, selfNil: true},
		{port: `learning = true`, portNil: true, self: `vids = [50]`, selfVIDs: "50", selfPVID: 1},
	}
	for _, tc := range ok {
		p := mustDecode(t, src(tc.port, tc.self))
		b := p.Bridges[0]
		pv := b.PortVLANs(p.NICs[0])
		if (pv == nil) != tc.portNil {
			t.Fatalf("%s: port VLANs %v, want nil %v", tc.port, pv, tc.portNil)
		}
		if pv != nil && (pv.VIDs.String() != tc.vids || pv.PVID != tc.pvid || pv.Untagged.String() != tc.untag) {
			t.Errorf("%s: vids %q pvid %d untagged %q, want %q %d %q", tc.port, pv.VIDs.String(), pv.PVID, pv.Untagged.String(), tc.vids, tc.pvid, tc.untag)
		}
		if (b.VLANs == nil) != tc.selfNil {
			t.Fatalf("%s: self VLANs %v, want nil %v", tc.self, b.VLANs, tc.selfNil)
		}
		if b.VLANs != nil && (b.VLANs.VIDs.String() != tc.selfVIDs || b.VLANs.PVID != tc.selfPVID) {
			t.Errorf("%s: self %q pvid %d", tc.self, b.VLANs.VIDs.String(), b.VLANs.PVID)
		}
	}
	bad := []struct{ port, msg string }{
		{`vids = [0]`, "outside 1-4094"},
		{`vids = ["1-4095"]`, "outside 1-4094"},
		{`vids = ["20-10"]`, "runs backwards"},
		{`vids = ["ten"]`, "not a VLAN id"},
		{`vids = [true]`, "list of VLAN ids"},
		{`pvid = 4095`, "from 0 to 4094"},
		{`untagged = [-1]`, "not a VLAN id"},
	}
	for _, tc := range bad {
		_, diags := decode(t, src(tc.port, ""))
		expectError(t, diags, 11, tc.msg)
	}
}

// A VLAN interface on a VLAN-filtering bridge puts the bridge itself in its VLAN.
func TestSelfVLANsFromVLANInterfaces(t *testing.T) {
	p := mustDecode(t, twoNICs+`
bridge "vmbr0" {
  ports          = [nic.a]
  vlan_filtering = true
  vids           = [7]
  port {
    link = nic.a
    vids = ["2-4094"]
  }
}
vlan "mgmt" {
  for_each = toset([50, 60])
  link     = bridge.vmbr0
  id       = each.value
}
`)
	s := p.SelfVLANs(p.Bridges[0])
	if s == nil || s.VIDs.String() != "7,50,60" || s.PVID != 1 {
		t.Fatalf("self VLANs = %+v", s)
	}
	m := s.Members()
	if got := m.String(); !strings.HasPrefix(got, "1,7,50") {
		t.Fatalf("members = %q", got)
	}
}
