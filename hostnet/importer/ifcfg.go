package importer

import (
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// parseIfcfg reads one RHEL/CentOS/oVirt network-scripts file (ifcfg-NAME): shell-style
// KEY=VALUE lines. The interface name is DEVICE, else the file name after "ifcfg-".
func parseIfcfg(d *Doc, path string, b []byte) {
	kv := map[string]string{}
	line := map[string]int{}
	var order []string
	for _, ln := range logicalLines(b) {
		t := strings.TrimSpace(ln.text)
		if t == "" {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			d.errorf(Origin{path, ln.n}, "not a KEY=VALUE line: %q", clip(t))
			continue
		}
		val, err := shellWord(v)
		if err != "" {
			d.errorf(Origin{path, ln.n}, "%s: %s", k, err)
			continue
		}
		if _, seen := kv[k]; !seen {
			order = append(order, k)
		}
		kv[k], line[k] = val, ln.n
	}
	at := func(k string) Origin { return Origin{path, line[k]} }
	name := kv["DEVICE"]
	if name == "" {
		name = strings.TrimPrefix(filepath.Base(path), "ifcfg-")
	}
	if name == "lo" {
		return
	}
	first := Origin{File: path, Line: 1}
	if l, ok := line["DEVICE"]; ok {
		first.Line = l
	}
	i := d.iface(name, first)
	typ := strings.ToLower(kv["TYPE"])
	switch {
	case typ == "bond" || kv["BONDING_MASTER"] == "yes" || kv["BONDING_OPTS"] != "":
		d.setKind(i, Bond, at("TYPE"))
	case typ == "bridge":
		d.setKind(i, Bridge, at("TYPE"))
	case typ == "vlan" || strings.EqualFold(kv["VLAN"], "yes"):
		d.setKind(i, VLAN, at("VLAN"))
		if m := vlanName(name); m.ok {
			i.Link, i.ID = m.link, m.id
			if m.link != "" {
				d.iface(m.link, Origin{})
			}
		}
	case typ == "ethernet" || typ == "":
	default:
		d.warnf(at("TYPE"), "%s: TYPE=%s: not an interface type a plan has; left as a NIC", name, kv["TYPE"])
	}
	addrs := map[string]string{} // suffix ("" or "0".."9") -> address
	for _, k := range order {
		v := kv[k]
		o := at(k)
		switch {
		case k == "DEVICE" || k == "TYPE" || k == "VLAN" || k == "BONDING_MASTER" || k == "NAME":
		case k == "HWADDR":
			i.MAC = strings.ToLower(v)
		case k == "MACADDR":
			if i.Kind == NIC || i.Kind == "" {
				d.warnf(o, "%s: MACADDR %s (a MAC set on a NIC): not carried over; the NIC is found by HWADDR", name, v)
			} else {
				i.MAC = strings.ToLower(v)
			}
		case k == "MASTER":
			bd := d.iface(v, o)
			d.setKind(bd, Bond, o)
			bd.Slaves = appendUnique(bd.Slaves, name)
			d.setKind(i, NIC, o)
		case k == "SLAVE":
		case k == "BRIDGE":
			br := d.iface(v, o)
			d.setKind(br, Bridge, o)
			br.Ports = appendUnique(br.Ports, name)
		case k == "BONDING_OPTS":
			for _, f := range strings.Fields(v) {
				ok, ov, found := strings.Cut(f, "=")
				if !found {
					d.errorf(o, "%s: BONDING_OPTS %q is not option=value", name, f)
					continue
				}
				if ok == "primary" || ok == "active_slave" {
					d.iface(ov, o)
				}
				d.bondOpt(i, ok, ov, o)
			}
		case k == "PHYSDEV":
			i.Link = v
			d.iface(v, o)
		case k == "VLAN_ID":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 4094 {
				d.errorf(o, "%s: VLAN_ID %q is not 1..4094", name, v)
				continue
			}
			i.ID = n
		case k == "STP":
			i.STP = boolWord(d, i, k, v, o)
		case k == "DELAY":
			i.ForwardDelay = intWord(d, i, k, v, o)
		case k == "BRIDGING_OPTS":
			for _, f := range strings.Fields(v) {
				ok, ov, _ := strings.Cut(f, "=")
				switch ok {
				case "ageing_time":
					if n, err := strconv.Atoi(ov); err == nil {
						n /= 100 // sysfs centiseconds
						i.AgeingTime = &n
						continue
					}
				case "multicast_snooping":
					i.McastSnooping = boolWord(d, i, ok, ov, o)
					continue
				case "vlan_filtering":
					i.VLANFiltering = boolWord(d, i, ok, ov, o)
					continue
				case "forward_delay":
					if n, err := strconv.Atoi(ov); err == nil {
						n /= 100
						i.ForwardDelay = &n
						continue
					}
				}
				d.warnf(o, "%s: BRIDGING_OPTS %s: not carried over", name, f)
			}
		case k == "MTU":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				d.errorf(o, "%s: MTU %q is not a number", name, v)
				continue
			}
			i.MTU = n
		case strings.HasPrefix(k, "IPADDR"):
			if _, err := netip.ParseAddr(v); err != nil {
				d.errorf(o, "%s: %s %q: %v", name, k, v, err)
				continue
			}
			addrs[strings.TrimPrefix(k, "IPADDR")] = v
		case strings.HasPrefix(k, "PREFIX") || strings.HasPrefix(k, "NETMASK"):
		case k == "GATEWAY":
			if _, err := netip.ParseAddr(v); err != nil {
				d.errorf(o, "%s: GATEWAY %q: %v", name, v, err)
				continue
			}
			i.Gateway = v
		case k == "BOOTPROTO":
			if low := strings.ToLower(v); low != "none" && low != "static" && low != "" {
				d.warnf(o, "%s: BOOTPROTO=%s: not carried over (a plan has static addresses only)", name, v)
			}
		case k == "ONBOOT" || k == "NM_CONTROLLED" || k == "USERCTL" || k == "UUID":
			if k == "ONBOOT" && strings.EqualFold(v, "no") {
				d.warnf(o, "%s: ONBOOT=no: a plan applies every interface it has", name)
			}
		case strings.HasPrefix(k, "IPV6") && strings.EqualFold(v, "no"):
		default:
			d.warnf(o, "%s: %s=%s: not carried over (no equivalent in a plan)", name, k, v)
		}
	}
	for _, suf := range sortedKeys(addrs) {
		bits := -1
		if p, ok := kv["PREFIX"+suf]; ok {
			if n, err := strconv.Atoi(p); err == nil {
				bits = n
			}
		} else if m, ok := kv["NETMASK"+suf]; ok {
			if n, ok := maskBits(m); ok {
				bits = n
			}
		}
		if bits < 0 {
			d.errorf(at("IPADDR"+suf), "%s: IPADDR%s %s has no valid PREFIX%s or NETMASK%s", name, suf, addrs[suf], suf, suf)
			continue
		}
		if p, err := netip.ParsePrefix(addrs[suf] + "/" + strconv.Itoa(bits)); err == nil {
			i.Addrs = append(i.Addrs, p.String())
		} else {
			d.errorf(at("IPADDR"+suf), "%s: %v", name, err)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shellWord unquotes a shell value as network-scripts writes them: 'single', "double"
// (with backslash escapes) or bare. Anything the shell would expand is refused.
func shellWord(v string) (string, string) {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, " #"); i >= 0 && !strings.HasPrefix(v, "\"") && !strings.HasPrefix(v, "'") {
		v = strings.TrimSpace(v[:i])
	}
	switch {
	case strings.HasPrefix(v, "'"):
		if len(v) < 2 || !strings.HasSuffix(v, "'") {
			return "", "unterminated single quote"
		}
		return v[1 : len(v)-1], ""
	case strings.HasPrefix(v, "\""):
		if len(v) < 2 || !strings.HasSuffix(v, "\"") {
			return "", "unterminated double quote"
		}
		inner := v[1 : len(v)-1]
		if strings.ContainsAny(inner, "$`") {
			return "", "shell expansion ($ or `) is not evaluated"
		}
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(inner), ""
	}
	if strings.ContainsAny(v, "$`;|&<>(){}") {
		return "", "shell syntax is not evaluated"
	}
	return v, ""
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
