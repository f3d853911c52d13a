package validate

import (
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
		if gw := ic.Gateway; gw.IsValid() && !port && !onLink(gw, ic.Addresses) {
			c.report("gateway-outside-prefix", attrOf(&ic.Source, "gateway"),
				"gateway %s is in none of the prefixes of %s (%s). The kernel refuses a route via a gateway it cannot reach on a connected prefix (\"Nexthop has invalid gateway\") unless the address comes from elsewhere (DHCP) or the route is onlink. Check the gateway or add the matching address.",
				gw, name(i), prefixList(ic.Addresses))
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
	for _, i := range c.p.Interfaces() {
		all = append(all, i.Common().Addresses...)
	}
	for _, r := range c.p.Routes {
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
			"%s goes via %s, which is in none of the prefixes of %s (%s). The kernel refuses a route whose gateway is not on a connected prefix (\"Nexthop has invalid gateway\"), unless an address outside the plan (e.g. DHCP) covers it. Check via, or add an address whose prefix contains %s.",
			r.Addr, r.Via, where, prefixList(prefixes), r.Via)
	}
}
