package engine

import (
	"fmt"
	"testing"

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

// BenchmarkDiffNoop500 re-plans the scale topology on a host that has it.
func BenchmarkDiffNoop500(b *testing.B) {
	p := scalePlan(500)
	s := after(abOpts())
	links := s.Links[:5] // lo, NICs, bond0, br0
	up := s.Link("br0").Flags
	for i := 0; i < 500; i++ {
		id := 100 + i
		br := &live.Link{Index: 1000 + 2*i, Name: fmt.Sprintf("br%d", id), Kind: "bridge", Flags: up, MTU: 1500,
			Alias: fmt.Sprintf(`hostnet:bridge.tenant["%d"]`, id), Bridge: &live.Bridge{}}
		v := &live.Link{Index: 1001 + 2*i, Name: fmt.Sprintf("bond0.%d", id), Kind: "vlan", Flags: up, MTU: 1500,
			MasterIndex: br.Index, ParentIndex: 10, Alias: fmt.Sprintf(`hostnet:vlan.tenant["%d"]`, id),
			VLAN: &live.VLAN{ID: id, Protocol: 0x8100}}
		links = append(links, br, v)
	}
	s = live.NewState(links, s.Routes)
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
