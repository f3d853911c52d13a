package validate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// largePlan writes a plan of n blocks: eight NICs and bonds, and then VLANs, each with its
// bridge and a route through it, written out one block each (no for_each), as a generator
// would.
func largePlan(n int) []byte {
	var b strings.Builder
	const bonds = 8 // VLAN ids are unique per link: 4,000 per bond
	for j := 0; j < bonds; j++ {
		fmt.Fprintf(&b, "nic \"u%d\" { mac = \"52:54:00:00:00:%02x\" }\n", j, j+1)
		fmt.Fprintf(&b, "bond \"bond%d\" {\n  slaves = [nic.u%d]\n  mode   = \"active-backup\"\n  miimon = 100\n}\n", j, j)
	}
	for i := 0; i < n-2*bonds; i++ {
		id := i/3 + 1
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "vlan \"v%d\" {\n  link = bond.bond%d\n  id   = %d\n  name = \"v%d\"\n}\n", id, id/4000, id%4000+1, id)
		case 1:
			fmt.Fprintf(&b, "bridge \"b%d\" {\n  ports     = [vlan.v%d]\n  name      = \"b%d\"\n  addresses = [\"10.%d.%d.1/24\"]\n}\n", id, id, id, id/256%256, id%256)
		case 2:
			fmt.Fprintf(&b, "route \"r%d\" {\n  to  = \"172.%d.%d.0/24\"\n  via = \"10.%d.%d.2\"\n  dev = bridge.b%d\n}\n", id, 16+id/65536%16, id/256%256, id/256%256, id%256, id)
		}
	}
	return []byte(b.String())
}

// BenchmarkValidate decodes and validates plans of 1,000, 10,000 and 50,000 blocks, as
// hostnet validate does (see BENCHMARKS.md).
func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		src := largePlan(n)
		b.Run(fmt.Sprintf("blocks=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p, _, diags := plan.DecodeWithFiles([]plan.Input{{Name: "big.hcl", Bytes: src}}, nil, nil)
				diags = append(diags, validate.Plan(p)...)
				if diags.HasErrors() {
					b.Fatal(diags[0])
				}
			}
		})
	}
}
