package engine

import (
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// DestroyChanges plans the removal of what plan p created: its marked bonds, VLANs and
// bridges are deleted (uppers first), its routes removed, and its NICs released from their
// masters and left down (as the kernel leaves a released bond slave), without the plan's
// addresses. Interfaces with the plan's names that hostnet did not create are left alone.
// NICs whose MAC is absent have nothing to release and are skipped.
//
// Bridge settings: a bridge hostnet deletes takes its FDB, port flags and arp_notify with
// it. On a bridge it did not create, the plan's static FDB entries are removed; arp_notify
// and the port flags of ports that stay are left as they are (hostnet does not know what
// they were before).
func DestroyChanges(p *plan.Plan, s *live.State) (*Changes, error) {
	d, err := newDiffer(p, s)
	if err != nil {
		return nil, err
	}
	for _, n := range p.NICs {
		if l, err := s.NIC(n.MAC); err == nil {
			d.nicLink[n] = l
			d.name[n] = l.Name
			d.planned[l.Name] = n
		}
	}
	// Links, in the reverse of creation order (changes() sorts deletions uppers first).
	ordered := p.Ordered()
	for k := len(ordered) - 1; k >= 0; k-- {
		i := ordered[k]
		if _, ok := i.(*plan.NIC); ok {
			continue
		}
		name := i.Common().Name
		d.name[i] = name
		d.planned[name] = i
		l := s.Link(name)
		if l == nil || d.gone[l.Index] {
			continue
		}
		ch := Change{Address: Addr(i), Kind: string(i.Common().Kind), Name: name}
		if addr, ok := l.Mark(); ok {
			ch.Action = Delete
			ch.Flaps = d.flaps(l)
			ch.Unplugged = d.unplugged(l)
			if addr != Addr(i) {
				ch.Reason = "marked by hostnet as " + addr
			}
			d.deleteLink(l, Addr(i))
		} else {
			ch.Action = NoOp
			ch.Reason = "not created by hostnet: left alone"
			if b, ok := i.(*plan.Bridge); ok && len(b.FDB) > 0 && l.Bridge != nil {
				d.destroyFDB(b, l, &ch)
				if len(ch.Attrs) > 0 {
					ch.Action = Update
					ch.Reason = "not created by hostnet: only the plan's FDB entries are removed"
				}
			}
		}
		d.objects = append(d.objects, ch)
	}
	// NICs: release, remove the plan's addresses, leave down.
	for _, n := range p.NICs {
		l := d.nicLink[n]
		if l == nil {
			continue
		}
		obj := Addr(n)
		ch := Change{Address: obj, Kind: "nic", Name: l.Name}
		if m := s.LinkByIndex(l.MasterIndex); m != nil {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "master", Old: m.Name, New: "(none)"})
			if !d.gone[m.Index] {
				d.step(PhaseNICs, obj, "release "+l.Name+" from "+m.Name, op{kind: opLinkSet, link: l.Name, master: ptr("")})
			}
			if l.Up() {
				ch.Attrs = append(ch.Attrs, AttrChange{Name: "state", Old: "up", New: "down"})
			}
			d.step(PhaseUp, obj, "set "+l.Name+" down", op{kind: opLinkSet, link: l.Name, up: ptr(false)})
		}
		want := map[string]bool{}
		for _, a := range n.Addresses {
			want[a.String()] = true
		}
		for _, a := range l.Addrs {
			if want[a.Prefix.String()] {
				ch.Attrs = append(ch.Attrs, AttrChange{Name: "address", Old: a.Prefix.String()})
				d.step(PhaseAddrsDel, obj, "remove address "+a.Prefix.String()+" from "+l.Name,
					op{kind: opAddrDel, link: l.Name, prefix: a.Prefix})
			}
		}
		d.finish(ch)
	}
	// Routes hostnet added through the plan's interfaces or to the plan's destinations.
	dsts := map[string]bool{}
	for _, r := range p.Routes {
		dsts[r.To.Masked().String()] = true
	}
	for _, r := range s.Routes {
		if r.Protocol != live.RouteProtocol || d.gone[r.OIF] {
			continue
		}
		dev := s.Name(r.OIF)
		if d.planned[dev] == nil && !dsts[r.Dst.String()] {
			continue
		}
		obj := "route." + r.Dst.String()
		d.objects = append(d.objects, Change{Address: obj, Kind: "route", Name: r.Dst.String(), Action: Delete,
			Attrs: []AttrChange{{Name: "route", Old: routeText(r.Gateway, dev)}}})
		d.step(PhaseRoutesDel, obj, "delete route "+r.Dst.String()+" "+routeText(r.Gateway, dev),
			op{kind: opRouteDel, route: &routeSpec{Dst: r.Dst, Gateway: r.Gateway, Dev: dev, Metric: r.Priority, Table: r.Table}})
	}
	c := d.changes()
	c.destroy = true
	return c, nil
}
