package validate

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// checkBridgeVLANs checks the VLAN membership of VLAN-aware bridges (vlan_filtering with
// vids/pvid/untagged on the bridge and its port blocks).
func checkBridgeVLANs(c *checker) {
	for _, br := range c.p.Bridges {
		filtering := br.VLANFiltering != nil && *br.VLANFiltering
		if !filtering {
			if br.VLANs != nil {
				c.report("vids-without-vlan-filtering", loc{br.Addr, firstWritten(br.VLANs)},
					"%s lists its own VLANs, but has no vlan_filtering = true. Without VLAN filtering the bridge ignores VLAN membership: tagged frames pass every port unchanged and the host stack sees them only through VLAN interfaces. Set vlan_filtering = true, or remove vids, pvid and untagged.",
					name(br))
			}
			for _, f := range br.PortFlags {
				if f.VLANs != nil {
					c.report("vids-without-vlan-filtering", loc{br.Addr, firstWritten(f.VLANs)},
						"The port block of %s lists VLANs, but %s has no vlan_filtering = true. The kernel keeps the membership but does not use it, so the plan would promise an isolation the bridge does not give. Set vlan_filtering = true on the bridge, or remove vids, pvid and untagged.",
						name(f.Link), name(br))
				}
			}
			for _, v := range c.p.VLANs {
				if v.Link == plan.Interface(br) {
					c.report("vlan-on-bridge-without-filtering", attrOf(&v.Source, "link"),
						"%s is a VLAN interface on %s, which does not filter VLANs: it sees the frames tagged %d of every port, but guests on the bridge get those tagged frames too, unfiltered. On a VLAN-aware bridge (vlan_filtering = true) hostnet puts the bridge itself in VLAN %d and only the ports carrying it see it.",
						name(v), name(br), v.ID, v.ID)
				}
			}
			continue
		}
		for _, port := range br.Ports {
			switch port.(type) {
			case *plan.NIC, *plan.Bond:
			default:
				continue // a VLAN interface as port carries untagged frames only
			}
			if br.PortVLANs(port) != nil {
				continue
			}
			at := attrOf(&br.Source, "vlan_filtering")
			if f := br.PortFlagsOf(port); f != nil {
				at = loc{br.Addr, f.Range}
			}
			c.report("vlan-filtering-without-vids", at,
				"%s has vlan_filtering = true, and its uplink %s is only in the kernel's default VLAN 1 (untagged): every tagged frame from the switch is dropped at the port. List the VLANs the uplink carries in a port block: port { link = %s  vids = [\"2-4094\"] } (pvid, the untagged VLAN, stays 1 unless written).",
				name(br), name(port), port.Common().Addr)
		}
	}
}

// checkPortGroupVLANs checks the VLANs libvirt portgroups put their guests in.
func checkPortGroupVLANs(c *checker) {
	for _, n := range c.p.Networks {
		br := n.Bridge
		if br == nil {
			continue
		}
		filtering := br.VLANFiltering != nil && *br.VLANFiltering
		for _, pg := range n.PortGroups {
			if !pg.Tagged() {
				continue
			}
			at := loc{n.Addr, pg.Attr("vlan")}
			if pg.VLAN == 0 {
				at = loc{n.Addr, pg.Attr("trunk")}
			}
			if !filtering {
				c.report("portgroup-vlan-without-filtering", at,
					"Portgroup %q puts its guests in VLANs, but %s has no vlan_filtering = true: the bridge ignores port VLANs, so every guest would see every other guest's traffic. Set vlan_filtering = true on %s (and list the uplink's VLANs in a port block).",
					pg.Name, name(br), name(br))
				continue
			}
			want := pg.Trunk
			want.Add(pg.VLAN)
			for _, port := range br.Ports {
				v := br.PortVLANs(port)
				switch port.(type) {
				case *plan.NIC, *plan.Bond:
				default:
					continue
				}
				if v == nil {
					continue // reported by vlan-filtering-without-vids
				}
				members := v.Members()
				if missing := want.Minus(&members); !missing.Empty() {
					c.report("portgroup-vlan-not-on-uplink", at,
						"Portgroup %q puts its guests in VLAN %s, which the uplink %s of %s does not carry: those guests reach only each other, never the switch. Add %s to the vids of the port block of %s.",
						pg.Name, missing.String(), name(port), name(br), missing.String(), port.Common().Addr)
				}
			}
		}
	}
}

// firstWritten locates the first VLAN argument written.
func firstWritten(v *plan.VLANs) hcl.Range {
	for _, n := range []string{"vids", "pvid", "untagged"} {
		if r, ok := v.Attrs[n]; ok {
			return r
		}
	}
	return v.Range
}
