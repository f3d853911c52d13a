package importer

import (
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseNetplan reads a netplan YAML file (network: version 2): ethernets, bonds, bridges and
// vlans with their addresses, routes and parameters.
func parseNetplan(d *Doc, path string, b []byte) {
	root := yamlDoc(d, path, b)
	if root == nil {
		return
	}
	net := get(root, "network")
	if net == nil {
		d.errorf(Origin{path, root.Line}, "no network: key")
		return
	}
	// netplan IDs name interfaces in the file; ethernets may be renamed by set-name or
	// matched by name, which is the kernel name.
	names := map[string]string{}
	for _, sec := range pairs(net) {
		if sec.key == "ethernets" {
			for _, e := range pairs(sec.v) {
				names[e.key] = netplanKernelName(e.key, e.v)
			}
		}
	}
	renderer := "networkd" // netplan's default
	if r := get(net, "renderer"); r != nil {
		renderer = r.Value
	}
	kname := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	for _, sec := range pairs(net) {
		at := Origin{path, sec.k.Line}
		switch sec.key {
		case "version":
			if sec.v.Value != "2" {
				d.errorf(at, "netplan version %s: only version 2 is known", sec.v.Value)
			}
		case "renderer":
		case "ethernets", "bonds", "bridges", "vlans":
			for _, e := range pairs(sec.v) {
				netplanIface(d, path, sec.key, e, kname, renderer)
			}
		default:
			d.warnf(at, "network.%s: not carried over (a plan has NICs, bonds, bridges and VLANs)", sec.key)
		}
	}
}

func netplanKernelName(id string, v *yaml.Node) string {
	if s := get(v, "set-name"); s != nil {
		return s.Value
	}
	if m := get(v, "match"); m != nil {
		if n := get(m, "name"); n != nil && !strings.ContainsAny(n.Value, "*?[") {
			return n.Value
		}
	}
	return id
}

func netplanIface(d *Doc, path, section string, e ykv, kname func(string) string, renderer string) {
	at := Origin{path, e.k.Line}
	i := d.iface(kname(e.key), at)
	switch section {
	case "ethernets":
		d.setKind(i, NIC, at)
	case "bonds":
		d.setKind(i, Bond, at)
	case "bridges":
		d.setKind(i, Bridge, at)
		if r := get(e.v, "renderer"); r != nil {
			renderer = r.Value
		}
		// Without parameters.stp, networkd leaves STP as the kernel has it (off: netplan
		// generate writes no STP= line), while NetworkManager turns it on.
		if i.STP == nil && renderer == "NetworkManager" {
			t := true
			i.STP = &t
		}
	case "vlans":
		d.setKind(i, VLAN, at)
	}
	for _, p := range pairs(e.v) {
		o := Origin{path, p.k.Line}
		switch p.key {
		case "match":
			for _, m := range pairs(p.v) {
				switch m.key {
				case "macaddress", "permanent-mac-address":
					i.MAC = strings.ToLower(m.v.Value)
				case "name":
					if strings.ContainsAny(m.v.Value, "*?[") {
						d.warnf(Origin{path, m.k.Line}, "%s: match name %s: a pattern; a plan names each NIC by its MAC", i.Name, m.v.Value)
					}
				default:
					d.warnf(Origin{path, m.k.Line}, "%s: match %s: not carried over (a plan matches NICs by MAC)", i.Name, m.key)
				}
			}
		case "set-name":
		case "macaddress":
			if i.Kind == NIC {
				d.warnf(o, "%s: macaddress %s on a NIC: not carried over (the NIC is found by its own MAC)", i.Name, p.v.Value)
			} else {
				i.MAC = strings.ToLower(p.v.Value)
			}
		case "mtu":
			if n, ok := yInt(p.v); ok && n > 0 {
				i.MTU = n
			} else {
				d.errorf(o, "%s: mtu %q is not a number", i.Name, p.v.Value)
			}
		case "addresses":
			for _, a := range p.v.Content {
				s := a.Value
				if a.Kind == yaml.MappingNode && len(a.Content) > 0 {
					s = a.Content[0].Value
					d.warnf(Origin{path, a.Line}, "%s: address options (label, lifetime) of %s: not carried over", i.Name, s)
				}
				if pf, err := netip.ParsePrefix(s); err == nil {
					i.Addrs = append(i.Addrs, pf.String())
				} else {
					d.errorf(Origin{path, a.Line}, "%s: address %q: %v", i.Name, s, err)
				}
			}
		case "gateway4", "gateway6":
			if i.Gateway != "" {
				d.warnf(o, "%s: %s %s: a plan has one gateway per interface; kept %s", i.Name, p.key, p.v.Value, i.Gateway)
			} else if _, err := netip.ParseAddr(p.v.Value); err == nil {
				i.Gateway = p.v.Value
			} else {
				d.errorf(o, "%s: %s %q: %v", i.Name, p.key, p.v.Value, err)
			}
		case "routes":
			for _, r := range p.v.Content {
				netplanRoute(d, path, i, r)
			}
		case "dhcp4", "dhcp6":
			if on, _ := yBool(p.v); on {
				d.warnf(o, "%s: %s: true: not carried over (a plan has static addresses only)", i.Name, p.key)
			}
		case "optional", "critical", "renderer", "link-local", "accept-ra", "wakeonlan":
			d.warnf(o, "%s: %s: not carried over (no equivalent in a plan)", i.Name, p.key)
		case "interfaces":
			for _, s := range scalars(p.v) {
				n := kname(s)
				d.iface(n, o)
				if i.Kind == Bond {
					i.Slaves = appendUnique(i.Slaves, n)
				} else {
					i.Ports = appendUnique(i.Ports, n)
				}
			}
		case "parameters":
			for _, q := range pairs(p.v) {
				qo := Origin{path, q.k.Line}
				if i.Kind == Bond {
					v := q.v.Value
					if q.v.Kind == yaml.SequenceNode {
						v = strings.Join(scalars(q.v), ",")
					}
					switch q.key {
					case "mii-monitor-interval", "arp-interval", "up-delay", "down-delay", "learn-packet-interval":
						ms, ok := netplanMillis(v)
						if !ok {
							d.errorf(qo, "%s: %s %q is not a time", i.Name, q.key, v)
							continue
						}
						v = ms
					case "primary":
						v = kname(v)
					}
					d.bondOpt(i, q.key, v, qo)
					continue
				}
				switch q.key {
				case "stp":
					if b, ok := yBool(q.v); ok {
						i.STP = &b
					} else {
						d.errorf(qo, "%s: stp %q is not true or false", i.Name, q.v.Value)
					}
				case "forward-delay", "ageing-time", "aging-time":
					n, ok := netplanSeconds(q.v.Value)
					if !ok {
						d.errorf(qo, "%s: %s %q is not a whole number of seconds", i.Name, q.key, q.v.Value)
						continue
					}
					if q.key == "forward-delay" {
						i.ForwardDelay = &n
					} else {
						i.AgeingTime = &n
					}
				default:
					d.warnf(qo, "%s: bridge parameter %s: not carried over (no equivalent in a plan)", i.Name, q.key)
				}
			}
		case "id":
			if n, ok := yInt(p.v); ok && n >= 1 && n <= 4094 {
				i.ID = n
			} else {
				d.errorf(o, "%s: id %q is not 1..4094", i.Name, p.v.Value)
			}
		case "link":
			i.Link = kname(p.v.Value)
			d.iface(i.Link, o)
		default:
			d.warnf(o, "%s: %s: not carried over (no equivalent in a plan)", i.Name, p.key)
		}
	}
}

func netplanRoute(d *Doc, path string, i *Iface, r *yaml.Node) {
	at := Origin{path, r.Line}
	to, via := get(r, "to"), get(r, "via")
	if to == nil {
		d.errorf(at, "%s: a route without to", i.Name)
		return
	}
	rt := Route{To: to.Value, Dev: i.Name, Origin: at}
	if via != nil {
		rt.Via = via.Value
	}
	for _, p := range pairs(r) {
		switch p.key {
		case "to", "via":
		case "metric":
			rt.Metric, _ = yInt(p.v)
		case "table":
			rt.Table, _ = yInt(p.v)
		default:
			d.warnf(Origin{path, p.k.Line}, "%s: route option %s: not carried over", i.Name, p.key)
		}
	}
	if (rt.To == "default" || rt.To == "0.0.0.0/0" || rt.To == "::/0") && rt.Metric == 0 && rt.Table == 0 && rt.Via != "" && i.Gateway == "" {
		i.Gateway = rt.Via // a plain default route is the interface's gateway
		return
	}
	if rt.To == "default" {
		rt.To = "default"
	}
	d.Routes = append(d.Routes, rt)
}

// netplanMillis turns a netplan time (a number of milliseconds, or with ms/s suffix) into
// milliseconds.
func netplanMillis(v string) (string, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(v, "ms"):
		v = strings.TrimSuffix(v, "ms")
	case strings.HasSuffix(v, "s"):
		v, mult = strings.TrimSuffix(v, "s"), 1000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return "", false
	}
	return strconv.Itoa(n * mult), true
}

func netplanSeconds(v string) (int, bool) {
	v = strings.TrimSuffix(v, "s")
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}
