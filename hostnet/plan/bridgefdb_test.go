package plan

import (
	"testing"
)

const bridgedBond = twoNICs + `
bond "bond0" {
  slaves = [nic.a, nic.b]
  mode   = "active-backup"
  miimon = 100
}
`

func TestBridgePortAndFDB(t *testing.T) {
	p := mustDecode(t, bridgedBond+`
bridge "br0" {
  ports       = [bond.bond0]
  mac         = "52:54:00:00:10:00"
  arp_notify  = true
  ageing_time = 120
  port {
    link          = bond.bond0
    learning      = false
    unicast_flood = true
  }
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = bond.bond0
  }
  fdb {
    mac    = "52:54:00:aa:00:02"
    port   = bond.bond0
    vlan   = 100
    sticky = false
  }
}
`)
	br := p.Bridges[0]
	if br.MAC.String() != "52:54:00:00:10:00" || br.ARPNotify == nil || !*br.ARPNotify || *br.AgeingTime != 120 {
		t.Fatalf("bridge: %+v", br)
	}
	if len(br.PortFlags) != 1 {
		t.Fatalf("port blocks: %+v", br.PortFlags)
	}
	f := br.PortFlags[0]
	if f.Link != p.Bonds[0] || f.Learning == nil || *f.Learning || f.UnicastFlood == nil || !*f.UnicastFlood ||
		f.MulticastFlood != nil || f.BroadcastFlood != nil {
		t.Errorf("port flags: %+v", f)
	}
	if br.PortFlagsOf(p.Bonds[0]) != f || f.Attr("learning").Start.Line != 18 {
		t.Errorf("PortFlagsOf / Attr: %v", f.Attr("learning"))
	}
	if len(br.FDB) != 2 {
		t.Fatalf("fdb: %+v", br.FDB)
	}
	e0, e1 := br.FDB[0], br.FDB[1]
	if e0.MAC.String() != "52:54:00:aa:00:01" || e0.Port != p.Bonds[0] || e0.VLAN != 0 || !e0.Sticky {
		t.Errorf("fdb[0]: %+v", e0)
	}
	if e1.VLAN != 100 || e1.Sticky || e1.Attr("vlan").Start.Line != 28 {
		t.Errorf("fdb[1]: %+v", e1)
	}
}

// Port blocks per for_each instance, with each.value.
func TestBridgePortForEach(t *testing.T) {
	p := mustDecode(t, bridgedBond+`
vlan "t" {
  for_each = range(100, 102)
  link     = bond.bond0
  id       = each.value
}
bridge "t" {
  for_each = vlan.t
  name     = "br${each.key}"
  ports    = [each.value]
  port {
    link     = each.value
    learning = false
  }
}
`)
	for _, br := range p.Bridges {
		if len(br.PortFlags) != 1 || br.PortFlags[0].Link != br.Ports[0] {
			t.Errorf("%s: %+v", br.Name, br.PortFlags)
		}
	}
}

func TestBridgePortErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		line       int
		want       string
	}{
		{"link not a port", `
bridge "br0" {
  ports = [nic.a]
  port {
    link     = nic.b
    learning = false
  }
}`, 8, "Not a port of this bridge"},
		{"port twice", `
bridge "br0" {
  ports = [nic.a]
  port {
    link     = nic.a
    learning = false
  }
  port {
    link          = nic.a
    unicast_flood = false
  }
}`, 12, "Port set twice"},
		{"link missing", `
bridge "br0" {
  ports = [nic.a]
  port {
    learning = false
  }
}`, 7, "link"},
		{"flag not a bool", `
bridge "br0" {
  ports = [nic.a]
  port {
    link     = nic.a
    learning = "maybe"
  }
}`, 9, "true or false"},
		{"fdb bad mac", `
bridge "br0" {
  ports = [nic.a]
  fdb {
    mac  = "52:54:00"
    port = nic.a
  }
}`, 8, "Invalid MAC address"},
		{"fdb vlan range", `
bridge "br0" {
  ports = [nic.a]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.a
    vlan = 4095
  }
}`, 10, "vlan must be from 1 to 4094"},
		{"fdb port a bridge", `
bridge "br1" { ports = [nic.b] }
bridge "br0" {
  ports = [nic.a]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = bridge.br1
  }
}`, 10, "bridge.br1 is a bridge"},
		{"unknown attribute", `
bridge "br0" {
  ports = [nic.a]
  port {
    link    = nic.a
    learnin = false
  }
}`, 9, "learnin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := decode(t, twoNICs+tc.body)
			expectError(t, diags, tc.line, tc.want)
		})
	}
}
