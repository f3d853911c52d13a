package engine

import (
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// scalePlan is the fixture's bond0 + br0 plus n VLANs on bond0, each with its own bridge.
func scalePlan(n int) *plan.Plan {
	p := fixture()
	p.VLANs, p.Bridges = nil, p.Bridges[:1]
	for i := 0; i < n; i++ {
		id := 100 + i
		v := &plan.VLAN{Iface: plan.Iface{Kind: plan.KindVLAN, Name: fmt.Sprintf("bond0.%d", id)}, Link: p.Bonds[0], ID: id}
		v.Addr = fmt.Sprintf(`vlan.tenant["%d"]`, id)
		br := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: fmt.Sprintf("br%d", id)}, Ports: []plan.Interface{v}}
		br.Addr = fmt.Sprintf(`bridge.tenant["%d"]`, id)
		p.VLANs = append(p.VLANs, v)
		p.Bridges = append(p.Bridges, br)
	}
	return p
}

// BenchmarkDiffFresh500 plans the scale topology (1 bond, 501 bridges, 500 VLANs) on a
// host that has only the NICs.
func BenchmarkDiffFresh500(b *testing.B) {
	p, s := scalePlan(500), before()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Diff(p, s); err != nil {
			b.Fatal(err)
		}
	}
}

// noopState is the host as an apply of scalePlan(n) leaves it, with the fe80::/64 route
// the kernel adds on every link that is up (and one per bridge: n*2+ routes).
func noopState(n int) *live.State {
	s := after(abOpts())
	links := s.Links[:5] // lo, NICs, bond0, br0
	routes := append([]live.Route(nil), s.Routes...)
	up := s.Link("br0").Flags
	ll := netip.MustParsePrefix("fe80::/64")
	for i := 0; i < n; i++ {
		id := 100 + i
		br := &live.Link{Index: 1000 + 2*i, Name: fmt.Sprintf("br%d", id), Kind: "bridge", Flags: up, MTU: 1500,
			Alias: live.MarkFor(fmt.Sprintf(`bridge.tenant["%d"]`, id)), Bridge: &live.Bridge{}}
		v := &live.Link{Index: 1001 + 2*i, Name: fmt.Sprintf("bond0.%d", id), Kind: "vlan", Flags: up, MTU: 1500,
			MasterIndex: br.Index, ParentIndex: 10, Alias: live.MarkFor(fmt.Sprintf(`vlan.tenant["%d"]`, id)),
			VLAN: &live.VLAN{ID: id, Protocol: 0x8100}}
		links = append(links, br, v)
		for _, l := range []*live.Link{br, v} {
			routes = append(routes, live.Route{Family: unix.AF_INET6, Table: unix.RT_TABLE_MAIN, Dst: ll, OIF: l.Index,
				Priority: 256, Protocol: unix.RTPROT_KERNEL, Type: unix.RTN_UNICAST})
		}
	}
	return live.NewState(links, routes)
}

func benchDiffNoop(b *testing.B, n int) {
	p, s := scalePlan(n), noopState(n)
	ch, err := Diff(p, s)
	if err != nil || ch.HasChanges() {
		b.Fatalf("%v %+v", err, ch.ChangedObjects())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Diff(p, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffNoop500 re-plans the scale topology on a host that has it.
func BenchmarkDiffNoop500(b *testing.B) { benchDiffNoop(b, 500) }

// BenchmarkDiffNoop4094 re-plans the largest topology (4094 VLANs, 4095 bridges, 8190
// link-local routes) on a host that has it: Diff must stay linear in links and routes.
func BenchmarkDiffNoop4094(b *testing.B) { benchDiffNoop(b, 4094) }

// TestDiffNoop4094 checks that the largest topology diffs to no change (the benchmark
// above measures how fast).
func TestDiffNoop4094(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ch, err := Diff(scalePlan(4094), noopState(4094))
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() {
		t.Fatalf("%+v", ch.ChangedObjects())
	}
}
