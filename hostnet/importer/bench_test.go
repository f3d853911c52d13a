package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkImportInterfaces imports a KVM host's /etc/network/interfaces with an 802.3ad
// bond and n VLANs, each with its own bridge (as kvm-lacp-500-vlans has them) and renders
// the plan: the importer's own work. BenchmarkCheckImported is the validation that
// `hostnet import` runs on the result.
func BenchmarkImportInterfaces(b *testing.B) {
	for _, n := range []int{100, 1000, 4000} {
		b.Run(fmt.Sprintf("vlans=%d", n), func(b *testing.B) {
			var f strings.Builder
			f.WriteString("iface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode 802.3ad\n  bond-miimon 100\n  bond-lacp-rate fast\n\n")
			for v := 1; v <= n; v++ {
				fmt.Fprintf(&f, "iface bond0.%d inet manual\n\niface br%d inet manual\n  bridge-ports bond0.%d\n  bridge-stp off\n  bridge-fd 0\n\n", v, v, v)
			}
			path := filepath.Join(b.TempDir(), "interfaces")
			if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				doc, err := ImportFiles("interfaces", []string{path}, Options{MAC: testMAC})
				if err != nil || len(doc.Ifaces) != 2*n+3 {
					b.Fatalf("%v %d", err, len(doc.Ifaces))
				}
				if len(doc.HCL()) == 0 {
					b.Fatal("no plan")
				}
			}
		})
	}
}

func BenchmarkCheckImported(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("vlans=%d", n), func(b *testing.B) {
			src := vlanHostPlan(b, n)
			b.ResetTimer()
			for range b.N {
				if p, _, d := Check("x.hcl", src, nil); p == nil {
					b.Fatal(d.Error())
				}
			}
		})
	}
}

func vlanHostPlan(b *testing.B, n int) []byte {
	var f strings.Builder
	f.WriteString("iface bond0 inet manual\n  bond-slaves eno1 eno2\n  bond-mode 802.3ad\n  bond-miimon 100\n\n")
	for v := 1; v <= n; v++ {
		fmt.Fprintf(&f, "iface br%d inet manual\n  bridge-ports bond0.%d\n\n", v, v)
	}
	path := filepath.Join(b.TempDir(), "interfaces")
	os.WriteFile(path, []byte(f.String()), 0o644)
	doc, err := ImportFiles("interfaces", []string{path}, Options{MAC: testMAC})
	if err != nil {
		b.Fatal(err)
	}
	return doc.HCL()
}
