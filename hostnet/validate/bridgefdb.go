package validate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// noLearning reports whether the port of bridging bg (the bond, or the VLAN on it that is
// the bridge port) has learning = false in a port block.
func noLearning(bg plan.Bridging) bool {
	var port plan.Interface = bg.Bond
	if bg.Via != nil {
		port = bg.Via
	}
	f := bg.Bridge.PortFlagsOf(port)
	return f != nil && f.Learning != nil && !*f.Learning
}

// bridgePort is the port of bridging bg, for messages.
func bridgePort(bg plan.Bridging) plan.Interface {
	if bg.Via != nil {
		return bg.Via
	}
	return bg.Bond
}

// unmitigated lists the bridges above b whose port toward b still learns.
func (c *checker) unmitigated(b *plan.Bond) []plan.Bridging {
	var out []plan.Bridging
	for _, bg := range c.bridgedBy[b] {
		if !noLearning(bg) {
			out = append(out, bg)
		}
	}
	return out
}

// learningHint is the fallback the balance-rr/xor errors mention.
func learningHint(bgs []plan.Bridging) string {
	var parts []string
	for _, bg := range bgs {
		parts = append(parts, fmt.Sprintf("port { link = %s  learning = false } in %s", bridgePort(bg).Common().Addr, bg.Bridge.Addr))
	}
	return "As a fallback without switch configuration, turn learning off on the bridge port toward the bond (" +
		strings.Join(parts, "; ") + "): measured to keep guests reachable, at the cost of flooding unknown unicast to every port."
}

// checkNoLearning: balance-rr/xor under a bridge without a static LAG, mitigated by
// learning = false on every bridge port toward the bond (the errors are in checkBridgedBonds).
func checkNoLearning(c *checker, b *plan.Bond) {
	var ports []string
	for _, bg := range c.bridgedBy[b] {
		ports = append(ports, fmt.Sprintf("%s in %s", name(bridgePort(bg)), name(bg.Bridge)))
	}
	subj := attrOf(&b.Source, "mode")
	if f := c.bridgedBy[b][0].Bridge.PortFlagsOf(bridgePort(c.bridgedBy[b][0])); f != nil {
		subj = loc{c.bridgedBy[b][0].Bridge.Addr, f.Attr("learning")}
	}
	c.report("bridged-no-learning", subj,
		"%s. It uses %s. %s Learning is off on %s, so frames the switch reflects into the bond cannot move guest MACs onto it. %s The cost: the bridge never learns the MACs behind the bond, so every frame to a station behind the switch is flooded to all ports of the bridge (guests included), and the switch still sees guest MACs flap between its ports. Prefer a static LAG (switch { static_lag = true }), active-backup, or 802.3ad with LACP.",
		c.under(b), modeText(b), switchText(c.p), strings.Join(ports, ", "), evidence("bridged-no-learning"))
}

// checkBridgeFDB checks the fdb blocks of every bridge.
func checkBridgeFDB(c *checker) {
	for _, br := range c.p.Bridges {
		type key struct {
			mac  string
			vlan int
		}
		seen := map[key]*plan.FDBEntry{}
		filtering := br.VLANFiltering != nil && *br.VLANFiltering
		for _, e := range br.FDB {
			isPort := false
			for _, p := range br.Ports {
				isPort = isPort || p == e.Port
			}
			if !isPort {
				c.report("fdb-port-not-bridge-port", loc{br.Addr, e.Attr("port")},
					"The fdb entry for %s points at %s, which is not in ports of %s. The kernel adds an FDB entry only on a port of the bridge (NTF_MASTER goes to the port's master), so it would refuse it, or put it in another bridge's table. Use one of ports, or add %s to ports.",
					e.MAC, name(e.Port), name(br), e.Port.Common().Addr)
			}
			if !unicast(e.MAC) {
				c.report("mac-not-unicast", loc{br.Addr, e.Attr("mac")},
					"The fdb entry of %s has mac = %s, which is %s. Static FDB entries are for stations (unicast MACs); multicast forwarding is the multicast database's (bridge mdb). Use the station's unicast MAC.",
					name(br), e.MAC, macProblem(e.MAC))
			}
			switch {
			case e.VLAN != 0 && !filtering:
				c.report("fdb-vlan-filtering", loc{br.Addr, e.Attr("vlan")},
					"The fdb entry for %s has vlan = %d, but %s has no vlan_filtering = true. Without VLAN filtering the bridge looks frames up without a VLAN, so an entry in VLAN %d would never match (and hostnet would see it as a different entry from the one it reads back). Remove vlan, or set vlan_filtering = true on the bridge.",
					e.MAC, e.VLAN, name(br), e.VLAN)
			case e.VLAN == 0 && filtering:
				c.report("fdb-vlan-filtering", loc{br.Addr, e.Attr("vlan")},
					"The fdb entry for %s has no vlan, and %s has vlan_filtering = true. With VLAN filtering the bridge looks frames up in their VLAN; an entry without one is added by the kernel once per VLAN the port has at that moment, which later VLANs do not get and hostnet cannot track. Set vlan (the default PVID is 1).",
					e.MAC, name(br))
			}
			k := key{string(e.MAC), e.VLAN}
			if first, dup := seen[k]; dup {
				where := "twice"
				if first.Port != e.Port {
					where = fmt.Sprintf("on %s and on %s", name(first.Port), name(e.Port))
				}
				vlan := ""
				if e.VLAN != 0 {
					vlan = fmt.Sprintf(" in VLAN %d", e.VLAN)
				}
				c.report("fdb-duplicate", loc{br.Addr, e.Attr("mac")},
					"%s has an fdb entry for %s%s %s. The bridge keeps one entry per MAC and VLAN, so the second would replace the first and each apply would move it back and forth. Keep one entry (first at %s).",
					name(br), e.MAC, vlan, where, first.Range)
				continue
			}
			seen[k] = e
		}
	}
}

// uppers maps every planned interface to the interfaces stacked directly on it: VLANs on it
// and the bridge it is a port of.
func (c *checker) uppers() map[plan.Interface][]plan.Interface {
	up := map[plan.Interface][]plan.Interface{}
	for _, v := range c.p.VLANs {
		if v.Link != nil {
			up[v.Link] = append(up[v.Link], v)
		}
	}
	for _, br := range c.p.Bridges {
		for _, p := range br.Ports {
			up[p] = append(up[p], br)
		}
	}
	return up
}

// onLinkRoute is a scope-link route of the plan: a connected prefix or a route without via.
type onLinkRoute struct {
	prefix netip.Prefix
	dev    plan.Interface
	what   string
}

// checkARPPath: ARP monitoring of a bond under a bridge. The bond looks each target up
// with scope link (bond_arp_send_all: ip_route_output with RTO_ONLINK) and sends the probe
// only when the route's device is the bond or stacked on it (bond_verify_device_path, which
// also collects the VLAN tags on the way); a target on-link through another device is
// skipped ("no path to arp_ip_target"), one without an on-link route is probed untagged
// without a source address. Either way the slaves never see replies and stay down.
func checkARPPath(c *checker) {
	var routes []onLinkRoute
	for _, i := range c.p.Interfaces() {
		for _, a := range i.Common().Addresses {
			if a.Addr().Is4() {
				routes = append(routes, onLinkRoute{a.Masked(), i, "its address " + a.String()})
			}
		}
	}
	for _, r := range c.p.Routes {
		if r.Dev != nil && !r.Via.IsValid() && r.To.Addr().Is4() && (r.Table == 0 || r.Table == mainTable) {
			routes = append(routes, onLinkRoute{r.To.Masked(), r.Dev, r.Addr})
		}
	}
	up := c.uppers()
	for _, b := range c.p.Bonds {
		if len(c.bridgedBy[b]) == 0 || arpInterval(b) == 0 || !c.applies(b, bonding.OptArpIPTarget) {
			continue
		}
		path := map[plan.Interface]bool{}
		var walk func(i plan.Interface)
		walk = func(i plan.Interface) {
			if path[i] {
				return
			}
			path[i] = true
			for _, u := range up[i] {
				walk(u)
			}
		}
		walk(b)
		var pathNames []string
		for _, i := range c.p.Ordered() {
			if path[i] {
				pathNames = append(pathNames, name(i))
			}
		}
		for _, t := range b.Options.Get(bonding.OptArpIPTarget).Addrs {
			t = t.Unmap()
			if !t.Is4() {
				continue // arp-target-ipv6
			}
			var best *onLinkRoute
			for k := range routes {
				r := &routes[k]
				if r.prefix.Contains(t) && (best == nil || r.prefix.Bits() > best.prefix.Bits() ||
					r.prefix.Bits() == best.prefix.Bits() && path[r.dev] && !path[best.dev]) {
					best = r
				}
			}
			if best != nil && path[best.dev] {
				continue
			}
			path := strings.Join(pathNames, ", ")
			if best != nil {
				c.report("arp-target-no-path", attrOf(&b.Source, "arp_ip_target"),
					"%s. It monitors links by ARP to %s, and the bond sends a probe only when its on-link route goes through the bond or an interface stacked on it (%s): the kernel's on-link route to %s goes through %s (%s), which is not stacked on %s, so it skips the probe (\"no path to arp_ip_target\"). The ARP monitor brings slaves up only on replies, so with no other target answering the bond never sees a link as up. Put %s on-link through one of those interfaces (usually the bridge: an address whose prefix contains it, or a route { to = \"%s/32\"  dev = <one of them> }), or monitor with miimon.",
					c.under(b), t, path, t, name(best.dev), best.what, name(b), t, t)
				continue
			}
			id, extra := "arp-target-no-route", "That reaches the target only if it sits on the bond's untagged segment and answers ARP probes (RFC 5227); through a VLAN on the path it cannot."
			if b.Options.Num(bonding.OptArpValidate) != 0 {
				id, extra = "arp-target-no-path", "With arp_validate set the bond never accepts the replies (they are not addressed to the bond's IP), so the slaves stay down."
			}
			c.report(id, attrOf(&b.Source, "arp_ip_target"),
				"%s. It monitors links by ARP to %s, but no interface on its path (%s) has an address whose prefix contains %s and no planned route without via sends it there: the kernel finds no on-link route (targets are looked up with scope link, so routes via a gateway do not count) and sends the probe untagged, from 0.0.0.0. %s Put an address whose prefix contains %s on one of those interfaces (usually the bridge), or add a route { to = \"%s/32\"  dev = <one of them> }.",
				c.under(b), t, path, t, extra, t, t)
		}
	}
}
