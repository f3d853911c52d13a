package validate

import (
	"fmt"
	"net/netip"

	"github.com/hostnet/hostnet/hostnet/plan"
)

const mainTable = 254 // RT_TABLE_MAIN; a route's table 0 means main

func checkAddresses(c *checker) {
	owner := map[netip.Addr]plan.Interface{}
	for _, i := range c.p.Interfaces() {
		ic := i.Common()
		for _, p := range ic.Addresses {
			a := p.Addr()
			if first, dup := owner[a]; dup {
				where := "on " + name(first) + " too"
				if first == i {
					where = "twice on this interface"
				}
				c.report("duplicate-address", attrOf(&ic.Source, "addresses"),
					"%s is planned %s. The same address on two interfaces answers ARP from both and breaks routing (and the kernel refuses it twice on one interface with EEXIST). Keep it on one interface.",
					a, where)
				continue
			}
			owner[a] = i
		}
		port := false
		if len(ic.Addresses) > 0 || ic.Gateway.IsValid() {
			var master string
			if n, ok := i.(*plan.NIC); ok && len(c.slaveOf[n]) > 0 {
				master = "a slave of " + name(c.slaveOf[n][0]) + ", which receives its frames"
				if len(ic.Addresses) > 0 {
					master += "; put them on " + c.slaveOf[n][0].Addr
				}
			} else if brs := c.portOf[i]; len(brs) > 0 {
				master = "a port of " + name(brs[0]) + ", which receives its frames"
				if len(ic.Addresses) > 0 {
					master += "; put them on " + brs[0].Addr
				}
			}
			if master != "" {
				port = true
				attr := "addresses"
				if len(ic.Addresses) == 0 {
					attr = "gateway"
				}
				c.report("address-on-port", attrOf(&ic.Source, attr),
					"%s is %s. The kernel hands every frame arriving on it to its master before IP sees it, so addresses and routes on it are never reached. Move addresses and gateway to the master.",
					name(i), master)
			}
		}
		for _, p := range ic.Addresses {
			if why := notHost(p); why != "" {
				c.report("address-not-host", attrOf(&ic.Source, "addresses"),
					"%s on %s is %s. The kernel accepts it, but no host answers or sends from it as the plan means. Use a host address of the prefix.",
					p, name(i), why)
			}
		}
		if gw := ic.Gateway; gw.IsValid() && !port {
			switch {
			case ownAddress(gw, ic.Addresses):
				c.report("gateway-is-own-address", attrOf(&ic.Source, "gateway"),
					"gateway %s is an address of %s itself. The kernel accepts a route via its own (local) address, but it then resolves the next hop to this host: packets for other networks never leave. Set the router's address.",
					gw, name(i))
			case !onLink(gw, ic.Addresses):
				c.report("gateway-outside-prefix", attrOf(&ic.Source, "gateway"),
					"gateway %s is in none of the prefixes of %s (%s). The kernel refuses a route via a gateway it cannot reach on a connected prefix (ENETUNREACH, \"Nexthop has invalid gateway\"). Check the gateway or add the matching address.",
					gw, name(i), prefixList(ic.Addresses))
			}
		}
	}

	// IPv4 default routes: interface gateways (main table, metric 0) and routes to 0.0.0.0/0.
	type key struct{ table, metric int }
	defaults := map[key]string{}
	add := func(k key, what string, report func(first string)) {
		if first, dup := defaults[k]; dup {
			report(first)
			return
		}
		defaults[k] = what
	}
	for _, i := range c.p.Interfaces() {
		ic := i.Common()
		if !ic.Gateway.Is4() {
			continue
		}
		add(key{mainTable, 0}, "gateway of "+ic.Addr, func(first string) {
			c.report("multiple-default-gateways", attrOf(&ic.Source, "gateway"),
				"%s has gateway = %s, and the %s already makes an IPv4 default route in the main table with metric 0. The kernel keeps one such route and refuses a second with EEXIST, so one host has one default gateway: keep one, or write the other as a route \"default\" with another metric (a backup route).",
				ic.Addr, ic.Gateway, first)
		})
	}
	for _, r := range c.p.Routes {
		if r.To != netip.MustParsePrefix("0.0.0.0/0") {
			continue
		}
		t := r.Table
		if t == 0 {
			t = mainTable
		}
		add(key{t, r.Metric}, "route "+r.Addr, func(first string) {
			c.report("multiple-default-gateways", attrOf(&r.Source, "to"),
				"%s is an IPv4 default route in table %d with metric %d, and %s already is one. The kernel refuses a second with EEXIST. Keep one, or give the backup route another metric.",
				r.Addr, t, r.Metric, first)
		})
	}
}

// notHost says why an interface address is no host address, or "".
func notHost(p netip.Prefix) string {
	a := p.Addr()
	switch {
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast():
		return "a multicast address"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the limited broadcast address"
	case a.Is4() && p.Bits() < 31 && a == broadcast(p):
		return "the broadcast address of " + p.Masked().String()
	}
	return ""
}

// broadcast is the highest address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func ownAddress(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

// onLink reports whether gw is reachable directly through one of the prefixes; an IPv6
// link-local gateway always is.
func onLink(gw netip.Addr, prefixes []netip.Prefix) bool {
	if gw.Is6() && gw.IsLinkLocalUnicast() {
		return true
	}
	for _, p := range prefixes {
		if p.Contains(gw) {
			return true
		}
	}
	return false
}

func prefixList(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "it has no addresses"
	}
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.Masked().String()
	}
	return s
}

func checkRoutes(c *checker) {
	var all []netip.Prefix
	connected := map[netip.Prefix]plan.Interface{}
	for _, i := range c.p.Interfaces() {
		all = append(all, i.Common().Addresses...)
		for _, p := range i.Common().Addresses {
			if _, ok := connected[p.Masked()]; !ok {
				connected[p.Masked()] = i
			}
		}
	}
	for _, r := range c.p.Routes {
		if r.Written.IsValid() {
			c.report("route-host-bits", attrOf(&r.Source, "to"),
				"%s has to = %q, which has host bits set: the kernel refuses such a destination with EINVAL (\"Invalid prefix for given prefix length\"). Write %s, or a /%d host route.",
				r.Addr, r.Written, r.To, r.Written.Addr().BitLen())
		}
		if owner, ok := connected[r.To]; ok && (r.Table == 0 || r.Table == mainTable) {
			what := "The kernel adds this route itself, in the main table with metric 0, when the address is set, and refuses a second route with the same table and metric (EEXIST)."
			if r.Metric != 0 || r.To.Addr().Is6() {
				what = fmt.Sprintf("The kernel already routes it through %s (the route it adds with the address, metric 0 for IPv4, 256 for IPv6); this one with metric %d is never used while that address exists.", name(owner), r.Metric)
			}
			c.report("route-is-connected", attrOf(&r.Source, "to"),
				"%s goes to %s, a prefix of an address of %s. %s Remove the route, or put it in another table.",
				r.Addr, r.To, name(owner), what)
		}
		if r.Dev != nil {
			if n, ok := r.Dev.(*plan.NIC); ok && len(c.slaveOf[n]) > 0 {
				c.report("bypasses-bond", attrOf(&r.Source, "dev"),
					"%s goes out of %s, a slave of %s: packets sent on a slave leave on that link only, never fail over, and replies arrive through the bond. Route through %s instead.",
					r.Addr, name(n), name(c.slaveOf[n][0]), c.slaveOf[n][0].Addr)
			}
		}
		if !r.Via.IsValid() {
			continue
		}
		prefixes, where := all, "any planned interface"
		if r.Dev != nil {
			prefixes, where = r.Dev.Common().Addresses, name(r.Dev)
		}
		if onLink(r.Via, prefixes) {
			continue
		}
		c.report("route-via-unreachable", attrOf(&r.Source, "via"),
			"%s goes via %s, which is in none of the prefixes of %s (%s). The kernel refuses a route whose gateway is not on a connected prefix (ENETUNREACH, \"Nexthop has invalid gateway\"). Check via, or add an address whose prefix contains %s.",
			r.Addr, r.Via, where, prefixList(prefixes), r.Via)
	}
}
