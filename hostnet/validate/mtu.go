package validate

import (
	"fmt"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// defaultMTU is the MTU the kernel gives a new bond (ether_setup); a slave takes the bond's
// MTU when enslaved, never the other way round.
const defaultMTU = 1500

// mtuOf is the MTU an interface will have after apply, and how that is known; 0 when the
// plan cannot tell (a NIC whose MTU the plan leaves alone and that is no bond slave).
//
//   - set in the plan: that value;
//   - bond: 1500, the kernel's value for a new bond;
//   - bond slave NIC: the bond's MTU (bond_enslave sets it);
//   - VLAN: its link's MTU (vlan_newlink takes the real device's);
//   - bridge: the smallest MTU of its ports (the bridge follows its ports unless set).
func (c *checker) mtuOf(i plan.Interface) (int, string) {
	ic := i.Common()
	if ic.MTU != 0 {
		return ic.MTU, "set in the plan"
	}
	switch x := i.(type) {
	case *plan.NIC:
		if bonds := c.slaveOf[x]; len(bonds) > 0 {
			m, _ := c.mtuOf(bonds[0])
			return m, fmt.Sprintf("the MTU of its bond %s", bonds[0].Addr)
		}
		return 0, ""
	case *plan.Bond:
		return defaultMTU, "the kernel default for a new bond"
	case *plan.VLAN:
		if x.Link == nil {
			return 0, ""
		}
		m, _ := c.mtuOf(x.Link)
		return m, fmt.Sprintf("the MTU of its link %s", x.Link.Common().Addr)
	case *plan.Bridge:
		low := 0
		for _, p := range x.Ports {
			m, _ := c.mtuOf(p)
			if m == 0 {
				return 0, ""
			}
			if low == 0 || m < low {
				low = m
			}
		}
		if low == 0 {
			return defaultMTU, "the kernel default for a bridge without ports"
		}
		return low, "the smallest MTU of its ports"
	}
	return 0, ""
}

func checkMTU(c *checker) {
	const how = "Unset MTUs count as what the kernel gives: a bond 1500, a VLAN its link's, a bridge the smallest of its ports', a bond slave its bond's; a NIC outside any bond whose MTU the plan leaves alone is not checked."
	for _, v := range c.p.VLANs {
		if v.MTU == 0 || v.Link == nil {
			continue
		}
		if low, src := c.mtuOf(v.Link); low != 0 && v.MTU > low {
			c.report("mtu-above-lower", attrOf(&v.Source, "mtu"),
				"%s has mtu = %d, above the MTU of its link %s, %d (%s). A VLAN cannot be larger than its real device: the kernel refuses it (EINVAL when created, ERANGE when changed). Lower the VLAN's mtu or raise %s's. %s",
				name(v), v.MTU, name(v.Link), low, src, v.Link.Common().Addr, how)
		}
	}
	for _, br := range c.p.Bridges {
		if br.MTU == 0 {
			continue
		}
		for _, p := range br.Ports {
			if low, src := c.mtuOf(p); low != 0 && br.MTU > low {
				c.report("mtu-above-lower", attrOf(&br.Source, "mtu"),
					"%s has mtu = %d, above the MTU of its port %s, %d (%s). Current kernels accept it and keep a bridge MTU set by hand (BROPT_MTU_SET_BY_USER), but the bridge drops every frame larger than the port's MTU when forwarding to it, so large packets from the host and guests silently vanish. Lower the bridge's mtu or raise %s's. %s",
					name(br), br.MTU, name(p), low, src, p.Common().Addr, how)
				break
			}
		}
	}
	for _, n := range c.p.Networks {
		if n.MTU == 0 || n.Bridge == nil {
			continue
		}
		if low, src := c.mtuOf(n.Bridge); low != 0 && n.MTU > low {
			c.report("mtu-above-lower", attrOf(&n.Source, "mtu"),
				"%s has mtu = %d, above the MTU of %s, %d (%s). libvirt gives the guests' tap devices this MTU, and the bridge drops guest frames larger than the MTU of the port they leave by. Lower the network's mtu or raise the bridge's. %s",
				n.Addr, n.MTU, name(n.Bridge), low, src, how)
		}
	}
	for _, b := range c.p.Bonds {
		bm, _ := c.mtuOf(b)
		for _, s := range b.Slaves {
			if s.NIC.MTU != 0 && s.NIC.MTU != bm {
				src := "set in the plan"
				if b.MTU == 0 {
					src = "the kernel default: the bond sets no mtu"
				}
				c.report("slave-mtu", attrOf(&s.NIC.Source, "mtu"),
					"%s has mtu = %d but is a slave of %s, whose MTU is %d (%s). The kernel sets a slave's MTU to the bond's when enslaving it and whenever the bond's MTU changes, so %d would be overwritten and every later plan would show a change. Set mtu on the bond only.",
					s.NIC.Addr, s.NIC.MTU, name(b), bm, src, s.NIC.MTU)
			}
		}
	}
}
