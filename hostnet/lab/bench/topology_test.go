package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The three renderings describe the same topology.
func TestTopologyFiles(t *testing.T) {
	for _, n := range []int{1, 10, 4094} {
		dir := t.TempDir()
		f := filepath.Join(dir, "plan.hcl")
		if err := os.WriteFile(f, []byte(planHCL(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := loadPlan(f)
		if err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		if len(p.VLANs) != n || len(p.Bridges) != n+1 || len(p.Bonds) != 1 {
			t.Errorf("N=%d: plan has %d VLANs, %d bridges, %d bonds", n, len(p.VLANs), len(p.Bridges), len(p.Bonds))
		}
		first, last := firstVLAN(n), firstVLAN(n)+n-1
		if last > 4094 {
			t.Errorf("N=%d: last VLAN %d", n, last)
		}
		for _, s := range []string{ipCreate(n), interfaces(n)} {
			for _, id := range []int{first, last} {
				if !strings.Contains(s, fmt.Sprintf("bond0.%d", id)) || !strings.Contains(s, fmt.Sprintf("br%d", id)) {
					t.Errorf("N=%d: VLAN %d missing in\n%.300s", n, id, s)
				}
			}
		}
		if got := strings.Count(ipCreate(n), "type vlan"); got != n {
			t.Errorf("N=%d: ip -batch creates %d VLANs", n, got)
		}
		if got := strings.Count(ipDelete(n), "link del"); got != 2*n+2 {
			t.Errorf("N=%d: ip -batch deletes %d links", n, got)
		}
	}
}

// BenchmarkDecode is the decode + validate share of an apply, outside the lab.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{10, 100, 500, 4094} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := filepath.Join(b.TempDir(), "plan.hcl")
			if err := os.WriteFile(f, []byte(planHCL(n)), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := loadPlan(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The VLAN-aware plan is valid and carries exactly the N VLANs on the bond port.
func TestTopologyVLANAware(t *testing.T) {
	for _, n := range []int{1, 10, 4094} {
		f := filepath.Join(t.TempDir(), "plan.hcl")
		if err := os.WriteFile(f, []byte(planHCLVLANAware(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := loadPlan(f)
		if err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		v := p.Bridges[0].PortVLANs(p.Bonds[0])
		lo := firstVLAN(n)
		if v == nil || v.VIDs.Len() != n || !v.VIDs.Has(lo) || !v.VIDs.Has(lo+n-1) || len(p.Bridges) != 1 {
			t.Fatalf("N=%d: port VLANs %v", n, v)
		}
		if linksOf(LayoutVLANAware, n) != 2 {
			t.Fatalf("N=%d: links", n)
		}
	}
}
