package engine

import (
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// vlanSpec is the VLAN membership change of one bridge port or bridge (self): the
// IFLA_BRIDGE_VLAN_INFO entries of one RTM_SETLINK (add, or change flags) or RTM_DELLINK
// (remove) of family AF_BRIDGE, ranges as RANGE_BEGIN/RANGE_END pairs. However many VLANs
// change, a device costs at most two requests.
type vlanSpec struct {
	Self   bool // the bridge's own entries (BRIDGE_FLAGS_SELF), else the port's (MASTER)
	Groups []live.Group
}

// kernelDefaultVLANs is what the kernel gives a new bridge and a port that joins one:
// VLAN 1 as PVID, untagged (default_pvid). hostnet never changes default_pvid.
func kernelDefaultVLANs() *live.BridgeVLANs {
	v := &live.BridgeVLANs{PVID: plan.DefaultPVID}
	v.VIDs.Add(plan.DefaultPVID)
	v.Untagged.Add(plan.DefaultPVID)
	return v
}

// planVLANs turns a plan membership into the kernel's form: the PVID egresses untagged.
func planVLANs(p *plan.VLANs) *live.BridgeVLANs {
	v := &live.BridgeVLANs{VIDs: p.Members(), PVID: p.PVID, Untagged: p.Untagged}
	v.Untagged.Add(p.PVID)
	return v
}

// needsVLANs reports whether a diff of p needs the bridge VLAN dump.
func needsVLANs(p *plan.Plan) bool {
	for _, b := range p.Bridges {
		if p.SelfVLANs(b) != nil {
			return true
		}
		for _, f := range b.PortFlags {
			if f.VLANs != nil {
				return true
			}
		}
	}
	return false
}

// bridgeVLANs makes the VLAN membership of the bridge itself and of its ports what the plan
// says, where it says anything: only the VLANs that change are sent (VIDs to remove in one
// request, VIDs to add or whose flags change in another). A port joining in this apply, and
// a bridge created by it, start from the kernel's default (VLAN 1, PVID, untagged).
// Ports the plan does not name (guest taps) are left alone.
func (d *differ) bridgeVLANs(b *plan.Bridge, ch *Change, l *live.Link, joining map[string]bool) {
	if self := d.p.SelfVLANs(b); self != nil {
		have := kernelDefaultVLANs()
		if l != nil && l.BridgeVLANs != nil {
			have = l.BridgeVLANs
		}
		d.vlanDiff(b, ch, b.Name, true, have, planVLANs(self))
	}
	for _, f := range b.PortFlags {
		if f.VLANs == nil {
			continue
		}
		name := d.name[f.Link]
		have := kernelDefaultVLANs()
		if !joining[name] {
			if pl := d.portLink(f.Link); pl != nil && pl.BridgeVLANs != nil {
				have = pl.BridgeVLANs
			}
		}
		d.vlanDiff(b, ch, name, false, have, planVLANs(f.VLANs))
	}
}

// vlanDiff plans the requests that take dev's membership from have to want.
func (d *differ) vlanDiff(b *plan.Bridge, ch *Change, dev string, self bool, have, want *live.BridgeVLANs) {
	del, add := live.VLANChange(have, want)
	if del == nil && add == nil {
		return
	}
	name, where := "port "+dev+" vlans", "master"
	if self {
		name, where = "vlans", "self"
	}
	ch.Attrs = append(ch.Attrs, AttrChange{Name: name, Old: have.String(), New: want.String()})
	if del != nil {
		d.step(PhasePorts, Addr(b), "bridge vlan del dev "+dev+" vid "+live.FormatGroups(del)+" "+where,
			op{kind: opVLANDel, link: dev, vlans: &vlanSpec{Self: self, Groups: del}})
	}
	if add != nil {
		d.step(PhasePorts, Addr(b), "bridge vlan add dev "+dev+" vid "+live.FormatGroups(add)+" "+where,
			op{kind: opVLANSet, link: dev, vlans: &vlanSpec{Self: self, Groups: add}})
	}
}

// vlanRequest builds the AF_BRIDGE request of a VLAN op (live.VLANRequest).
func (o *op) vlanRequest(r *resolver) (live.Request, error) {
	i, err := r.index(o.link)
	if err != nil {
		return live.Request{}, err
	}
	return live.VLANRequest(o.kind == opVLANDel, i, o.vlans.Self, o.vlans.Groups), nil
}
