package guestvlan

import (
	"encoding/xml"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
)

func TestFromPlan(t *testing.T) {
	p, diags := plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(`
nic "a" { mac = "52:54:00:00:00:01" }
bridge "vmbr0" {
  ports          = [nic.a]
  vlan_filtering = true
  port {
    link = nic.a
    vids = ["2-4094"]
  }
}
bridge "br1" {}
libvirt_network "vmbr0" {
  bridge = bridge.vmbr0
  portgroup {
    name    = "vlan10"
    vlan    = 10
    default = true
  }
  portgroup {
    name  = "router"
    vlan  = 5
    trunk = ["100-102"]
  }
  portgroup { name = "plain" }
}
libvirt_network "br1" { bridge = bridge.br1 }
`)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	nets := FromPlan(p)
	if len(nets) != 1 {
		t.Fatalf("networks = %+v, want only vmbr0", nets)
	}
	n := nets[0]
	if n.Name != "vmbr0" || n.Bridge != "vmbr0" || len(n.PortGroups) != 2 || n.Default == nil || n.Default.PVID != 10 ||
		len(n.Planned) != 1 || n.Planned[0] != "a" {
		t.Fatalf("network = %+v", n)
	}
	for pg, want := range map[string]string{"vlan10": "10 pvid untagged", "router": "5 pvid untagged, 100-102"} {
		if got := n.PortGroups[pg].want().String(); got != want {
			t.Errorf("%s: %q, want %q", pg, got, want)
		}
	}
	trunkOnly := Membership{Trunk: n.PortGroups["router"].Trunk}
	if got := trunkOnly.want().String(); got != "100-102" {
		t.Errorf("trunk only: %q", got)
	}
}

// A running domain shows a network interface as type='bridge' with the network and
// portgroup still on <source>.
func TestDomainXML(t *testing.T) {
	var d domainXML
	err := xml.Unmarshal([]byte(`<domain type='lxc' id='785'><name>hn-a</name><devices>
  <interface type='bridge'>
    <mac address='52:54:00:e1:98:e3'/>
    <source network='hn-vlans' portgroup='vlan10' portid='6c9c4a55' bridge='vmbr0'/>
    <target dev='vnet0'/>
    <guest dev='eth0'/>
  </interface>
  <interface type='ethernet'><target dev='tap9'/></interface>
</devices></domain>`), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "hn-a" || len(d.Interfaces) != 2 || d.Interfaces[0].Source.Network != "hn-vlans" ||
		d.Interfaces[0].Source.PortGroup != "vlan10" || d.Interfaces[0].Target.Dev != "vnet0" || d.Interfaces[1].Source.Network != "" {
		t.Fatalf("parsed %+v", d)
	}
}
