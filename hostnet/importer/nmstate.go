package importer

import (
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hostnet/hostnet/hostnet/vid"
)

// parseNmstate reads an nmstate state (YAML): interfaces of type ethernet, bond,
// linux-bridge and vlan, their IP addresses, and routes.config.
func parseNmstate(d *Doc, path string, b []byte) {
	root := yamlDoc(d, path, b)
	if root == nil {
		return
	}
	for _, sec := range pairs(root) {
		at := Origin{path, sec.k.Line}
		switch sec.key {
		case "interfaces":
			for _, n := range sec.v.Content {
				nmstateIface(d, path, n)
			}
		case "routes":
			for _, r := range pairs(sec.v) {
				if r.key != "config" {
					continue // "running" is the kernel's own view
				}
				for _, x := range r.v.Content {
					nmstateRoute(d, path, x)
				}
			}
		default:
			d.warnf(at, "%s: not carried over (a plan has interfaces and routes)", sec.key)
		}
	}
}

func nmstateIface(d *Doc, path string, n *yaml.Node) {
	at := Origin{path, n.Line}
	name := get(n, "name")
	if name == nil || name.Value == "" {
		d.errorf(at, "an interface without a name")
		return
	}
	typ := ""
	if t := get(n, "type"); t != nil {
		typ = t.Value
	}
	if s := get(n, "state"); s != nil && s.Value != "up" {
		d.warnf(Origin{path, s.Line}, "%s: state %s: not carried over (a plan has the interfaces that are up)", name.Value, s.Value)
		return
	}
	if name.Value == "lo" || typ == "loopback" {
		return
	}
	i := d.iface(name.Value, at)
	switch typ {
	case "ethernet", "":
		d.setKind(i, NIC, at)
	case "bond":
		d.setKind(i, Bond, at)
	case "linux-bridge":
		d.setKind(i, Bridge, at)
		if i.STP == nil {
			t := true // NetworkManager's default: spanning tree on
			i.STP = &t
		}
	case "vlan":
		d.setKind(i, VLAN, at)
	default:
		d.warnf(at, "%s: type %s: not carried over (a plan has ethernet, bond, linux-bridge and vlan)", i.Name, typ)
		return
	}
	for _, p := range pairs(n) {
		o := Origin{path, p.k.Line}
		switch p.key {
		case "name", "type", "state":
		case "mac-address":
			if i.Kind == NIC || i.MAC == "" {
				i.MAC = strings.ToLower(p.v.Value)
			}
		case "permanent-mac-address":
			if i.Kind == NIC {
				i.MAC = strings.ToLower(p.v.Value)
			}
		case "mtu":
			if v, ok := yInt(p.v); ok && v > 0 {
				i.MTU = v
			} else {
				d.errorf(o, "%s: mtu %q is not a number", i.Name, p.v.Value)
			}
		case "ipv4", "ipv6":
			for _, q := range pairs(p.v) {
				qo := Origin{path, q.k.Line}
				switch q.key {
				case "enabled":
				case "address":
					for _, a := range q.v.Content {
						ip, pl := get(a, "ip"), get(a, "prefix-length")
						if ip == nil || pl == nil {
							d.errorf(Origin{path, a.Line}, "%s: an address without ip or prefix-length", i.Name)
							continue
						}
						if pf, err := netip.ParsePrefix(ip.Value + "/" + pl.Value); err == nil {
							i.Addrs = append(i.Addrs, pf.String())
						} else {
							d.errorf(Origin{path, a.Line}, "%s: address %s/%s: %v", i.Name, ip.Value, pl.Value, err)
						}
					}
				case "dhcp", "autoconf":
					if on, _ := yBool(q.v); on {
						d.warnf(qo, "%s: %s.%s: true: not carried over (a plan has static addresses only)", i.Name, p.key, q.key)
					}
				default:
					d.warnf(qo, "%s: %s.%s: not carried over", i.Name, p.key, q.key)
				}
			}
		case "link-aggregation":
			for _, q := range pairs(p.v) {
				qo := Origin{path, q.k.Line}
				switch q.key {
				case "mode":
					d.bondOpt(i, "mode", q.v.Value, qo)
				case "port", "slaves":
					for _, s := range scalars(q.v) {
						i.Slaves = appendUnique(i.Slaves, s)
						d.iface(s, qo)
					}
				case "options":
					for _, op := range pairs(q.v) {
						v := op.v.Value
						if op.v.Kind == yaml.SequenceNode {
							v = strings.Join(scalars(op.v), ",")
						}
						if op.key == "primary" || op.key == "active_slave" {
							d.iface(v, qo)
						}
						d.bondOpt(i, op.key, v, Origin{path, op.k.Line})
					}
				default:
					d.warnf(qo, "%s: link-aggregation.%s: not carried over", i.Name, q.key)
				}
			}
		case "bridge":
			nmstateBridge(d, path, i, p.v)
		case "vlan":
			for _, q := range pairs(p.v) {
				qo := Origin{path, q.k.Line}
				switch q.key {
				case "base-iface":
					i.Link = q.v.Value
					d.iface(i.Link, qo)
				case "id":
					if v, ok := yInt(q.v); ok && v >= 1 && v <= 4094 {
						i.ID = v
					} else {
						d.errorf(qo, "%s: vlan id %q is not 1..4094", i.Name, q.v.Value)
					}
				case "protocol":
					if strings.EqualFold(q.v.Value, "802.1ad") {
						i.Protocol = "802.1ad"
					}
				default:
					d.warnf(qo, "%s: vlan.%s: not carried over", i.Name, q.key)
				}
			}
		default:
			d.warnf(o, "%s: %s: not carried over (no equivalent in a plan)", i.Name, p.key)
		}
	}
}

func nmstateBridge(d *Doc, path string, i *Iface, br *yaml.Node) {
	for _, q := range pairs(br) {
		qo := Origin{path, q.k.Line}
		switch q.key {
		case "options":
			for _, op := range pairs(q.v) {
				oo := Origin{path, op.k.Line}
				switch op.key {
				case "stp":
					for _, s := range pairs(op.v) {
						so := Origin{path, s.k.Line}
						switch s.key {
						case "enabled":
							if b, ok := yBool(s.v); ok {
								i.STP = &b
							}
						case "forward-delay":
							if v, ok := yInt(s.v); ok {
								i.ForwardDelay = &v
							} else {
								d.errorf(so, "%s: forward-delay %q is not a number", i.Name, s.v.Value)
							}
						default:
							d.warnf(so, "%s: stp.%s: not carried over (no equivalent in a plan)", i.Name, s.key)
						}
					}
				case "mac-ageing-time":
					if v, ok := yInt(op.v); ok {
						i.AgeingTime = &v
					}
				case "multicast-snooping":
					if b, ok := yBool(op.v); ok {
						i.McastSnooping = &b
					}
				case "vlan-filtering":
					if b, ok := yBool(op.v); ok {
						i.VLANFiltering = &b
					}
				default:
					d.warnf(oo, "%s: bridge option %s: not carried over (no equivalent in a plan)", i.Name, op.key)
				}
			}
		case "port", "slaves":
			for _, p := range q.v.Content {
				pn := get(p, "name")
				if pn == nil {
					d.errorf(Origin{path, p.Line}, "%s: a bridge port without a name", i.Name)
					continue
				}
				i.Ports = appendUnique(i.Ports, pn.Value)
				d.iface(pn.Value, Origin{path, p.Line})
				for _, a := range pairs(p) {
					if a.key == "name" {
						continue
					}
					if a.key == "vlan" {
						if m := nmstatePortVLAN(d, path, i.Name, pn.Value, a.v, Origin{path, a.k.Line}); m != nil {
							t := true // per-port VLANs mean a VLAN-filtering bridge (nmstate turns it on)
							i.VLANFiltering = &t
							if i.PortVLANs == nil {
								i.PortVLANs = map[string]*Membership{}
							}
							i.PortVLANs[pn.Value] = m
						}
						continue
					}
					d.warnf(Origin{path, a.k.Line}, "%s: port %s: %s: not carried over", i.Name, pn.Value, a.key)
				}
			}
		default:
			d.warnf(qo, "%s: bridge.%s: not carried over", i.Name, q.key)
		}
	}
}

func nmstateRoute(d *Doc, path string, r *yaml.Node) {
	at := Origin{path, r.Line}
	rt := Route{Origin: at}
	for _, p := range pairs(r) {
		switch p.key {
		case "destination":
			rt.To = p.v.Value
		case "next-hop-address":
			rt.Via = p.v.Value
		case "next-hop-interface":
			rt.Dev = p.v.Value
		case "metric":
			rt.Metric, _ = yInt(p.v)
		case "table-id":
			rt.Table, _ = yInt(p.v)
		case "state":
			if p.v.Value == "absent" {
				d.warnf(at, "route state absent: not carried over")
				return
			}
		default:
			d.warnf(Origin{path, p.k.Line}, "route option %s: not carried over", p.key)
		}
	}
	if rt.To == "" {
		d.errorf(at, "a route without destination")
		return
	}
	if i := d.byName[rt.Dev]; i != nil && (rt.To == "0.0.0.0/0" || rt.To == "::/0") && rt.Metric == 0 &&
		(rt.Table == 0 || rt.Table == 254) && rt.Via != "" && i.Gateway == "" {
		i.Gateway = rt.Via
		return
	}
	d.Routes = append(d.Routes, rt)
}

func yamlInline(n *yaml.Node) string {
	b, err := yaml.Marshal(n)
	if err != nil {
		return "?"
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(s)
}

// nmstatePortVLAN reads a linux-bridge port's vlan: section as nmstate applies it: mode
// trunk carries trunk-tags (each an id or an id-range {min, max}) tagged, plus tag as the
// native VLAN (PVID, untagged) when enable-native is true, and no PVID otherwise (untagged
// frames are dropped); mode access is VLAN tag only, as PVID, untagged. Nil after a
// diagnostic.
func nmstatePortVLAN(d *Doc, path, br, port string, n *yaml.Node, at Origin) *Membership {
	m := &Membership{Origin: at}
	mode, tag, native := "", 0, false
	var trunk vid.Set
	bad := false
	id := func(x *yaml.Node, what string) int {
		v, ok := yInt(x)
		if !ok || !vid.Valid(v) {
			d.errorf(Origin{path, x.Line}, "%s: port %s: vlan %s %q is not a VLAN id 1..4094", br, port, what, x.Value)
			bad = true
			return 0
		}
		return v
	}
	for _, q := range pairs(n) {
		qo := Origin{path, q.k.Line}
		switch q.key {
		case "mode":
			mode = q.v.Value
		case "tag":
			tag = id(q.v, "tag")
		case "enable-native":
			native, _ = yBool(q.v)
		case "trunk-tags":
			for _, t := range q.v.Content {
				if x := get(t, "id"); x != nil {
					if v := id(x, "trunk-tags id"); v != 0 {
						trunk.Add(v)
					}
					continue
				}
				r := get(t, "id-range")
				if r == nil || get(r, "min") == nil || get(r, "max") == nil {
					d.errorf(Origin{path, t.Line}, "%s: port %s: a trunk tag without id or id-range {min, max}", br, port)
					bad = true
					continue
				}
				lo, hi := id(get(r, "min"), "id-range min"), id(get(r, "max"), "id-range max")
				if lo != 0 && hi != 0 {
					if hi < lo {
						d.errorf(Origin{path, r.Line}, "%s: port %s: id-range %d-%d runs backwards", br, port, lo, hi)
						bad = true
						continue
					}
					trunk.AddRange(lo, hi)
				}
			}
		default:
			d.warnf(qo, "%s: port %s: vlan.%s: not carried over", br, port, q.key)
		}
	}
	if bad {
		return nil
	}
	switch mode {
	case "access":
		if tag == 0 {
			d.errorf(at, "%s: port %s: vlan mode access without a tag", br, port)
			return nil
		}
		if !trunk.Empty() {
			d.warnf(at, "%s: port %s: trunk-tags on an access port: not carried over (nmstate refuses them)", br, port)
		}
		m.PVID = tag
		m.VIDs.Add(tag)
	case "trunk", "":
		m.VIDs = trunk
		if native {
			if tag == 0 {
				d.errorf(at, "%s: port %s: enable-native without a tag", br, port)
				return nil
			}
			m.PVID = tag
			m.VIDs.Add(tag)
		} else if tag != 0 {
			d.warnf(at, "%s: port %s: tag %d without enable-native: not carried over (nmstate uses it only as the native VLAN)", br, port, tag)
		}
	default:
		d.errorf(at, "%s: port %s: vlan mode %q is not trunk or access", br, port, mode)
		return nil
	}
	return m
}
