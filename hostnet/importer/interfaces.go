package importer

import (
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// maxSourceDepth bounds nested source directives (a file that sources itself).
const maxSourceDepth = 8

// parseInterfaces reads a Debian /etc/network/interfaces file as ifupdown and ifupdown2
// (Proxmox) write it: auto/allow-* lines, `iface NAME inet|inet6 METHOD` stanzas with
// indented options, `source` and `source-directory` directives (globs, relative to the
// file's directory), comments and continuation lines.
func parseInterfaces(r *reader, path string, b []byte, depth int) {
	d := r.d
	var cur *Iface
	var curMethod string
	for _, ln := range logicalLines(b) {
		at := Origin{File: path, Line: ln.n}
		f := strings.Fields(ln.text)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "auto", "allow-hotplug", "allow-auto", "allow-ovs", "no-auto-down", "no-scripts":
			cur = nil // hostnet applies every interface of its plan
			continue
		case "source", "source-directory", "source-dir":
			cur = nil
			if len(f) < 2 {
				d.errorf(at, "%s without a path", f[0])
				continue
			}
			if depth >= maxSourceDepth {
				d.errorf(at, "%s nested deeper than %d files: not followed", f[0], maxSourceDepth)
				continue
			}
			target := f[1]
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
			var files []string
			if f[0] == "source" {
				files, _ = filepath.Glob(target)
			} else {
				all, _ := filepath.Glob(filepath.Join(target, "*"))
				for _, x := range all { // ifupdown's run-parts naming: letters, digits, _ and -
					if base := filepath.Base(x); base == sanitize(base) || strings.Trim(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
						files = append(files, x)
					}
				}
			}
			sort.Strings(files)
			if len(files) == 0 && !strings.ContainsAny(f[1], "*?[") && f[0] == "source" {
				d.errorf(at, "source %s: no such file", f[1])
			}
			for _, x := range files {
				if bb := r.read(x, at); bb != nil {
					parseInterfaces(r, x, bb, depth+1)
				}
			}
			continue
		case "mapping", "rename":
			cur = nil
			d.warnf(at, "%s stanza: not carried over (a plan finds NICs by MAC address)", f[0])
			continue
		case "iface":
			cur = nil
			if len(f) < 2 {
				d.errorf(at, "iface without a name")
				continue
			}
			name := f[1]
			family, method := "inet", "manual"
			if len(f) >= 3 {
				family = f[2]
			}
			if len(f) >= 4 {
				method = f[3]
			}
			if name == "lo" || method == "loopback" {
				continue // the loopback is the kernel's
			}
			cur = d.iface(name, at)
			curMethod = method
			switch method {
			case "manual", "static", "none":
			case "dhcp", "auto", "ppp", "bootp", "tunnel", "wvdial", "ipv4ll":
				d.warnf(at, "%s: method %s %s: not carried over (a plan has static addresses only)", name, family, method)
			default:
				d.warnf(at, "%s: unknown method %s %s", name, family, method)
			}
			if m := vlanName(name); m.ok {
				d.setKind(cur, VLAN, at)
				cur.Link, cur.ID = m.link, m.id
				if m.link != "" {
					d.iface(m.link, Origin{})
				}
			}
			continue
		}
		if cur == nil {
			d.errorf(at, "option %s outside an iface stanza", f[0])
			continue
		}
		interfacesOption(d, cur, curMethod, f[0], f[1:], at)
	}
}

type vlanMatch struct {
	link string
	id   int
	ok   bool
}

// vlanName recognises the VLAN naming conventions: <raw>.<id> and vlan<id> (whose raw
// device comes from vlan-raw-device).
func vlanName(name string) vlanMatch {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if id, err := strconv.Atoi(name[i+1:]); err == nil && id > 0 && id < 4095 {
			return vlanMatch{name[:i], id, true}
		}
	}
	if rest, ok := strings.CutPrefix(name, "vlan"); ok {
		if id, err := strconv.Atoi(rest); err == nil && id > 0 && id < 4095 {
			return vlanMatch{"", id, true}
		}
	}
	return vlanMatch{}
}

// interfacesOption applies one option line of an iface stanza.
func interfacesOption(d *Doc, i *Iface, method, key string, args []string, at Origin) {
	val := strings.Join(args, " ")
	k := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	switch {
	case k == "address":
		if len(args) != 1 {
			d.errorf(at, "%s: address %q: one address expected", i.Name, val)
			return
		}
		if method != "static" && method != "manual" && method != "none" {
			d.warnf(at, "%s: address with method %s: carried over as a static address", i.Name, method)
		}
		if !strings.Contains(args[0], "/") {
			i.Addrs = append(i.Addrs, args[0]+"/?") // completed by netmask below
			return
		}
		if p, err := netip.ParsePrefix(args[0]); err != nil {
			d.errorf(at, "%s: address %q: %v", i.Name, args[0], err)
		} else {
			i.Addrs = append(i.Addrs, p.String())
		}
	case k == "netmask":
		bits, ok := maskBits(val)
		if !ok {
			d.errorf(at, "%s: netmask %q is not a netmask", i.Name, val)
			return
		}
		for n, a := range i.Addrs {
			if ip, ok := strings.CutSuffix(a, "/?"); ok {
				i.Addrs[n] = ip + "/" + strconv.Itoa(bits)
			}
		}
	case k == "gateway":
		if _, err := netip.ParseAddr(val); err != nil {
			d.errorf(at, "%s: gateway %q: %v", i.Name, val, err)
			return
		}
		if i.Gateway != "" {
			d.warnf(at, "%s: a second gateway %s: a plan has one per interface; kept %s", i.Name, val, i.Gateway)
			return
		}
		i.Gateway = val
	case k == "mtu":
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			d.errorf(at, "%s: mtu %q is not a number", i.Name, val)
			return
		}
		i.MTU = n
	case k == "hwaddress":
		mac := val
		if len(args) == 2 && args[0] == "ether" {
			mac = args[1]
		}
		i.MAC = strings.ToLower(mac)
	case k == "bond-slaves" || k == "slaves" || k == "bond-ports":
		d.setKind(i, Bond, at)
		for _, s := range args {
			if s == "none" {
				continue
			}
			i.Slaves = appendUnique(i.Slaves, s)
			d.setKind(d.iface(s, at), NIC, at)
		}
	case k == "bond-master":
		// ifupdown1 style: the slave names its bond
		if len(args) == 1 {
			b := d.iface(args[0], at)
			d.setKind(b, Bond, at)
			b.Slaves = appendUnique(b.Slaves, i.Name)
			d.setKind(i, NIC, at)
		}
	case strings.HasPrefix(k, "bond-"):
		d.setKind(i, Bond, at)
		d.bondOpt(i, strings.TrimPrefix(k, "bond-"), val, at)
	case k == "bridge-ports":
		d.setKind(i, Bridge, at)
		for _, p := range args {
			if p == "none" {
				continue
			}
			if strings.ContainsAny(p, "*?[") || strings.HasPrefix(p, "regex") || strings.HasPrefix(p, "glob") {
				d.warnf(at, "%s: bridge-ports pattern %s: not carried over (a plan names each port)", i.Name, p)
				continue
			}
			i.Ports = appendUnique(i.Ports, p)
			d.iface(p, at)
		}
	case k == "bridge-stp":
		d.setKind(i, Bridge, at)
		i.STP = boolWord(d, i, key, val, at)
	case k == "bridge-fd":
		d.setKind(i, Bridge, at)
		i.ForwardDelay = intWord(d, i, key, val, at)
	case k == "bridge-ageing" || k == "bridge-ageingtime":
		d.setKind(i, Bridge, at)
		i.AgeingTime = intWord(d, i, key, val, at)
	case k == "bridge-vlan-aware":
		d.setKind(i, Bridge, at)
		i.VLANFiltering = boolWord(d, i, key, val, at)
	case k == "bridge-mcsnoop":
		d.setKind(i, Bridge, at)
		i.McastSnooping = boolWord(d, i, key, val, at)
	case ifupdownVLANOption(d, i, k, args, at):
	case k == "bridge-maxwait" || k == "bridge-waitport":
		d.warnf(at, "%s: %s %s: not needed (hostnet orders links itself); not carried over", i.Name, key, val)
	case strings.HasPrefix(k, "bridge-"):
		d.warnf(at, "%s: %s %s: the plan language has no equivalent; not carried over", i.Name, key, val)
	case k == "vlan-raw-device":
		d.setKind(i, VLAN, at)
		i.Link = val
		d.iface(val, at)
	case k == "vlan-id":
		d.setKind(i, VLAN, at)
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 4094 {
			d.errorf(at, "%s: vlan-id %q is not 1..4094", i.Name, val)
			return
		}
		i.ID = n
	case k == "vlan-protocol":
		d.setKind(i, VLAN, at)
		i.Protocol = strings.ToUpper(strings.Replace(val, "q", "Q", 1))
		if i.Protocol == "802.1AD" {
			i.Protocol = "802.1ad"
		}
	default:
		d.warnf(at, "%s: %s %s: not carried over (hostnet runs no commands and has no equivalent)", i.Name, key, val)
	}
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func boolWord(d *Doc, i *Iface, key, val string, at Origin) *bool {
	switch strings.ToLower(val) {
	case "yes", "on", "true", "1":
		t := true
		return &t
	case "no", "off", "false", "0":
		f := false
		return &f
	}
	d.errorf(at, "%s: %s %q is not yes or no", i.Name, key, val)
	return nil
}

func intWord(d *Doc, i *Iface, key, val string, at Origin) *int {
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 {
		// ifupdown accepts fractions of seconds; the plan has whole ones
		if f, ferr := strconv.ParseFloat(val, 64); ferr == nil && f >= 0 && f == float64(int(f)) {
			n := int(f)
			return &n
		}
		d.errorf(at, "%s: %s %q is not a whole number of seconds", i.Name, key, val)
		return nil
	}
	return &n
}

// maskBits turns a dotted netmask (or a prefix length) into a prefix length.
func maskBits(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 128 {
		return n, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return 0, false
	}
	return n, true
}

type logicalLine struct {
	n    int
	text string
}

// logicalLines splits b into lines, dropping comments and joining continuation lines
// (ending in a backslash); each keeps the number of its first physical line.
func logicalLines(b []byte) []logicalLine {
	var out []logicalLine
	var acc strings.Builder
	start := 0
	for n, raw := range strings.Split(string(b), "\n") {
		line := strings.TrimRight(raw, "\r")
		if acc.Len() == 0 {
			start = n + 1
			if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
				continue
			}
		}
		if c, ok := strings.CutSuffix(line, "\\"); ok {
			acc.WriteString(c + " ")
			continue
		}
		acc.WriteString(line)
		out = append(out, logicalLine{start, acc.String()})
		acc.Reset()
	}
	if acc.Len() > 0 {
		out = append(out, logicalLine{start, acc.String()})
	}
	return out
}
