package plan_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// FuzzDecode feeds arbitrary bytes to the decoder and validation: neither may panic, and
// every plan the decoder returns, partial plans after errors included, must be fully built
// (every reference resolved).
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./hostnet/plan
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("../../examples/*/*.hcl")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`nic "a" { mac = "52:54:00:00:00:01" }
nic "b" { mac = "52:54:00:00:00:02" }
bond "b" {
  slaves = [nic.a, nic.b]
  mode = 1
  primary = nic.a
  arp_ip_target = "198.51.100.1,198.51.100.2"
  slave {
    nic = nic.b
    prio = 3
  }
}
vlan "v" {
  for_each = { x = 5 }
  link = bond.b
  id = each.value
}
bridge "br" {
  for_each = vlan.v
  ports = [each.value]
}
route "r" {
  to = "203.0.113.0/24"
  via = "198.51.100.1"
  dev = bridge.br["x"]
}
libvirt_network "n" { bridge = bridge.br["x"] }
`))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, _, _ := plan.DecodeWithFiles([]plan.Input{{Name: "fuzz.hcl", Bytes: src}}, nil, nil)
		if p == nil {
			t.Fatal("DecodeWithFiles returns a plan, partial on errors")
		}
		for _, b := range p.Bonds {
			for _, s := range b.Slaves {
				if s.NIC == nil {
					t.Fatal("unresolved slave")
				}
			}
		}
		for _, v := range p.VLANs {
			if v.Link == nil {
				t.Fatal("unresolved VLAN link")
			}
		}
		for _, br := range p.Bridges {
			for _, port := range br.Ports {
				if port == nil {
					t.Fatal("unresolved bridge port")
				}
			}
		}
		for _, n := range p.Networks {
			if n.Bridge == nil {
				t.Fatal("unresolved network bridge")
			}
		}
		_ = p.Ordered()
		_ = validate.Plan(p)
	})
}
