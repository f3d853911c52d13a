package validate

import (
	"fmt"
	"strings"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// checkStructure: who is enslaved where, and NIC MAC addresses.
func checkStructure(c *checker) {
	for _, n := range c.p.NICs {
		bonds := c.slaveOf[n]
		for k := 1; k < len(bonds); k++ {
			b := bonds[k]
			if b == bonds[0] || containsBond(bonds[:k], b) {
				c.report("nic-in-two-bonds", attrOf(&b.Source, "slaves"),
					"%s is listed more than once in the slaves of %s; a device is enslaved once (setting the same master again changes nothing). List it once.",
					n.Addr, name(b))
				continue
			}
			c.report("nic-in-two-bonds", attrOf(&b.Source, "slaves"),
				"%s is a slave of %s and of %s; a device has one master: setting a second one over netlink makes the kernel release it from the first, so each apply would move it and only the last bond would keep it. Give each bond its own NICs.",
				n.Addr, name(bonds[0]), name(b))
		}
		if len(bonds) > 0 {
			for _, br := range c.portOf[n] {
				c.report("slave-is-bridge-port", attrOf(&br.Source, "ports"),
					"%s is a slave of %s and a port of %s. A device has one master (one rx_handler): setting the bridge as its master over netlink makes the kernel release it from the bond first, so the bond would lose the NIC (and the other way round). Make %s the bridge port instead.",
					n.Addr, name(bonds[0]), name(br), bonds[0].Addr)
			}
		}
	}
	for _, i := range c.p.Interfaces() {
		brs := c.portOf[i]
		for k := 1; k < len(brs); k++ {
			what := fmt.Sprintf("is a port of %s and of %s; a device has one master: setting the second over netlink makes the kernel release it from the first, so only one bridge would keep it. To reach several bridges, give each its own VLAN on it.", name(brs[0]), name(brs[k]))
			if brs[k] == brs[0] || containsBridge(brs[:k], brs[k]) {
				what = fmt.Sprintf("is listed more than once in the ports of %s. List it once.", name(brs[k]))
			}
			c.report("port-of-two-bridges", attrOf(&brs[k].Source, "ports"), "%s %s", name(i), what)
		}
	}
	for _, b := range c.p.Bonds {
		if len(b.Slaves) == 0 {
			c.report("bond-without-slaves", attrOf(&b.Source, "slaves"),
				"%s has no slaves: the kernel creates it, but it never has carrier, so everything stacked on it (VLANs, bridges, guests) stays down, and VLANs created on a bond before its first slave keep the MAC 00:00:00:00:00:00. List its NICs in slaves.",
				name(b))
		}
	}
	macs := map[string]*plan.NIC{}
	for _, n := range c.p.NICs {
		if n.MAC == nil {
			continue
		}
		k := n.MAC.String()
		if first, dup := macs[k]; dup {
			c.report("duplicate-mac", attrOf(&n.Source, "mac"),
				"%s and %s both have mac = %s. hostnet finds NICs by MAC address, so the two blocks would match the same device. Give each NIC its own MAC.",
				first.Addr, n.Addr, k)
			continue
		}
		macs[k] = n
	}
	c.duplicateMACs(macs)
	for _, i := range c.p.Interfaces() {
		ic := i.Common()
		if ic.MAC == nil || unicast(ic.MAC) {
			continue
		}
		what := "The kernel refuses such an address for a device with EADDRNOTAVAIL (is_valid_ether_addr)."
		if ic.Kind == plan.KindNIC {
			what = "No network card has such an address, so no NIC would match."
		}
		c.report("mac-not-unicast", attrOf(&ic.Source, "mac"),
			"%s has mac = %s, which is %s. %s Use a unicast MAC (first byte even, e.g. 52:54:00:12:34:56).",
			name(i), ic.MAC, macProblem(ic.MAC), what)
	}
}

// duplicateMACs: a bond, VLAN or bridge mac equal to another interface's MAC, unless one
// is stacked on the other (a bond may wear its slave's MAC, a bridge its port's). Two
// unrelated devices with one MAC on the same segment confuse every switch and neighbour
// cache; the kernel does not check.
func (c *checker) duplicateMACs(nics map[string]*plan.NIC) {
	owner := map[string]plan.Interface{}
	for k, n := range nics {
		owner[k] = n
	}
	for _, i := range c.p.Interfaces() {
		ic := i.Common()
		if ic.MAC == nil || ic.Kind == plan.KindNIC || !unicast(ic.MAC) {
			continue
		}
		k := ic.MAC.String()
		first, dup := owner[k]
		if !dup {
			owner[k] = i
			continue
		}
		if below(i, first) || below(first, i) {
			continue
		}
		c.report("duplicate-mac", attrOf(&ic.Source, "mac"),
			"%s has mac = %s, which %s has too, and neither is stacked on the other. The kernel accepts it, but two devices with one MAC make switches and neighbours send one device's frames to the other. Give each its own MAC.",
			name(i), k, name(first))
	}
}

// below reports whether low is stacked under up (a slave, port or link, transitively).
func below(low, up plan.Interface) bool {
	seen := map[plan.Interface]bool{}
	var walk func(x plan.Interface) bool
	walk = func(x plan.Interface) bool {
		if seen[x] {
			return false
		}
		seen[x] = true
		for _, l := range x.Lower() {
			if l == low || walk(l) {
				return true
			}
		}
		return false
	}
	return walk(up)
}

func containsBond(bs []*plan.Bond, b *plan.Bond) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

func containsBridge(bs []*plan.Bridge, b *plan.Bridge) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

// kernelNamed lists the interfaces whose Name is a kernel name: all but NICs that the plan
// does not rename (their Name is only a label; the kernel names them).
func (c *checker) kernelNamed() []plan.Interface {
	var out []plan.Interface
	for _, i := range c.p.Interfaces() {
		if n, ok := i.(*plan.NIC); ok && !n.Rename {
			continue
		}
		out = append(out, i)
	}
	return out
}

const ifNameSize = 16 // IFNAMSIZ, with the terminating NUL

func checkNames(c *checker) {
	byName := map[string]plan.Interface{}
	for _, i := range c.kernelNamed() {
		ic := i.Common()
		origin := ""
		if !ic.Has("name") {
			origin = fmt.Sprintf(" (%s sets no name; this is its default name)", ic.Addr)
		}
		if _, isNIC := i.(*plan.NIC); !isNIC && live.MarkLen(ic.Addr) > live.MaxMarkLen {
			c.report("mark-too-long", attrOf(&ic.Source, "for_each"),
				"%s is a plan address of %d bytes: hostnet's ownership mark for it (the address and a %d-byte tag in the interface alias) would be %d bytes, and the kernel keeps at most %d (IFALIASZ). Use shorter for_each keys or a shorter block label.",
				ic.Addr, len(ic.Addr), live.MarkLen("")-len(live.MarkPrefix), live.MarkLen(ic.Addr), live.MaxMarkLen)
		}
		if why := badName(ic.Name); why != "" {
			c.report("invalid-name", attrOf(&ic.Source, "name"),
				"%s would be named %q%s, which the kernel refuses (net/core/dev.c dev_valid_name): %s. Names are 1 to 15 bytes, not \".\" or \"..\", without '/', ':', whitespace (as the kernel's isspace sees it: tab, newline, vertical tab, form feed, carriage return, space and the byte 0xA0) or '%%'. Set a valid name.",
				ic.Addr, ic.Name, origin, why)
			continue
		}
		if why := reservedName(ic); why != "" {
			c.report("reserved-name", attrOf(&ic.Source, "name"),
				"%s would be named %q%s, %s Set another name.",
				ic.Addr, ic.Name, origin, why)
			continue
		}
		first, dup := byName[ic.Name]
		if !dup {
			byName[ic.Name] = i
			continue
		}
		if sameVLAN(first, i) {
			continue // reported as vlan-duplicate-id
		}
		c.report("duplicate-name", attrOf(&ic.Source, "name"),
			"%s and %s would both be the kernel interface %q%s; interface names are unique on a host, so the kernel refuses the second with EEXIST. Set a distinct name.",
			first.Common().Addr, ic.Addr, ic.Name, origin)
	}
}

// badName says why the kernel refuses an interface name, or "".
func badName(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) >= ifNameSize:
		return fmt.Sprintf("it is %d bytes long", len(s))
	case s == "." || s == "..":
		return "it is a directory name"
	case strings.ContainsAny(s, "/:"):
		return "it contains '/' or ':'"
	case hasKernelSpace(s):
		return "it contains whitespace"
	case strings.ContainsRune(s, '%'):
		return "it contains '%', which makes it a template (eth%d) the kernel fills in with a number of its choice"
	case strings.ContainsRune(s, 0):
		return "it contains a NUL byte"
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		// The kernel takes them, but they garble every listing (ip link, logs) and can
		// forge lines in them.
		return "it contains a control character"
	}
	return ""
}

// hasKernelSpace reports a byte the kernel's isspace() (lib/ctype.c, Latin-1) treats as
// space: 9-13, 32 and 0xA0, which is also the second byte of UTF-8 characters such as
// U+00A0, U+0120 'Ġ' or U+4E00 '一' (e4 b8 80 has none; U+00E0 'à' is c3 a0).
func hasKernelSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0:
			return true
		}
	}
	return false
}

// reservedName says why the kernel refuses a name that collides with a fixed entry of
// the network stack's /proc and /sys trees, or "".
func reservedName(ic *plan.Iface) string {
	switch ic.Name {
	case "all", "default":
		return "the name of the fixed entries of /proc/sys/net/ipv4/conf and /proc/sys/net/ipv6/conf (settings for all interfaces and for new ones), which a device's own sysctl directory would shadow: the kernel refuses the name with EINVAL."
	case "bonding_masters":
		return "the name of the bonding driver's control file /sys/class/net/bonding_masters: the device's sysfs directory would collide with it, so the kernel refuses the device with EEXIST while the bonding module is loaded."
	case "config":
		if ic.Kind == plan.KindVLAN {
			return "the name of the 802.1q driver's /proc/net/vlan/config: a VLAN's /proc/net/vlan/<name> entry would collide with it, so the kernel refuses the VLAN with EINVAL."
		}
	}
	return ""
}

// sameVLAN reports two VLANs without explicit names on the same link with the same id and
// protocol: their default names collide because they are the same VLAN.
func sameVLAN(a, b plan.Interface) bool {
	va, ok1 := a.(*plan.VLAN)
	vb, ok2 := b.(*plan.VLAN)
	return ok1 && ok2 && va.Link == vb.Link && va.ID == vb.ID && va.Protocol == vb.Protocol
}

func checkVLANs(c *checker) {
	type key struct {
		link  plan.Interface
		id    int
		proto string
	}
	seen := map[key]*plan.VLAN{}
	for _, v := range c.p.VLANs {
		if v.ID < 1 || v.ID > 4094 {
			c.report("vlan-id-range", attrOf(&v.Source, "id"),
				"%s has id = %d. VLAN ids are 1 to 4094: 0 marks priority-tagged frames (802.1p) and is not a VLAN, 4095 is reserved, and the kernel refuses ids from 4095 up with ERANGE. Use an id from 1 to 4094.",
				v.Addr, v.ID)
			continue
		}
		if v.Link == nil {
			continue
		}
		if low, ok := v.Link.(*plan.VLAN); ok && v.Protocol == "802.1ad" && low.Protocol == "802.1Q" {
			c.report("vlan-ad-on-q", attrOf(&v.Source, "protocol"),
				"%s is an 802.1ad (S-tag) VLAN on %s, an 802.1Q (C-tag) VLAN. The kernel accepts the stack, but its frames carry the service tag inside the customer tag, the reverse of QinQ, which switches do not parse. Put the 802.1ad VLAN on the link and the 802.1Q VLAN on top of it.",
				v.Addr, name(low))
		}
		if n, ok := v.Link.(*plan.NIC); ok && len(c.slaveOf[n]) > 0 {
			c.report("bypasses-bond", attrOf(&v.Source, "link"),
				"%s is on %s, a slave of %s. The kernel accepts it, but the VLAN takes its tagged frames from that one link before the bond sees them and sends only there: no failover, no load sharing. Put the VLAN on %s.",
				v.Addr, name(n), name(c.slaveOf[n][0]), c.slaveOf[n][0].Addr)
		}
		k := key{v.Link, v.ID, v.Protocol}
		if first, dup := seen[k]; dup {
			c.report("vlan-duplicate-id", attrOf(&v.Source, "id"),
				"%s and %s are both %s VLAN %d on %s; the kernel refuses a second VLAN device with the same id and protocol on one link (EEXIST). Remove one, or use another id.",
				first.Addr, v.Addr, v.Protocol, v.ID, name(v.Link))
			continue
		}
		seen[k] = v
	}
}

// maxLibvirtName bounds libvirt network and portgroup names.
const maxLibvirtName = 64

// badLibvirtName says why a string is refused as a libvirt network or portgroup name, or
// "". Only letters, digits, '.', '_' and '-' are accepted, starting with a letter or digit:
// libvirt checks little itself (a network name only for '/'), and the audit found names that
// libvirt 9.0 wrote back into its XML unescaped, creating an extra element after which
// every command failed until the network was removed by hand.
func badLibvirtName(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > maxLibvirtName:
		return fmt.Sprintf("it is %d bytes long, more than %d", len(s), maxLibvirtName)
	}
	for i, r := range s {
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && strings.ContainsRune("._-", r))
		if !ok {
			return fmt.Sprintf("character %q at byte %d", r, i)
		}
	}
	return ""
}

func checkNetworks(c *checker) {
	for _, n := range c.p.Networks {
		if why := badLibvirtName(n.Name); why != "" {
			c.report("invalid-libvirt-name", attrOf(&n.Source, "name"),
				"%s would be the libvirt network %q, which hostnet refuses: %s. libvirt names are letters, digits, '.', '_' and '-', starting with a letter or digit, at most %d bytes.",
				n.Addr, n.Name, why, maxLibvirtName)
		}
		for _, pg := range n.PortGroups {
			if why := badLibvirtName(pg.Name); why != "" {
				c.report("invalid-libvirt-name", loc{n.Addr, pg.Range},
					"%s has a portgroup named %q, which hostnet refuses: %s. libvirt names are letters, digits, '.', '_' and '-', starting with a letter or digit, at most %d bytes.",
					n.Addr, pg.Name, why, maxLibvirtName)
			}
		}
	}
	seen := map[string]*plan.Network{}
	for _, n := range c.p.Networks {
		if first, dup := seen[n.Name]; dup {
			c.report("duplicate-libvirt-network", attrOf(&n.Source, "name"),
				"%s and %s are both named %q; libvirt network names are unique on a host, so the second would redefine the first. Give each its own name.",
				first.Addr, n.Addr, n.Name)
			continue
		}
		seen[n.Name] = n
	}
}
